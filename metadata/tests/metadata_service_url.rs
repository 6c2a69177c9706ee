//! The `MetadataService` on both sides: the url-params a provider writes (Java's key order) and
//! the URL a consumer builds from them (Java's `StandardMetadataServiceURLBuilder`), and the
//! provider URL of a service on an instance (Java's port choice).

use std::collections::BTreeMap;

use oxidubbo_common::Url;
use oxidubbo_metadata::{
    Endpoint, ServiceInfo, ServiceInstance, endpoints_json, keys, metadata_service,
    metadata_service_url_params,
};

#[test]
fn url_params_follow_javas_order_and_drop_app_group_deprecated_timestamp() {
    // The parameters of the observed Java 3.1.4 url-params, given to the URL in another order
    // and mixed with the ones Java leaves out.
    let exported = Url::parse(
        "dubbo://30.221.146.35:20880/org.apache.dubbo.metadata.MetadataService?side=provider\
         &ipv6=fd00:1:5:5200:3218:774a:4f67:2341&release=3.1.4&timestamp=1&group=first-dubbo-provider\
         &dubbo=2.0.2&application=first-dubbo-provider&version=1.0.0&deprecated=false&connections=1\
         &methods=getMetadataInfo&token=%20",
    )
    .expect("URL");
    assert_eq!(
        metadata_service_url_params(&exported),
        "{\"connections\":\"1\",\"version\":\"1.0.0\",\"dubbo\":\"2.0.2\",\"release\":\"3.1.4\",\
         \"side\":\"provider\",\"ipv6\":\"fd00:1:5:5200:3218:774a:4f67:2341\",\"port\":\"20880\",\
         \"protocol\":\"dubbo\"}",
        "observed in the Java 3.1.4 node; a blank token is left out"
    );
}

fn instance_with(params: Option<&str>) -> ServiceInstance {
    let mut instance = ServiceInstance::new("first-dubbo-provider", "30.221.146.35", 20880);
    if let Some(params) = params {
        instance
            .metadata
            .insert(keys::METADATA_SERVICE_URL_PARAMS.into(), params.into());
    }
    instance
}

#[test]
fn consumer_url_from_url_params() {
    let instance = instance_with(Some(
        "{\"connections\":\"1\",\"version\":\"1.0.0\",\"dubbo\":\"2.0.2\",\"release\":\"3.1.4\",\
         \"side\":\"provider\",\"port\":\"20881\",\"protocol\":\"dubbo\"}",
    ));
    let url = instance.metadata_service_url().expect("URL");
    assert_eq!(url.protocol(), "dubbo");
    assert_eq!(url.address(), "30.221.146.35:20881");
    assert_eq!(url.path(), metadata_service::INTERFACE);
    assert_eq!(url.group(), Some("first-dubbo-provider"));
    assert_eq!(url.version(), Some(metadata_service::VERSION));
    assert_eq!(
        url.param("side"),
        Some("consumer"),
        "the consumer's side wins"
    );
    assert_eq!(url.param("connections"), Some("1"));
    assert_eq!(
        url.param("timeout"),
        Some("5000"),
        "Java's default for this call"
    );
    assert_eq!(url.param("retries"), Some("0"));
    assert!(!url.has_param("port") && !url.has_param("protocol"));
}

#[test]
fn url_params_override_the_consumer_defaults_but_not_group_or_side() {
    let instance = instance_with(Some(
        "{\"timeout\":\"800\",\"group\":\"other\",\"side\":\"provider\",\"port\":\"20881\",\"protocol\":\"dubbo\"}",
    ));
    let url = instance.metadata_service_url().expect("URL");
    assert_eq!(url.param("timeout"), Some("800"));
    assert_eq!(url.group(), Some("first-dubbo-provider"));
    assert_eq!(url.param("side"), Some("consumer"));
}

#[test]
fn consumer_url_without_url_params_uses_dubbo_on_the_instance_port() {
    let url = instance_with(None).metadata_service_url().expect("URL");
    assert_eq!(
        url.to_full_string(),
        "dubbo://30.221.146.35:20880/org.apache.dubbo.metadata.MetadataService?group=first-dubbo-provider&retries=0&side=consumer&timeout=5000&version=1.0.0"
    );
}

#[test]
fn bad_url_params_are_errors() {
    for bad in [
        "{\"port\":\"20880\"}",
        "{\"protocol\":\"dubbo\"}",
        "{\"protocol\":\"dubbo\",\"port\":\"70000\"}",
        "{\"protocol\":\"dubbo\",\"port\":\"0\"}",
        "[1,2]",
        "{not json",
    ] {
        assert!(
            instance_with(Some(bad)).metadata_service_url().is_err(),
            "{bad}"
        );
    }
}

fn service(port: i32, protocol: &str) -> ServiceInfo {
    ServiceInfo {
        name: "com.example.Greeter".into(),
        group: Some("g".into()),
        version: Some("1.0.0".into()),
        protocol: Some(protocol.into()),
        port,
        path: Some("com.example.Greeter".into()),
        params: BTreeMap::from([("methods".to_owned(), "hi".to_owned())]),
    }
}

#[test]
fn service_url_takes_the_services_port_then_the_endpoint_then_the_instance_port() {
    let mut instance = instance_with(None);
    instance.metadata.insert(
        keys::ENDPOINTS.into(),
        endpoints_json(&[
            Endpoint {
                port: 20880,
                protocol: "dubbo".into(),
            },
            Endpoint {
                port: 50051,
                protocol: "tri".into(),
            },
        ]),
    );
    let own = instance.service_url(&service(20999, "dubbo")).expect("URL");
    assert_eq!(own.port(), 20999);
    let by_endpoint = instance.service_url(&service(-1, "tri")).expect("URL");
    assert_eq!(
        by_endpoint.to_full_string(),
        "tri://30.221.146.35:50051/com.example.Greeter?group=g&interface=com.example.Greeter&methods=hi&version=1.0.0"
    );
    let by_instance = instance.service_url(&service(-1, "rest")).expect("URL");
    assert_eq!(by_instance.port(), 20880);
    assert_eq!(
        by_instance.service_key().to_string(),
        "g/com.example.Greeter:1.0.0"
    );
}

#[test]
fn endpoints_json_is_javas() {
    let one = [Endpoint {
        port: 20880,
        protocol: "dubbo".into(),
    }];
    assert_eq!(
        endpoints_json(&one),
        "[{\"port\":20880,\"protocol\":\"dubbo\"}]"
    );
    assert_eq!(
        oxidubbo_metadata::parse_endpoints(&endpoints_json(&one)).expect("own JSON"),
        one
    );
    for bad in [
        "{}",
        "[{\"protocol\":\"dubbo\"}]",
        "[{\"port\":-1,\"protocol\":\"dubbo\"}]",
        "[{\"port\":1}]",
    ] {
        assert!(oxidubbo_metadata::parse_endpoints(bad).is_err(), "{bad}");
    }
}
