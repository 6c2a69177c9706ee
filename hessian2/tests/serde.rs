//! Serde mapping between Rust types and `Value`: exact shapes, round trips, leniency,
//! references.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oxidubbo_hessian2::{
    Binary, Date, List, MAX_DEPTH, Map, Object, Str, Value, from_value, from_value_ref, to_value,
};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

fn s(v: &str) -> Value {
    Value::from(v)
}

fn obj(class: &str, fields: Vec<(&str, Value)>) -> Value {
    Value::Object(Object::new(
        class,
        fields.into_iter().map(|(k, v)| (k.into(), v)).collect(),
    ))
}

fn list(items: Vec<Value>) -> Value {
    Value::List(List::untyped(items))
}

fn map(entries: Vec<(Value, Value)>) -> Value {
    Value::Map(Map::untyped(entries))
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(x: &T) {
    let v = to_value(x).unwrap();
    let back: T = from_value(v.clone()).unwrap_or_else(|e| panic!("{e} while reading {v:?}"));
    assert_eq!(&back, x);
}

fn err_of<T: DeserializeOwned + std::fmt::Debug>(v: Value) -> String {
    from_value::<T>(v).unwrap_err().to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.User")]
struct User {
    id: i64,
    name: String,
    email: Option<String>,
    age: i32,
    tags: Vec<String>,
}

fn ann() -> User {
    User {
        id: 1,
        name: "ann".into(),
        email: None,
        age: 30,
        tags: vec!["a".into(), "b".into()],
    }
}

#[test]
fn struct_maps_to_object_with_serde_name_and_field_order() {
    assert_eq!(
        to_value(&ann()).unwrap(),
        obj(
            "com.example.User",
            vec![
                ("id", Value::Long(1)),
                ("name", s("ann")),
                ("email", Value::Null),
                ("age", Value::Int(30)),
                ("tags", list(vec![s("a"), s("b")])),
            ]
        )
    );
    round_trip(&ann());
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename = "com.example.Color")]
enum Color {
    #[serde(rename = "RED")]
    Red,
    #[serde(rename = "GREEN")]
    Green,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Dot,
    Circle(f64),
    Rect(i32, i32),
    Poly { sides: u8, color: Color },
}

#[test]
fn unit_variants_are_java_enums() {
    assert_eq!(
        to_value(&Color::Red).unwrap(),
        obj("com.example.Color", vec![("name", s("RED"))])
    );
    // Any class name and extra fields are fine; `name` selects the variant.
    let java = obj(
        "hessian.Main$Color",
        vec![("ordinal", Value::Int(1)), ("name", s("GREEN"))],
    );
    assert_eq!(from_value::<Color>(java).unwrap(), Color::Green);
    assert_eq!(from_value::<Color>(s("RED")).unwrap(), Color::Red);
    assert!(
        err_of::<Color>(s("BLUE")).contains("BLUE"),
        "{}",
        err_of::<Color>(s("BLUE"))
    );
    let e = err_of::<Color>(obj("x.Y", vec![("id", Value::Int(1))]));
    assert!(e.contains("com.example.Color") && e.contains("name"), "{e}");
}

#[test]
fn other_variants_are_externally_tagged_maps() {
    assert_eq!(
        to_value(&Shape::Dot).unwrap(),
        obj("Shape", vec![("name", s("Dot"))])
    );
    assert_eq!(
        to_value(&Shape::Circle(1.5)).unwrap(),
        map(vec![(s("Circle"), Value::Double(1.5))])
    );
    assert_eq!(
        to_value(&Shape::Rect(2, 3)).unwrap(),
        map(vec![(s("Rect"), list(vec![Value::Int(2), Value::Int(3)]))])
    );
    assert_eq!(
        to_value(&Shape::Poly {
            sides: 5,
            color: Color::Red
        })
        .unwrap(),
        map(vec![(
            s("Poly"),
            map(vec![
                (s("sides"), Value::Int(5)),
                (
                    s("color"),
                    obj("com.example.Color", vec![("name", s("RED"))])
                ),
            ])
        )])
    );
    for shape in [
        Shape::Dot,
        Shape::Circle(-0.25),
        Shape::Rect(-1, 7),
        Shape::Poly {
            sides: 3,
            color: Color::Green,
        },
    ] {
        round_trip(&shape);
    }
    assert_eq!(
        from_value::<Shape>(map(vec![(s("Dot"), Value::Null)])).unwrap(),
        Shape::Dot
    );
    // A Java enum object cannot carry a tuple variant.
    assert!(from_value::<Shape>(obj("Shape", vec![("name", s("Rect"))])).is_err());
}

#[test]
fn scalar_mapping() {
    assert_eq!(to_value(&true).unwrap(), Value::Bool(true));
    assert_eq!(to_value(&-5i8).unwrap(), Value::Int(-5));
    assert_eq!(to_value(&300i16).unwrap(), Value::Int(300));
    assert_eq!(to_value(&7i32).unwrap(), Value::Int(7));
    assert_eq!(to_value(&7i64).unwrap(), Value::Long(7));
    assert_eq!(to_value(&255u8).unwrap(), Value::Int(255));
    assert_eq!(to_value(&65535u16).unwrap(), Value::Int(65535));
    assert_eq!(to_value(&2_147_483_647u32).unwrap(), Value::Int(i32::MAX));
    assert_eq!(
        to_value(&2_147_483_648u32).unwrap(),
        Value::Long(2_147_483_648)
    );
    assert_eq!(to_value(&(i64::MAX as u64)).unwrap(), Value::Long(i64::MAX));
    let e = to_value(&(i64::MAX as u64 + 1)).unwrap_err().to_string();
    assert!(e.contains("9223372036854775808"), "{e}");
    assert_eq!(to_value(&1.5f32).unwrap(), Value::Double(1.5));
    assert_eq!(to_value(&'x').unwrap(), s("x"));
    assert_eq!(to_value("hi").unwrap(), s("hi"));
    assert_eq!(to_value(&()).unwrap(), Value::Null);
    assert_eq!(to_value(&None::<i32>).unwrap(), Value::Null);
    assert_eq!(to_value(&Some(3i32)).unwrap(), Value::Int(3));

    #[derive(Serialize)]
    struct Meters(i64);
    #[derive(Serialize)]
    struct Unit;
    assert_eq!(to_value(&Meters(4)).unwrap(), Value::Long(4));
    assert_eq!(to_value(&Unit).unwrap(), Value::Null);
}

#[test]
fn collections_mapping() {
    assert_eq!(
        to_value(&vec![1i32, 2]).unwrap(),
        list(vec![Value::Int(1), Value::Int(2)])
    );
    assert_eq!(
        to_value(&(1i32, "a")).unwrap(),
        list(vec![Value::Int(1), s("a")])
    );
    assert_eq!(
        to_value(&BTreeSet::from([3i64])).unwrap(),
        list(vec![Value::Long(3)])
    );
    assert_eq!(
        to_value(&[1u8, 2][..]).unwrap(),
        list(vec![Value::Int(1), Value::Int(2)])
    );
    assert_eq!(
        to_value(&BTreeMap::from([("a", 1i32), ("b", 2)])).unwrap(),
        map(vec![(s("a"), Value::Int(1)), (s("b"), Value::Int(2))])
    );
    assert_eq!(
        to_value(&BTreeMap::from([(1i64, true)])).unwrap(),
        map(vec![(Value::Long(1), Value::Bool(true))])
    );
    let listed = to_value(&vec![1i32]).unwrap();
    assert!(matches!(
        listed,
        Value::List(List {
            type_name: None,
            fixed_length: true,
            ..
        })
    ));

    round_trip(&vec![vec![1i32], vec![], vec![2, 3]]);
    round_trip(&(1u8, -2i16, 3u32, 'z', String::from("s"), Some(false)));
    round_trip(&BTreeMap::from([(1i32, vec![Some(1.5f64), None])]));
    round_trip(&BTreeSet::from(["x".to_owned(), "y".to_owned()]));
}

#[test]
fn binaries() {
    assert_eq!(
        to_value(&Binary(vec![1, 2, 255])).unwrap(),
        Value::Binary(vec![1, 2, 255])
    );
    assert_eq!(
        to_value(&serde_bytes::ByteBuf::from(vec![9u8])).unwrap(),
        Value::Binary(vec![9])
    );
    round_trip(&Binary(vec![0, 128, 255]));
    round_trip(&serde_bytes::ByteBuf::from(vec![1u8, 2]));
    // A binary fills a plain Vec<u8>, and a list of small ints fills Binary.
    assert_eq!(
        from_value::<Vec<u8>>(Value::Binary(vec![4, 5])).unwrap(),
        vec![4, 5]
    );
    assert_eq!(
        from_value::<Binary>(list(vec![Value::Int(4)])).unwrap(),
        Binary(vec![4])
    );
    assert!(from_value::<Binary>(list(vec![Value::Int(256)])).is_err());
    assert!(from_value::<Binary>(Value::Int(1)).is_err());
}

#[test]
fn dates() {
    assert_eq!(
        to_value(&Date(894_621_091_000)).unwrap(),
        Value::Date(894_621_091_000)
    );
    round_trip(&Date(-1));
    assert_eq!(from_value::<Date>(Value::Date(5)).unwrap(), Date(5));
    assert_eq!(from_value::<Date>(Value::Long(6)).unwrap(), Date(6));
    assert_eq!(from_value::<Date>(Value::Int(7)).unwrap(), Date(7));
    assert_eq!(from_value::<i64>(Value::Date(8)).unwrap(), 8);
    let e = err_of::<Date>(s("2020-01-01"));
    assert!(
        e.contains("java.util.Date") && e.contains("2020-01-01"),
        "{e}"
    );
    round_trip(&Some(Date(12)));

    let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123) + Duration::from_micros(999);
    assert_eq!(Date::from(t), Date(1_700_000_000_123));
    // Before the epoch, sub-millisecond parts round towards the past.
    let before = UNIX_EPOCH - Duration::from_micros(1500);
    assert_eq!(Date::from(before), Date(-2));
    assert_eq!(
        SystemTime::try_from(Date(-2)).unwrap(),
        UNIX_EPOCH - Duration::from_millis(2)
    );
    assert_eq!(
        SystemTime::try_from(Date(42)).unwrap(),
        UNIX_EPOCH + Duration::from_millis(42)
    );
    let now = Date::now();
    assert!(now.millis() > 1_600_000_000_000);
}

#[test]
fn int_long_leniency() {
    // Int where a long is declared, long where an int is declared when it fits.
    assert_eq!(from_value::<i64>(Value::Int(-3)).unwrap(), -3);
    assert_eq!(
        from_value::<i32>(Value::Long(2_147_483_647)).unwrap(),
        i32::MAX
    );
    assert_eq!(from_value::<u8>(Value::Long(200)).unwrap(), 200);
    assert_eq!(from_value::<u64>(Value::Int(5)).unwrap(), 5);
    let e = err_of::<i32>(Value::Long(3_000_000_000));
    assert!(e.contains("3000000000") && e.contains("i32"), "{e}");
    let e = err_of::<u16>(Value::Int(-1));
    assert!(e.contains("-1") && e.contains("u16"), "{e}");
    // Integral doubles fill integers; fractional ones do not.
    assert_eq!(from_value::<i32>(Value::Double(3.0)).unwrap(), 3);
    let e = err_of::<i32>(Value::Double(3.5));
    assert!(e.contains("3.5") && e.contains("i32"), "{e}");
    assert!(from_value::<i64>(Value::Double(f64::NAN)).is_err());
    assert!(from_value::<i64>(Value::Double(1e19)).is_err());
    // Any number fills a float.
    assert_eq!(from_value::<f64>(Value::Int(2)).unwrap(), 2.0);
    assert_eq!(
        from_value::<f64>(Value::Long(1 << 40)).unwrap(),
        1_099_511_627_776.0
    );
    assert_eq!(from_value::<f32>(Value::Double(0.5)).unwrap(), 0.5);
    // No conversions from strings or booleans.
    let e = err_of::<i32>(s("5"));
    assert!(e.contains("string \"5\"") && e.contains("i32"), "{e}");
    assert!(from_value::<bool>(Value::Int(1)).is_err());
    assert!(from_value::<String>(Value::Int(1)).is_err());
}

#[test]
fn chars_and_strings() {
    assert_eq!(from_value::<char>(s("é")).unwrap(), 'é');
    assert!(from_value::<char>(s("ab")).is_err());
    assert!(from_value::<char>(s("")).is_err());
    round_trip(&'😀');
}

#[test]
fn objects_match_fields_by_name() {
    // Java writes fields in its own order, plus fields this side does not know.
    let v = obj(
        "com.example.UserV2",
        vec![
            ("tags", list(vec![])),
            ("nickname", s("x")),
            ("age", Value::Int(3)),
            ("name", s("bo")),
            ("id", Value::Int(2)),
        ],
    );
    let u: User = from_value(v).unwrap();
    assert_eq!(
        u,
        User {
            id: 2,
            name: "bo".into(),
            email: None,
            age: 3,
            tags: vec![]
        }
    );

    // A map with string keys fills a struct too, and objects fill maps.
    let m = map(vec![
        (s("id"), Value::Long(1)),
        (s("name"), s("ann")),
        (s("email"), Value::Null),
        (s("age"), Value::Int(30)),
        (s("tags"), list(vec![s("a"), s("b")])),
    ]);
    assert_eq!(from_value::<User>(m).unwrap(), ann());
    let fields: BTreeMap<String, Value> = from_value(to_value(&ann()).unwrap()).unwrap();
    assert_eq!(fields["age"], Value::Int(30));
    assert_eq!(fields.len(), 5);

    // A missing non-Option field is an error naming it.
    let e = err_of::<User>(obj("com.example.User", vec![("id", Value::Int(1))]));
    assert!(e.contains("missing field `name`"), "{e}");
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.Order")]
struct Order {
    user: User,
    lines: Vec<Line>,
    created: Date,
    note: Option<String>,
    payload: Binary,
    color: Color,
    shape: Shape,
    totals: BTreeMap<String, f64>,
    pair: (u16, char),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.Line")]
struct Line {
    sku: String,
    qty: u32,
}

#[test]
fn nested_round_trip_and_error_paths() {
    let order = Order {
        user: ann(),
        lines: vec![
            Line {
                sku: "a".into(),
                qty: 1,
            },
            Line {
                sku: "b".into(),
                qty: 3_000_000_000,
            },
        ],
        created: Date(1_600_000_000_000),
        note: Some("n".into()),
        payload: Binary(vec![1, 2, 3]),
        color: Color::Green,
        shape: Shape::Rect(1, 2),
        totals: BTreeMap::from([("eur".into(), 2.5)]),
        pair: (7, 'q'),
    };
    round_trip(&order);
    let v = to_value(&order).unwrap();
    let Value::Object(o) = &v else {
        panic!("{v:?}")
    };
    assert_eq!(o.class_name, "com.example.Order");
    assert_eq!(o.get("created"), Some(&Value::Date(1_600_000_000_000)));
    assert_eq!(o.get("payload"), Some(&Value::Binary(vec![1, 2, 3])));
    let Some(Value::List(lines)) = o.get("lines") else {
        panic!()
    };
    assert_eq!(
        lines.items[1],
        obj(
            "com.example.Line",
            vec![("sku", s("b")), ("qty", Value::Long(3_000_000_000))]
        )
    );

    // Errors carry the path to the bad value.
    let mut bad = o.clone();
    for (k, f) in &mut bad.fields {
        if k == "lines" {
            *f = list(vec![obj(
                "com.example.Line",
                vec![("sku", s("a")), ("qty", Value::Long(-1))],
            )]);
        }
    }
    let e = err_of::<Order>(Value::Object(bad));
    assert!(e.starts_with("at `lines[0].qty`:"), "{e}");
    assert!(e.contains("long -1") && e.contains("u32"), "{e}");

    let e = err_of::<User>(obj("U", vec![("tags", list(vec![s("a"), Value::Int(2)]))]));
    assert!(
        e.starts_with("at `tags[1]`:") && e.contains("int 2") && e.contains("string"),
        "{e}"
    );
}

#[test]
fn tuples_must_match_length() {
    assert_eq!(
        from_value::<(i32, i32)>(list(vec![Value::Int(1), Value::Int(2)])).unwrap(),
        (1, 2)
    );
    assert!(from_value::<(i32, i32)>(list(vec![Value::Int(1)])).is_err());
    let e = err_of::<(i32, i32)>(list(vec![Value::Int(1), Value::Int(2), Value::Int(3)]));
    assert!(e.contains("invalid length 3"), "{e}");
}

fn every_form() -> Value {
    Value::List(List {
        type_name: None,
        fixed_length: true,
        items: vec![
            Value::Null,
            Value::Bool(false),
            Value::Int(1),
            Value::Long(1),
            Value::Double(1.0),
            Value::Date(1),
            s("1"),
            Value::Binary(vec![1]),
            Value::List(List::typed("[int", vec![Value::Int(1), Value::Int(2)])),
            Value::List(List {
                type_name: None,
                fixed_length: false,
                items: vec![Value::Null],
            }),
            Value::List(List {
                type_name: Some("java.util.LinkedList".into()),
                fixed_length: false,
                items: vec![],
            }),
            Value::Map(Map {
                type_name: Some("java.util.TreeMap".into()),
                entries: vec![(s("k"), Value::Int(1))],
            }),
            map(vec![
                (Value::Long(7), Value::Int(1)),
                (list(vec![]), Value::Date(3)),
                (s("k"), s("v")),
            ]),
            obj(
                "com.example.Car",
                vec![
                    ("model", s("Beetle")),
                    ("self", Value::Ref(13)),
                    ("n", Value::Null),
                ],
            ),
            Value::Object(Object::new("empty.Thing", vec![])),
            Value::Ref(0),
        ],
    })
}

#[test]
fn value_round_trips_losslessly() {
    let v = every_form();
    assert_eq!(to_value(&v).unwrap(), v);
    assert_eq!(from_value::<Value>(v.clone()).unwrap(), v);
    assert_eq!(from_value_ref::<Value>(&v).unwrap(), v);
    assert_eq!(
        from_value::<Option<Value>>(v.clone()).unwrap(),
        Some(v.clone())
    );
    assert_eq!(from_value::<Option<Value>>(Value::Null).unwrap(), None);
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.Holder")]
struct Holder {
    id: i32,
    any: Value,
    rest: Vec<Value>,
}

#[test]
fn value_inside_structs() {
    let typed = Value::List(List::typed("[string", vec![s("a")]));
    let h = Holder {
        id: 1,
        any: Value::Date(99),
        rest: vec![
            typed.clone(),
            Value::Binary(vec![1]),
            Value::Int(3),
            Value::Long(3),
            obj("a.B", vec![]),
        ],
    };
    let v = to_value(&h).unwrap();
    assert_eq!(
        v,
        obj(
            "com.example.Holder",
            vec![
                ("id", Value::Int(1)),
                ("any", Value::Date(99)),
                (
                    "rest",
                    list(vec![
                        typed,
                        Value::Binary(vec![1]),
                        Value::Int(3),
                        Value::Long(3),
                        obj("a.B", vec![])
                    ])
                ),
            ]
        )
    );
    round_trip(&h);
}

#[derive(Debug, PartialEq, Deserialize)]
struct Car {
    model: String,
    #[serde(rename = "self")]
    me: Option<Box<Car>>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct CarModel {
    model: String,
}

fn car_with_self_ref() -> Value {
    // hessian.demo.Car from the hessian.js fixture car1.bin: `self` = Q 0.
    obj(
        "hessian.demo.Car",
        vec![
            ("model", s("Beetle")),
            ("self", Value::Ref(0)),
            ("prev", Value::Null),
        ],
    )
}

#[test]
fn shared_references_resolve_in_preorder() {
    // Containers in preorder: 0 = outer list, 1 = map, 2 = key list, 3 = user object,
    // 4 = tags list, 5 = second list.
    let user = to_value(&ann()).unwrap();
    let v = list(vec![
        map(vec![(list(vec![]), user)]),
        list(vec![Value::Ref(3), Value::Ref(3)]),
    ]);
    let (_, users): (Value, Vec<User>) = from_value(v.clone()).unwrap();
    assert_eq!(users, vec![ann(), ann()]);
    // Here the containers are 0 = outer list, 1 = user, 2 = its tags.
    let v2 = list(vec![to_value(&ann()).unwrap(), Value::Ref(2)]);
    let (u, tags): (User, Vec<String>) = from_value(v2).unwrap();
    assert_eq!(u, ann());
    assert_eq!(tags, ["a", "b"]);

    // A reference may stand for the whole of a field.
    let v3 = list(vec![list(vec![Value::Int(1)]), Value::Ref(1)]);
    assert_eq!(
        from_value::<Vec<Vec<i32>>>(v3).unwrap(),
        vec![vec![1], vec![1]]
    );
}

#[test]
fn dangling_reference_is_an_error() {
    let e = err_of::<Vec<Vec<i32>>>(list(vec![Value::Ref(5)]));
    assert!(e.contains("reference #5"), "{e}");
}

#[test]
fn cyclic_reference_errors_instead_of_overflowing() {
    let e = err_of::<Car>(car_with_self_ref());
    assert!(
        e.contains(&MAX_DEPTH.to_string()) && e.contains("cycle"),
        "{e}"
    );
    // Ignoring the cyclic field is fine.
    assert_eq!(
        from_value::<CarModel>(car_with_self_ref()).unwrap(),
        CarModel {
            model: "Beetle".into()
        }
    );
    // A whole-root Value keeps the cycle as a reference.
    assert_eq!(
        from_value::<Value>(car_with_self_ref()).unwrap(),
        car_with_self_ref()
    );
    // A Value nested in a typed container copies what references point at, so a cycle there
    // is an error too, while a plain shared reference is copied.
    assert!(from_value::<Vec<Value>>(list(vec![car_with_self_ref()])).is_err());
    let shared = list(vec![list(vec![Value::Int(1)]), Value::Ref(1)]);
    assert_eq!(
        from_value::<Vec<Value>>(shared).unwrap(),
        vec![list(vec![Value::Int(1)]), list(vec![Value::Int(1)])]
    );
}

#[test]
fn deep_cycle_does_not_overflow_small_stacks() {
    const STACK: usize = 2 << 20;
    // Two objects pointing at each other, read through a recursive type on a small stack.
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Node {
        next: Option<Box<Node>>,
        items: Vec<Node>,
    }
    let v = obj(
        "Node",
        vec![
            (
                "next",
                obj(
                    "Node",
                    vec![
                        ("next", Value::Ref(0)),
                        ("items", list(vec![Value::Ref(1)])),
                    ],
                ),
            ),
            ("items", list(vec![])),
        ],
    );
    let handle = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || from_value::<Node>(v).map(|_| ()).map_err(|e| e.to_string()))
        .unwrap();
    let e = handle.join().unwrap().unwrap_err();
    assert!(e.contains("cycle"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Property tests

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "org.test.Inner")]
struct Inner {
    a: i32,
    b: i64,
    c: Option<String>,
    d: Vec<i16>,
    e: f64,
    f: bool,
    g: BTreeMap<String, u32>,
    h: Binary,
    date: Date,
    color: Color,
    ch: char,
    u: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "org.test.Outer")]
struct Outer {
    name: String,
    inners: Vec<Inner>,
    pair: (u8, Option<i8>),
    maybe: Option<Box<Inner>>,
    by_id: BTreeMap<i64, Inner>,
}

fn inner_strategy() -> impl Strategy<Value = Inner> {
    (
        (
            any::<i32>(),
            any::<i64>(),
            proptest::option::of(".{0,8}"),
            proptest::collection::vec(any::<i16>(), 0..4),
        ),
        (
            proptest::num::f64::NORMAL | proptest::num::f64::ZERO,
            any::<bool>(),
            proptest::collection::btree_map(".{0,4}", any::<u32>(), 0..3),
            proptest::collection::vec(any::<u8>(), 0..8),
        ),
        (
            any::<i64>(),
            prop_oneof![Just(Color::Red), Just(Color::Green)],
            any::<char>(),
            0..=i64::MAX as u64,
        ),
    )
        .prop_map(|((a, b, c, d), (e, f, g, h), (date, color, ch, u))| Inner {
            a,
            b,
            c,
            d,
            e,
            f,
            g,
            h: Binary(h),
            date: Date(date),
            color,
            ch,
            u,
        })
}

fn outer_strategy() -> impl Strategy<Value = Outer> {
    (
        ".{0,12}",
        proptest::collection::vec(inner_strategy(), 0..3),
        (any::<u8>(), proptest::option::of(any::<i8>())),
        proptest::option::of(inner_strategy().prop_map(Box::new)),
        proptest::collection::btree_map(any::<i64>(), inner_strategy(), 0..2),
    )
        .prop_map(|(name, inners, pair, maybe, by_id)| Outer {
            name,
            inners,
            pair,
            maybe,
            by_id,
        })
}

fn value_strategy() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::Int),
        any::<i64>().prop_map(Value::Long),
        (proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::INFINITE)
            .prop_map(Value::Double),
        any::<i64>().prop_map(Value::Date),
        ".{0,6}".prop_map(Value::from),
        proptest::collection::vec(any::<u8>(), 0..6).prop_map(Value::Binary),
        (0u32..6).prop_map(Value::Ref),
    ];
    leaf.prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            (
                proptest::option::of("[a-z.\\[]{1,8}"),
                any::<bool>(),
                proptest::collection::vec(inner.clone(), 0..5)
            )
                .prop_map(|(type_name, fixed_length, items)| Value::List(List {
                    type_name: type_name.map(Str::from),
                    fixed_length,
                    items
                })),
            (
                proptest::option::of("[a-zA-Z.]{1,8}"),
                proptest::collection::vec((inner.clone(), inner.clone()), 0..4)
            )
                .prop_map(|(type_name, entries)| Value::Map(Map {
                    type_name: type_name.map(Str::from),
                    entries
                })),
            (
                "[a-zA-Z.$]{0,10}",
                proptest::collection::vec(("[a-z]{0,4}", inner), 0..4)
            )
                .prop_map(|(class_name, fields)| Value::Object(Object::new(
                    class_name,
                    fields.into_iter().map(|(k, v)| (Str::from(k), v)).collect()
                ))),
        ]
    })
}

proptest! {
    #[test]
    fn nested_structs_round_trip(outer in outer_strategy()) {
        let v = to_value(&outer).unwrap();
        prop_assert_eq!(from_value::<Outer>(v).unwrap(), outer);
    }

    #[test]
    fn values_round_trip(v in value_strategy()) {
        prop_assert_eq!(&to_value(&v).unwrap(), &v);
        prop_assert_eq!(&from_value::<Value>(v.clone()).unwrap(), &v);
    }

    #[test]
    fn long_to_i32_leniency(n in any::<i64>()) {
        let r = from_value::<i32>(Value::Long(n));
        match i32::try_from(n) {
            Ok(expected) => prop_assert_eq!(r.unwrap(), expected),
            Err(_) => prop_assert!(r.unwrap_err().to_string().contains(&n.to_string())),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Through the codec: to_vec / to_writer / from_slice / from_reader

mod codec {
    use super::*;
    use oxidubbo_hessian2::{decode_value, from_reader, from_slice, to_vec, to_writer};

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn with_str(mut out: Vec<u8>, s: &str) -> Vec<u8> {
        out.push(u8::try_from(s.len()).unwrap());
        out.extend_from_slice(s.as_bytes());
        out
    }

    #[test]
    fn java_enum_fixture() {
        // hessian.js fixtures/v2/enum/red.bin
        let mut bytes = with_str(vec![0x43], "hessian.Main$Color");
        bytes = with_str([bytes, vec![0x91]].concat(), "name");
        bytes = with_str([bytes, vec![0x60]].concat(), "RED");
        assert_eq!(from_slice::<Color>(&bytes).unwrap(), Color::Red);

        #[derive(Serialize)]
        #[serde(rename = "hessian.Main$Color")]
        enum JavaColor {
            #[serde(rename = "RED")]
            Red,
        }
        assert_eq!(to_vec(&JavaColor::Red).unwrap(), bytes);
    }

    #[test]
    fn spec_vectors() {
        // ArrayList [1, 2, "foo"] and int[]{1, 2, 3}.
        assert_eq!(
            from_slice::<(i32, i64, String)>(&hex("7b 91 92 03 666f6f")).unwrap(),
            (1, 2, "foo".into())
        );
        assert_eq!(
            to_vec(&(1i32, 2i32, "foo")).unwrap(),
            hex("7b 91 92 03 666f6f")
        );
        assert_eq!(
            from_slice::<Vec<i32>>(&hex("73 04 5b696e74 91 92 93")).unwrap(),
            [1, 2, 3]
        );
        // Dates in minutes and in milliseconds.
        assert_eq!(
            from_slice::<Date>(&hex("4b 00 e3 83 8f")).unwrap(),
            Date(894_621_060_000)
        );
        assert_eq!(
            to_vec(&Date(894_621_091_000)).unwrap(),
            hex("4a 00 00 00 d0 4b 92 84 b8")
        );
        // long 2147483648, read where an int is declared: does not fit.
        let e = from_slice::<i32>(&hex("4c 00 00 00 00 80 00 00 00"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("2147483648"), "{e}");
        assert_eq!(from_slice::<i32>(&hex("59 7f ff ff ff")).unwrap(), i32::MAX);
    }

    #[test]
    fn self_referencing_car_fixture() {
        // hessian.js fixtures/v2/map/car1.bin: self = Q 0, prev = null, mileage = 65536.
        let mut b = with_str(vec![0x43], "hessian.demo.Car");
        b.push(0x95);
        for f in ["model", "color", "mileage", "self", "prev"] {
            b = with_str(b, f);
        }
        b.push(0x60);
        b = with_str(b, "Beetle");
        b = with_str(b, "aquamarine");
        b.extend_from_slice(&hex("d5 00 00 51 90 4e"));

        #[derive(Debug, PartialEq, Deserialize)]
        struct CarSummary {
            model: String,
            color: String,
            mileage: i64,
            prev: Option<Box<CarSummary>>,
        }
        assert_eq!(
            from_slice::<CarSummary>(&b).unwrap(),
            CarSummary {
                model: "Beetle".into(),
                color: "aquamarine".into(),
                mileage: 65536,
                prev: None
            }
        );
        let e = from_slice::<Car>(&b).unwrap_err().to_string();
        assert!(e.contains("cycle"), "{e}");
        let v: Value = from_slice(&b).unwrap();
        assert_eq!(v, decode_value(&b).unwrap());
        assert_eq!(to_vec(&v).unwrap(), b);
    }

    #[test]
    fn writer_and_reader() {
        let order = vec![
            ann(),
            User {
                id: -5,
                email: Some("e".into()),
                ..ann()
            },
        ];
        let mut out = Vec::new();
        to_writer(&mut out, &order).unwrap();
        assert_eq!(out, to_vec(&order).unwrap());
        // The second user reuses the class definition: only one `C`.
        assert_eq!(out.iter().filter(|&&b| b == b'C').count(), 1);
        assert_eq!(from_reader::<_, Vec<User>>(out.as_slice()).unwrap(), order);
        // Trailing bytes are an error, like serde_json::from_slice.
        let mut trailing = out.clone();
        trailing.push(0x4e);
        assert!(from_slice::<Vec<User>>(&trailing).is_err());
    }

    proptest! {
        #[test]
        fn nested_structs_round_trip_through_bytes(outer in outer_strategy()) {
            let bytes = to_vec(&outer).unwrap();
            prop_assert_eq!(from_slice::<Outer>(&bytes).unwrap(), outer);
        }
    }
}
