//! Application-level discovery end to end on a real ZooKeeper (`OXIDUBBO_ZK`, issue #15):
//! oxidubbo providers started from TOML with an explicit `register-mode`, found and called
//! by oxidubbo consumers with an explicit `migration.step` (the reference's `params`, which
//! go into the consumer URL) — `instance` + `FORCE_APPLICATION`; `all` + `APPLICATION_FIRST`
//! going on through the application level when the interface-level node is deleted by hand;
//! a provider's removal and restart on a new port; two applications providing one
//! interface; `metadata-type=remote` read through the report; and a destroyed reference
//! leaving no subscription, registry watch or ZooKeeper watch behind.
//!
//! Each test has its own root (the registry's `group`) and each application its own dubbo
//! protocol, so the tests run side by side.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxidubbo::config::Config;
use oxidubbo::{Bootstrap, DubboProtocol, Running};
use oxidubbo_examples::{Greeter, GreeterClient, HelloGreeter, User};
use oxidubbo_integration_tests::{OwnZookeeper, unique_name, zk_children, zk_client, zookeeper};
use oxidubbo_invoker::{RpcError, Url, Value};
use oxidubbo_metadata::{MetadataStorageType, ServiceInstance};
use oxidubbo_protocol::Protocol;
use oxidubbo_registry::{Protocols, RegistryProtocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";
/// Hang guard for every wait (not a speed check).
const LIMIT: Duration = Duration::from_secs(20);

/// The greeter, answering `sayHello` with the name of the application that serves it.
struct Named(&'static str);

#[oxidubbo::async_trait]
impl Greeter for Named {
    async fn say_hello(&self, _name: String) -> Result<String, RpcError> {
        Ok(self.0.to_owned())
    }
    async fn add(&self, a: i32, b: i32) -> Result<i32, RpcError> {
        HelloGreeter.add(a, b).await
    }
    async fn echo(&self, value: Value) -> Result<Value, RpcError> {
        HelloGreeter.echo(value).await
    }
    async fn get_user(&self, id: i64) -> Result<User, RpcError> {
        HelloGreeter.get_user(id).await
    }
    async fn fail(&self, message: String) -> Result<Value, RpcError> {
        HelloGreeter.fail(message).await
    }
}

fn registry_table(zk: &str, root: &str, lines: &str) -> String {
    format!("[registries.zk]\naddress = \"zookeeper://{zk}\"\ngroup = \"{root}\"\n{lines}\n")
}

/// The application `name` serving the greeter (as [`Named`]) on a port of its own,
/// registering with `register_mode`; `registry_params` is a TOML inline table's content.
async fn provider(
    zk: &str,
    root: &str,
    name: &'static str,
    register_mode: &str,
    registry_params: &str,
) -> Running {
    let text = format!(
        "[application]\nname = \"{name}\"\n\n{}\n[protocols.dubbo]\nport = 0\n\n[services.greeter]\n",
        registry_table(
            zk,
            root,
            &format!("register-mode = \"{register_mode}\"\nparams = {{ {registry_params} }}")
        )
    );
    tokio::time::timeout(
        LIMIT,
        Bootstrap::from_config(Config::parse(&text, "provider.toml").expect("config"))
            .service::<dyn Greeter>("greeter", Arc::new(Named(name)))
            .dubbo_protocol(Arc::new(DubboProtocol::new()))
            .start(),
    )
    .await
    .expect("started within the limit")
    .expect("provider started")
}

/// A consumer of the greeter at migration step `step` (`check = false`: it may start
/// before its providers).
async fn consumer(zk: &str, root: &str, step: &str) -> (Running, GreeterClient) {
    let text = format!(
        "[application]\nname = \"app-consumer\"\n\n{}\n[references.greeter]\ninterface = \"{GREETER}\"\n\
         version = \"1.0.0\"\ncheck = false\nretries = 0\ntimeout = 5000\n\
         params = {{ \"migration.step\" = \"{step}\" }}\n",
        registry_table(zk, root, "register-mode = \"interface\"")
    );
    let running = tokio::time::timeout(
        LIMIT,
        Bootstrap::from_config(Config::parse(&text, "consumer.toml").expect("config"))
            .dubbo_protocol(Arc::new(DubboProtocol::new()))
            .start(),
    )
    .await
    .expect("started within the limit")
    .expect("consumer started");
    let client = running.client::<dyn Greeter>("greeter").expect("client");
    (running, client)
}

/// Polls `check` every 10 ms until it holds, at most [`LIMIT`].
async fn eventually(mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + LIMIT;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn answers(client: &GreeterClient, from: &str) -> bool {
    client.say_hello("x".into()).await.as_deref() == Ok(from)
}

async fn unavailable(client: &GreeterClient) -> bool {
    matches!(
        client.say_hello("x".into()).await,
        Err(RpcError::Unavailable(_))
    )
}

async fn interface_nodes(client: &zookeeper_client::Client, root: &str) -> Vec<String> {
    zk_children(client, &format!("/{root}/{GREETER}/providers")).await
}

/// The instances of `application` under `root`, as a consumer reads them.
async fn instances(
    client: &zookeeper_client::Client,
    root: &str,
    application: &str,
) -> Vec<ServiceInstance> {
    let mut found = Vec::new();
    for node in zk_children(client, &format!("/{root}/{application}")).await {
        let (data, _) = client
            .get_data(&format!("/{root}/{application}/{node}"))
            .await
            .expect("instance node");
        found.push(ServiceInstance::from_curator_json(&data).expect("instance JSON"));
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_mode_provider_is_found_and_called_at_force_application() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxitest-app-e2e-a-");
    let provider = provider(&zk, &root, "app-a", "instance", "").await;
    let zkc = zk_client(&zk).await;
    assert!(
        interface_nodes(&zkc, &root).await.is_empty(),
        "instance only"
    );
    assert_eq!(instances(&zkc, &root, "app-a").await.len(), 1);

    let (consumer, client) = consumer(&zk, &root, "FORCE_APPLICATION").await;
    assert_eq!(client.say_hello("x".into()).await.unwrap(), "app-a");
    assert_eq!(client.add(2, 3).await.unwrap(), 5);
    assert_eq!(client.get_user(7).await.unwrap().name, "user-7");
    // Found through the mapping, written by the provider.
    let (mapping, _) = zkc
        .get_data(&format!("/{root}/mapping/{GREETER}"))
        .await
        .expect("mapping");
    assert_eq!(String::from_utf8_lossy(&mapping), "app-a");
    consumer.shutdown().await;
    provider.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_all_mode_provider_is_called_at_application_level_when_application_first() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxitest-app-e2e-b-");
    let provider = provider(&zk, &root, "app-all", "all", "").await;
    let zkc = zk_client(&zk).await;
    let nodes = interface_nodes(&zkc, &root).await;
    assert_eq!(
        nodes.len(),
        1,
        "all: the interface-level node too: {nodes:?}"
    );
    assert_eq!(
        instances(&zkc, &root, "app-all").await.len(),
        1,
        "and the instance"
    );

    let (consumer, client) = consumer(&zk, &root, "APPLICATION_FIRST").await;
    assert!(answers(&client, "app-all").await);
    // The interface-level node deleted by hand: the consumer, on the application level,
    // goes on calling (at interface level it would have no provider left).
    zkc.delete(&format!("/{root}/{GREETER}/providers/{}", nodes[0]), None)
        .await
        .expect("deleted");
    assert!(interface_nodes(&zkc, &root).await.is_empty());
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..20 {
        assert_eq!(client.say_hello("x".into()).await.unwrap(), "app-all");
    }
    consumer.shutdown().await;
    provider.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_removed_and_restarted_on_a_new_port_is_followed() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxitest-app-e2e-c-");
    let first = provider(&zk, &root, "app-c", "instance", "").await;
    let first_port = first.provider_urls()["greeter"].port();
    let (consumer, client) = consumer(&zk, &root, "FORCE_APPLICATION").await;
    assert!(answers(&client, "app-c").await);

    first.shutdown().await;
    let zkc = zk_client(&zk).await;
    assert!(instances(&zkc, &root, "app-c").await.is_empty());
    assert!(
        eventually(async || unavailable(&client).await).await,
        "the removed instance is gone from the consumer"
    );

    let second = provider(&zk, &root, "app-c", "instance", "").await;
    let second_port = second.provider_urls()["greeter"].port();
    assert_ne!(first_port, second_port, "a new port");
    assert!(
        eventually(async || answers(&client, "app-c").await).await,
        "the restarted instance is called"
    );
    let found = instances(&zkc, &root, "app-c").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].port, Some(second_port));
    consumer.shutdown().await;
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applications_of_one_interface_are_both_mapped_and_called() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxitest-app-e2e-d-");
    let (a, b) = tokio::join!(
        provider(&zk, &root, "app-one", "instance", ""),
        provider(&zk, &root, "app-two", "instance", "")
    );
    let zkc = zk_client(&zk).await;
    let (mapping, _) = zkc
        .get_data(&format!("/{root}/mapping/{GREETER}"))
        .await
        .expect("mapping");
    let mut mapped: Vec<String> = String::from_utf8_lossy(&mapping)
        .split(',')
        .map(str::to_owned)
        .collect();
    mapped.sort();
    assert_eq!(mapped, ["app-one", "app-two"]);

    let (consumer, client) = consumer(&zk, &root, "FORCE_APPLICATION").await;
    let (mut one, mut two) = (0, 0);
    for _ in 0..200 {
        match client.say_hello("x".into()).await.unwrap().as_str() {
            "app-one" => one += 1,
            "app-two" => two += 1,
            other => panic!("answered by {other}"),
        }
    }
    assert!(one > 0 && two > 0, "calls reach both: {one} and {two}");
    consumer.shutdown().await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_metadata_provider_is_found_through_the_report() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxitest-app-e2e-e-");
    let provider = provider(
        &zk,
        &root,
        "app-remote",
        "instance",
        "\"metadata-type\" = \"remote\"",
    )
    .await;
    let zkc = zk_client(&zk).await;
    let found = instances(&zkc, &root, "app-remote").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].storage_type(), MetadataStorageType::Remote);
    let revision = found[0].revision().expect("revision").to_owned();
    assert!(
        zkc.check_stat(&format!("/{root}/metadata/app-remote/{revision}"))
            .await
            .expect("stat")
            .is_some(),
        "the report of the revision"
    );

    let (consumer, client) = consumer(&zk, &root, "FORCE_APPLICATION").await;
    assert_eq!(client.say_hello("x".into()).await.unwrap(), "app-remote");
    consumer.shutdown().await;
    provider.shutdown().await;
}

/// ZooKeeper's `wchs` summary: the total of data watches the server holds (its summary
/// leaves children watches out).
async fn server_watches(address: &str) -> usize {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(b"wchs").await.expect("wchs");
    let mut text = String::new();
    stream.read_to_string(&mut text).await.expect("answer");
    text.lines()
        .find_map(|l| l.strip_prefix("Total watches:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("wchs answered {text:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroyed_references_leave_no_watch_behind() {
    if zookeeper().is_none() {
        return;
    }
    // A server of its own, so that its watch count is this test's.
    let own = OwnZookeeper::start("app-e2e-watches");
    let zk = own.address();
    let root = unique_name("oxitest-app-e2e-f-");
    let provider = provider(&zk, &root, "app-f", "all", "").await;
    let dubbo = Arc::new(DubboProtocol::new());
    let consumer = RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", dubbo));
    let registry_url = Url::parse(&format!("zookeeper://{zk}?group={root}")).expect("URL");
    let registry = consumer.registry(&registry_url).await.expect("registry");
    let (before, watches_before) = (registry.counts(), server_watches(&zk).await);

    for step in ["FORCE_APPLICATION", "APPLICATION_FIRST", "FORCE_INTERFACE"] {
        let reference = Url::parse(&format!(
            "consumer://127.0.0.1/{GREETER}?interface={GREETER}&version=1.0.0&timeout=5000\
             &migration.step={step}"
        ))
        .expect("reference");
        let invoker = tokio::time::timeout(LIMIT, consumer.refer_from(&registry_url, &reference))
            .await
            .expect("referred within the limit")
            .expect("referred");
        let client = GreeterClient::new(Arc::clone(&invoker));
        assert_eq!(
            client.say_hello("x".into()).await.unwrap(),
            "app-f",
            "{step}"
        );
        let during = registry.counts();
        assert!(
            during.subscriptions > before.subscriptions,
            "{step}: {during:?}"
        );
        assert!(during.watches > before.watches, "{step}: {during:?}");
        // The application level's data watches (the mapping node, each instance node) are
        // on the server. `wchs` sums data watches only, so the children watches (the
        // interface level's, the instance folder's) are checked through the registry's
        // counts only.
        let watching = server_watches(&zk).await;
        if step != "FORCE_INTERFACE" {
            assert!(
                watching > watches_before,
                "{step}: {watching} watches, before {watches_before}"
            );
        }
        invoker.destroy();
        assert!(
            eventually(async || registry.counts() == before).await,
            "{step}: the registry holds {:?}, before {before:?}",
            registry.counts()
        );
        assert!(
            eventually(async || server_watches(&zk).await <= watches_before).await,
            "{step}: ZooKeeper holds {} watches, before {watches_before}",
            server_watches(&zk).await
        );
    }
    drop(registry);
    consumer.destroy().await;
    provider.shutdown().await;
}
