//! Every byte vector of `DUBBO_WIRE.md` §1.5, §2, §3.2–§3.10 and §4.1/§4.3, checked both
//! ways: encoding the value gives exactly these bytes, decoding the bytes gives the value.

use oxidubbo_hessian2::{
    Decoder, Encoder, List, Map, Object, Value, decode_value, decode_values, encode_value,
};

/// Parses hex with optional whitespace and `"text"` literals (as written in the spec).
fn hx(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut parts = s.split('"');
    let mut quoted = false;
    for part in parts.by_ref() {
        if quoted {
            out.extend_from_slice(part.as_bytes());
        } else {
            let digits: String = part.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(digits.len() % 2 == 0, "odd hex in {part:?}");
            for i in (0..digits.len()).step_by(2) {
                out.push(u8::from_str_radix(&digits[i..i + 2], 16).expect("hex"));
            }
        }
        quoted = !quoted;
    }
    out
}

/// One value both ways.
#[track_caller]
fn both(value: Value, hex: &str) {
    let bytes = hx(hex);
    assert_eq!(
        encode_value(&value).expect("encode"),
        bytes,
        "encoding {value:?}"
    );
    assert_eq!(
        decode_value(&bytes).expect("decode"),
        value,
        "decoding {hex}"
    );
}

/// A sequence of values sharing one stream, both ways.
#[track_caller]
fn body(values: &[Value], hex: &str) {
    let bytes = hx(hex);
    let mut enc = Encoder::new(Vec::new());
    for v in values {
        enc.write_value(v).expect("encode");
    }
    assert_eq!(enc.into_inner(), bytes, "encoding {values:?}");
    assert_eq!(
        decode_values(&bytes).expect("decode"),
        values,
        "decoding {hex}"
    );
}

/// Decode-only vector (the encoder picks a different, Java-preferred form).
#[track_caller]
fn decodes(value: Value, hex: &str) {
    assert_eq!(
        decode_value(&hx(hex)).expect("decode"),
        value,
        "decoding {hex}"
    );
}

fn s(x: &str) -> Value {
    Value::from(x)
}

fn obj(class: &str, fields: Vec<(&str, Value)>) -> Value {
    Value::Object(Object::new(
        class,
        fields.into_iter().map(|(k, v)| (k.into(), v)).collect(),
    ))
}

#[test]
fn ints_3_10() {
    both(Value::Int(-16), "80");
    both(Value::Int(47), "bf");
    both(Value::Int(48), "c8 30");
    both(Value::Int(-2048), "c0 00");
    both(Value::Int(2047), "cf ff");
    both(Value::Int(262143), "d7 ff ff");
    both(Value::Int(262144), "49 00 04 00 00");
    both(Value::Int(-262145), "49 ff fb ff ff");
    decodes(Value::Int(300), "49 00 00 01 2c");
    both(Value::Int(300), "c9 2c");
    // §3.2: Java short/byte 5 are ints.
    both(Value::Int(5), "95");
}

#[test]
fn longs_3_10() {
    both(Value::Long(15), "ef");
    both(Value::Long(16), "f8 10");
    both(Value::Long(-9), "f7 f7");
    both(Value::Long(2048), "3c 08 00");
    both(Value::Long(-2049), "3b f7 ff");
    both(Value::Long(2147483647), "59 7f ff ff ff");
    both(Value::Long(2147483648), "4c 00 00 00 00 80 00 00 00");
}

#[test]
fn doubles_3_10() {
    both(Value::Double(10.1), "5f 00 00 27 74");
    both(Value::Double(32768.0), "5f 01 f4 00 00");
    both(Value::Double(-128.0), "5d 80");
    both(Value::Double(127.0), "5d 7f");
    both(Value::Double(0.0), "5b");
    both(Value::Double(1.0), "5c");
    both(Value::Double(-32768.0), "5e 80 00");
}

#[test]
fn strings_3_10() {
    both(s(""), "00");
    both(s("中文 Chinese"), "0a e4b8ad e69687 20 4368696e657365");
    both(s("\u{00c3}"), "01 c3 83");
    // §3.2: Java Character 'x'.
    both(s("x"), "01 78");
    let s31 = "0123456789012345678901234567890";
    both(s(s31), &format!("1f \"{s31}\""));
    let s32 = "01234567890123456789012345678901";
    both(s(s32), &format!("30 20 \"{s32}\""));
    // The older fixture form of the same string still decodes.
    decodes(s(s32), &format!("53 00 20 \"{s32}\""));
    let big = "A".repeat(32769);
    both(
        s(&big),
        &format!("52 80 00 \"{}\" 01 41", "A".repeat(32768)),
    );
    both(s("\u{1F600}"), "02 ed a0 bd ed b8 80");
}

#[test]
fn lone_high_surrogate_from_go_hessian2_test() {
    // go-hessian2 TestDecodeStringLoneHighSurrogateRealWorld: 20 units with a lone U+D83D.
    decodes(
        s("test_go_hessian2\u{FFFD}..."),
        "14 746573745f676f5f6865737369616e32 eda0bd 2e2e2e",
    );
}

#[test]
fn dates_3_10() {
    both(Value::Date(894621060000), "4b 00 e3 83 8f");
    both(Value::Date(894621091000), "4a 00 00 00 d0 4b 92 84 b8");
}

#[test]
fn binary_3_10() {
    both(
        Value::Binary(vec![0x41; 15]),
        &format!("2f {}", "41".repeat(15)),
    );
    both(
        Value::Binary(vec![0x41; 16]),
        &format!("34 10 {}", "41".repeat(16)),
    );
}

#[test]
fn lists_3_10() {
    both(
        Value::List(List::untyped(vec![Value::Int(1), Value::Int(2), s("foo")])),
        "7b 91 92 03 666f6f",
    );
    both(
        Value::List(List::typed(
            "[int",
            vec![Value::Int(1), Value::Int(2), Value::Int(3)],
        )),
        "73 04 5b696e74 91 92 93",
    );
    let eight: Vec<Value> = (1..=8).map(|i| s(&i.to_string())).collect();
    let hex: String = (1..=8).map(|i| format!("01 3{i} ")).collect();
    both(
        Value::List(List::typed("hessian.demo.SomeArrayList", eight)),
        &format!("56 1a \"hessian.demo.SomeArrayList\" 98 {hex}"),
    );
}

#[test]
fn type_refs_3_9() {
    // Two int[] in one list: the second type is written as index 0.
    both(
        Value::List(List::untyped(vec![
            Value::List(List::typed("[int", vec![Value::Int(1), Value::Int(2)])),
            Value::List(List::typed("[int", vec![Value::Int(3)])),
        ])),
        "7a 72 04 \"[int\" 91 92 71 90 93",
    );
    // Two TreeMaps.
    let tree = |k: &str, v: i32| {
        Value::Map(Map {
            type_name: Some("java.util.TreeMap".into()),
            entries: vec![(s(k), Value::Int(v))],
        })
    };
    both(
        Value::List(List::untyped(vec![tree("a", 1), tree("b", 2)])),
        "7a 4d 11 \"java.util.TreeMap\" 01 \"a\" 91 5a 4d 90 01 \"b\" 92 5a",
    );
}

#[test]
fn maps_3_8() {
    both(
        Value::Map(Map::untyped(vec![
            (Value::Long(123), Value::Int(123456)),
            (Value::Long(123456), Value::Int(123)),
        ])),
        "48 f87b d5e240 3de240 c87b 5a",
    );
}

#[test]
fn enum_3_9() {
    both(
        obj("hessian.Main$Color", vec![("name", s("RED"))]),
        "43 12 \"hessian.Main$Color\" 91 04 \"name\" 60 03 \"RED\"",
    );
}

#[test]
fn object_self_ref_3_10() {
    both(
        obj(
            "hessian.demo.Car",
            vec![
                ("model", s("Beetle")),
                ("color", s("aquamarine")),
                ("mileage", Value::Int(65536)),
                ("self", Value::Ref(0)),
                ("prev", Value::Null),
            ],
        ),
        "43 10 \"hessian.demo.Car\" 95 05\"model\" 05\"color\" 07\"mileage\" 04\"self\" 04\"prev\" \
         60 06\"Beetle\" 0a\"aquamarine\" d5 00 00 51 90 4e",
    );
}

#[test]
fn nested_class_defs_3_10() {
    both(
        obj(
            "hessian.ConnectionRequest",
            vec![(
                "ctx",
                obj(
                    "hessian.ConnectionRequest$RequestContext",
                    vec![("id", Value::Int(101)), ("this$0", Value::Ref(0))],
                ),
            )],
        ),
        "43 19 \"hessian.ConnectionRequest\" 91 03 \"ctx\" 60 \
         43 30 28 \"hessian.ConnectionRequest$RequestContext\" 92 02 \"id\" 06 \"this$0\" 61 c8 65 51 90",
    );
}

fn runtime_exception_boom() -> Value {
    obj(
        "java.lang.RuntimeException",
        vec![
            (
                "suppressedExceptions",
                Value::List(List::typed("java.util.Collections$EmptyList", vec![])),
            ),
            (
                "stackTrace",
                Value::List(List::typed("[java.lang.StackTraceElement", vec![])),
            ),
            ("cause", Value::Ref(0)),
            ("detailMessage", s("boom")),
        ],
    )
}

const RUNTIME_EXCEPTION_HEX: &str = "43 1a \"java.lang.RuntimeException\" \
    94 14\"suppressedExceptions\" 0a\"stackTrace\" 05\"cause\" 0d\"detailMessage\" \
    60 70 1f \"java.util.Collections$EmptyList\" \
    70 1c \"[java.lang.StackTraceElement\" 51 90 04 \"boom\"";

#[test]
fn exception_4_1() {
    both(runtime_exception_boom(), RUNTIME_EXCEPTION_HEX);
}

#[test]
fn exception_with_one_frame_4_1() {
    // JDK 17 StackTraceElement, 8 fields, one frame (§4.1): field order and values.
    let frame = obj(
        "java.lang.StackTraceElement",
        vec![
            ("format", Value::Int(0)),
            ("lineNumber", Value::Int(42)),
            ("fileName", s("Foo.java")),
            ("methodName", s("bar")),
            ("declaringClass", s("com.example.Foo")),
            ("moduleVersion", Value::Null),
            ("moduleName", Value::Null),
            ("classLoaderName", Value::Null),
        ],
    );
    let list = Value::List(List::typed("[java.lang.StackTraceElement", vec![frame]));
    let bytes = encode_value(&list).expect("encode");
    let expect_prefix =
        hx("71 1c \"[java.lang.StackTraceElement\" 43 1b \"java.lang.StackTraceElement\" 98");
    assert!(bytes.starts_with(&expect_prefix), "{bytes:02x?}");
    let values_hex = hx("60 90 ba 08 \"Foo.java\" 03 \"bar\" 0f \"com.example.Foo\" 4e 4e 4e");
    assert!(bytes.ends_with(&values_hex), "{bytes:02x?}");
    assert_eq!(decode_value(&bytes).expect("decode"), list);
}

#[test]
fn exception_response_body_4_3() {
    let hex = format!("93 {RUNTIME_EXCEPTION_HEX} 48 05 647562626f 05 322e302e32 5a");
    body(
        &[
            Value::Int(3),
            runtime_exception_boom(),
            Value::Map(Map::untyped(vec![(s("dubbo"), s("2.0.2"))])),
        ],
        &hex,
    );
}

#[test]
fn response_flags_and_events_2() {
    for flag in 0..=5 {
        both(Value::Int(flag), &format!("{:02x}", 0x90 + flag));
    }
    // Heartbeat body and read-only event body.
    both(Value::Null, "4e");
    both(s("R"), "01 52");
}

#[test]
fn request_body_1_5() {
    let iface = "org.apache.dubbo.demo.DemoService";
    let hex = format!(
        "05 322e302e32 30 21 \"{iface}\" 05 302e302e30 08 73617948656c6c6f \
         12 4c6a6176612f6c616e672f537472696e673b 05 776f726c64 \
         48 04 70617468 30 21 \"{iface}\" 09 696e74657266616365 30 21 \"{iface}\" \
         07 76657273696f6e 05 302e302e30 07 74696d656f7574 04 33303030 5a"
    );
    let bytes = hx(&hex);
    assert_eq!(bytes.len(), 0xc3, "body length from the frame header");
    let attachments = Value::Map(Map::untyped(vec![
        (s("path"), s(iface)),
        (s("interface"), s(iface)),
        (s("version"), s("0.0.0")),
        (s("timeout"), s("3000")),
    ]));
    body(
        &[
            s("2.0.2"),
            s(iface),
            s("0.0.0"),
            s("sayHello"),
            s("Ljava/lang/String;"),
            s("world"),
            attachments.clone(),
        ],
        &hex,
    );

    // The same body through the low-level writers and typed readers.
    let mut enc = Encoder::new(Vec::new());
    for part in [
        "2.0.2",
        iface,
        "0.0.0",
        "sayHello",
        "Ljava/lang/String;",
        "world",
    ] {
        enc.write_str(part).expect("write");
    }
    enc.write_map_begin(None).expect("map");
    for (k, v) in [
        ("path", iface),
        ("interface", iface),
        ("version", "0.0.0"),
        ("timeout", "3000"),
    ] {
        enc.write_str(k).expect("k");
        enc.write_str(v).expect("v");
    }
    enc.write_map_end().expect("end");
    assert_eq!(enc.into_inner(), bytes);

    let mut dec = Decoder::new(&bytes);
    assert_eq!(dec.read_string().expect("version"), "2.0.2");
    assert_eq!(
        dec.read_string_or_null().expect("path").as_deref(),
        Some(iface)
    );
    assert_eq!(dec.read_string().expect("v"), "0.0.0");
    assert_eq!(dec.read_string().expect("m"), "sayHello");
    assert_eq!(dec.read_string().expect("d"), "Ljava/lang/String;");
    assert_eq!(dec.read_string().expect("a"), "world");
    assert_eq!(dec.read_value().expect("att"), attachments);
    assert!(dec.is_eof());
}

#[test]
fn value_response_1_5() {
    body(
        &[
            Value::Int(4),
            s("Hello world"),
            Value::Map(Map::untyped(vec![(s("dubbo"), s("2.0.2"))])),
        ],
        "94 0b 48656c6c6f20776f726c64 48 05 647562626f 05 322e302e32 5a",
    );
    // dubbo-go appends an extra `N`: the streaming decoder reads it as one more value,
    // and the one-value helper rejects trailing bytes.
    let padded = hx("91 01 61 4e");
    let mut dec = Decoder::new(&padded);
    assert_eq!(dec.read_i32().expect("flag"), 1);
    assert_eq!(dec.read_value().expect("value"), s("a"));
    assert_eq!(dec.remaining(), 1);
    assert!(decode_value(&padded).is_err());
}

#[test]
fn lenient_read_i32_like_java() {
    // int, long, mill double, double, null, bools.
    let bytes = hx("95 e5 5f 00 00 27 74 44 40 24 00 00 00 00 00 00 4e 54 46 59 00 00 00 07");
    let mut dec = Decoder::new(&bytes);
    let got: Vec<i32> = (0..8).map(|_| dec.read_i32().expect("int")).collect();
    assert_eq!(got, vec![5, 5, 10, 10, 0, 1, 0, 7]);
    assert!(dec.is_eof());
    let mut dec = Decoder::new(b"\x01x");
    assert!(dec.read_i32().is_err());
}
