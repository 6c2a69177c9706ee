//! Application-level discovery end to end on a real etcd (`OXIDUBBO_ETCD`), in dubbo-go's
//! etcd layout: oxidubbo providers started from TOML with an explicit `register-mode` put
//! their instance at `<instances root>/<application>/<host>:<port>` (dubbo-go's
//! `DefaultServiceInstance` JSON, under the registry's lease) and map their interface at
//! `<root>/mapping/<interface>`; oxidubbo consumers at `FORCE_APPLICATION` /
//! `APPLICATION_FIRST` find and call them; a removed provider goes, a restarted one on a new
//! port is followed; `metadata-type=remote` is read through the report; a destroyed
//! reference leaves no subscription or watch behind. The keys are read with `etcdctl`.
//!
//! Each test has its own root (the registry's `group`, which is also the instances root),
//! so the tests run side by side.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxidubbo::config::Config;
use oxidubbo::{Bootstrap, DubboProtocol, Running};
use oxidubbo_examples::{Greeter, GreeterClient, HelloGreeter, User};
use oxidubbo_integration_tests::etcd::{etcd, etcdctl, etcdctl_get_prefix};
use oxidubbo_integration_tests::unique_name;
use oxidubbo_invoker::{RpcError, Value};
use oxidubbo_metadata::{MetadataStorageType, ServiceInstance};

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

fn registry_table(etcd: &str, root: &str, lines: &str) -> String {
    format!("[registries.etcd]\naddress = \"etcdv3://{etcd}\"\ngroup = \"{root}\"\n{lines}\n")
}

async fn provider(
    etcd: &str,
    root: &str,
    name: &'static str,
    register_mode: &str,
    registry_params: &str,
) -> Running {
    let text = format!(
        "[application]\nname = \"{name}\"\n\n{}\n[protocols.dubbo]\nport = 0\n\n[services.greeter]\n",
        registry_table(
            etcd,
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

async fn consumer(etcd: &str, root: &str, step: &str) -> (Running, GreeterClient) {
    let text = format!(
        "[application]\nname = \"app-consumer\"\n\n{}\n[references.greeter]\ninterface = \"{GREETER}\"\n\
         version = \"1.0.0\"\ncheck = false\nretries = 0\ntimeout = 5000\n\
         params = {{ \"migration.step\" = \"{step}\" }}\n",
        registry_table(etcd, root, "register-mode = \"interface\"")
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

fn interface_keys(etcd: &str, root: &str) -> Vec<(String, String)> {
    etcdctl_get_prefix(etcd, &format!("/{root}/{GREETER}/providers/"))
}

/// The instances of `application` under `root`, read with etcdctl as dubbo-go writes them.
fn instances(etcd: &str, root: &str, application: &str) -> Vec<ServiceInstance> {
    etcdctl_get_prefix(etcd, &format!("/{root}/{application}/"))
        .into_iter()
        .filter(|(key, _)| !key.ends_with('/'))
        .map(|(key, value)| {
            ServiceInstance::from_dubbo_go_json(value.as_bytes())
                .unwrap_or_else(|e| panic!("{key}: {e}: {value}"))
        })
        .collect()
}

fn mapping(etcd: &str, root: &str) -> String {
    etcdctl(
        etcd,
        &[
            "get",
            "--print-value-only",
            &format!("/{root}/mapping/{GREETER}"),
        ],
    )
    .trim()
    .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_mode_provider_is_found_and_called_at_force_application() {
    let Some(etcd) = etcd() else { return };
    let root = unique_name("oxitest-app-etcd-a-");
    let provider = provider(&etcd, &root, "app-a", "instance", "").await;
    assert!(interface_keys(&etcd, &root).is_empty(), "instance only");
    let found = instances(&etcd, &root, "app-a");
    assert_eq!(found.len(), 1);
    assert!(found[0].revision().is_some(), "{found:?}");
    // dubbo-go's DefaultServiceInstance JSON, under a lease.
    let key = format!("/{root}/app-a/{}", found[0].id);
    let json = etcdctl(&etcd, &["get", "--print-value-only", &key]);
    let value: serde_json::Value = serde_json::from_str(json.trim()).expect("JSON");
    assert_eq!(value["ServiceName"], "app-a");
    assert_eq!(value["Host"], found[0].address.as_str());
    assert_eq!(value["Enable"], true);
    let kv = etcdctl(&etcd, &["get", &key, "-w", "json"]);
    let kv: serde_json::Value = serde_json::from_str(&kv).expect("JSON");
    assert_ne!(
        kv["kvs"][0]["lease"].as_i64().unwrap_or(0),
        0,
        "under a lease"
    );
    assert_eq!(mapping(&etcd, &root), "app-a");

    let (consumer, client) = consumer(&etcd, &root, "FORCE_APPLICATION").await;
    assert_eq!(client.say_hello("x".into()).await.unwrap(), "app-a");
    assert_eq!(client.add(2, 3).await.unwrap(), 5);
    consumer.shutdown().await;
    provider.shutdown().await;
    assert!(
        instances(&etcd, &root, "app-a").is_empty(),
        "deleted on shutdown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_all_mode_provider_is_called_at_application_level_when_application_first() {
    let Some(etcd) = etcd() else { return };
    let root = unique_name("oxitest-app-etcd-b-");
    let provider = provider(&etcd, &root, "app-all", "all", "").await;
    let keys = interface_keys(&etcd, &root);
    assert_eq!(keys.len(), 1, "all: the interface-level key too: {keys:?}");
    assert_eq!(
        instances(&etcd, &root, "app-all").len(),
        1,
        "and the instance"
    );

    let (consumer, client) = consumer(&etcd, &root, "APPLICATION_FIRST").await;
    assert!(answers(&client, "app-all").await);
    // The interface-level key deleted by hand: the application level goes on.
    etcdctl(&etcd, &["del", &keys[0].0]);
    assert!(interface_keys(&etcd, &root).is_empty());
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..20 {
        assert_eq!(client.say_hello("x".into()).await.unwrap(), "app-all");
    }
    consumer.shutdown().await;
    provider.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_removed_and_restarted_on_a_new_port_is_followed() {
    let Some(etcd) = etcd() else { return };
    let root = unique_name("oxitest-app-etcd-c-");
    let first = provider(&etcd, &root, "app-c", "instance", "").await;
    let first_port = first.provider_urls()["greeter"].port();
    let (consumer, client) = consumer(&etcd, &root, "FORCE_APPLICATION").await;
    assert!(answers(&client, "app-c").await);

    first.shutdown().await;
    assert!(instances(&etcd, &root, "app-c").is_empty());
    assert!(
        eventually(async || unavailable(&client).await).await,
        "the removed instance is gone from the consumer"
    );

    let second = provider(&etcd, &root, "app-c", "instance", "").await;
    let second_port = second.provider_urls()["greeter"].port();
    assert_ne!(first_port, second_port, "a new port");
    assert!(
        eventually(async || answers(&client, "app-c").await).await,
        "the restarted instance is called"
    );
    let found = instances(&etcd, &root, "app-c");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].port, Some(second_port));
    consumer.shutdown().await;
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applications_of_one_interface_are_both_mapped_and_called() {
    let Some(etcd) = etcd() else { return };
    let root = unique_name("oxitest-app-etcd-d-");
    let (a, b) = tokio::join!(
        provider(&etcd, &root, "app-one", "instance", ""),
        provider(&etcd, &root, "app-two", "instance", "")
    );
    let mut mapped: Vec<String> = mapping(&etcd, &root)
        .split(',')
        .map(str::to_owned)
        .collect();
    mapped.sort();
    assert_eq!(mapped, ["app-one", "app-two"], "compare-and-set kept both");

    let (consumer, client) = consumer(&etcd, &root, "FORCE_APPLICATION").await;
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
    let Some(etcd) = etcd() else { return };
    let root = unique_name("oxitest-app-etcd-e-");
    let provider = provider(
        &etcd,
        &root,
        "app-remote",
        "instance",
        "\"metadata-type\" = \"remote\"",
    )
    .await;
    let found = instances(&etcd, &root, "app-remote");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].storage_type(), MetadataStorageType::Remote);
    let revision = found[0].revision().expect("revision").to_owned();
    // The report of the revision: dubbo-go's <root>/<application>/<revision> would be
    // among the instances here (the group is both roots), so at Java's
    // <root>/metadata/<application>/<revision>.
    let report = etcdctl(
        &etcd,
        &[
            "get",
            "--print-value-only",
            &format!("/{root}/metadata/app-remote/{revision}"),
        ],
    );
    assert!(
        report.contains(GREETER),
        "the report of the revision: {report}"
    );

    let (consumer, client) = consumer(&etcd, &root, "FORCE_APPLICATION").await;
    assert_eq!(client.say_hello("x".into()).await.unwrap(), "app-remote");
    consumer.shutdown().await;
    provider.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_level_calls_go_on_while_etcd_restarts_or_loses_its_data() {
    use oxidubbo_integration_tests::etcd::OwnEtcd;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let Some(_) = etcd() else { return };
    let own = OwnEtcd::start("app-restart");
    let addr = own.address();
    let root = "oxitest-app-restart";
    let provider = provider(&addr, root, "app-r", "instance", "ttl = \"6\"").await;
    let (consumer, client) = consumer(&addr, root, "FORCE_APPLICATION").await;
    assert!(eventually(async || answers(&client, "app-r").await).await);

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load = tokio::spawn({
        let (stop, ok, failed, client) = (stop.clone(), ok.clone(), failed.clone(), client.clone());
        async move {
            while !stop.load(Ordering::Relaxed) {
                if answers(&client, "app-r").await {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    });

    // Killed and restarted with its data.
    own.kill_server();
    tokio::time::sleep(Duration::from_secs(2)).await;
    own.start_server();
    assert!(
        eventually(async || instances(&addr, root, "app-r").len() == 1).await,
        "the instance is there after the restart"
    );
    // Replaced by an empty etcd: the provider puts its instance and its mapping back.
    own.stop_server();
    own.start_server();
    assert!(
        eventually(
            async || instances(&addr, root, "app-r").len() == 1 && mapping(&addr, root) == "app-r"
        )
        .await,
        "instance and mapping back after the data was lost"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    println!("application-level load through two etcd restarts: {ok} calls ok, {failed} failed");
    assert_eq!(failed, 0, "no call failed while the provider stayed up");
    assert!(ok > 0);
    consumer.shutdown().await;
    provider.shutdown().await;
}
