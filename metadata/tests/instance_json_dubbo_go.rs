//! A service instance node as dubbo-go 3.3 writes and reads it: oxidubbo reads dubbo-go's
//! form (derived from its source, fixtures/README.md), and what oxidubbo writes has every
//! field dubbo-go's reader takes, with the JSON type it needs.

use oxidubbo_metadata::{MetadataInfo, MetadataStorageType, ServiceInstance, keys};
use serde_json::Value;

/// Derived: `json.Marshal` of dubbo-go v3.3.2's `curator_discovery.ServiceInstance`.
const GO_NODE: &str = include_str!("fixtures/dubbo-go-3.3.2-instance.json");

#[test]
fn reads_the_dubbo_go_node() {
    let instance = ServiceInstance::from_curator_json(GO_NODE.as_bytes()).expect("dubbo-go node");
    assert_eq!(instance.name, "go-app");
    assert_eq!(instance.id, "10.0.0.5:20000");
    assert_eq!(instance.address, "10.0.0.5");
    assert_eq!(instance.port, Some(20000));
    assert_eq!(instance.registration_time_utc, 0, "left out by omitempty");
    assert_eq!(
        instance.service_type, "DYNAMIC",
        "Curator's default when absent"
    );
    assert_eq!(instance.tag.as_deref(), Some("gray"));
    assert_eq!(instance.storage_type(), MetadataStorageType::Local);
    assert_eq!(
        instance.revision().map(str::len),
        Some(128),
        "dubbo-go 3.3.2: SHA-512 hex"
    );
    assert_eq!(instance.metadata[keys::METADATA_SERVICE_VERSION], "1.0.0");
    assert_eq!(instance.metadata[keys::SUBSCRIBED_REVISION], "0");
    assert_eq!(instance.metadata["registry.id"], "zk");
    assert_eq!(instance.metadata["dubbo.tag"], "gray", "the tag customizer");
    assert_eq!(instance.endpoints().expect("endpoints")[0].port, 20000);

    // dubbo-go's MetadataService listens on its own port, given by the url-params.
    let url = instance
        .metadata_service_url()
        .expect("metadata service URL");
    assert_eq!(
        url.to_full_string(),
        "dubbo://10.0.0.5:30001/org.apache.dubbo.metadata.MetadataService?group=go-app&release=3.3.2&retries=0&serialization=hessian2&side=consumer&timeout=5000&version=1.0.0"
    );
}

/// What dubbo-go's reader needs from a node: `json.Unmarshal` into `ServiceInstance`
/// (`name`, `id`, `address` strings, `port` and `registrationTimeUTC` integers, `tag` string,
/// unknown fields ignored) and `toZookeeperInstance` (`payload` an object whose `metadata` is an
/// object; values printed with `fmt.Sprint`, so strings stay as they are).
fn as_dubbo_go_reads(json: &str) -> (String, String, String, i64, Vec<(String, String)>) {
    let v: Value = serde_json::from_str(json).expect("JSON");
    let text = |k: &str| v[k].as_str().expect(k).to_owned();
    let metadata = v["payload"]["metadata"]
        .as_object()
        .expect("payload.metadata is an object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string values").to_owned()))
        .collect();
    (
        text("name"),
        text("id"),
        text("address"),
        v["port"].as_i64().expect("port"),
        metadata,
    )
}

#[test]
fn dubbo_go_reads_what_oxidubbo_writes() {
    let mut info = MetadataInfo::new("rust-app");
    info.add_service(
        &"dubbo://10.0.0.9:20880/org.apache.dubbo.samples.api.GreeterService?interface=org.apache.dubbo.samples.api.GreeterService&methods=sayHello&side=provider"
            .parse()
            .expect("URL"),
    )
    .expect("service");
    let mut instance = ServiceInstance::new("rust-app", "10.0.0.9", 20880);
    instance.set_provider_metadata(&info, MetadataStorageType::Local, None);
    let (name, id, address, port, metadata) = as_dubbo_go_reads(&instance.to_curator_json());
    assert_eq!(
        (name.as_str(), id.as_str(), address.as_str(), port),
        ("rust-app", "10.0.0.9:20880", "10.0.0.9", 20880)
    );
    let get = |k: &str| {
        metadata
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        get(keys::REVISION),
        Some(info.calculate_revision().as_str())
    );
    assert_eq!(get(keys::STORAGE_TYPE), Some("local"));
    assert_eq!(
        get(keys::ENDPOINTS),
        Some("[{\"port\":20880,\"protocol\":\"dubbo\"}]")
    );
}

#[test]
fn dubbo_go_node_reads_back_through_oxidubbo_field_for_field() {
    let go = ServiceInstance::from_curator_json(GO_NODE.as_bytes()).expect("dubbo-go node");
    let again =
        ServiceInstance::from_curator_json(go.to_curator_json().as_bytes()).expect("own node");
    assert_eq!(again, go);
    let (name, id, address, port, metadata) = as_dubbo_go_reads(&go.to_curator_json());
    let (go_name, go_id, go_address, go_port, go_metadata) = as_dubbo_go_reads(GO_NODE);
    assert_eq!(
        (name, id, address, port),
        (go_name, go_id, go_address, go_port)
    );
    assert_eq!(
        metadata, go_metadata,
        "same metadata, in the same (sorted) order"
    );
}
