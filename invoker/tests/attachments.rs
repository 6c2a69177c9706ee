//! `Attachments`: decoded and received-encoded entries read alike; entries set later
//! override received ones; duplicated keys keep their last value.

use bytes::Bytes;
use oxidubbo_hessian2::Encoder;
use oxidubbo_invoker::{Attachments, Value};

/// The Hessian map `{k: v, …}` of strings, in order, as a consumer sends it.
fn encoded(entries: &[(&str, &str)]) -> Bytes {
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out);
    enc.write_map_begin(None).unwrap();
    for (k, v) in entries {
        enc.write_str(k).unwrap();
        enc.write_str(v).unwrap();
    }
    enc.write_map_end().unwrap();
    Bytes::from(out)
}

fn pairs(a: &Attachments) -> Vec<(String, Value)> {
    a.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect()
}

const RECEIVED: &[(&str, &str)] = &[
    ("path", "com.example.Greeter"),
    ("version", "1.0.0"),
    ("group", "blue"),
    ("version", "2.0.0"),
    ("custom-key", "é ünïcode"),
];

#[test]
fn received_attachments_read_like_decoded_ones() {
    let lazy = Attachments::from_encoded(encoded(RECEIVED));
    let eager = Attachments::from_pairs(
        RECEIVED
            .iter()
            .map(|(k, v)| (oxidubbo_invoker::intern_key(k), Value::from(*v)))
            .collect(),
    );
    assert_eq!(lazy.get_str("version"), Some("2.0.0"));
    assert_eq!(lazy.get_str("custom-key"), Some("é ünïcode"));
    assert_eq!(lazy.get("absent"), None);
    assert_eq!(lazy.len(), 4);
    assert!(!lazy.is_empty());
    assert_eq!(pairs(&lazy), pairs(&eager));
    assert_eq!(lazy, eager);
    assert_eq!(format!("{lazy:?}"), format!("{eager:?}"));
}

#[test]
fn entries_set_later_override_received_ones() {
    let mut a = Attachments::from_encoded(encoded(RECEIVED));
    a.insert("version", "9.9.9");
    a.insert("remote.address", "127.0.0.1:1234");
    a.insert_if_absent("group", "red");
    a.insert_if_absent("application", "demo");
    assert_eq!(a.get_str("version"), Some("9.9.9"));
    assert_eq!(a.get_str("group"), Some("blue"));
    let keys: Vec<String> = pairs(&a).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "path",
            "group",
            "custom-key",
            "version",
            "remote.address",
            "application"
        ]
    );
    assert_eq!(a.remove("group"), Some(Value::from("blue")));
    assert_eq!(a.remove("group"), None);
    assert_eq!(a.len(), 5);
    let owned: Vec<(String, Value)> = a.clone().into_iter().collect();
    assert_eq!(owned, pairs(&a));
}

#[test]
fn a_clone_changes_apart_from_its_original() {
    let original = Attachments::from_encoded(encoded(RECEIVED));
    let mut copy = original.clone();
    copy.insert("path", "other");
    let _ = copy.remove("custom-key");
    assert_eq!(original.get_str("path"), Some("com.example.Greeter"));
    assert_eq!(original.get_str("custom-key"), Some("é ünïcode"));
    assert_eq!(copy.get_str("path"), Some("other"));
    assert_ne!(original, copy);
}

#[test]
fn an_undecodable_received_map_reads_as_empty() {
    // The codec checks a map before keeping it encoded; bytes that still fail to decode
    // are dropped (and logged), never a panic.
    for garbage in [&b""[..], b"H", b"H\x05pa", b"\xff\xff", b"HZZ"] {
        let a = Attachments::from_encoded(Bytes::copy_from_slice(garbage));
        assert!(a.get("path").is_none(), "{garbage:?}");
        let mut a = a;
        a.insert("k", "v");
        assert_eq!(a.len(), 1, "{garbage:?}");
    }
}

#[test]
fn decoded_attachments_keep_the_last_value_of_a_key_even_when_there_are_many() {
    let small = Attachments::from_pairs(vec![
        ("a".into(), Value::Int(1)),
        ("b".into(), Value::Int(2)),
        ("a".into(), Value::Int(3)),
    ]);
    assert_eq!(
        small
            .iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect::<Vec<_>>(),
        vec![
            ("b".to_owned(), Value::Int(2)),
            ("a".to_owned(), Value::Int(3))
        ]
    );
    // 200,000 entries with one key repeated: linear, not quadratic (bounded by the test's own time).
    let many: Vec<_> = (0..200_000)
        .map(|i| (std::borrow::Cow::Borrowed("k"), Value::Int(i)))
        .collect();
    let one = Attachments::from_pairs(many);
    assert_eq!(one.len(), 1);
    assert_eq!(one.get("k"), Some(&Value::Int(199_999)));
}

#[test]
fn shared_entries_read_like_inserted_ones() {
    use std::sync::Arc;
    let peer: Arc<str> = Arc::from("127.0.0.1:1234");
    let dubbo: Arc<str> = Arc::from("2.0.2");
    let received = &[("path", "com.example.Greeter"), ("dubbo", "2.0.0")];
    let mut inserted = Attachments::from_encoded(encoded(received));
    inserted.insert("dubbo", "2.0.2");
    inserted.insert("remote.address", "127.0.0.1:1234");
    let mut shared = Attachments::from_encoded(encoded(received));
    shared.insert_shared("dubbo", &dubbo);
    shared.insert_shared("remote.address", &peer);
    assert_eq!(shared.get_str("dubbo"), Some("2.0.2"));
    assert_eq!(shared.get_str("remote.address"), Some("127.0.0.1:1234"));
    assert_eq!(pairs(&shared), pairs(&inserted));
    let mut statics = Attachments::from_encoded(encoded(received));
    statics.insert_static("dubbo", "2.0.2");
    statics.insert_shared("remote.address", &peer);
    assert_eq!(pairs(&statics), pairs(&inserted));
    statics.insert_static("dubbo", "2.0.3");
    assert_eq!(
        statics.get_str("dubbo"),
        Some("2.0.3"),
        "set again once decoded"
    );
    let mut plain = Attachments::new();
    plain.insert_static("dubbo", "2.0.2");
    assert_eq!(plain.get_str("dubbo"), Some("2.0.2"));

    // A third shared key, one set on decoded attachments, and one over an entry set
    // directly, are inserted as strings; entries set later still win.
    shared.insert("remote.address", "10.0.0.1:1");
    shared.insert_shared("remote.address", &peer);
    shared.insert_shared("application", &dubbo);
    assert_eq!(shared.get_str("remote.address"), Some("127.0.0.1:1234"));
    assert_eq!(shared.get_str("application"), Some("2.0.2"));
    let mut decoded = Attachments::new();
    decoded.insert_shared("dubbo", &dubbo);
    assert_eq!(decoded.get_str("dubbo"), Some("2.0.2"));
    let mut merged = Attachments::from_encoded(encoded(received));
    merged.insert_shared("dubbo", &dubbo);
    assert_eq!(merged.remove("dubbo"), Some(Value::from("2.0.2")));
    assert_eq!(merged.get("dubbo"), None);
    assert_eq!(merged.len(), 1);
}

#[test]
fn keys_removed_while_encoded_read_as_removed_one_by_one() {
    use std::sync::Arc;
    const HIDDEN: &[&str] = &["path", "dubbo", "token", "group"];
    const MORE: &[&str] = &["custom-key"];
    let dubbo: Arc<str> = Arc::from("2.0.2");
    let peer: Arc<str> = Arc::from("127.0.0.1:1234");
    let received = &[
        ("path", "com.example.Greeter"),
        ("dubbo", "2.0.0"),
        ("trace-id", "t-1"),
        ("group", "blue"),
        ("custom-key", "x"),
    ];
    // Each way of getting there: removed while encoded, after a read decoded the map, and
    // one key at a time.
    let start = || {
        let mut a = Attachments::from_encoded(encoded(received));
        a.insert_shared("dubbo", &dubbo);
        a.insert_shared("remote.address", &peer);
        a.insert("token", "s3cret");
        a
    };
    let mut lazy = start();
    lazy.remove_all(HIDDEN);
    let mut read_first = start();
    assert_eq!(read_first.get_str("group"), Some("blue"));
    read_first.remove_all(HIDDEN);
    let mut one_by_one = start();
    for key in HIDDEN {
        one_by_one.remove(key);
    }
    for a in [&lazy, &read_first] {
        assert_eq!(pairs(a), pairs(&one_by_one));
    }
    for key in HIDDEN {
        assert_eq!(lazy.get(key), None, "{key} is removed");
    }
    assert_eq!(lazy.get_str("trace-id"), Some("t-1"));
    assert_eq!(lazy.get_str("remote.address"), Some("127.0.0.1:1234"));
    assert_eq!(lazy.len(), 3);

    // Entries set after the removal are kept, shared or not; a second list removes more.
    for a in [&mut lazy, &mut one_by_one] {
        a.insert_shared("dubbo", &dubbo);
        a.insert("path", "com.example.Other");
    }
    let mut lazy_more = start();
    lazy_more.remove_all(HIDDEN);
    lazy_more.remove_all(MORE);
    assert_eq!(lazy_more.get("custom-key"), None);
    assert_eq!(lazy_more.len(), 2);
    assert_eq!(lazy.get_str("dubbo"), Some("2.0.2"));
    assert_eq!(lazy.get_str("path"), Some("com.example.Other"));
    assert_eq!(pairs(&lazy), pairs(&one_by_one));
    let owned: Vec<(String, Value)> = lazy.clone().into_iter().collect();
    assert_eq!(owned, pairs(&one_by_one));
}

#[test]
fn a_static_map_reads_like_a_received_one_and_changes_stay_with_their_copy() {
    use oxidubbo_invoker::StaticMap;
    use std::sync::Arc;
    static RECEIVED_MAP: std::sync::OnceLock<&'static [u8]> = std::sync::OnceLock::new();
    let bytes = *RECEIVED_MAP.get_or_init(|| encoded(RECEIVED).to_vec().leak());
    let map: &'static StaticMap = Box::leak(Box::new(StaticMap::new(bytes)));
    let received = || Attachments::from_encoded(encoded(RECEIVED));
    assert_eq!(pairs(&Attachments::from_static(map)), pairs(&received()));
    assert_eq!(format!("{map:?}"), format!("{:?}", received()));

    // Every way of changing one, before and after the static map was first decoded: the
    // change reads as it does on a call's own map, and the next one starts unchanged.
    let dubbo: Arc<str> = Arc::from("2.0.2");
    let changes: [fn(&mut Attachments, &Arc<str>); 4] = [
        |a, v| a.insert_shared("dubbo", v),
        |a, _| a.remove_all(&["version", "path"]),
        |a, _| a.insert("group", "red"),
        |a, _| {
            a.remove("custom-key");
        },
    ];
    for (i, change) in changes.iter().enumerate() {
        let fresh: &'static StaticMap = Box::leak(Box::new(StaticMap::new(bytes)));
        for map in [fresh, map] {
            let (mut from_static, mut own) = (Attachments::from_static(map), received());
            change(&mut from_static, &dubbo);
            change(&mut own, &dubbo);
            assert_eq!(pairs(&from_static), pairs(&own), "change {i}");
            assert_eq!(pairs(&Attachments::from_static(map)), pairs(&received()));
        }
    }
    // Shapes it does not take read as no entries, as from_encoded's do.
    static NOT_A_MAP: StaticMap = StaticMap::new(b"\x05hello");
    assert!(Attachments::from_static(&NOT_A_MAP).is_empty());
}
