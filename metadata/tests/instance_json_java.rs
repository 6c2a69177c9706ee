//! A service instance node as Dubbo Java (through Curator) writes it: oxidubbo reads the
//! observed Java 3.1.4 node, and rebuilds it byte for byte from the provider's URL.

use oxidubbo_common::Url;
use oxidubbo_metadata::{Endpoint, MetadataInfo, MetadataStorageType, ServiceInstance, keys};

/// Observed: written by a Dubbo Java 3.1.4 provider (fixtures/README.md).
const JAVA_314_NODE: &str = include_str!("fixtures/java-3.1.4-instance.json");

/// The same provider's interface-level URL (its other node in the same ZooKeeper).
const JAVA_314_URL: &str = "dubbo://30.221.146.35:20880/org.apache.dubbo.samples.api.GreetingsService?anyhost=true&application=first-dubbo-provider&background=false&deprecated=false&dubbo=2.0.2&dynamic=true&environment=product&generic=false&interface=org.apache.dubbo.samples.api.GreetingsService&ipv6=fd00:1:5:5200:3218:774a:4f67:2341&methods=sayHi&pid=85639&release=3.1.4&service-name-mapping=true&side=provider&timestamp=1674960780647";

/// Its `MetadataService` as Java exported it: the parameters its url-params show, plus the
/// ones Java removes from them (application, group, timestamp) and others it does not copy.
const JAVA_314_METADATA_SERVICE: &str = "dubbo://30.221.146.35:20880/org.apache.dubbo.metadata.MetadataService?anyhost=true&application=first-dubbo-provider&bind.ip=30.221.146.35&bind.port=20880&connections=1&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&group=first-dubbo-provider&interface=org.apache.dubbo.metadata.MetadataService&ipv6=fd00:1:5:5200:3218:774a:4f67:2341&methods=getMetadataInfo&release=3.1.4&side=provider&timestamp=1674960780647&version=1.0.0";

#[test]
fn reads_the_java_node() {
    let instance = ServiceInstance::from_curator_json(JAVA_314_NODE.as_bytes()).expect("Java node");
    assert_eq!(instance.name, "first-dubbo-provider");
    assert_eq!(instance.id, "30.221.146.35:20880");
    assert_eq!(instance.address, "30.221.146.35");
    assert_eq!(instance.port, Some(20880));
    assert_eq!(instance.ssl_port, None);
    assert_eq!(instance.registration_time_utc, 1_674_960_781_893);
    assert_eq!(instance.service_type, "DYNAMIC");
    assert_eq!(instance.tag, None);
    assert_eq!(
        instance.revision(),
        Some("871fbc9cb2730caea9b0d858852d5ede")
    );
    assert_eq!(instance.storage_type(), MetadataStorageType::Local);
    assert_eq!(instance.metadata["timestamp"], "1674960780647");
    assert_eq!(
        instance.metadata["ipv6"],
        "fd00:1:5:5200:3218:774a:4f67:2341"
    );
    assert_eq!(
        instance.endpoints().expect("endpoints"),
        [Endpoint {
            port: 20880,
            protocol: "dubbo".into()
        }]
    );
    let params = instance.metadata_service_params().expect("url-params");
    assert_eq!(params["version"], "1.0.0");
    assert_eq!(params["port"], "20880");
    assert_eq!(params["protocol"], "dubbo");
    assert_eq!(params.len(), 8);
}

#[test]
fn rebuilds_the_java_node_byte_for_byte() {
    let mut info = MetadataInfo::new("first-dubbo-provider");
    info.add_service(&Url::parse(JAVA_314_URL).expect("URL"))
        .expect("service");
    let metadata_service = Url::parse(JAVA_314_METADATA_SERVICE).expect("URL");
    let mut instance = ServiceInstance::new("first-dubbo-provider", "30.221.146.35", 20880);
    instance.registration_time_utc = 1_674_960_781_893;
    instance.set_provider_metadata(&info, MetadataStorageType::Local, Some(&metadata_service));

    // Java ≥ 3.3 also writes `meta-v` (MetadataServiceURLParamsMetadataCustomizer); 3.1.4,
    // which wrote the observed node, did not.
    assert_eq!(
        instance
            .metadata
            .remove(keys::METADATA_SERVICE_VERSION)
            .as_deref(),
        Some("1.0.0")
    );
    assert_eq!(instance.to_curator_json(), JAVA_314_NODE);
}

#[test]
fn own_output_reads_back_field_for_field() {
    let node = ServiceInstance::from_curator_json(JAVA_314_NODE.as_bytes()).expect("Java node");
    let again =
        ServiceInstance::from_curator_json(node.to_curator_json().as_bytes()).expect("own node");
    assert_eq!(again, node);

    let ours: serde_json::Value = serde_json::from_str(&node.to_curator_json()).expect("JSON");
    let java: serde_json::Value = serde_json::from_str(JAVA_314_NODE).expect("JSON");
    assert_eq!(ours, java);
}

#[test]
fn metadata_keys_are_written_in_java_string_order() {
    let mut instance = ServiceInstance::new("app", "10.0.0.1", 20880);
    for key in [
        "timestamp",
        "dubbo.metadata.revision",
        "dubbo.metadata-service.url-params",
        "meta-v",
        "Z",
    ] {
        instance.metadata.insert(key.into(), "v".into());
    }
    let json = instance.to_curator_json();
    let order: Vec<usize> = [
        "\"Z\"",
        "\"dubbo.metadata-service.url-params\"",
        "\"dubbo.metadata.revision\"",
        "\"meta-v\"",
        "\"timestamp\"",
    ]
    .iter()
    .map(|k| json.find(k).expect("key written"))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{json}");
}

#[test]
fn a_tag_is_added_after_curators_fields() {
    let mut instance = ServiceInstance::new("app", "10.0.0.1", 20880);
    instance.tag = Some("gray".into());
    let json = instance.to_curator_json();
    assert!(
        json.ends_with(",\"uriSpec\":null,\"tag\":\"gray\"}"),
        "{json}"
    );
    let back = ServiceInstance::from_curator_json(json.as_bytes()).expect("own node");
    assert_eq!(back.tag.as_deref(), Some("gray"));
}

#[test]
fn an_instance_with_revision_zero_or_none_exports_nothing() {
    // Java's ServiceInstancesChangedListener skips instances whose revision is missing or "0".
    let mut instance =
        ServiceInstance::from_curator_json(JAVA_314_NODE.as_bytes()).expect("Java node");
    instance.metadata.insert(keys::REVISION.into(), "0".into());
    assert_eq!(instance.revision(), None);
    instance
        .metadata
        .insert(keys::REVISION.into(), String::new());
    assert_eq!(instance.revision(), None);
    instance.metadata.remove(keys::REVISION);
    assert_eq!(instance.revision(), None);
}
