//! `MetadataInfo` over dubbo, the answer of `MetadataService.getMetadataInfo`: the bytes Dubbo
//! Java writes and the bytes dubbo-go writes, both derived from their serializers (no published
//! capture exists; docs/application-discovery.md, "Hessian"), are read by oxidubbo, and
//! oxidubbo writes Java's bytes exactly.
//!
//! The expected bytes are assembled here by hand from the Hessian 2.0 grammar, independently
//! of oxidubbo's encoder.

use std::collections::BTreeMap;

use oxidubbo_hessian2::{Map, Object, Value, decode_value, encode_value};
use oxidubbo_metadata::{MetadataInfo, ServiceInfo};

/// A Hessian string of fewer than 1024 characters (all ASCII here).
fn s(text: &str) -> Vec<u8> {
    let len = text.len();
    let mut out = if len < 32 {
        vec![u8::try_from(len).expect("short")]
    } else {
        vec![
            0x30 + u8::try_from(len >> 8).expect("< 1024"),
            u8::try_from(len & 0xff).expect("byte"),
        ]
    };
    out.extend_from_slice(text.as_bytes());
    out
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// The service of these tests: `com.example.Greeter` over dubbo on 20880, no group/version.
fn sample() -> MetadataInfo {
    let service = ServiceInfo {
        name: "com.example.Greeter".into(),
        group: None,
        version: None,
        protocol: Some("dubbo".into()),
        port: 20880,
        path: Some("com.example.Greeter".into()),
        params: BTreeMap::from([("methods".to_owned(), "hi".to_owned())]),
    };
    MetadataInfo::from_parts(
        "demo",
        Some("r1".into()),
        BTreeMap::from([(service.match_key(), service)]),
    )
}

/// What Dubbo Java 3.3 (hessian-lite 4.0 `UnsafeSerializer`, fields reversed) writes.
fn java_bytes() -> Vec<u8> {
    cat(&[
        b"C",
        &s("org.apache.dubbo.metadata.MetadataInfo"),
        &[0x93], // 3 fields
        &s("services"),
        &s("revision"),
        &s("app"),
        &[0x60], // an instance of class definition 0
        b"M",
        &s("java.util.concurrent.ConcurrentHashMap"),
        &s("com.example.Greeter:dubbo"),
        b"C",
        &s("org.apache.dubbo.metadata.MetadataInfo$ServiceInfo"),
        &[0x97], // 7 fields
        &s("params"),
        &s("path"),
        &s("port"),
        &s("protocol"),
        &s("version"),
        &s("group"),
        &s("name"),
        &[0x61], // an instance of class definition 1
        b"H",
        &s("methods"),
        &s("hi"),
        b"Z",
        &s("com.example.Greeter"),
        &[0xd4, 0x51, 0x90], // int 20880
        &s("dubbo"),
        b"N", // version
        b"N", // group
        &s("com.example.Greeter"),
        b"Z", // end of services
        &s("r1"),
        &s("demo"),
    ])
}

/// What dubbo-go 3.3 (dubbo-go-hessian2) writes: fields in struct order with `tag`, an untyped
/// `services` map, empty strings rather than nulls, `port` (a Go `int`) as a long.
fn dubbo_go_bytes() -> Vec<u8> {
    cat(&[
        b"C",
        &s("org.apache.dubbo.metadata.MetadataInfo"),
        &[0x94], // 4 fields
        &s("app"),
        &s("revision"),
        &s("tag"),
        &s("services"),
        &[0x60],
        &s("demo"),
        &s("r1"),
        &s(""),
        b"H",
        &s("com.example.Greeter:dubbo"),
        b"C",
        &s("org.apache.dubbo.metadata.MetadataInfo$ServiceInfo"),
        &[0x97],
        &s("name"),
        &s("group"),
        &s("version"),
        &s("protocol"),
        &s("port"),
        &s("path"),
        &s("params"),
        &[0x61],
        &s("com.example.Greeter"),
        &s(""),
        &s(""),
        &s("dubbo"),
        &[0x3c, 0x51, 0x90], // long 20880
        &s("com.example.Greeter"),
        b"H",
        &s("methods"),
        &s("hi"),
        b"Z",
        b"Z",
    ])
}

#[test]
fn writes_the_bytes_java_writes() {
    let bytes = encode_value(&sample().to_hessian()).expect("encodable");
    assert_eq!(bytes, java_bytes());
}

#[test]
fn reads_the_bytes_java_writes() {
    let value = decode_value(&java_bytes()).expect("valid hessian");
    let info = MetadataInfo::from_hessian(&value)
        .expect("a MetadataInfo")
        .expect("not null");
    assert_eq!(info, sample());
}

#[test]
fn reads_the_bytes_dubbo_go_writes() {
    let value = decode_value(&dubbo_go_bytes()).expect("valid hessian");
    let info = MetadataInfo::from_hessian(&value)
        .expect("a MetadataInfo")
        .expect("not null");
    assert_eq!(info.app(), "demo");
    assert_eq!(info.revision(), Some("r1"));
    let service = &info.services()["com.example.Greeter:dubbo"];
    assert_eq!(service.port, 20880);
    assert_eq!(
        service.group.as_deref(),
        Some(""),
        "Go writes empty strings, not null"
    );
    assert_eq!(service.match_key(), "com.example.Greeter:dubbo");
    assert_eq!(service.params["methods"], "hi");
}

#[test]
fn null_means_an_unknown_revision() {
    assert_eq!(
        MetadataInfo::from_hessian(&Value::Null).expect("null is fine"),
        None
    );
}

#[test]
fn wrong_shapes_are_errors() {
    let other_class = Value::Object(Object::new("com.example.Other", vec![]));
    let reference = Value::Ref(0);
    let bad_port = Value::Object(Object::new(
        "org.apache.dubbo.metadata.MetadataInfo",
        vec![(
            "services".into(),
            Value::Map(Map::untyped(vec![(
                "k".into(),
                Value::Object(Object::new(
                    "org.apache.dubbo.metadata.MetadataInfo$ServiceInfo",
                    vec![("name".into(), "n".into()), ("port".into(), "20880".into())],
                )),
            )])),
        )],
    ));
    let services_not_map = Value::Object(Object::new(
        "org.apache.dubbo.metadata.MetadataInfo",
        vec![("services".into(), Value::Int(1))],
    ));
    for bad in [
        other_class,
        reference,
        bad_port,
        services_not_map,
        Value::Int(3),
    ] {
        let err = MetadataInfo::from_hessian(&bad).expect_err("refused");
        assert!(!err.to_string().is_empty());
    }
}
