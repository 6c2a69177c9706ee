//! `MetadataInfo` JSON, the content of `/dubbo/metadata/<app>/<revision>`: oxidubbo reads
//! what Dubbo Java and dubbo-go write, and writes what Java writes.

use oxidubbo_common::Url;
use oxidubbo_metadata::{MetadataInfo, ServiceInfo};
use serde_json::Value;

/// Observed: written by a Dubbo Java 3.0 provider (Gson), fixtures/README.md.
const JAVA_REPORT: &str = include_str!("fixtures/java-3.0-metadata-report.json");
/// Java test data: what `MetaCacheManagerTest` has Java read.
const JAVA_CACHE: &str = include_str!("fixtures/java-unit-test-metadata-cache.json");
/// Derived: `json.Marshal` of dubbo-go v3.3.2's `MetadataInfo`.
const GO_REPORT: &str = include_str!("fixtures/dubbo-go-3.3.2-metadata-report.json");

#[test]
fn reads_the_java_report() {
    let info = MetadataInfo::from_json(JAVA_REPORT.as_bytes()).expect("Java JSON");
    assert_eq!(info.app(), "demo-provider");
    assert_eq!(info.revision(), Some("da3be833baa2088c5f6776fb7ab1a436"));
    assert_eq!(info.services().len(), 2);
    let dubbo = &info.services()["org.apache.dubbo.demo.DemoService:dubbo"];
    assert_eq!(dubbo.name, "org.apache.dubbo.demo.DemoService");
    assert_eq!(
        (dubbo.group.as_deref(), dubbo.version.as_deref()),
        (None, None)
    );
    assert_eq!(dubbo.protocol.as_deref(), Some("dubbo"));
    assert_eq!(dubbo.port, -1, "no port field: Java's default");
    assert_eq!(dubbo.params.len(), 17);
    assert_eq!(dubbo.params["release"], "");
    assert_eq!(
        dubbo.methods().collect::<Vec<_>>(),
        ["sayHello", "sayHelloAsync"]
    );
    let rest = &info.services()["org.apache.dubbo.demo.RestDemoService:1.0.0:rest"];
    assert_eq!(rest.version.as_deref(), Some("1.0.0"));
    assert_eq!(
        rest.match_key(),
        "org.apache.dubbo.demo.RestDemoService:1.0.0:rest"
    );
}

#[test]
fn reads_the_java_unit_test_data() {
    let info = MetadataInfo::from_json(JAVA_CACHE.as_bytes()).expect("Java test JSON");
    assert_eq!(info.app(), "demo");
    assert_eq!(info.revision(), None);
    let key = "greeting/org.apache.dubbo.registry.service.DemoService2:1.0.0:dubbo";
    let service = &info.services()[key];
    assert_eq!(service.match_key(), key);
    assert_eq!(service.group.as_deref(), Some("greeting"));
    assert_eq!(service.params["sayHello.timeout"], "7000");
}

#[test]
fn reads_the_dubbo_go_report() {
    let info = MetadataInfo::from_json(GO_REPORT.as_bytes()).expect("dubbo-go JSON");
    assert_eq!(info.app(), "go-app");
    assert_eq!(info.revision().map(str::len), Some(128));
    let service = &info.services()["org.apache.dubbo.samples.api.GreeterService:1.0.0:dubbo"];
    assert_eq!(service.port, 20000);
    assert_eq!(service.group, None);
    assert_eq!(service.params["methods"], "sayHello");
    assert_eq!(service.params["release"], "dubbo-golang-3.3.2");
    assert_eq!(
        service.match_key(),
        "org.apache.dubbo.samples.api.GreeterService:1.0.0:dubbo"
    );
}

/// A JSON document with every `"port"` member removed.
fn without_ports(mut v: Value) -> Value {
    if let Some(services) = v["services"].as_object_mut() {
        for service in services.values_mut() {
            if let Some(obj) = service.as_object_mut() {
                obj.remove("port");
            }
        }
    }
    v
}

#[test]
fn writes_every_field_java_wrote_with_the_same_value() {
    let info = MetadataInfo::from_json(JAVA_REPORT.as_bytes()).expect("Java JSON");
    let ours: Value = serde_json::from_str(&info.to_json()).expect("own JSON");
    let java: Value = serde_json::from_str(JAVA_REPORT).expect("Java JSON");
    // Java 3.0 had no `port` yet; today's Java writes it, and so does oxidubbo.
    assert_eq!(
        ours["services"]["org.apache.dubbo.demo.DemoService:dubbo"]["port"],
        -1
    );
    assert_eq!(without_ports(ours), java);
    assert_eq!(
        MetadataInfo::from_json(info.to_json().as_bytes()).expect("own JSON"),
        info
    );
}

#[test]
fn writes_the_field_order_of_javas_default_json_library() {
    // Dubbo Java 3.2+ writes this JSON with fastjson2 when it is present (its preferred
    // library): every object's keys in alphabetical order, nulls left out. A Java 3.2.7 node
    // quoted in alibaba/fastjson2 issue #7759 shows `app`, `revision`, `services` and, per
    // service, `name`, `params`, `path`, `port`, `protocol`, `version` in this order.
    // Services and parameters are sorted here (Java writes them in hash order).
    let url = Url::parse("dubbo://10.0.0.7:20880/com.example.Greeter?application=greeter&group=g&interface=com.example.Greeter&methods=hello,bye&side=provider&version=1.0.0&pid=1&timestamp=2").expect("URL");
    let mut info = MetadataInfo::new("greeter");
    info.add_service(&url).expect("service");
    info.update_revision();
    let revision = info.calculate_revision();
    assert_eq!(
        info.to_json(),
        format!(
            "{{\"app\":\"greeter\",\"revision\":\"{revision}\",\"services\":{{\"g/com.example.Greeter:1.0.0:dubbo\":\
             {{\"group\":\"g\",\"name\":\"com.example.Greeter\",\"params\":{{\"application\":\"greeter\",\
             \"group\":\"g\",\"interface\":\"com.example.Greeter\",\"methods\":\"hello,bye\",\"side\":\"provider\",\
             \"version\":\"1.0.0\"}},\"path\":\"com.example.Greeter\",\"port\":20880,\"protocol\":\"dubbo\",\
             \"version\":\"1.0.0\"}}}}}}"
        )
    );
    let mut without_revision = MetadataInfo::new("none");
    assert_eq!(
        without_revision.to_json(),
        "{\"app\":\"none\",\"services\":{}}"
    );
    without_revision.update_revision();
    assert_eq!(
        without_revision.to_json(),
        "{\"app\":\"none\",\"revision\":\"0\",\"services\":{}}"
    );
}

#[test]
fn a_service_without_name_or_with_a_bad_port_is_an_error() {
    for bad in [
        r#"{"app":"a","services":{"k":{"protocol":"dubbo"}}}"#,
        r#"{"app":"a","services":{"k":{"name":"n","port":99999999999}}}"#,
        r#"{"app":"a","services":{"k":{"name":"n","params":{"x":{}}}}}"#,
        r#"{"app":"a","services":[]}"#,
        r#"["not","an","object"]"#,
    ] {
        let err = MetadataInfo::from_json(bad.as_bytes()).expect_err(bad);
        assert!(!err.to_string().is_empty());
    }
    let service: ServiceInfo =
        MetadataInfo::from_json(br#"{"services":{"k":{"name":"n","port":"20880"}}}"#)
            .expect("a port as text is read")
            .services()["k"]
            .clone();
    assert_eq!(service.port, 20880);
}
