//! Property tests (`decode(encode(v)) == v`) and malformed-input tests.

use oxidubbo_hessian2::{
    Decoder, DecoderOptions, Encoder, Error, List, Map, Object, Str, Value, decode_value,
    decode_values, encode_value,
};
use proptest::prelude::*;

// ---- strategies -------------------------------------------------------------------------

fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        // Never NaN (NaN != NaN); -0.0 is written as 0 like Java, so normalise it.
        (prop::num::f64::NORMAL
            | prop::num::f64::SUBNORMAL
            | prop::num::f64::ZERO
            | prop::num::f64::INFINITE)
            .prop_map(|d| if d == 0.0 { 0.0 } else { d }),
        (-40_000i32..40_000).prop_map(f64::from),
        any::<i32>().prop_map(|m| 0.001 * f64::from(m)),
        (-1_000_000i32..1_000_000).prop_map(|m| f64::from(m) / 100.0),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ._$]{0,40}",
        3 => any::<String>(),
        // Characters beyond the BMP (two UTF-16 units each) mixed with others.
        2 => prop::collection::vec(
            prop_oneof![Just('a'), Just('é'), Just('中'), Just('😀'), Just('\u{10FFFF}'), any::<char>()],
            0..40
        )
        .prop_map(|cs| cs.into_iter().collect()),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("com.example.User".to_owned()),
        Just("java.util.TreeMap".to_owned()),
        Just("[int".to_owned()),
        Just("中文.Type".to_owned()),
        "[a-z][a-zA-Z0-9.$]{0,20}",
    ]
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("id".to_owned()),
        Just("name".to_owned()),
        Just("tags".to_owned()),
        "[a-z]{1,8}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::Int),
        (-300_000i32..300_000).prop_map(Value::Int),
        any::<i64>().prop_map(Value::Long),
        (-300_000i64..300_000).prop_map(Value::Long),
        double().prop_map(Value::Double),
        any::<i64>().prop_map(Value::Date),
        any::<i32>().prop_map(|m| Value::Date(i64::from(m) * 60_000)),
        text().prop_map(Value::from),
        prop::collection::vec(any::<u8>(), 0..1100).prop_map(Value::Binary),
        // Placeholder, made valid by `fix_refs`.
        any::<u32>().prop_map(Value::Ref),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            (
                prop::option::of(name()),
                any::<bool>(),
                prop::collection::vec(inner.clone(), 0..10)
            )
                .prop_map(|(type_name, fixed_length, items)| Value::List(List {
                    type_name: type_name.map(Str::from),
                    fixed_length,
                    items
                })),
            (
                prop::option::of(name()),
                prop::collection::vec((inner.clone(), inner.clone()), 0..6)
            )
                .prop_map(|(type_name, entries)| Value::Map(Map {
                    type_name: type_name.map(Str::from),
                    entries
                })),
            (name(), prop::collection::vec((field_name(), inner), 0..5)).prop_map(
                |(class_name, fields)| Value::Object(Object::new(
                    class_name,
                    fields.into_iter().map(|(k, v)| (Str::from(k), v)).collect()
                ))
            ),
        ]
    })
}

/// Makes every `Ref` point at a list/map/object begun earlier (preorder, counting the
/// enclosing ones), or replaces it with null when none has begun.
fn fix_refs(v: &mut Value, begun: &mut u32) {
    match v {
        Value::Ref(k) => {
            if *begun == 0 {
                *v = Value::Null;
            } else {
                *k %= *begun;
            }
        }
        Value::List(l) => {
            *begun += 1;
            l.items.iter_mut().for_each(|i| fix_refs(i, begun));
        }
        Value::Map(m) => {
            *begun += 1;
            for (k, x) in &mut m.entries {
                fix_refs(k, begun);
                fix_refs(x, begun);
            }
        }
        Value::Object(o) => {
            *begun += 1;
            o.fields.iter_mut().for_each(|(_, x)| fix_refs(x, begun));
        }
        _ => {}
    }
}

fn valid_value() -> impl Strategy<Value = Value> {
    value().prop_map(|mut v| {
        fix_refs(&mut v, &mut 0);
        v
    })
}

fn stream() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(value(), 1..5).prop_map(|mut vs| {
        let mut begun = 0;
        vs.iter_mut().for_each(|v| fix_refs(v, &mut begun));
        vs
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn value_roundtrip(v in valid_value()) {
        let bytes = encode_value(&v).expect("encode");
        prop_assert_eq!(decode_value(&bytes).expect("decode"), v);
    }

    /// Several values in one stream share class definitions, type names and refs.
    #[test]
    fn stream_roundtrip(vs in stream()) {
        let mut enc = Encoder::new(Vec::new());
        for v in &vs {
            enc.write_value(v).expect("encode");
        }
        let bytes = enc.into_inner();
        prop_assert_eq!(decode_values(&bytes).expect("decode"), vs);
    }

    /// Every strict prefix of a valid encoding is an error (never a panic, never a value).
    #[test]
    fn truncated_is_error(v in valid_value()) {
        let bytes = encode_value(&v).expect("encode");
        for cut in 0..bytes.len() {
            prop_assert!(decode_value(&bytes[..cut]).is_err(), "prefix {} of {:02x?}", cut, bytes);
        }
    }

    /// Random bytes: no panic; anything accepted re-encodes to a fixpoint.
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(v) = decode_value(&bytes) {
            let once = encode_value(&v).expect("decoded values encode");
            let back = decode_value(&once).expect("re-decode");
            prop_assert_eq!(encode_value(&back).expect("encode"), once);
        }
        let mut dec = Decoder::new(&bytes);
        while !dec.is_eof() && dec.read_value().is_ok() {}
    }

    /// Random bytes after a tag that starts a container or a length.
    #[test]
    fn random_after_tag(tag in prop::sample::select(vec![
        0x43u8, 0x4d, 0x48, 0x4f, 0x51, 0x52, 0x53, 0x41, 0x42, 0x55, 0x56, 0x57, 0x58, 0x60, 0x70, 0x73, 0x7f,
    ]), rest in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = vec![tag];
        bytes.extend(rest);
        let _ = decode_value(&bytes);
    }

    #[test]
    fn long_strings_cross_chunks(
        ascii in 32_760usize..32_775,
        middle in prop::collection::vec(prop_oneof![Just('a'), Just('é'), Just('中'), Just('😀')], 0..12),
        tail in 0usize..40_000,
    ) {
        let s: String = "x".repeat(ascii) + &middle.into_iter().collect::<String>() + &"y".repeat(tail);
        let v = Value::from(s);
        let bytes = encode_value(&v).expect("encode");
        prop_assert_eq!(decode_value(&bytes).expect("decode"), v);
    }

    #[test]
    fn binaries_cross_chunks(len in prop_oneof![0usize..20, 1015usize..1030, 8180usize..8200, 16370usize..16390]) {
        let v = Value::Binary((0..len).map(|i| i as u8).collect());
        let bytes = encode_value(&v).expect("encode");
        prop_assert_eq!(decode_value(&bytes).expect("decode"), v);
    }
}

// ---- encoder rules ----------------------------------------------------------------------

fn enc(f: impl FnOnce(&mut Encoder<Vec<u8>>)) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    f(&mut e);
    e.into_inner()
}

#[test]
fn chunk_never_ends_on_a_high_surrogate() {
    // 0x7fff ASCII units then U+1F600: the pair would straddle unit 0x8000, so the first
    // chunk has 0x7fff units and the pair goes to the final piece.
    let s = format!("{}😀b", "a".repeat(0x7fff));
    let bytes = encode_value(&Value::from(s.as_str())).expect("encode");
    assert_eq!(&bytes[..3], &[b'R', 0x7f, 0xff]);
    assert_eq!(
        &bytes[3 + 0x7fff..],
        &[0x03, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80, b'b']
    );
    assert_eq!(
        decode_value(&bytes).expect("decode"),
        Value::from(s.as_str())
    );

    // One more ASCII unit before it: the chunk is a full 0x8000 units.
    let s = format!("{}😀", "a".repeat(0x8000));
    let bytes = encode_value(&Value::from(s.as_str())).expect("encode");
    assert_eq!(&bytes[..3], &[b'R', 0x80, 0x00]);
    assert_eq!(
        &bytes[3 + 0x8000..],
        &[0x02, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]
    );
}

#[test]
fn non_ascii_chunking_counts_units() {
    // 0x8001 units of a 3-byte char: one full R chunk, then one unit.
    let s = "锋".repeat(0x8001);
    let bytes = encode_value(&Value::from(s.as_str())).expect("encode");
    assert_eq!(&bytes[..3], &[b'R', 0x80, 0x00]);
    assert_eq!(&bytes[3 + 3 * 0x8000..], &[0x01, 0xe9, 0x94, 0x8b]);
}

/// Strings are checked for ASCII in runs of the input shared by several strings: strings
/// that begin in a run and end past it, runs cut by non-ASCII values, strings longer than
/// a run, and strings read borrowed (`read_str`) all decode as written.
#[test]
fn strings_across_ascii_runs() {
    let long = "x".repeat(3000);
    let values: Vec<Value> = vec![
        Value::from("ascii"),
        Value::from("ascii then é"),
        Value::Int(-1_000_000),
        Value::from("after an int"),
        Value::from("中"),
        Value::from(long.as_str()),
        Value::from("a".repeat(1020).as_str()),
        Value::from("b".repeat(10).as_str()),
        Value::from("é"),
        Value::from(""),
        Value::from("tail"),
    ];
    let mut enc = Encoder::new(Vec::new());
    for v in &values {
        enc.write_value(v).expect("encode");
    }
    let bytes = enc.into_inner();
    assert_eq!(decode_values(&bytes).expect("decode"), values);
    let mut dec = Decoder::new(&bytes);
    for v in &values {
        match v {
            Value::String(s) => assert_eq!(dec.read_str().expect("read_str"), s.as_str()),
            other => assert_eq!(&dec.read_value().expect("read_value"), other),
        }
    }
    assert!(dec.is_eof());
    // A string declared one unit longer than its ASCII bytes runs into the next tag.
    let mut bad = enc_str("abc");
    bad[0] = 0x04;
    bad.extend_from_slice(&[0xff]);
    assert!(decode_value(&bad).is_err());
}

fn enc_str(s: &str) -> Vec<u8> {
    encode_value(&Value::from(s)).expect("encode")
}

#[test]
fn surrogate_pair_across_chunks_decodes_to_one_char() {
    // R chunk of 1 unit (high surrogate), final chunk of 1 unit (low surrogate).
    let bytes = [b'R', 0, 1, 0xed, 0xa0, 0xbd, 0x01, 0xed, 0xb8, 0x80];
    assert_eq!(decode_value(&bytes).expect("decode"), Value::from("😀"));
}

#[test]
fn lone_surrogates_become_replacement_chars() {
    // Lone low, lone high followed by ASCII, lone high at the end.
    let bytes = [
        0x04, 0xed, 0xb8, 0x80, 0xed, 0xa0, 0xbd, b'x', 0xed, 0xa0, 0xbd,
    ];
    assert_eq!(
        decode_value(&bytes).expect("decode"),
        Value::from("\u{FFFD}\u{FFFD}x\u{FFFD}")
    );
    // Two highs in a row.
    let bytes = [0x02, 0xed, 0xa0, 0xbd, 0xed, 0xa0, 0xbd];
    assert_eq!(
        decode_value(&bytes).expect("decode"),
        Value::from("\u{FFFD}\u{FFFD}")
    );
}

#[test]
fn four_byte_utf8_is_rejected() {
    // U+1F600 as standard UTF-8, counted as 2 or 1 units: Java rejects both.
    for len in [1u8, 2] {
        let bytes = [len, 0xf0, 0x9f, 0x98, 0x80];
        assert!(matches!(
            decode_value(&bytes),
            Err(Error::Invalid { offset: 1, .. })
        ));
    }
    // A stray continuation byte, and a bad continuation.
    assert!(decode_value(&[0x01, 0x80]).is_err());
    assert!(decode_value(&[0x01, 0xc3, 0x41]).is_err());
}

#[test]
fn doubles_follow_java() {
    let d = |v: f64| encode_value(&Value::Double(v)).expect("encode");
    assert_eq!(d(-0.0), [0x5b]);
    assert_eq!(d(f64::NAN), [0x44, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]);
    assert_eq!(d(0.5), [0x5f, 0, 0, 0x01, 0xf4]);
    assert_eq!(d(1e300)[0], 0x44);
    assert_eq!(d(f64::INFINITY), [0x44, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]);
    let nan = decode_value(&d(f64::NAN)).expect("decode");
    assert!(matches!(nan, Value::Double(x) if x.is_nan()));
}

#[test]
fn dates_pick_the_minute_form_only_when_exact_and_in_range() {
    let d = |ms: i64| encode_value(&Value::Date(ms)).expect("encode");
    assert_eq!(d(0), [0x4b, 0, 0, 0, 0]);
    assert_eq!(d(-60_000), [0x4b, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(d(1)[0], 0x4a);
    assert_eq!(d(i64::from(i32::MAX) * 60_000)[0], 0x4b);
    assert_eq!(d((i64::from(i32::MAX) + 1) * 60_000)[0], 0x4a);
    assert_eq!(d(i64::MIN)[0], 0x4a);
}

#[test]
fn list_forms() {
    let untyped = |n: usize, fixed: bool| {
        encode_value(&Value::List(List {
            type_name: None,
            fixed_length: fixed,
            items: vec![Value::Null; n],
        }))
        .expect("encode")
    };
    assert_eq!(untyped(0, true), [0x78]);
    assert_eq!(untyped(7, true)[0], 0x7f);
    assert_eq!(&untyped(8, true)[..2], &[0x58, 0x98]);
    assert_eq!(untyped(1, false), [0x57, 0x4e, 0x5a]);
    let typed_var = Value::List(List {
        type_name: Some("java.util.LinkedList".into()),
        fixed_length: false,
        items: vec![Value::Int(1)],
    });
    let bytes = encode_value(&typed_var).expect("encode");
    assert_eq!(bytes[0], 0x55);
    assert_eq!(bytes.last(), Some(&0x5a));
    assert_eq!(decode_value(&bytes).expect("decode"), typed_var);
}

#[test]
fn low_level_writers_share_tables() {
    let bytes = enc(|e| {
        assert!(
            e.write_object_begin("com.example.User", &["id", "name"])
                .expect("obj")
        );
        e.write_i64(1).expect("id");
        e.write_str("a").expect("name");
        // Second instance reuses definition 0.
        assert!(
            !e.write_object_begin("com.example.User", &["id", "name"])
                .expect("obj")
        );
        e.write_i64(2).expect("id");
        e.write_ref(0).expect("ref to the first user");
        // Same class name, other fields: a second definition.
        assert!(
            e.write_object_begin("com.example.User", &["id"])
                .expect("obj")
        );
        e.write_null().expect("id");
        assert_eq!(e.next_ref(), 3);
        assert!(e.write_ref(3).is_err(), "forward reference");
    });
    let values = decode_values(&bytes).expect("decode");
    assert_eq!(values.len(), 3);
    assert_eq!(bytes.iter().filter(|&&b| b == b'C').count(), 2);
    assert_eq!(
        values[1],
        Value::Object(Object::new(
            "com.example.User",
            vec![
                ("id".into(), Value::Long(2)),
                ("name".into(), Value::Ref(0))
            ]
        ))
    );
}

#[test]
fn many_classes_use_the_o_form() {
    let v = Value::List(List::untyped(
        (0..20)
            .map(|i| Value::Object(Object::new(format!("C{i}"), vec![])))
            .collect(),
    ));
    let bytes = encode_value(&v).expect("encode");
    // Class 16 is the first written as `O` + int index.
    assert!(bytes.windows(2).any(|w| w == [b'O', 0xa0]));
    assert_eq!(decode_value(&bytes).expect("decode"), v);
}

#[test]
fn reset_clears_the_tables() {
    let list = Value::List(List::typed("[int", vec![]));
    let bytes = enc(|e| {
        e.write_value(&list).expect("first");
        e.write_value(&list).expect("second uses the type index");
        e.reset();
        e.write_value(&list).expect("after reset the name again");
        assert!(e.write_ref(0).is_ok());
        e.reset();
        assert!(e.write_ref(0).is_err());
    });
    assert_eq!(
        bytes,
        [
            &[0x70, 0x04][..],
            b"[int",
            &[0x70, 0x90],
            &[0x70, 0x04],
            b"[int",
            &[0x51, 0x90]
        ]
        .concat()
    );
}

#[test]
fn encoder_rejects_what_cannot_decode() {
    assert!(encode_value(&Value::Ref(0)).is_err());
    let empty_type = Value::Map(Map {
        type_name: Some(Str::default()),
        entries: vec![],
    });
    assert!(matches!(encode_value(&empty_type), Err(Error::Encode(_))));
    let mut deep = Value::Null;
    for _ in 0..2000 {
        deep = Value::List(List::untyped(vec![deep]));
    }
    assert!(matches!(encode_value(&deep), Err(Error::Limit(_))));
    // Drop iteratively-ish: unwrap layers so the recursive drop stays shallow.
    while let Value::List(mut l) = deep {
        deep = l.items.pop().unwrap_or_default();
    }
}

// ---- malformed input --------------------------------------------------------------------

#[test]
fn truncated_bodies_at_every_prefix() {
    // A request-like body: strings, an object with a class def, a typed list, a map, refs.
    let mut e = Encoder::new(Vec::new());
    e.write_str("2.0.2").expect("w");
    e.write_str("com.example.UserService").expect("w");
    e.write_object_begin("com.example.User", &["id", "name", "tags"])
        .expect("w");
    e.write_i64(123_456_789_012).expect("w");
    e.write_str("名前😀").expect("w");
    e.write_list_begin(Some(2), Some("java.util.List"))
        .expect("w");
    e.write_str("a").expect("w");
    e.write_ref(0).expect("w");
    e.write_map_begin(None).expect("w");
    e.write_str("k").expect("w");
    e.write_f64(3.25).expect("w");
    e.write_map_end().expect("w");
    let bytes = e.into_inner();
    let full = decode_values(&bytes).expect("full body decodes");
    assert_eq!(full.len(), 4);
    for cut in 0..bytes.len() {
        let mut dec = Decoder::new(&bytes[..cut]);
        let mut ok = 0;
        let err = loop {
            match dec.read_value() {
                Ok(_) => ok += 1,
                Err(e) => break e,
            }
        };
        assert!(ok < 4, "prefix {cut} decoded all four values");
        assert!(matches!(err, Error::Eof { .. }), "prefix {cut}: {err}");
    }
}

#[test]
fn huge_declared_lengths_fail_fast() {
    let cases: &[&[u8]] = &[
        // untyped fixed list of i32::MAX elements
        &[0x58, 0x49, 0x7f, 0xff, 0xff, 0xff, 0x4e],
        // typed fixed list, negative length
        &[0x56, 0x01, b't', 0x49, 0x80, 0x00, 0x00, 0x00],
        // long as a list length
        &[0x58, 0x4c, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        // string chunk of 65535 units with 2 bytes
        &[b'S', 0xff, 0xff, b'a', b'b'],
        // non-final string chunk chain ending early
        &[b'R', 0x00, 0x01, b'a', b'R', 0xff, 0xff],
        // binary of 65535 bytes with 1 byte
        &[b'B', 0xff, 0xff, 0x00],
        &[b'A', 0x00, 0x01, 0x00, b'A', 0xff, 0xff],
        // class definition with 2^31-1 fields
        &[b'C', 0x01, b'X', 0x49, 0x7f, 0xff, 0xff, 0xff],
        // instance of an undefined class, huge index
        &[b'O', 0x49, 0x7f, 0xff, 0xff, 0xff],
        // reference to a container never begun
        &[b'Q', 0x90],
        &[0x79, b'Q', 0x91],
        // type reference to a type never defined
        &[0x71, 0x90, 0x4e],
        &[0x71, 0x49, 0x7f, 0xff, 0xff, 0xff, 0x4e],
        // a chunk followed by a non-string
        &[b'R', 0x00, 0x00, 0x90],
        &[b'A', 0x00, 0x00, 0x90],
        // unknown tag
        &[0x40],
        // stray end marker
        b"Z",
        // map without end
        &[b'H', 0x90, 0x91],
    ];
    for &bytes in cases {
        let r = decode_value(bytes);
        assert!(r.is_err(), "{bytes:02x?} decoded to {r:?}");
    }
    // Errors carry the offset of the problem.
    assert!(matches!(
        decode_value(&[0x91, 0x91]),
        Err(Error::Invalid { offset: 1, .. })
    ));
    assert!(matches!(
        decode_value(&[0x79, 0x40]),
        Err(Error::UnexpectedByte {
            byte: 0x40,
            offset: 1,
            ..
        })
    ));
}

#[test]
fn deep_nesting_hits_the_depth_limit() {
    let mut lists = vec![0x79u8; 10_000];
    lists.push(0x4e);
    assert!(matches!(decode_value(&lists), Err(Error::Limit(_))));

    let mut varlists = vec![0x57u8; 10_000];
    varlists.push(0x4e);
    assert!(matches!(decode_value(&varlists), Err(Error::Limit(_))));

    let mut maps = vec![b'H'; 10_000];
    maps.push(0x4e);
    assert!(matches!(decode_value(&maps), Err(Error::Limit(_))));

    let mut objects = vec![b'C', 0x01, b'X', 0x91, 0x01, b'f'];
    objects.extend(std::iter::repeat_n(0x60u8, 10_000));
    objects.push(0x4e);
    assert!(matches!(decode_value(&objects), Err(Error::Limit(_))));

    // Exactly at the limit is fine, one more is not.
    let opts = DecoderOptions {
        max_depth: 3,
        ..DecoderOptions::default()
    };
    let ok = [0x79, 0x79, 0x79, 0x4e];
    assert!(Decoder::with_options(&ok, opts).read_value().is_ok());
    let deep = [0x79, 0x79, 0x79, 0x79, 0x4e];
    assert!(matches!(
        Decoder::with_options(&deep, opts).read_value(),
        Err(Error::Limit(_))
    ));
}

#[test]
fn many_class_definitions_do_not_recurse() {
    // 100,000 class definitions in front of one value.
    let mut bytes = Vec::new();
    for _ in 0..100_000 {
        bytes.extend_from_slice(&[b'C', 0x01, b'X', 0x90]);
    }
    bytes.push(0x60);
    assert_eq!(
        decode_value(&bytes).expect("decode"),
        Value::Object(Object::new("X", vec![]))
    );
}

#[test]
fn name_copies_are_bounded() {
    // A class with a 60,000-char name, instantiated 5,000 times (one byte each): without
    // the copy budget that would copy 300 MB of names out of a 65 kB input.
    let name = "n".repeat(60_000);
    let mut bytes = vec![0x58, 0xd4, 0x13, 0x88]; // list of 5000
    bytes.extend_from_slice(&[b'C', b'S', 0xea, 0x60]);
    bytes.extend_from_slice(name.as_bytes());
    bytes.push(0x90);
    bytes.extend(std::iter::repeat_n(0x60u8, 5000));
    assert!(matches!(decode_value(&bytes), Err(Error::Limit(_))));

    let opts = DecoderOptions {
        max_name_copy_bytes: usize::MAX,
        ..DecoderOptions::default()
    };
    let v = Decoder::with_options(&bytes, opts)
        .read_value()
        .expect("no budget");
    assert!(matches!(v, Value::List(l) if l.items.len() == 5000));
}

#[test]
fn limits_on_lengths_and_bytes() {
    let opts = DecoderOptions {
        max_len: 2,
        max_bytes: 3,
        ..DecoderOptions::default()
    };
    let dec = |b: &[u8]| Decoder::with_options(b, opts).read_value();
    assert!(dec(&[0x7a, 0x90, 0x90]).is_ok());
    assert!(matches!(
        dec(&[0x7b, 0x90, 0x90, 0x90]),
        Err(Error::Limit(_))
    ));
    assert!(matches!(
        dec(&[0x57, 0x90, 0x90, 0x90, 0x5a]),
        Err(Error::Limit(_))
    ));
    assert!(matches!(
        dec(&[b'H', 0x90, 0x90, 0x91, 0x91, 0x92, 0x92, 0x5a]),
        Err(Error::Limit(_))
    ));
    assert!(dec(b"\x03abc").is_ok());
    assert!(matches!(dec(b"\x04abcd"), Err(Error::Limit(_))));
    assert!(matches!(dec(b"\x24abcd"), Err(Error::Limit(_))));
}

#[test]
fn typed_readers() {
    let bytes = enc(|e| {
        e.write_null().expect("w");
        e.write_str("s").expect("w");
        e.write_bool(true).expect("w");
        e.write_bytes(&[1, 2, 3]).expect("w");
        e.write_i64(i64::MAX).expect("w");
        e.write_f64(2.5).expect("w");
    });
    let mut d = Decoder::new(&bytes);
    assert_eq!(d.peek_byte(), Some(b'N'));
    assert_eq!(d.read_string_or_null().expect("null"), None);
    assert_eq!(d.read_string_or_null().expect("s").as_deref(), Some("s"));
    assert!(d.read_bool().expect("bool"));
    assert_eq!(d.read_bytes().expect("bytes"), vec![1, 2, 3]);
    assert_eq!(d.read_i64().expect("long"), i64::MAX);
    let before = d.remaining();
    assert_eq!(d.read_f64().expect("double"), 2.5);
    assert!(d.remaining() < before);
    assert!(d.is_eof());
    assert!(matches!(d.read_value(), Err(Error::Eof { .. })));
    assert!(Decoder::new(b"N").read_string().is_err());
}

#[test]
fn self_reference_inside_its_own_list() {
    // A list whose only element is itself.
    assert_eq!(
        decode_value(&[0x79, 0x51, 0x90]).expect("decode"),
        Value::List(List::untyped(vec![Value::Ref(0)]))
    );
}

#[test]
fn empty_type_name_decodes_as_untyped() {
    assert_eq!(
        decode_value(&[0x71, 0x00, 0x90]).expect("decode"),
        Value::List(List::untyped(vec![Value::Int(0)]))
    );
}

/// Objects of several classes (more than the decoder keeps inline), one of them with more
/// fields than it copies names for up front, others with long or non-ASCII names, each
/// written twice so the second instance reuses its class definition.
#[test]
fn objects_of_many_classes_and_fields() {
    let wide = Object::new(
        "com.example.Wide",
        (0..1100)
            .map(|i| (Str::from(format!("f{i}")), Value::Int(i)))
            .collect(),
    );
    let long_names = Object::new(
        "org.apache.dubbo.samples.ObjectWithLongNames",
        vec![
            (
                "aFieldNameLongerThanTwentyFourBytes".into(),
                Value::from("x"),
            ),
            ("grüße".into(), Value::Long(-3)),
        ],
    );
    let mut values = Vec::new();
    for i in 0..5 {
        let class = Object::new(
            format!("com.example.C{i}"),
            vec![("a".into(), Value::Int(i)), ("b".into(), Value::Null)],
        );
        values.push(Value::Object(class.clone()));
        values.push(Value::Object(class));
    }
    values.push(Value::Object(wide.clone()));
    values.push(Value::Object(long_names.clone()));
    values.push(Value::Object(wide));
    values.push(Value::Object(long_names));
    let bytes = enc(|e| {
        for v in &values {
            e.write_value(v).unwrap();
        }
    });
    assert_eq!(decode_values(&bytes).unwrap(), values);
}
