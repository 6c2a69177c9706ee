//! Every reader takes untrusted bytes: whatever they are, it answers with a value or an error,
//! never a panic.

use oxidubbo_hessian2::{Map, Object, Value};
use oxidubbo_metadata::{
    MetadataInfo, ServiceInstance, mapping, parse_endpoints, parse_metadata_service_url_params,
};
use proptest::prelude::*;

/// JSON-ish text: mostly the characters JSON is made of, so that the parsers get past the
/// first byte often.
fn jsonish() -> impl Strategy<Value = String> {
    proptest::string::string_regex(r#"[{}\[\]":,0-9a-z.\-\\ ]{0,80}"#).expect("valid regex")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn json_readers_never_panic(text in jsonish(), bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        for input in [text.as_bytes(), bytes.as_slice()] {
            let _ = ServiceInstance::from_curator_json(input);
            let _ = MetadataInfo::from_json(input);
        }
        let _ = parse_endpoints(&text);
        let _ = parse_metadata_service_url_params(&text);
        let _ = mapping::parse_app_names(&text);
        let _ = mapping::merge_app_name(Some(&text), "app");
    }

    #[test]
    fn instance_metadata_accessors_never_panic(endpoints in jsonish(), params in jsonish()) {
        let mut instance = ServiceInstance::new("app", "10.0.0.1", 1);
        instance.metadata.insert("dubbo.endpoints".into(), endpoints);
        instance.metadata.insert("dubbo.metadata-service.url-params".into(), params);
        let _ = instance.endpoints();
        let _ = instance.metadata_service_url();
    }
}

/// Hessian values of any shape, nested a little.
fn hessian_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<i32>().prop_map(Value::Int),
        any::<i64>().prop_map(Value::Long),
        "[a-z]{0,6}".prop_map(Value::from),
        any::<u32>().prop_map(Value::Ref),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec((inner.clone(), inner.clone()), 0..4)
                .prop_map(|entries| Value::Map(Map::untyped(entries))),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("app"),
                        Just("services"),
                        Just("port"),
                        Just("params"),
                        Just("name")
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|fields| {
                let class = if fields.len() % 2 == 0 {
                    "org.apache.dubbo.metadata.MetadataInfo"
                } else {
                    "org.apache.dubbo.metadata.MetadataInfo$ServiceInfo"
                };
                Value::Object(Object::new(
                    class,
                    fields.into_iter().map(|(k, v)| (k.into(), v)).collect(),
                ))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn hessian_reader_never_panics(value in hessian_value()) {
        let _ = MetadataInfo::from_hessian(&value);
        let services = Value::Map(Map::untyped(vec![(Value::from("k"), value.clone())]));
        let _ = MetadataInfo::from_hessian(&Value::Object(Object::new(
            "org.apache.dubbo.metadata.MetadataInfo",
            vec![("services".into(), services)],
        )));
    }
}

#[test]
fn missing_required_instance_fields_are_named() {
    for (json, field) in [
        (r#"{"id":"h:1","address":"h"}"#, "name"),
        (r#"{"name":"a","address":"h"}"#, "id"),
        (r#"{"name":"a","id":"h:1","address":""}"#, "address"),
        (
            r#"{"name":"a","id":"h:1","address":"h","port":70000}"#,
            "port",
        ),
        (
            r#"{"name":"a","id":"h:1","address":"h","payload":{"metadata":{"k":[1]}}}"#,
            "metadata.k",
        ),
        (
            r#"{"name":"a","id":"h:1","address":"h","payload":"x"}"#,
            "payload",
        ),
    ] {
        let err = ServiceInstance::from_curator_json(json.as_bytes()).expect_err(json);
        assert!(err.to_string().contains(field), "{json}: {err}");
    }
}
