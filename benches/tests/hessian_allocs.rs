//! Heap allocations of Hessian decoding, counted by the benches' allocator: a short
//! string decodes inline (no allocation), a long one takes exactly one, and objects,
//! lists and maps allocate only their `Vec`s when their names and strings are short. The
//! encoder's class table keeps short class and field names inline too.
//!
//! One test in this binary, so no other test allocates while it counts.

use oxidubbo_benches::allocs;
use oxidubbo_hessian2::{Decoder, Encoder, List, Map, Object, Value, encode_value};

#[global_allocator]
static ALLOC: allocs::Counting = allocs::Counting;

/// The value encoded, then the allocations its decoding makes (the decoded value is
/// dropped after counting).
fn decode_allocs(v: &Value) -> u64 {
    let bytes = encode_value(v).expect("encode");
    let before = allocs::count();
    allocs::start();
    let decoded = Decoder::new(&bytes).read_value();
    allocs::stop();
    let n = allocs::count() - before;
    assert_eq!(&decoded.expect("decode"), v, "decoded value");
    n
}

/// The allocations of encoding `v` into a buffer that needs no growing.
fn encode_allocs(v: &Value) -> u64 {
    let mut buf = Vec::with_capacity(1024);
    let before = allocs::count();
    allocs::start();
    let mut enc = Encoder::new(&mut buf);
    let written = enc.write_value(v);
    drop(enc);
    allocs::stop();
    let n = allocs::count() - before;
    written.expect("encode");
    assert_eq!(buf, encode_value(v).expect("encode"), "encoded bytes");
    n
}

#[test]
fn short_strings_do_not_allocate() {
    let inline = "x".repeat(24);
    let long = "x".repeat(25);
    assert_eq!(
        decode_allocs(&Value::from(inline.as_str())),
        0,
        "24 ASCII bytes"
    );
    assert_eq!(
        decode_allocs(&Value::from(long.as_str())),
        1,
        "25 ASCII bytes"
    );
    // Not ASCII: read unit by unit, still inline.
    assert_eq!(
        decode_allocs(&Value::from("héllo wörld 中")),
        0,
        "16 UTF-8 bytes"
    );
    assert_eq!(
        decode_allocs(&Value::from("中".repeat(9))),
        1,
        "27 UTF-8 bytes"
    );
    // A map of short strings: its entries' `Vec` only.
    let map = Value::Map(Map::untyped(vec![
        ("path".into(), "com.example.UserService".into()),
        ("timeout".into(), "3000".into()),
    ]));
    assert_eq!(decode_allocs(&map), 1, "map of short strings");
    // An object: the object's fields only; the decoder keeps its first class definitions
    // (names borrowed from the input) in itself, and the object's class and field names
    // are short, so inline.
    let user = Value::Object(Object::new(
        "com.example.User",
        vec![
            ("id".into(), Value::Long(7)),
            ("name".into(), "ann".into()),
            ("emailAddress".into(), Value::Null),
        ],
    ));
    assert_eq!(decode_allocs(&user), 1, "object with short names");
    // Encoding it: the encoder's class table (its hash table, the class's definitions, the
    // definition's field names); the names themselves are inline.
    assert_eq!(
        encode_allocs(&user),
        3,
        "encoding an object with short names"
    );
    // A typed list: the decoder's type table and the list's items (its short type name
    // is inline, in both).
    let typed = Value::List(List::typed("java.util.LinkedList", vec!["a".into()]));
    assert_eq!(decode_allocs(&typed), 2, "typed list");
    match Decoder::new(&encode_value(&map).expect("encode")).read_value() {
        Ok(Value::Map(m)) => assert!(m.entries.iter().all(|(k, v)| {
            matches!((k, v), (Value::String(k), Value::String(v)) if !k.is_heap_allocated() && !v.is_heap_allocated())
        })),
        other => panic!("not a map: {other:?}"),
    }
}
