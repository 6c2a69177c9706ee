//! dubbo-go 3's YAML configuration read into oxidubbo's: one test per supported key (and
//! its dubbo-go default), warnings with file and line for the keys not applied, `${…}`
//! placeholders, and the layouts of dubbo-go-samples' helloworld, direct and
//! registry/zookeeper loading — and running, for the direct one and, with ZooKeeper, the
//! helloworld one.
#![allow(missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{CountingGreeter, Greeter, GreeterClient};
use oxidubbo::config::{Config, ConfigWarning};
use oxidubbo::{Bootstrap, DubboProtocol};

fn load(yaml: &str) -> Config {
    load_env(yaml, &[])
}

fn load_env(yaml: &str, env: &[(&str, &str)]) -> Config {
    let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    match Config::from_dubbogo_str(yaml, "dubbogo.yml", env) {
        Ok(c) => c,
        Err(e) => panic!("{e}\n{yaml}"),
    }
}

fn error(yaml: &str) -> oxidubbo::ConfigError {
    match Config::from_dubbogo_str(yaml, "dubbogo.yml", std::iter::empty()) {
        Ok(c) => panic!("no error: {c:?}"),
        Err(e) => e,
    }
}

fn warning<'a>(config: &'a Config, key: &str) -> &'a ConfigWarning {
    match config.warnings().iter().find(|w| w.key == key) {
        Some(w) => w,
        None => panic!("no warning for {key}: {:?}", config.warnings()),
    }
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dubbogo")
}

// ---- dubbo.application ----

#[test]
fn application_name_and_version() {
    let c = load("dubbo:\n  application:\n    name: shop\n    version: 1.2.3\n");
    assert_eq!(c.application.name.as_deref(), Some("shop"));
    assert_eq!(c.application.version.as_deref(), Some("1.2.3"));
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
}

#[test]
fn application_name_defaults_to_dubbogos() {
    let c = load("dubbo:\n  consumer:\n");
    assert_eq!(c.application.name.as_deref(), Some("dubbo.io"));
}

#[test]
fn application_organization_module_owner_environment_are_url_parameters() {
    let c = load(
        "dubbo:\n  application:\n    organization: acme\n    module: m\n    owner: ann\n    environment: test\n",
    );
    for (k, v) in [
        ("organization", "acme"),
        ("module", "m"),
        ("owner", "ann"),
        ("environment", "test"),
    ] {
        assert_eq!(c.application.params[k], v, "{k}");
    }
}

#[test]
fn application_metadata_type_applies_to_every_registry() {
    let c = load(
        "dubbo:\n  registries:\n    zk:\n      protocol: zookeeper\n      address: 127.0.0.1:2181\n  application:\n    metadata-type: remote\n",
    );
    assert_eq!(c.registries["zk"].metadata_type.as_deref(), Some("remote"));
}

// ---- dubbo.registries ----

const ZK: &str =
    "dubbo:\n  registries:\n    zk:\n      protocol: zookeeper\n      address: 10.0.0.1:2181\n";

#[test]
fn registry_protocol_and_address() {
    let c = load(ZK);
    assert_eq!(c.registries["zk"].address, "zookeeper://10.0.0.1:2181");
    let c = load("dubbo:\n  registries:\n    zk:\n      address: zookeeper://10.0.0.2:2181\n");
    assert_eq!(c.registries["zk"].address, "zookeeper://10.0.0.2:2181");
    let c = load(
        "dubbo:\n  registries:\n    e:\n      protocol: etcdv3\n      address: 10.0.0.3:2379\n",
    );
    assert_eq!(c.registries["e"].address, "etcdv3://10.0.0.3:2379");
}

#[test]
fn registry_protocol_oxidubbo_lacks_is_a_located_error() {
    let e = error(
        "dubbo:\n  registries:\n    n:\n      protocol: nacos\n      address: 10.0.0.1:8848\n",
    );
    assert_eq!(
        (e.line, e.key.as_str()),
        (4, "dubbo.registries.n.protocol"),
        "{e}"
    );
    assert!(e.message.contains("nacos"), "{e}");
}

#[test]
fn registry_timeout_is_a_go_duration_defaulting_to_5s() {
    assert_eq!(load(ZK).registries["zk"].timeout, Some(5000));
    let c = load(&format!("{ZK}      timeout: 10s\n"));
    assert_eq!(c.registries["zk"].timeout, Some(10_000));
    let e = error(&format!("{ZK}      timeout: soon\n"));
    assert_eq!(
        (e.line, e.key.as_str()),
        (6, "dubbo.registries.zk.timeout"),
        "{e}"
    );
}

#[test]
fn registry_group() {
    let c = load(&format!("{ZK}      group: myGroup\n"));
    assert_eq!(c.registries["zk"].group.as_deref(), Some("myGroup"));
}

#[test]
fn registry_namespace_is_a_registry_url_parameter() {
    let c = load(&format!("{ZK}      namespace: dev\n"));
    assert_eq!(c.registries["zk"].params["namespace"], "dev");
}

#[test]
fn registry_type_chooses_the_discovery_level() {
    let r = |c: &Config| {
        let r = &c.registries["zk"];
        (
            r.register_mode.clone().unwrap(),
            r.migration_step.clone().unwrap(),
        )
    };
    // dubbo-go's default, `service`: application level only.
    assert_eq!(
        r(&load(ZK)),
        ("instance".into(), "FORCE_APPLICATION".into())
    );
    let service = load(&format!("{ZK}      registry-type: service\n"));
    assert_eq!(r(&service), ("instance".into(), "FORCE_APPLICATION".into()));
    let interface = load(&format!("{ZK}      registry-type: interface\n"));
    assert_eq!(
        r(&interface),
        ("interface".into(), "FORCE_INTERFACE".into())
    );
    let all = load(&format!("{ZK}      registry-type: all\n"));
    assert_eq!(r(&all), ("all".into(), "APPLICATION_FIRST".into()));
    let e = error(&format!("{ZK}      registry-type: some\n"));
    assert_eq!(e.line, 6, "{e}");
}

#[test]
fn registry_params() {
    let c = load(&format!("{ZK}      params:\n        session: 9\n"));
    assert_eq!(c.registries["zk"].params["session"], "9");
}

// ---- dubbo.protocols ----

#[test]
fn protocol_name_defaults_to_tri() {
    let c = load("dubbo:\n  protocols:\n    p:\n      port: 20001\n");
    assert_eq!(c.protocols["p"].name, "tri");
    let c = load("dubbo:\n  protocols:\n    p:\n      name: dubbo\n");
    assert_eq!(c.protocols["p"].name, "dubbo");
    assert_eq!(c.protocols["p"].port, 20880);
}

#[test]
fn protocol_port_and_ip() {
    let c = load(
        "dubbo:\n  protocols:\n    triple:\n      name: tri\n      port: 20000\n      ip: 127.0.0.2\n",
    );
    let p = &c.protocols["triple"];
    assert_eq!(
        (p.name.as_str(), p.port, p.host.as_str()),
        ("tri", 20000, "127.0.0.2")
    );
    let e = error("dubbo:\n  protocols:\n    triple:\n      port: 99999\n");
    assert_eq!(
        (e.line, e.key.as_str()),
        (4, "dubbo.protocols.triple.port"),
        "{e}"
    );
}

#[test]
fn protocol_params() {
    let c = load(
        "dubbo:\n  protocols:\n    d:\n      name: dubbo\n      params:\n        threads: 8\n",
    );
    assert_eq!(c.protocols["d"].params["threads"], "8");
}

#[test]
fn a_provider_without_protocols_serves_tri_on_50051() {
    let c = load("dubbo:\n  provider:\n    services:\n      S:\n        interface: a.B\n");
    let p = &c.protocols["tri"];
    assert_eq!((p.name.as_str(), p.port), ("tri", 50051));
}

// ---- dubbo.provider.services ----

const SERVICE: &str = "dubbo:\n  protocols:\n    d:\n      name: dubbo\n  provider:\n    services:\n      S:\n        interface: com.example.S\n";

#[test]
fn service_interface_version_group() {
    let c = load(&format!(
        "{SERVICE}        version: 1.0.0\n        group: g\n"
    ));
    let s = &c.services["S"];
    assert_eq!(s.interface.as_deref(), Some("com.example.S"));
    assert_eq!(s.version.as_deref(), Some("1.0.0"));
    assert_eq!(s.group.as_deref(), Some("g"));
    // An empty interface is the bound trait's (dubbo-go: read from the code).
    let c = load("dubbo:\n  provider:\n    services:\n      S:\n        interface: \"\"\n");
    assert_eq!(c.services["S"].interface, None);
}

#[test]
fn service_serialization() {
    let c = load(&format!("{SERVICE}        serialization: hessian2\n"));
    assert_eq!(c.services["S"].params["serialization"], "hessian2");
    let c = load(&format!("{SERVICE}        serialization: msgpack\n"));
    assert_eq!(
        warning(&c, "dubbo.provider.services.S.serialization").line,
        9
    );
    assert!(!c.services["S"].params.contains_key("serialization"));
}

#[test]
fn service_loadbalance_cluster_retries_are_provider_url_parameters() {
    let c = load(&format!(
        "{SERVICE}        loadbalance: roundrobin\n        cluster: failfast\n        retries: 4\n"
    ));
    let p = &c.services["S"].params;
    assert_eq!(
        (
            p["loadbalance"].as_str(),
            p["cluster"].as_str(),
            p["retries"].as_str()
        ),
        ("roundrobin", "failfast", "4")
    );
}

#[test]
fn service_filter() {
    let c = load(&format!("{SERVICE}        filter: accesslog,-tps\n"));
    assert_eq!(c.services["S"].filters.as_deref(), Some("accesslog,-tps"));
    // The provider's filter is every service's default.
    let c = load(
        "dubbo:\n  provider:\n    filter: accesslog\n    services:\n      S:\n        interface: a.S\n      T:\n        interface: a.T\n        filter: echo\n",
    );
    assert_eq!(c.services["S"].filters.as_deref(), Some("accesslog"));
    assert_eq!(c.services["T"].filters.as_deref(), Some("echo"));
}

#[test]
fn service_methods_are_method_parameters() {
    let c = load(&format!(
        "{SERVICE}        methods:\n          - name: SayHello\n            retries: 1\n            timeout: 500ms\n            loadbalance: random\n            weight: 5\n"
    ));
    let p = &c.services["S"].params;
    assert_eq!(p["methods.SayHello.retries"], "1");
    assert_eq!(p["methods.SayHello.timeout"], "500");
    assert_eq!(p["methods.SayHello.loadbalance"], "random");
    assert_eq!(p["methods.SayHello.weight"], "5");
}

#[test]
fn service_protocol_ids_registry_ids_token_weight_not_register_params() {
    let c = load(
        "dubbo:\n  registries:\n    a:\n      address: zookeeper://127.0.0.1:2181\n    b:\n      address: zookeeper://127.0.0.1:2182\n  protocols:\n    d:\n      name: dubbo\n    t:\n      name: tri\n  provider:\n    services:\n      S:\n        interface: a.S\n        protocol-ids: [d, t]\n        registry-ids: a,b\n        token: secret\n        weight: 50\n        not_register: true\n        params:\n          executes: 10\n",
    );
    let s = &c.services["S"];
    assert_eq!(s.protocol.as_deref(), Some("d,t"));
    assert_eq!(s.registry.as_deref(), Some("a,b"));
    assert_eq!(s.token.as_deref(), Some("secret"));
    assert_eq!(s.weight, Some(50));
    assert_eq!(s.register, Some(false));
    assert_eq!(s.params["executes"], "10");
    assert_eq!(c.service_protocols("S").unwrap(), ["d", "t"]);
}

#[test]
fn provider_register_registry_ids_protocol_ids_are_defaults() {
    let c = load(
        "dubbo:\n  registries:\n    a:\n      address: zookeeper://127.0.0.1:2181\n    b:\n      address: zookeeper://127.0.0.1:2182\n  protocols:\n    d:\n      name: dubbo\n    t:\n      name: tri\n  provider:\n    register: false\n    registry-ids: b\n    protocol-ids: t\n    services:\n      S:\n        interface: a.S\n",
    );
    let s = &c.services["S"];
    assert_eq!(
        (s.register, s.registry.as_deref(), s.protocol.as_deref()),
        (Some(false), Some("b"), Some("t"))
    );
}

// ---- dubbo.consumer.references ----

const REFERENCE: &str =
    "dubbo:\n  consumer:\n    references:\n      R:\n        interface: com.example.S\n";

#[test]
fn reference_interface_version_group() {
    let c = load(&format!(
        "{REFERENCE}        version: 2\n        group: g\n"
    ));
    let r = &c.references["R"];
    assert_eq!(r.interface, "com.example.S");
    assert_eq!(
        (r.version.as_deref(), r.group.as_deref()),
        (Some("2"), Some("g"))
    );
    // No interface: the code binding the reference gives it (`reference_of`); until
    // then the configuration is incomplete, and says where.
    let c = load("dubbo:\n  consumer:\n    references:\n      R:\n        version: 2\n");
    let e = c.validate().unwrap_err();
    assert_eq!(
        (e.line, e.key.as_str()),
        (4, "dubbo.consumer.references.R"),
        "{e}"
    );
}

#[test]
fn reference_url_and_protocol() {
    let c = load(&format!(
        "{REFERENCE}        url: tri://127.0.0.1:20000\n        protocol: tri\n"
    ));
    let r = &c.references["R"];
    assert_eq!(r.url.as_deref(), Some("tri://127.0.0.1:20000"));
    assert_eq!(r.protocol.as_deref(), Some("tri"));
    // The consumer's protocol is every reference's default.
    let c = load(
        "dubbo:\n  consumer:\n    protocol: tri\n    references:\n      R:\n        interface: a.S\n",
    );
    assert_eq!(c.references["R"].protocol.as_deref(), Some("tri"));
}

#[test]
fn reference_check_defaults_to_dubbogos_false() {
    assert_eq!(load(REFERENCE).references["R"].check, Some(false));
    let c = load(&format!("{REFERENCE}        check: true\n"));
    assert_eq!(c.references["R"].check, Some(true));
    let c = load(
        "dubbo:\n  consumer:\n    check: true\n    references:\n      R:\n        interface: a.S\n",
    );
    assert_eq!(c.references["R"].check, Some(true));
}

#[test]
fn reference_timeout_and_consumer_request_timeout() {
    assert_eq!(load(REFERENCE).references["R"].timeout, Some(3000));
    let c = load(&format!("{REFERENCE}        timeout: 1500ms\n"));
    assert_eq!(c.references["R"].timeout, Some(1500));
    let c = load(&format!("{REFERENCE}        request-timeout: 2s\n"));
    assert_eq!(c.references["R"].timeout, Some(2000));
    let c = load(
        "dubbo:\n  consumer:\n    request-timeout: 7s\n    references:\n      R:\n        interface: a.S\n",
    );
    assert_eq!(c.references["R"].timeout, Some(7000));
    // dubbo-go-samples' config_yaml client writes a bare number: milliseconds.
    let c = load(&format!("{REFERENCE}        timeout: 3000\n"));
    assert_eq!(c.references["R"].timeout, Some(3000));
}

#[test]
fn reference_retries_loadbalance_cluster_filter() {
    let c = load(&format!(
        "{REFERENCE}        retries: 3\n        loadbalance: roundrobin\n        cluster: failfast\n        filter: echo\n"
    ));
    let r = &c.references["R"];
    assert_eq!(r.retries, Some(3));
    assert_eq!(r.loadbalance.as_deref(), Some("roundrobin"));
    assert_eq!(r.cluster.as_deref(), Some("failfast"));
    assert_eq!(r.filters.as_deref(), Some("echo"));
    let e = error(&format!("{REFERENCE}        cluster: nosuch\n"));
    assert_eq!(
        (e.line, e.key.as_str()),
        (6, "dubbo.consumer.references.R.cluster"),
        "{e}"
    );
    let c = load(
        "dubbo:\n  consumer:\n    filter: a\n    references:\n      R:\n        interface: a.S\n",
    );
    assert_eq!(c.references["R"].filters.as_deref(), Some("a"));
}

#[test]
fn reference_serialization_methods_params_provided_by() {
    let c = load(&format!(
        "{REFERENCE}        serialization: hessian2\n        provided_by: shop\n        methods:\n          - name: SayHello\n            timeout: 2s\n        params:\n          actives: 3\n"
    ));
    let r = &c.references["R"];
    assert_eq!(r.params["serialization"], "hessian2");
    assert_eq!(r.provided_by.as_deref(), Some("shop"));
    assert_eq!(r.params["methods.SayHello.timeout"], "2000");
    assert_eq!(r.params["actives"], "3");
}

#[test]
fn reference_registry_ids() {
    let head = "dubbo:\n  registries:\n    a:\n      address: zookeeper://127.0.0.1:2181\n    b:\n      address: zookeeper://127.0.0.1:2182\n";
    let c = load(&format!(
        "{head}  consumer:\n    references:\n      R:\n        interface: a.S\n        registry-ids: [b, a]\n"
    ));
    assert_eq!(c.references["R"].registry.as_deref(), Some("b"));
    assert_eq!(
        warning(&c, "dubbo.consumer.references.R.registry-ids").line,
        11
    );
    let c = load(&format!(
        "{head}  consumer:\n    registry-ids: a\n    references:\n      R:\n        interface: a.S\n"
    ));
    assert_eq!(c.references["R"].registry.as_deref(), Some("a"));
}

// ---- metrics, tracing, shutdown, tls ----

#[test]
fn metrics_enable_port_path() {
    let c = load(
        "dubbo:\n  metrics:\n    enable: true\n    port: 9099\n    path: /m\n    protocol: prometheus\n",
    );
    assert!(c.metrics.enabled);
    assert_eq!((c.metrics.port, c.metrics.path.as_str()), (9099, "/m"));
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    let c = load("dubbo:\n  metrics:\n    enable: true\n    aggregation:\n      enabled: true\n");
    assert_eq!(warning(&c, "dubbo.metrics.aggregation").line, 4);
    assert!(!load("dubbo:\n  metrics: {}\n").metrics.enabled);
}

#[test]
fn tracing_entries_enable_spans_and_warn_of_their_exporter() {
    let c = load(
        "dubbo:\n  tracing:\n    jaeger:\n      name: jaeger\n      address: 127.0.0.1:6831\n",
    );
    assert!(c.tracing.enabled);
    assert_eq!(warning(&c, "dubbo.tracing.jaeger.address").line, 5);
    assert!(!load("dubbo:\n  consumer:\n").tracing.enabled);
}

#[test]
fn otel_tracing_enable_and_sampling() {
    let c = load(
        "dubbo:\n  otel:\n    tracing:\n      enable: true\n      sample-mode: ratio\n      sample-ratio: 0.25\n",
    );
    assert!(c.tracing.enabled);
    assert_eq!(c.tracing.sampling, 0.25);
    let c = load("dubbo:\n  otel:\n    tracing:\n      enable: true\n");
    assert_eq!(c.tracing.sampling, 0.5, "dubbo-go's default ratio");
    let c = load(
        "dubbo:\n  otel:\n    tracing:\n      enable: true\n      sample-mode: always\n      exporter: otlp-grpc\n",
    );
    assert_eq!(c.tracing.sampling, 1.0);
    assert_eq!(warning(&c, "dubbo.otel.tracing.exporter").line, 6);
}

#[test]
fn shutdown_timeout_defaults_to_60s() {
    assert_eq!(load("dubbo:\n").shutdown.timeout, 60_000);
    let c = load("dubbo:\n  shutdown:\n    timeout: 20s\n    step-timeout: 3s\n");
    assert_eq!(c.shutdown.timeout, 20_000);
    assert_eq!(warning(&c, "dubbo.shutdown.step-timeout").line, 4);
}

#[test]
fn tls_config_keys_are_warned_of() {
    let c = load("dubbo:\n  tls_config:\n    ca-cert-file: ca.pem\n    tls-cert-file: c.pem\n");
    let w = warning(&c, "dubbo.tls_config.ca-cert-file");
    assert_eq!((w.line, w.column), (3, 5));
    assert!(w.message.contains("TLS"), "{w}");
    assert_eq!(warning(&c, "dubbo.tls_config.tls-cert-file").line, 4);
}

// ---- warnings, placeholders, errors ----

#[test]
fn unsupported_and_unknown_keys_are_warnings_with_file_line_and_column() {
    let c = load(
        "dubbo:\n  registries:\n    zk:\n      protocol: zookeeper\n      address: 127.0.0.1:2181\n      ttl: 15m\n  consumer:\n    references:\n      R:\n        interface: a.S\n        sticky: true\n        registry: zk\n  config-center:\n    protocol: nacos\nlogging: debug\n",
    );
    let keys: Vec<(usize, usize, &str)> = c
        .warnings()
        .iter()
        .map(|w| (w.line, w.column, w.key.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            (15, 1, "logging"),
            (6, 7, "dubbo.registries.zk.ttl"),
            (13, 3, "dubbo.config-center"),
            (11, 9, "dubbo.consumer.references.R.sticky"),
            (12, 9, "dubbo.consumer.references.R.registry"),
        ]
    );
    let sticky = warning(&c, "dubbo.consumer.references.R.sticky");
    assert_eq!(
        sticky.to_string(),
        "dubbogo.yml:11:9: dubbo.consumer.references.R.sticky: not supported by oxidubbo; ignored"
    );
    let registry = warning(&c, "dubbo.consumer.references.R.registry");
    assert!(
        registry.message.contains("not a dubbo-go key"),
        "{registry}"
    );
    assert!(registry.message.contains("registry-ids"), "{registry}");
}

#[test]
fn placeholders_take_the_environment_then_the_files_keys_then_their_default() {
    let yaml = "app: from-file\ndubbo:\n  application:\n    name: ${APP_NAME}\n    version: ${APP_VERSION:1.0.0}\n  registries:\n    zk:\n      address: zookeeper://${ZK_HOST:127.0.0.1}:${ZK_PORT}\n  consumer:\n    references:\n      R:\n        interface: ${app}.Svc\n";
    let c = load_env(yaml, &[("APP_NAME", "shop"), ("ZK_PORT", "2182")]);
    assert_eq!(c.application.name.as_deref(), Some("shop"));
    assert_eq!(c.application.version.as_deref(), Some("1.0.0"));
    assert_eq!(c.registries["zk"].address, "zookeeper://127.0.0.1:2182");
    assert_eq!(c.references["R"].interface, "from-file.Svc");
    let e = Config::from_dubbogo_str(yaml, "dubbogo.yml", std::iter::empty()).unwrap_err();
    assert_eq!(
        (e.line, e.key.as_str()),
        (4, "dubbo.application.name"),
        "{e}"
    );
    assert!(e.message.contains("APP_NAME"), "{e}");
}

#[test]
fn syntax_errors_name_the_line() {
    let e = error("dubbo:\n  registries: [a,\n");
    assert!(e.line >= 2, "{e}");
    assert!(e.to_string().starts_with("dubbogo.yml:"), "{e}");
}

#[test]
fn from_file_chooses_yaml_by_extension() {
    for name in ["helloworld-server.yml", "direct-client.yml"] {
        let c = Config::from_file(samples().join(name)).unwrap();
        assert!(c.warnings().is_empty(), "{name}: {:?}", c.warnings());
    }
    let dir = std::env::temp_dir().join(format!("oxidubbo-yaml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let yaml = dir.join("dubbogo.yaml");
    std::fs::write(&yaml, "dubbo:\n  application:\n    name: long-ext\n").unwrap();
    assert_eq!(
        Config::from_file(&yaml)
            .unwrap()
            .application
            .name
            .as_deref(),
        Some("long-ext")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_samples_layouts_load() {
    let c = Config::from_file(samples().join("helloworld-server.yml")).unwrap();
    assert_eq!(c.registries["demoZK"].address, "zookeeper://127.0.0.1:2181");
    assert_eq!(
        c.registries["demoZK"].register_mode.as_deref(),
        Some("instance")
    );
    assert_eq!(c.protocols["triple"].port, 20000);
    assert_eq!(
        c.services["GreeterProvider"].interface.as_deref(),
        Some("com.apache.dubbo.sample.basic.IGreeter")
    );
    let c = Config::from_file(samples().join("helloworld-client.yml")).unwrap();
    assert_eq!(c.registries["demoZK"].timeout, Some(3000));
    assert_eq!(c.reference_protocol("GreeterClientImpl").unwrap(), "tri");
    assert_eq!(
        c.reference_registry("GreeterClientImpl")
            .unwrap()
            .as_deref(),
        Some("demoZK")
    );
    let c = Config::from_file(samples().join("direct-server.yml")).unwrap();
    assert_eq!(c.services["GreeterProvider"].interface, None);
    let c = Config::from_file(samples().join("direct-client.yml")).unwrap();
    assert_eq!(
        c.references["GreeterClientImpl"].url.as_deref(),
        Some("tri://localhost:20000")
    );
    let c = Config::from_file(samples().join("zookeeper-server.yml")).unwrap();
    assert_eq!(c.registries["demoZK"].group.as_deref(), Some("myGroup"));
    assert_eq!(
        c.registries["demoZK"].register_mode.as_deref(),
        Some("interface")
    );
    let s = &c.services["UserProviderWithCustomGroupAndVersion"];
    assert_eq!(
        (s.version.as_deref(), s.group.as_deref()),
        (Some("myInterfaceVersion"), Some("myInterfaceGroup"))
    );
    let c = Config::from_file(samples().join("zookeeper-client.yml")).unwrap();
    assert_eq!(
        c.registries["demoZK"].migration_step.as_deref(),
        Some("FORCE_INTERFACE")
    );
    for file in [
        "helloworld-server.yml",
        "helloworld-client.yml",
        "direct-server.yml",
        "direct-client.yml",
        "zookeeper-server.yml",
        "zookeeper-client.yml",
    ] {
        let c = Config::from_file(samples().join(file)).unwrap();
        assert!(c.warnings().is_empty(), "{file}: {:?}", c.warnings());
    }
}

/// A sample file with its port 20000 (and ZooKeeper address) replaced, written where
/// `Bootstrap::from_file` reads it.
fn adapted(dir: &Path, name: &str, port: u16, zk: Option<&str>) -> PathBuf {
    let mut text = std::fs::read_to_string(samples().join(name)).unwrap();
    text = text.replace("20000", &port.to_string());
    if let Some(zk) = zk {
        text = text.replace("127.0.0.1:2181", zk);
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_direct_samples_run() {
    let dir = std::env::temp_dir().join(format!("oxidubbo-direct-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = oxidubbo_integration_tests::free_port();
    let greeter = CountingGreeter::new("direct", Default::default());
    let server = Bootstrap::from_file(adapted(&dir, "direct-server.yml", port, None))
        .unwrap()
        .service::<dyn Greeter>("GreeterProvider", Arc::clone(&greeter) as Arc<dyn Greeter>)
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .unwrap();
    // The sample's client has no interface: its generated code gives it, here the trait.
    let client_app = Bootstrap::from_file(adapted(&dir, "direct-client.yml", port, None))
        .unwrap()
        .reference_of::<dyn Greeter>("GreeterClientImpl")
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .unwrap();
    let client: GreeterClient = client_app
        .client::<dyn Greeter>("GreeterClientImpl")
        .unwrap();
    assert!(client.say_hello("go".into()).await.unwrap().contains("go"));
    assert_eq!(greeter.finished(), 1);
    client_app.shutdown().await;
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Calls `sayHello("zk")` through reference `name` of `app` until a provider is found
/// (`check` is off, dubbo-go's default: the providers arrive after the start), at most 100
/// times 100 ms.
async fn say_hello_when_found(app: &oxidubbo::Running, name: &str) -> String {
    let invoker = app.invoker(name).unwrap();
    let mut last = None;
    for _ in 0..100 {
        let call = oxidubbo::Invocation::new("sayHello", "Ljava/lang/String;", vec!["zk".into()]);
        match invoker.invoke(call).await {
            Ok(r) => return format!("{:?}", r.value),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{name}: no provider found within 10 s: {last:?}")
}

/// Runs a sample's server and client (ports and ZooKeeper address adapted; `extra` appended
/// to both files), the server's services bound to the greeter, and calls each reference.
async fn run_zk_samples(
    server: &str,
    client: &str,
    extra: &str,
    services: &[&str],
    references: &[&str],
) {
    let Some(zk) = oxidubbo_integration_tests::zookeeper() else {
        return;
    };
    let dir = std::env::temp_dir().join(oxidubbo_integration_tests::unique_name("oxidubbo-yaml"));
    std::fs::create_dir_all(&dir).unwrap();
    let port = oxidubbo_integration_tests::free_port();
    let group = oxidubbo_integration_tests::unique_name("yamlgroup");
    let adapt = |name: &str| {
        let path = adapted(&dir, name, port, Some(&zk));
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("myGroup", &group);
        std::fs::write(&path, format!("{text}{extra}")).unwrap();
        path
    };
    let greeter = CountingGreeter::new("zk", Default::default());
    let mut builder = Bootstrap::from_file(adapt(server)).unwrap();
    for service in services {
        builder =
            builder.service::<dyn Greeter>(*service, Arc::clone(&greeter) as Arc<dyn Greeter>);
    }
    let server_app = builder.start().await.unwrap();
    let mut client_config = Config::from_file(adapt(client)).unwrap();
    client_config.application.name = Some("yaml-client".into());
    for name in references {
        if let Some(r) = client_config.references.get_mut(*name) {
            // The server's services are the greeter trait (version 1.0.0) unless the file
            // gives a version.
            r.version.get_or_insert_with(|| "1.0.0".into());
        }
    }
    let client_app = Bootstrap::from_config(client_config).start().await.unwrap();
    for name in references {
        let answer = say_hello_when_found(&client_app, name).await;
        assert!(answer.contains("zk"), "{name}: {answer}");
    }
    assert_eq!(greeter.finished(), references.len());
    client_app.shutdown().await;
    server_app.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_zookeeper_samples_run() {
    run_zk_samples(
        "zookeeper-server.yml",
        "zookeeper-client.yml",
        "",
        &["GreeterProvider", "UserProviderWithCustomGroupAndVersion"],
        &["GreeterClientImpl", "UserProviderWithCustomGroupAndVersion"],
    )
    .await;
}

/// dubbo-go's defaults: application-level discovery only, the provider on Triple only (its
/// `MetadataService` then gets a dubbo server of its own, as dubbo-go's); then the same with
/// the metadata in ZooKeeper. One after the other: both register the same interface under
/// the same application name in the same root.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_helloworld_samples_run() {
    for extra in ["", "  application:\n    metadata-type: remote\n"] {
        run_zk_samples(
            "helloworld-server.yml",
            "helloworld-client.yml",
            extra,
            &["GreeterProvider"],
            &["GreeterClientImpl"],
        )
        .await;
    }
}
