//! An independent peer reads what oxidubbo wrote for application-level discovery: an
//! oxidubbo provider application in `register-mode = "instance"` on a real ZooKeeper
//! (`OXIDUBBO_ZK`) exports two services; `discover.js` (Node: node-zookeeper-client,
//! sofa-rpc-node's dubbo client, hessian.js) finds the instance through the interface →
//! application mapping, reads the revision and `dubbo.metadata-service.url-params` from the
//! instance JSON and calls `MetadataService.getMetadataInfo(revision)`. What it prints is
//! checked field by field against the `MetadataInfo` built here from the provider URLs.
//! (Alone in its test binary: the application uses the process-wide protocol.)

use std::sync::Arc;
use std::time::Duration;

use oxidubbo::Bootstrap;
use oxidubbo::config::Config;
use oxidubbo_examples::{Greeter, HelloGreeter};
use oxidubbo_integration_tests::unique_name;
use oxidubbo_integration_tests::{run_sofa_script, sofa_dir, zookeeper};
use oxidubbo_metadata::{METADATA_INFO_CLASS, MetadataInfo, SERVICE_INFO_CLASS};
use oxidubbo_registry::registered_provider_url;
use serde_json::Value as Json;

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";
const OTHER: &str = "org.apache.dubbo.samples.api.OtherGreeterService";
const APPLICATION: &str = "sofa-read-provider";
/// Hang guard for the shutdown (not a speed check).
const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sofa_peer_lists_the_services_of_an_oxidubbo_instance_through_its_metadata_service() {
    let Some(zk) = zookeeper() else { return };
    let Some(dir) = sofa_dir() else { return };
    let root = unique_name("oxidubbo-sofa-metadata-");
    let text = format!(
        "[application]\nname = \"{APPLICATION}\"\n\n\
         [registries.zk]\naddress = \"zookeeper://{zk}\"\ngroup = \"{root}\"\nregister-mode = \"instance\"\n\n\
         [protocols.dubbo]\nport = 0\n\n\
         [services.greeter]\nversion = \"1.0.0\"\n\n\
         [services.other]\ninterface = \"{OTHER}\"\nversion = \"2.1.0\"\ngroup = \"blue\"\ntimeout = 1500\n"
    );
    let running = Bootstrap::from_config(Config::parse(&text, "app.toml").expect("config"))
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .service::<dyn Greeter>("other", Arc::new(HelloGreeter))
        .start()
        .await
        .expect("started");
    // The expected MetadataInfo, from the URLs as registered (what Java's
    // ServiceDiscoveryRegistry is given), its revision computed here.
    let mut expected = MetadataInfo::new(APPLICATION);
    let mut port = 0;
    for name in ["greeter", "other"] {
        let exported = &running.provider_urls()[name];
        port = exported.port();
        expected
            .add_service(&registered_provider_url(exported))
            .expect("service");
    }
    let revision = expected.calculate_revision();

    let slash_root = format!("/{root}");
    let lines = run_sofa_script(
        &dir,
        "discover.js",
        &[
            "--zk",
            &zk,
            "--interface",
            OTHER,
            "--mapping-root",
            &slash_root,
            "--services-root",
            &slash_root,
        ],
    )
    .await;
    tokio::time::timeout(LIMIT, running.shutdown())
        .await
        .expect("shut down within the limit");

    assert_eq!(lines.len(), 1, "one instance: {lines:?}");
    let line: Json = serde_json::from_str(&lines[0]).expect("a JSON line");
    assert_eq!(line["app"], APPLICATION, "{line}");
    assert_eq!(line["name"], APPLICATION, "the instance's name: {line}");
    assert_eq!(
        line["instance"],
        format!("127.0.0.1:{port}"),
        "the instance node: {line}"
    );
    assert_eq!(line["revision"], revision.as_str(), "in the instance JSON");
    let result = &line["result"];
    assert_eq!(result["class"], METADATA_INFO_CLASS, "{line}");
    assert_eq!(result["app"], APPLICATION, "{line}");
    assert_eq!(result["revision"], revision.as_str(), "answered: {line}");
    let services = result["services"].as_object().expect("services");
    let keys: Vec<&String> = services.keys().collect();
    let expected_keys: Vec<&String> = expected.services().keys().collect();
    assert_eq!(keys.len(), 2, "{line}");
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, expected_keys, "the services' keys");
    for (key, want) in expected.services() {
        let got = &services[key];
        let what = format!("service {key}: {got}");
        assert_eq!(got["class"], SERVICE_INFO_CLASS, "{what}");
        assert_eq!(got["name"], want.name.as_str(), "{what}");
        assert_eq!(got["group"].as_str(), want.group.as_deref(), "{what}");
        assert_eq!(got["version"].as_str(), want.version.as_deref(), "{what}");
        assert_eq!(got["protocol"].as_str(), want.protocol.as_deref(), "{what}");
        assert_eq!(got["path"].as_str(), want.path.as_deref(), "{what}");
        assert_eq!(got["port"], want.port, "{what}");
        assert_eq!(got["port"], i32::from(port), "{what}");
        let params: std::collections::BTreeMap<String, String> =
            serde_json::from_value(got["params"].clone()).expect("string params");
        assert_eq!(params, want.params, "{what}");
    }
    // What oxidubbo exported, named independently of the MetadataInfo code.
    let other = services
        .values()
        .find(|s| s["name"] == OTHER)
        .expect("the other service");
    assert_eq!(other["group"], "blue");
    assert_eq!(other["version"], "2.1.0");
    assert_eq!(other["params"]["timeout"], "1500");
    let greeter = services
        .values()
        .find(|s| s["name"] == GREETER)
        .expect("the greeter");
    assert_eq!(greeter["version"], "1.0.0");
    assert_eq!(greeter["protocol"], "dubbo");
}
