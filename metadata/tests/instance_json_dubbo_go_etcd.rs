//! The instance value of dubbo-go's etcd service discovery (`DefaultServiceInstance` as Go's
//! JSON encoder writes it) written and read back, and Curator's form read by the same reader.

use oxidubbo_metadata::ServiceInstance;

#[test]
fn dubbo_go_etcd_form_round_trips() {
    let mut instance = ServiceInstance::new("app", "10.0.0.1", 20880);
    instance
        .metadata
        .insert("dubbo.metadata.revision".into(), "abc".into());
    let json = instance.to_dubbo_go_json();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["ServiceName"], "app");
    assert_eq!(value["ID"], "10.0.0.1:20880");
    assert_eq!(value["Host"], "10.0.0.1");
    assert_eq!(value["Address"], "10.0.0.1:20880");
    assert_eq!(value["Port"], 20880);
    assert_eq!(value["Enable"], true);
    assert_eq!(value["Healthy"], true);
    assert!(value["ServiceMetadata"].is_null());
    assert_eq!(value["Metadata"]["dubbo.metadata.revision"], "abc");
    let back = ServiceInstance::from_dubbo_go_json(json.as_bytes()).unwrap();
    assert_eq!(back.name, "app");
    assert_eq!(back.id, instance.id);
    assert_eq!(back.address, "10.0.0.1");
    assert_eq!(back.port, Some(20880));
    assert_eq!(back.revision(), Some("abc"));
}

#[test]
fn a_value_as_dubbo_go_writes_it_is_read() {
    // The shape Go's encoding/json gives a DefaultServiceInstance (no ID: host:port).
    let go = br#"{"ID":"","ServiceName":"shop","Host":"192.168.1.2","Port":20000,"Enable":true,
        "Healthy":true,"Metadata":{"dubbo.metadata.revision":"r1","dubbo.metadata.storage-type":"local"},
        "ServiceMetadata":null,"Address":"192.168.1.2:20000","GroupName":"","Tag":""}"#;
    let instance = ServiceInstance::from_dubbo_go_json(go).unwrap();
    assert_eq!(instance.name, "shop");
    assert_eq!(instance.id, "192.168.1.2:20000");
    assert_eq!(instance.port, Some(20000));
    assert_eq!(instance.revision(), Some("r1"));
    assert_eq!(instance.tag, None);
}

#[test]
fn curator_form_is_read_too_and_bad_values_are_refused() {
    let mut instance = ServiceInstance::new("app", "10.0.0.1", 20880);
    instance
        .metadata
        .insert("dubbo.metadata.revision".into(), "abc".into());
    let curator = ServiceInstance::from_dubbo_go_json(instance.to_curator_json().as_bytes());
    assert_eq!(curator.unwrap().revision(), Some("abc"));
    assert!(ServiceInstance::from_dubbo_go_json(br#"{"ServiceName":"a"}"#).is_err());
    assert!(
        ServiceInstance::from_dubbo_go_json(br#"{"ServiceName":"a","Host":"h","Port":-1}"#)
            .is_err()
    );
    assert!(ServiceInstance::from_dubbo_go_json(b"[]").is_err());
}
