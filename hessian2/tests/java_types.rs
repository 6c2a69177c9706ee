//! Java type vectors (`tests/java-vectors/*.bin`): bytes that Java wrote — Caucho Hessian's
//! `Hessian2Output` making the choices of Dubbo's hessian-lite, from the harness in
//! `java-vectors/` (`scripts/java-hessian-vectors.sh write` regenerates them). Each one is
//! decoded into its Rust type, checked against a value built in Rust, and that value must
//! encode to exactly the same bytes.
//!
//! With a JDK and Debian's `libhessian-java` present, two more tests run Java live: it must
//! regenerate the recorded vectors byte for byte, and read back what Rust writes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::process::Command;

use oxidubbo_hessian2::java::{
    Array, BigDecimal, BigInteger, Duration, Instant, LocalDate, LocalDateTime, LocalTime, Locale,
    MonthDay, OffsetDateTime, OffsetTime, Period, SqlDate, SqlTime, SqlTimestamp, Uuid, Year,
    YearMonth, ZoneId, ZoneOffset, ZonedDateTime,
};
use oxidubbo_hessian2::{
    Binary, Date, List, Map, Object, Value, decode_value, encode_value, from_slice, from_value,
    to_value, to_vec,
};
use oxidubbo_integration_tests::missing_peer;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java-vectors")
}

fn vector(name: &str) -> Vec<u8> {
    let path = vectors_dir().join(format!("{name}.bin"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes vector `name` into a `T` equal to `expected`, and checks that it encodes back to
/// the vector's bytes.
#[track_caller]
fn java_made<T: Serialize + DeserializeOwned + PartialEq + Debug>(name: &str, expected: &T) {
    let bytes = vector(name);
    let got: T = from_slice(&bytes).unwrap_or_else(|e| panic!("decoding {name}: {e}"));
    assert_eq!(&got, expected, "decoding {name}");
    assert_eq!(to_vec(&got).expect("encode"), bytes, "re-encoding {name}");
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Copy)]
#[serde(rename = "org.oxidubbo.vectors.Color", rename_all = "UPPERCASE")]
enum Color {
    Red,
    Green,
    Blue,
}

/// Java's `Holder` (hessian-lite writes its fields in reverse: map, list, text).
#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename = "org.oxidubbo.vectors.Holder")]
struct Holder {
    map: Option<BTreeMap<String, Value>>,
    list: Option<Vec<String>>,
    text: Option<String>,
}

/// Java's `User`, fields in hessian-lite's order.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename = "org.oxidubbo.vectors.User")]
struct User {
    birthday: LocalDate,
    balance: BigDecimal,
    color: Color,
    attrs: BTreeMap<String, Value>,
    tags: Vec<String>,
    scores: Array<i32>,
    name: String,
    id: i64,
}

fn date(y: i32, m: u32, d: u32) -> LocalDate {
    LocalDate::new(y, m, d).expect("valid date")
}

fn time(h: u32, m: u32, s: u32, n: u32) -> LocalTime {
    LocalTime::new(h, m, s, n).expect("valid time")
}

fn user() -> User {
    User {
        birthday: date(1990, 1, 2),
        balance: "10.50".parse().expect("decimal"),
        color: Color::Blue,
        attrs: BTreeMap::from([("level".to_owned(), Value::Int(3))]),
        tags: vec!["admin".to_owned()],
        scores: Array(vec![90, 85]),
        name: "ann".to_owned(),
        id: 42,
    }
}

fn zoned() -> ZonedDateTime {
    ZonedDateTime {
        date_time: LocalDateTime::new(date(2024, 6, 1), time(12, 0, 0, 0)),
        offset: ZoneOffset::new(7200).expect("offset"),
        zone_id: "Europe/Paris".to_owned(),
    }
}

fn offset_date_time() -> OffsetDateTime {
    OffsetDateTime {
        date_time: LocalDateTime::new(date(2024, 6, 1), time(12, 0, 0, 0)),
        offset: ZoneOffset::new(-3 * 3600).expect("offset"),
    }
}

fn offset_time() -> OffsetTime {
    OffsetTime {
        time: time(7, 30, 15, 500_000_000),
        offset: ZoneOffset::new(9 * 3600).expect("offset"),
    }
}

fn uuid() -> Uuid {
    "123e4567-e89b-12d3-a456-426614174000"
        .parse()
        .expect("uuid")
}

#[test]
fn math_types() {
    java_made(
        "big_decimal",
        &BigDecimal::new("12345678901234567890.0012300").unwrap(),
    );
    java_made("big_decimal_exp", &BigDecimal::new("-1.5E-7").unwrap());
    let n: BigInteger = "-123456789012345678901234567890".parse().unwrap();
    assert_eq!(n.magnitude(), [1, 0x8ee9_0ff6, 0xc373_e0ee, 0x4e3f_0ad2]);
    java_made("big_integer", &n);
    java_made("big_integer_zero", &BigInteger::from(0i64));
    let back: BigInteger = from_slice(&vector("big_integer")).unwrap();
    assert_eq!(back.to_string(), "-123456789012345678901234567890");
}

#[test]
fn time_types() {
    java_made("date", &Date(894_621_091_000));
    java_made("local_date", &date(2024, 2, 29));
    // java.sql types (the vectors were made with the JVM in UTC)
    let midnight = date(2024, 2, 29).epoch_day() * 86_400_000;
    java_made("sql_date", &SqlDate(Date(midnight)));
    java_made(
        "sql_time",
        &SqlTime(Date((23 * 3600 + 59 * 60 + 58) * 1000)),
    );
    java_made("sql_timestamp", &SqlTimestamp(Date(1_700_000_000_123)));
    java_made("local_time", &time(23, 59, 58, 123_456_789));
    java_made(
        "local_date_time",
        &LocalDateTime::new(date(1999, 12, 31), time(23, 59, 59, 1)),
    );
    java_made(
        "instant",
        &Instant::new(1_700_000_000, 123_456_789).unwrap(),
    );
    java_made("instant_before_epoch", &Instant::new(-1, 500).unwrap());
    java_made("duration", &Duration::new(-90061, 5).unwrap());
    java_made("zone_offset", &ZoneOffset::new(5 * 3600 + 30 * 60).unwrap());
    java_made("zoned_date_time", &zoned());
    java_made("offset_date_time", &offset_date_time());
    java_made("offset_time", &offset_time());
    java_made("year", &Year::new(-44).unwrap());
    java_made("year_month", &YearMonth::new(2024, 2).unwrap());
    java_made("month_day", &MonthDay::new(2, 29).unwrap());
    java_made(
        "period",
        &Period {
            years: 1,
            months: -2,
            days: 30,
        },
    );
    java_made("zone_id", &ZoneId("America/New_York".to_owned()));
    // Conversions, with Java's answers: LocalDate.toEpochDay(), ZonedDateTime.toInstant().
    assert_eq!(date(2024, 2, 29).epoch_day(), 19_782);
    assert_eq!(date(1969, 12, 31).epoch_day(), -1);
    assert_eq!(date(-1, 12, 31).epoch_day(), -719_529);
    for day in [-719_529, -1, 0, 19_782, 2_932_896] {
        assert_eq!(LocalDate::from_epoch_day(day).unwrap().epoch_day(), day);
    }
    assert_eq!(
        LocalDate::from_epoch_day(2_932_896).unwrap(),
        date(9999, 12, 31)
    );
    assert!(LocalDate::from_epoch_day(i64::MIN).is_err());
    assert_eq!(
        zoned().to_instant().unwrap(),
        Instant::new(1_717_236_000, 0).unwrap()
    );
    assert_eq!(
        offset_date_time().to_instant().unwrap(),
        Instant::new(1_717_254_000, 0).unwrap()
    );
    // Texts as Java's toString() gives them (see java_reads_what_rust_writes).
    assert_eq!(zoned().to_string(), "2024-06-01T12:00+02:00[Europe/Paris]");
    assert_eq!(offset_date_time().to_string(), "2024-06-01T12:00-03:00");
}

#[test]
fn util_types() {
    java_made("locale", &Locale::new("zh", "CN"));
    java_made("locale_script", &Locale::from_java("zh_TW_#Hant"));
    java_made("uuid", &uuid());
    // Caucho's own form ({mostSigBits, leastSigBits}, also dubbo-go-hessian2's) reads as
    // the same UUID; it is written back in hessian-lite's form.
    let caucho: Uuid = from_slice(&vector("caucho_uuid")).unwrap();
    assert_eq!(caucho, uuid());
    assert_eq!(to_vec(&caucho).unwrap(), vector("uuid"));
}

#[test]
fn enums() {
    java_made("enum", &Color::Green);
    // Java writes the second RED as a back-reference to the first (`Q`): the typed read
    // resolves it, and the Value keeps it, so re-encoding the Value is byte-exact.
    let bytes = vector("enum_list");
    let colors: Vec<Color> = from_slice(&bytes).unwrap();
    assert_eq!(colors, [Color::Red, Color::Blue, Color::Red]);
    let v = decode_value(&bytes).unwrap();
    assert!(
        matches!(&v, Value::List(l) if l.items[2] == Value::Ref(1)),
        "{v:?}"
    );
    assert_eq!(encode_value(&v).unwrap(), bytes);
}

#[test]
fn arrays() {
    java_made("int_array", &Array(vec![1, -2, 300_000, i32::MIN]));
    java_made("long_array", &Array(vec![0i64, -1, i64::MAX]));
    java_made("short_array", &Array(vec![1i16, i16::MIN]));
    java_made("boolean_array", &Array(vec![true, false]));
    java_made("double_array", &Array(vec![1.5f64, -0.25, 1e300]));
    java_made("float_array", &Array(vec![1.5f32, 0.1]));
    java_made("byte_array", &Binary(vec![1, 2, 0xff]));
    java_made("char_array", &"hi".to_owned());
    java_made(
        "string_array",
        &Array(vec![Some("a".to_owned()), None, Some(String::new())]),
    );
    java_made(
        "object_array",
        &Array(vec![Value::Int(1), Value::from("x"), Value::Null]),
    );
    java_made("empty_int_array", &Array::<i32>(vec![]));
    // A plain Vec reads any of them, but writes an untyped list (Java's ArrayList).
    let ints: Vec<i32> = from_slice(&vector("int_array")).unwrap();
    assert_eq!(ints, [1, -2, 300_000, i32::MIN]);
    assert_eq!(
        to_value(&ints).unwrap(),
        Value::List(List::untyped(vec![
            1.into(),
            (-2).into(),
            300_000.into(),
            i32::MIN.into(),
        ]))
    );
}

#[test]
fn nil_versus_empty() {
    // null: None for every reference type; and None writes Java's null.
    java_made("null", &None::<String>);
    java_made("null", &None::<Vec<String>>);
    java_made("null", &None::<BTreeMap<String, Value>>);
    java_made("null", &None::<LocalDate>);
    assert!(from_slice::<String>(&vector("null")).is_err());
    // empty: Some(empty), and the empty value itself.
    java_made("empty_string", &Some(String::new()));
    java_made("empty_string", &String::new());
    java_made("empty_list", &Some(Vec::<String>::new()));
    java_made("empty_list", &Vec::<i64>::new());
    java_made("empty_map", &Some(BTreeMap::<String, Value>::new()));
    java_made("empty_map", &HashMap::<String, Value>::new());
    // …and inside a POJO.
    java_made(
        "holder_nulls",
        &Holder {
            map: None,
            list: None,
            text: None,
        },
    );
    java_made(
        "holder_empty",
        &Holder {
            map: Some(BTreeMap::new()),
            list: Some(vec![]),
            text: Some(String::new()),
        },
    );
}

#[test]
fn string_object_maps() {
    // A Java HashMap<String, Object>: an untyped map, entries in Java's order.
    let bytes = vector("pojo_map");
    let v = decode_value(&bytes).unwrap();
    let Value::Map(m) = &v else { panic!("{v:?}") };
    assert_eq!(m.type_name, None);
    assert_eq!(m.get("name"), Some(&Value::from("ann")));
    assert_eq!(m.get("age"), Some(&Value::Int(30)));
    assert_eq!(m.get("id"), Some(&Value::Long(7)));
    assert_eq!(m.get("score"), Some(&Value::Double(1.5)));
    assert_eq!(
        m.get("tags"),
        Some(&Value::List(List::untyped(vec!["a".into(), "b".into()])))
    );
    assert_eq!(
        m.get("nested"),
        Some(&Value::Map(Map::untyped(vec![("k".into(), Value::Null)])))
    );
    assert_eq!(encode_value(&v).unwrap(), bytes);

    // Into a Rust map, and into a struct (a map fills a struct by key).
    let map: HashMap<String, Value> = from_slice(&bytes).unwrap();
    assert_eq!(map.len(), 6);
    #[derive(Deserialize, Serialize, Debug, PartialEq)]
    #[serde(rename = "org.example.Person")]
    struct Person {
        name: String,
        age: i32,
        tags: Vec<String>,
        nested: HashMap<String, Option<String>>,
    }
    let p: Person = from_slice(&bytes).unwrap();
    assert_eq!(p.name, "ann");
    assert_eq!(p.nested.get("k"), Some(&None));
    // A struct is a Java object (`C`…), never a map; a Rust map is a map (`H`…).
    assert_eq!(to_vec(&p).unwrap()[0], b'C');
    assert_eq!(to_vec(&map).unwrap()[0], b'H');
    assert_eq!(bytes[0], b'H');

    // A POJO as Dubbo's generic calls pass it, a map with its class under "class", fills the
    // struct by key (the class entry is one more key; an enum comes as its constant's name).
    #[derive(Deserialize, Debug, PartialEq)]
    struct GenericUser {
        id: i64,
        name: String,
        color: Color,
    }
    let bytes = vector("generic_pojo_map");
    let generic: GenericUser = from_slice(&bytes).unwrap();
    assert_eq!(
        generic,
        GenericUser {
            id: 42,
            name: "ann".to_owned(),
            color: Color::Blue
        }
    );
    let v = decode_value(&bytes).unwrap();
    assert!(
        matches!(&v, Value::Map(m) if m.get("class") == Some(&"org.oxidubbo.vectors.User".into())),
        "{v:?}"
    );

    // A LinkedHashMap keeps its Java type and order.
    let linked = Value::Map(Map {
        type_name: Some("java.util.LinkedHashMap".into()),
        entries: vec![("b".into(), Value::Int(1)), ("a".into(), "two".into())],
    });
    java_made("linked_map", &linked);
}

#[test]
fn pojo_with_java_types() {
    java_made("user", &user());
}

/// The forms other peers write read as the same values: dubbo-go-hessian2's BigInteger
/// (JDK 8 field names, declaration order) and its java.time handles (declaration order).
#[test]
fn other_peers_forms() {
    let big = Value::Object(Object::new(
        "java.math.BigInteger",
        vec![
            ("signum".into(), Value::Int(-1)),
            (
                "mag".into(),
                Value::List(List::typed("[int", vec![1.into(), 2.into()])),
            ),
            ("firstNonzeroIntNum".into(), Value::Int(0)),
            ("lowestSetBit".into(), Value::Int(0)),
            ("bitLength".into(), Value::Int(0)),
            ("bitCount".into(), Value::Int(0)),
        ],
    ));
    let n: BigInteger = from_value(big).unwrap();
    assert_eq!(n.to_i128(), Some(-((1i128 << 32) + 2)));
    let day = Value::Object(Object::new(
        "com.alibaba.com.caucho.hessian.io.java8.LocalDateHandle",
        vec![
            ("year".into(), Value::Int(2024)),
            ("month".into(), Value::Int(2)),
            ("day".into(), Value::Int(29)),
        ],
    ));
    assert_eq!(from_value::<LocalDate>(day).unwrap(), date(2024, 2, 29));
    let caucho_locale = Value::Object(Object::new(
        "com.caucho.hessian.io.LocaleHandle",
        vec![("value".into(), "en_US".into())],
    ));
    // Plain strings, as a JSON-minded peer might send them.
    assert_eq!(
        from_value::<BigDecimal>(Value::from("1.5"))
            .unwrap()
            .as_str(),
        "1.5"
    );
    assert_eq!(
        from_value::<Uuid>(Value::from("123E4567-E89B-12D3-A456-426614174000")).unwrap(),
        uuid()
    );
    assert_eq!(
        from_value::<Locale>(Value::from("fr_CA")).unwrap(),
        Locale::new("fr", "CA")
    );
    assert_eq!(
        from_value::<Locale>(caucho_locale).unwrap(),
        Locale::new("en", "US")
    );
}

#[test]
fn descriptors_name_the_java_classes() {
    use oxidubbo_hessian2::descriptor::JavaType;
    assert_eq!(BigDecimal::descriptor(), "Ljava/math/BigDecimal;");
    assert_eq!(LocalDate::descriptor(), "Ljava/time/LocalDate;");
    assert_eq!(Uuid::java_class_name(), "java.util.UUID");
    assert_eq!(Array::<i32>::descriptor(), "[I");
    assert_eq!(Array::<String>::java_class_name(), "[Ljava.lang.String;");
    assert_eq!(<Option<Instant>>::descriptor(), "Ljava/time/Instant;");
}

/// Every recorded vector is covered here, and decodes and re-encodes as a `Value` exactly.
#[test]
fn every_vector_is_tested_and_round_trips() {
    const NAMES: &[&str] = &[
        "big_decimal",
        "big_decimal_exp",
        "big_integer",
        "big_integer_zero",
        "date",
        "sql_date",
        "sql_time",
        "sql_timestamp",
        "local_date",
        "local_time",
        "local_date_time",
        "instant",
        "instant_before_epoch",
        "duration",
        "zone_offset",
        "zoned_date_time",
        "offset_date_time",
        "offset_time",
        "year",
        "year_month",
        "month_day",
        "period",
        "zone_id",
        "locale",
        "locale_script",
        "uuid",
        "caucho_uuid",
        "enum",
        "enum_list",
        "int_array",
        "long_array",
        "short_array",
        "byte_array",
        "boolean_array",
        "double_array",
        "float_array",
        "char_array",
        "string_array",
        "object_array",
        "empty_int_array",
        "null",
        "empty_string",
        "empty_list",
        "empty_map",
        "holder_nulls",
        "holder_empty",
        "pojo_map",
        "linked_map",
        "generic_pojo_map",
        "user",
    ];
    let on_disk = vector_names(&vectors_dir());
    let named: BTreeSet<String> = NAMES.iter().map(|n| (*n).to_owned()).collect();
    assert_eq!(on_disk, named, "vectors on disk vs. vectors tested");
    for name in NAMES {
        let bytes = vector(name);
        let v = decode_value(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(encode_value(&v).unwrap(), bytes, "{name}");
    }
}

fn vector_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".bin").map(str::to_owned)
        })
        .collect()
}

/// Bad input is an error naming the problem, never a panic.
#[test]
fn bad_input_is_an_error() {
    fn obj(class: &str, fields: &[(&str, Value)]) -> Value {
        Value::Object(Object::new(
            class,
            fields
                .iter()
                .map(|(k, v)| ((*k).into(), v.clone()))
                .collect(),
        ))
    }
    fn err<T: DeserializeOwned + Debug>(v: Value) -> String {
        from_value::<T>(v)
            .expect_err("bad input accepted")
            .to_string()
    }
    let handle = |name: &str| format!("com.alibaba.com.caucho.hessian.io.java8.{name}Handle");
    let mag = |words: Vec<Value>| Value::List(List::typed("[int", words));
    let cases: Vec<(String, &str)> = vec![
        (
            err::<LocalDate>(obj(
                &handle("LocalDate"),
                &[
                    ("year", 2023.into()),
                    ("month", 2.into()),
                    ("day", 29.into()),
                ],
            )),
            "day 29",
        ),
        (
            err::<LocalDate>(obj(
                &handle("LocalDate"),
                &[
                    ("year", 2023.into()),
                    ("month", 13.into()),
                    ("day", 1.into()),
                ],
            )),
            "month 13",
        ),
        (
            err::<LocalTime>(obj(
                &handle("LocalTime"),
                &[
                    ("hour", 24.into()),
                    ("minute", 0.into()),
                    ("second", 0.into()),
                    ("nano", 0.into()),
                ],
            )),
            "hour 24",
        ),
        (
            err::<Instant>(obj(
                &handle("Instant"),
                &[("seconds", Value::Long(0)), ("nanos", (-1).into())],
            )),
            "nanos -1",
        ),
        (
            err::<MonthDay>(obj(
                &handle("MonthDay"),
                &[("month", 4.into()), ("day", 31.into())],
            )),
            "day 31",
        ),
        (
            err::<YearMonth>(obj(
                &handle("YearMonth"),
                &[("month", 0.into()), ("year", 2024.into())],
            )),
            "month 0",
        ),
        (
            err::<ZoneOffset>(obj(
                &handle("ZoneOffset"),
                &[("seconds", (19 * 3600).into())],
            )),
            "68400",
        ),
        (
            err::<LocalDateTime>(obj(&handle("LocalDateTime"), &[])),
            "time",
        ),
        (
            err::<BigInteger>(obj(
                "java.math.BigInteger",
                &[("signum", 2.into()), ("mag", mag(vec![1.into()]))],
            )),
            "signum 2",
        ),
        (
            err::<BigInteger>(obj(
                "java.math.BigInteger",
                &[("signum", 0.into()), ("mag", mag(vec![1.into()]))],
            )),
            "mismatch",
        ),
        (
            err::<BigInteger>(obj(
                "java.math.BigInteger",
                &[("signum", 1.into()), ("mag", mag(vec!["x".into()]))],
            )),
            "not an int",
        ),
        (
            err::<BigDecimal>(obj("java.math.BigDecimal", &[("value", "1.2.3".into())])),
            "1.2.3",
        ),
        (err::<BigDecimal>(Value::Int(3)), "java.math.BigDecimal"),
        (err::<BigDecimal>(Value::from("1e99999999999")), "exponent"),
        (
            err::<Uuid>(obj("java.util.UUID", &[("value", "not-a-uuid".into())])),
            "not-a-uuid",
        ),
        (
            err::<Uuid>(obj(
                "java.util.UUID",
                &[
                    ("mostSigBits", "x".into()),
                    ("leastSigBits", Value::Long(1)),
                ],
            )),
            "mostSigBits",
        ),
        (err::<Locale>(Value::Int(1)), "java.util.Locale"),
        (
            err::<SqlTimestamp>(obj("java.sql.Timestamp", &[("value", "x".into())])),
            "java.sql.Timestamp",
        ),
        (
            err::<Color>(obj(
                "org.oxidubbo.vectors.Color",
                &[("name", "PURPLE".into())],
            )),
            "PURPLE",
        ),
        (
            "99999999999x"
                .parse::<BigInteger>()
                .expect_err("bad input accepted")
                .to_string(),
            "99999999999x",
        ),
    ];
    for (err, needle) in cases {
        assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    }
}

/// If `data` decodes as a `T`, it encodes, and decoding and encoding that gives the same
/// bytes (as the `from_slice` fuzz target checks).
fn fixpoint<T: Serialize + DeserializeOwned>(data: &[u8]) -> bool {
    let Ok(v) = from_slice::<T>(data) else {
        return false;
    };
    let bytes = to_vec(&v).expect("a decoded Java type encodes");
    let again: T = from_slice(&bytes).expect("its encoding decodes");
    assert_eq!(to_vec(&again).expect("encodes again"), bytes);
    true
}

/// Every vector cut short and with each byte changed, read as each Java type: errors or
/// values, never a panic (a bounded, deterministic cousin of the fuzz target).
#[test]
fn damaged_vectors_never_panic() {
    let mut inputs = Vec::new();
    for name in vector_names(&vectors_dir()) {
        let bytes = vector(&name);
        for len in 0..bytes.len() {
            inputs.push(bytes[..len].to_vec());
        }
        for i in 0..bytes.len() {
            for flip in [0x01, 0x10, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[i] ^= flip;
                inputs.push(damaged);
            }
        }
    }
    let mut decoded = 0;
    for data in &inputs {
        let oks = [
            fixpoint::<BigDecimal>(data),
            fixpoint::<BigInteger>(data),
            fixpoint::<LocalDateTime>(data),
            fixpoint::<Instant>(data),
            fixpoint::<Duration>(data),
            fixpoint::<ZonedDateTime>(data),
            fixpoint::<OffsetDateTime>(data),
            fixpoint::<OffsetTime>(data),
            fixpoint::<YearMonth>(data),
            fixpoint::<MonthDay>(data),
            fixpoint::<Period>(data),
            fixpoint::<ZoneId>(data),
            fixpoint::<Locale>(data),
            fixpoint::<Uuid>(data),
            fixpoint::<Array<i64>>(data),
            fixpoint::<Array<f32>>(data),
            fixpoint::<Array<Option<String>>>(data),
            fixpoint::<User>(data),
        ];
        decoded += oks.iter().filter(|ok| **ok).count();
    }
    // Some damaged inputs still decode (a changed digit, a changed int): the check ran.
    assert!(
        decoded > 100,
        "only {decoded} of the damaged inputs decoded"
    );
    eprintln!("{} damaged inputs, {decoded} decodes", inputs.len());
}

/// Runs `scripts/java-hessian-vectors.sh`; `None` (after a loud skip, or a panic when peers
/// are required) when the JDK or the Caucho jar is missing (exit status 3).
fn java_script(args: &[&str]) -> Option<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/java-hessian-vectors.sh");
    let out = Command::new("bash")
        .arg(&script)
        .args(args)
        .output()
        .expect("run bash");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        return missing_peer(&format!(
            "a JDK and Caucho Hessian (libhessian-java): {stderr}"
        ));
    }
    assert!(
        out.status.success(),
        "java-hessian-vectors.sh {args:?} failed: {stderr}"
    );
    Some(String::from_utf8(out.stdout).expect("utf-8 output"))
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("oxidubbo-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Java (the JDK on the machine, Caucho Hessian from libhessian-java) writes the recorded
/// vectors again, byte for byte.
#[test]
fn java_regenerates_the_recorded_vectors() {
    let tmp = TempDir::new("java-vectors");
    let dir = tmp.0.to_str().expect("utf-8 temp path");
    if java_script(&["write", dir]).is_none() {
        return;
    }
    let fresh = vector_names(&tmp.0);
    assert_eq!(fresh, vector_names(&vectors_dir()));
    for name in &fresh {
        let now = std::fs::read(tmp.0.join(format!("{name}.bin"))).expect("read");
        assert_eq!(now, vector(name), "{name}: Java now writes different bytes");
    }
}

/// Java reads what Rust writes as the Java values (class and `toString()`).
#[test]
fn java_reads_what_rust_writes() {
    let tmp = TempDir::new("rust-vectors");
    let values: Vec<(Vec<u8>, &str)> = vec![
        (
            to_vec(&BigDecimal::new("-1.5E-7").unwrap()).unwrap(),
            "java.math.BigDecimal -1.5E-7",
        ),
        (
            to_vec(
                &"-123456789012345678901234567890"
                    .parse::<BigInteger>()
                    .unwrap(),
            )
            .unwrap(),
            "java.math.BigInteger -123456789012345678901234567890",
        ),
        (
            to_vec(&BigInteger::from(i128::MAX)).unwrap(),
            "java.math.BigInteger 170141183460469231731687303715884105727",
        ),
        (
            to_vec(&date(2024, 2, 29)).unwrap(),
            "java.time.LocalDate 2024-02-29",
        ),
        (
            to_vec(&time(7, 5, 0, 120_000_000)).unwrap(),
            "java.time.LocalTime 07:05:00.120",
        ),
        (
            to_vec(&LocalDateTime::new(date(-1, 12, 31), time(0, 0, 0, 0))).unwrap(),
            "java.time.LocalDateTime -0001-12-31T00:00",
        ),
        (
            to_vec(&Instant::from(Date(-1))).unwrap(),
            "java.time.Instant 1969-12-31T23:59:59.999Z",
        ),
        (
            to_vec(&Duration::try_from(std::time::Duration::from_millis(1500)).unwrap()).unwrap(),
            "java.time.Duration PT1.5S",
        ),
        (
            to_vec(&zoned()).unwrap(),
            "java.time.ZonedDateTime 2024-06-01T12:00+02:00[Europe/Paris]",
        ),
        (
            to_vec(&offset_date_time()).unwrap(),
            "java.time.OffsetDateTime 2024-06-01T12:00-03:00",
        ),
        (
            to_vec(&ZoneOffset::new(-(3600 + 62)).unwrap()).unwrap(),
            "java.time.ZoneOffset -01:01:02",
        ),
        (
            to_vec(&offset_time()).unwrap(),
            "java.time.OffsetTime 07:30:15.500+09:00",
        ),
        (
            to_vec(&SqlTimestamp(Date(-1))).unwrap(),
            "java.sql.Timestamp 1969-12-31 23:59:59.999",
        ),
        (
            to_vec(&Year::new(12_345).unwrap()).unwrap(),
            "java.time.Year 12345",
        ),
        (
            to_vec(&YearMonth::new(-44, 3).unwrap()).unwrap(),
            "java.time.YearMonth -0044-03",
        ),
        (
            to_vec(&MonthDay::new(12, 31).unwrap()).unwrap(),
            "java.time.MonthDay --12-31",
        ),
        (to_vec(&Period::default()).unwrap(), "java.time.Period P0D"),
        (
            to_vec(&ZoneId("Asia/Tokyo".to_owned())).unwrap(),
            "java.time.ZoneRegion Asia/Tokyo",
        ),
        (
            to_vec(&Locale::new("en", "US")).unwrap(),
            "java.util.Locale en_US",
        ),
        (
            to_vec(&Locale::from_java("zh_TW_#Hant")).unwrap(),
            "java.util.Locale zh_TW_#Hant",
        ),
        (
            to_vec(&uuid()).unwrap(),
            "java.util.UUID 123e4567-e89b-12d3-a456-426614174000",
        ),
        (
            to_vec(&Color::Red).unwrap(),
            "org.oxidubbo.vectors.Color RED",
        ),
        (to_vec(&Array(vec![3i64, -4])).unwrap(), "long[] 3, -4"),
        (to_vec(&Array(vec![0.5f32])).unwrap(), "float[] 0.5"),
        (
            to_vec(&Array(vec![Some("a".to_owned()), None])).unwrap(),
            "java.lang.String[] \"a\", null",
        ),
        (to_vec(&Binary(vec![7])).unwrap(), "byte[] 7"),
        (to_vec(&None::<String>).unwrap(), "null"),
        (to_vec(&String::new()).unwrap(), "java.lang.String \"\""),
        (
            to_vec(&Holder {
                map: Some(BTreeMap::new()),
                list: None,
                text: Some(String::new()),
            })
            .unwrap(),
            "org.oxidubbo.vectors.Holder Holder{text=\"\", list=null, map={}}",
        ),
        (
            to_vec(&user()).unwrap(),
            "org.oxidubbo.vectors.User User{id=42, name=ann, scores=[90, 85], tags=[admin], \
             attrs={level=3}, color=BLUE, balance=10.50, birthday=1990-01-02}",
        ),
    ];
    let mut files = Vec::new();
    for (i, (bytes, _)) in values.iter().enumerate() {
        let path = tmp.0.join(format!("{i:02}.bin"));
        std::fs::write(&path, bytes).expect("write");
        files.push(path.to_str().expect("utf-8 temp path").to_owned());
    }
    let mut args = vec!["read"];
    args.extend(files.iter().map(String::as_str));
    let Some(out) = java_script(&args) else {
        return;
    };
    let lines: Vec<&str> = out.lines().collect();
    let expected: Vec<&str> = values.iter().map(|(_, text)| *text).collect();
    assert_eq!(lines, expected);
}
