//! The etcd registry against a real etcd (`OXIDUBBO_ETCD`, started by scripts/test.sh):
//! dubbo-go's key layout read back with `etcdctl` (an independent client), a key written
//! with `etcdctl` found by an oxidubbo consumer, providers joining and leaving, and
//! cleaning up every key and the lease on destroy.
//!
//! Each test uses its own root (`group` of the registry URL) or checks only its own keys, so
//! the tests run in parallel against one server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxidubbo_examples::{GreeterClient, greeter_service};
use oxidubbo_integration_tests::etcd::{etcd, etcdctl, etcdctl_get_prefix};
use oxidubbo_integration_tests::{free_port, unique_name};
use oxidubbo_invoker::{Invoker, RpcError, ServiceInvoker, Url};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use oxidubbo_registry::{EtcdRegistry, Protocols, Registry, RegistryProtocol};

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";

fn registry_url(etcd: &str, root: &str) -> Url {
    Url::parse(&format!("etcdv3://{etcd}?group={root}")).unwrap()
}

fn provider_url(interface: &str, port: u16) -> Url {
    Url::parse(&format!(
        "dubbo://127.0.0.1:{port}/{interface}?application=oxidubbo-test&interface={interface}\
         &methods=add,echo,fail,getUser,sayHello&pid=7&side=provider&timestamp=1700000000000&version=1.0.0"
    ))
    .unwrap()
}

fn reference(interface: &str) -> Url {
    Url::parse(&format!(
        "consumer://127.0.0.1/{interface}?interface={interface}&version=1.0.0&check=false&timeout=3000"
    ))
    .unwrap()
}

fn greeter(url: Url) -> Arc<dyn Invoker> {
    Arc::new(ServiceInvoker::new(Arc::new(url), greeter_service()))
}

/// Polls `f` every 10 ms until it returns true or `limit` passes (a hang guard).
async fn within<F, Fut>(limit: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if f().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn calls_ok(client: &GreeterClient) -> bool {
    use oxidubbo_examples::Greeter;
    matches!(
        client.say_hello("etcd".into()).await.as_deref(),
        Ok("Hello, etcd")
    )
}

async fn unavailable(client: &GreeterClient) -> bool {
    use oxidubbo_examples::Greeter;
    matches!(
        client.say_hello("x".into()).await,
        Err(RpcError::Unavailable(_))
    )
}

/// The lease of `key` as etcdctl reports it (`get -w json`), 0 when it has none.
fn lease_of(etcd: &str, key: &str) -> i64 {
    let out = etcdctl(etcd, &["get", key, "-w", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    json["kvs"][0]["lease"].as_i64().unwrap_or(0)
}

#[tokio::test]
async fn provider_key_has_dubbo_go_layout_and_goes_on_destroy() {
    let Some(etcd) = etcd() else { return };
    let port = free_port();
    let dubbo = Arc::new(DubboProtocol::new());
    let rp = RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", dubbo.clone()));
    // The default root, /dubbo, as dubbo-go writes it.
    let registry = Url::parse(&format!("etcdv3://{etcd}")).unwrap();
    let _exporter = rp
        .export_to(&registry, greeter(provider_url(GREETER, port)))
        .await
        .unwrap();

    // dubbo-go: /dubbo/<interface>/providers/<url.QueryEscape(url)>, value "", under a lease;
    // the URL as Dubbo writes it (parameters sorted, no pid, dubbo=2.0.2).
    let expected = format!(
        "dubbo%3A%2F%2F127.0.0.1%3A{port}%2Forg.apache.dubbo.samples.api.GreeterService%3F\
         application%3Doxidubbo-test%26dubbo%3D2.0.2%26interface%3Dorg.apache.dubbo.samples.api.GreeterService\
         %26methods%3Dadd%2Cecho%2Cfail%2CgetUser%2CsayHello%26side%3Dprovider\
         %26timestamp%3D1700000000000%26version%3D1.0.0"
    );
    let dir = format!("/dubbo/{GREETER}/providers");
    let key = format!("{dir}/{expected}");
    let listed = etcdctl_get_prefix(&etcd, &format!("{dir}/"));
    let found = listed.iter().find(|(k, _)| *k == key);
    assert_eq!(
        found.map(|(_, v)| v.as_str()),
        Some(""),
        "{key}\nnot in {listed:#?}"
    );
    let lease = lease_of(&etcd, &key);
    assert_ne!(lease, 0, "the provider key is under a lease");
    // The lease is kept alive with dubbo-go's TTL.
    let ttl = etcdctl(&etcd, &["lease", "timetolive", &format!("{lease:x}")]);
    assert!(ttl.contains("granted with TTL(30s)"), "{ttl}");
    // The parent keys exist, empty and without a lease, as dubbo-go's CreatePath leaves them.
    for parent in ["/dubbo", &format!("/dubbo/{GREETER}"), &dir] {
        let got = etcdctl_get_prefix(&etcd, parent);
        assert!(
            got.iter().any(|(k, v)| k == parent && v.is_empty()),
            "{parent}: {got:?}"
        );
        assert_eq!(lease_of(&etcd, parent), 0, "{parent} has no lease");
    }
    // Dubbo reads it back: decode, parse.
    let back = Url::from_node_name(&expected).unwrap();
    assert_eq!(back.port(), port);

    rp.destroy().await;
    assert!(rp.counts().is_empty());
    assert!(dubbo.counts().is_empty(), "{:?}", dubbo.counts());
    let left = etcdctl_get_prefix(&etcd, &format!("{dir}/"));
    assert!(
        !left.iter().any(|(k, _)| *k == key),
        "unregistered on destroy: {left:?}"
    );
    let revoked = etcdctl(&etcd, &["lease", "timetolive", &format!("{lease:x}")]);
    assert!(
        revoked.contains("already expired"),
        "lease revoked: {revoked}"
    );
}

#[tokio::test]
async fn consumer_discovers_calls_and_sees_the_provider_go() {
    let Some(etcd) = etcd() else { return };
    let root = unique_name("oxitest-join-");
    let reg = registry_url(&etcd, &root);
    let consumer_dubbo = Arc::new(DubboProtocol::new());
    let consumer =
        RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", consumer_dubbo.clone()));
    let invoker = consumer
        .refer_from(&reg, &reference(GREETER))
        .await
        .unwrap();
    let client = GreeterClient::new(Arc::clone(&invoker));
    assert!(unavailable(&client).await, "no provider yet");

    // The consumer registered itself, dubbo-go's way.
    let consumers = etcdctl_get_prefix(&etcd, &format!("/{root}/{GREETER}/consumers/"));
    assert_eq!(consumers.len(), 1, "{consumers:?}");
    let name = consumers[0]
        .0
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(name.starts_with("consumer%3A%2F%2F127.0.0.1%2F"), "{name}");
    assert!(name.contains("category%3Dconsumers"), "{name}");

    // Join.
    let provider_dubbo = Arc::new(DubboProtocol::new());
    let provider =
        RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", provider_dubbo.clone()));
    let started = Instant::now();
    provider
        .export_to(&reg, greeter(provider_url(GREETER, free_port())))
        .await
        .unwrap();
    assert!(
        within(Duration::from_secs(10), || calls_ok(&client)).await,
        "provider not seen"
    );
    println!("join seen after {:?}", started.elapsed());

    // Leave.
    let started = Instant::now();
    provider.destroy().await;
    assert!(
        within(Duration::from_secs(10), || unavailable(&client)).await,
        "provider still used after it left"
    );
    println!("leave seen after {:?}", started.elapsed());
    assert_eq!(consumer_dubbo.counts().invokers, 0);

    let consumer_registry = consumer.registry(&reg).await.unwrap();
    consumer.destroy().await;
    assert!(
        consumer_registry.counts().is_empty(),
        "{:?}",
        consumer_registry.counts()
    );
    assert!(
        consumer_dubbo.counts().is_empty(),
        "{:?}",
        consumer_dubbo.counts()
    );
    for category in ["providers", "consumers"] {
        let left = etcdctl_get_prefix(&etcd, &format!("/{root}/{GREETER}/{category}/"));
        assert!(left.is_empty(), "{category}: {left:?}");
    }
}

#[tokio::test]
async fn key_written_with_etcdctl_is_discovered() {
    let Some(etcd) = etcd() else { return };
    let root = unique_name("oxitest-ctl-");
    // A provider served without any registry…
    let port = free_port();
    let dubbo = DubboProtocol::new();
    let url = provider_url(GREETER, port);
    dubbo.export(greeter(url.clone())).await.unwrap();

    // …and a consumer referred through etcd.
    let consumer_dubbo = Arc::new(DubboProtocol::new());
    let consumer =
        RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", consumer_dubbo.clone()));
    let reg = registry_url(&etcd, &root);
    let invoker = consumer
        .refer_from(&reg, &reference(GREETER))
        .await
        .unwrap();
    let client = GreeterClient::new(Arc::clone(&invoker));
    assert!(unavailable(&client).await);

    // etcdctl writes the provider key in dubbo-go's layout, by hand: the consumer calls it.
    let key = format!(
        "/{root}/{GREETER}/providers/{}",
        Url::encode_component(&url.to_full_string())
    );
    etcdctl(&etcd, &["put", &key, ""]);
    assert!(
        within(Duration::from_secs(10), || calls_ok(&client)).await,
        "the key written with etcdctl was not discovered"
    );
    // A key of another version is not for this consumer.
    let other = provider_url(GREETER, free_port()).with_param("version", "2.0.0");
    let other_key = format!(
        "/{root}/{GREETER}/providers/{}",
        Url::encode_component(&other.to_full_string())
    );
    etcdctl(&etcd, &["put", &other_key, ""]);
    etcdctl(&etcd, &["del", &key]);
    assert!(
        within(Duration::from_secs(10), || unavailable(&client)).await,
        "the key deleted with etcdctl is still used"
    );
    etcdctl(&etcd, &["del", "--prefix", &format!("/{root}/")]);
    consumer.destroy().await;
    assert!(consumer_dubbo.counts().is_empty());
    dubbo.destroy().await;
}

#[tokio::test]
async fn lookup_unregister_and_destroy_counts() {
    let Some(etcd) = etcd() else { return };
    let root = unique_name("oxitest-lookup-");
    let reg = Arc::new(
        EtcdRegistry::connect(registry_url(&etcd, &root))
            .await
            .unwrap(),
    );
    let a = provider_url(GREETER, free_port());
    let b = provider_url(GREETER, free_port()).with_param("dynamic", "false");
    reg.register(&a).await.unwrap();
    reg.register(&b).await.unwrap();
    assert_eq!(reg.counts().registered, 2);
    assert_eq!(reg.lookup(&reference(GREETER)).await.unwrap().len(), 2);
    assert_ne!(lease_of(&etcd, &reg.node_key(&a)), 0);
    assert_eq!(
        lease_of(&etcd, &reg.node_key(&b)),
        0,
        "dynamic=false: no lease"
    );
    reg.unregister(&a).await.unwrap();
    let found = reg.lookup(&reference(GREETER)).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].port(), b.port());
    reg.destroy().await;
    assert!(reg.counts().is_empty(), "{:?}", reg.counts());
    assert!(matches!(
        reg.register(&a).await,
        Err(oxidubbo_registry::RegistryError::Destroyed(_))
    ));
    let left = etcdctl_get_prefix(&etcd, &format!("/{root}/{GREETER}/providers/"));
    assert!(
        left.is_empty(),
        "destroy deletes keys without a lease too: {left:?}"
    );
}

/// A provider side (two providers through one registry protocol) and a failover consumer
/// under load, on an etcd of the test's own.
struct Load {
    stop: Arc<std::sync::atomic::AtomicBool>,
    ok: Arc<std::sync::atomic::AtomicUsize>,
    failed: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Load {
    fn start(client: GreeterClient) -> Load {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn({
            let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    if calls_ok(&client).await {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        });
        Load {
            stop,
            ok,
            failed,
            task,
        }
    }

    fn counts(&self) -> (usize, usize) {
        use std::sync::atomic::Ordering;
        (
            self.ok.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }

    async fn stop(self) -> (usize, usize) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let counts = (self.ok.clone(), self.failed.clone());
        self.task.await.unwrap();
        let ordering = std::sync::atomic::Ordering::Relaxed;
        (counts.0.load(ordering), counts.1.load(ordering))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_killed_and_restarted_under_failover_load() {
    use oxidubbo_integration_tests::etcd::OwnEtcd;
    // Needs an etcd installation; OXIDUBBO_ETCD says the test run has one. This test starts
    // (kills, restarts) its own server on its own ports and data dir.
    let Some(_) = etcd() else { return };
    let own = OwnEtcd::start("restart");
    let addr = own.address();
    const TTL: u64 = 6;
    let reg = Url::parse(&format!(
        "etcdv3://{addr}?group=oxitest-restart&ttl={TTL}&timeout=1000"
    ))
    .unwrap();
    let provider_dubbo = Arc::new(DubboProtocol::new());
    let provider =
        RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", provider_dubbo.clone()));
    let mut exporters = Vec::new();
    for _ in 0..2 {
        exporters.push(
            provider
                .export_to(&reg, greeter(provider_url(GREETER, free_port())))
                .await
                .unwrap(),
        );
    }
    let consumer_dubbo = Arc::new(DubboProtocol::new());
    let consumer =
        RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", consumer_dubbo.clone()));
    let failover = reference(GREETER)
        .with_param("cluster", "failover")
        .with_param("retries", "2");
    let invoker = consumer.refer_from(&reg, &failover).await.unwrap();
    let cd = consumer_dubbo.clone();
    assert!(
        within(Duration::from_secs(10), || {
            let n = cd.counts().invokers;
            async move { n == 2 }
        })
        .await,
        "both providers seen"
    );
    let prefix = format!("/oxitest-restart/{GREETER}/providers/");
    let keys = || etcdctl_get_prefix(&addr, &prefix);
    let first_lease = lease_of(&addr, &keys()[0].0);

    // 1. etcd killed (SIGKILL) and restarted with its data, under load.
    let load = Load::start(GreeterClient::new(Arc::clone(&invoker)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    own.kill_server();
    let provider_registry = provider.registry(&reg).await.unwrap();
    assert!(
        within(Duration::from_secs(10), || {
            let up = provider_registry.is_available();
            async move { !up }
        })
        .await,
        "the provider registry noticed etcd is gone"
    );
    // Calls go on while etcd is away.
    let (ok_before, _) = load.counts();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (ok_during, failed_during) = load.counts();
    assert!(ok_during > ok_before, "calls went on while etcd was down");
    assert_eq!(failed_during, 0);
    own.start_server();
    let back = Instant::now();
    assert!(
        within(Duration::from_secs(TTL), || {
            let n = keys().len();
            async move { n == 2 }
        })
        .await,
        "provider keys not back within the lease TTL: {:?}",
        keys()
    );
    println!(
        "after a restart with data: keys back in {:?}",
        back.elapsed()
    );
    assert!(
        within(Duration::from_secs(10), || {
            let up = provider_registry.is_available();
            async move { up }
        })
        .await,
        "the provider registry reconnected"
    );

    // 2. etcd replaced by an empty one (data lost): the lease is gone, the providers put
    // their keys again under a new lease, the consumer's watch lists again. The consumer
    // first sees the old store's revision move well ahead (writes of a key that is not a
    // URL, in its folder), so that the new store's revisions stay behind what it saw: a
    // watch that only resumed from its last revision would miss the changes below.
    let noise = format!("{prefix}not-a-url");
    for i in 0..40 {
        etcdctl(&addr, &["put", &noise, &i.to_string()]);
    }
    let seen = etcdctl(&addr, &["get", &noise, "-w", "json"]);
    let seen: serde_json::Value = serde_json::from_str(&seen).unwrap();
    let old_revision = seen["header"]["revision"].as_i64().unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    own.stop_server();
    own.start_server();
    let back = Instant::now();
    assert!(
        within(Duration::from_secs(TTL), || {
            let n = keys().len();
            async move { n == 2 }
        })
        .await,
        "provider keys not back within the lease TTL after the data was lost: {:?}",
        keys()
    );
    println!(
        "after a restart without data: keys back in {:?}",
        back.elapsed()
    );
    let second_lease = lease_of(&addr, &keys()[0].0);
    let now = etcdctl(&addr, &["get", "/", "-w", "json"]);
    let now: serde_json::Value = serde_json::from_str(&now).unwrap();
    let new_revision = now["header"]["revision"].as_i64().unwrap_or(i64::MAX);
    assert!(
        new_revision < old_revision,
        "the new store is behind the old one: {new_revision} vs {old_revision}"
    );
    assert_ne!(second_lease, 0);
    assert_ne!(second_lease, first_lease, "a new lease");

    // The consumer follows changes made after both restarts: a third provider joins, one
    // leaves.
    exporters.push(
        provider
            .export_to(&reg, greeter(provider_url(GREETER, free_port())))
            .await
            .unwrap(),
    );
    assert!(
        within(Duration::from_secs(10), || {
            let n = cd.counts().invokers;
            async move { n == 3 }
        })
        .await,
        "the third provider not seen: {:?}",
        cd.counts()
    );
    let leaving = exporters.remove(0);
    leaving.unexport().await;
    assert!(
        within(Duration::from_secs(10), || {
            let n = cd.counts().invokers;
            async move { n == 2 }
        })
        .await,
        "the leaving provider still listed: {:?}",
        cd.counts()
    );
    let (ok, failed) = load.stop().await;
    println!("failover load: {ok} calls ok, {failed} failed");
    assert_eq!(failed, 0, "no call failed while the providers stayed up");
    assert!(ok > 0);

    drop(provider_registry);
    consumer.destroy().await;
    provider.destroy().await;
    assert!(
        consumer_dubbo.counts().is_empty(),
        "{:?}",
        consumer_dubbo.counts()
    );
    assert!(
        provider_dubbo.counts().is_empty(),
        "{:?}",
        provider_dubbo.counts()
    );
    assert!(keys().is_empty(), "{:?}", keys());
}

#[tokio::test]
async fn destroy_is_bounded_with_etcd_down() {
    use oxidubbo_integration_tests::etcd::OwnEtcd;
    let Some(_) = etcd() else { return };
    let own = OwnEtcd::start("down");
    let reg = Url::parse(&format!(
        "etcdv3://{}?group=oxitest-down&timeout=1000",
        own.address()
    ))
    .unwrap();
    let registry = EtcdRegistry::connect(reg).await.unwrap();
    registry
        .register(&provider_url(GREETER, free_port()))
        .await
        .unwrap();
    own.kill_server();
    // A request fails within its time limit instead of waiting for etcd.
    let started = Instant::now();
    let looked = registry.lookup(&reference(GREETER)).await;
    assert!(looked.is_err(), "{looked:?}");
    println!("lookup failed after {:?}", started.elapsed());
    // Destroy does not wait for etcd (hang guard: 30 s).
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(30), registry.destroy())
        .await
        .expect("destroy returns with etcd down");
    println!("destroy with etcd down took {:?}", started.elapsed());
    assert!(registry.counts().is_empty(), "{:?}", registry.counts());
}

/// Keeps the last list a subscription was notified with.
#[derive(Default)]
struct LastList(std::sync::Mutex<Vec<Url>>);

#[async_trait::async_trait]
impl oxidubbo_registry::NotifyListener for LastList {
    async fn notify(&self, urls: Vec<Url>) {
        *self.0.lock().unwrap() = urls;
    }
}

impl LastList {
    fn ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|u| u.protocol() != "empty")
            .map(|u| u.port())
            .collect();
        ports.sort_unstable();
        ports
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_resumed_past_a_compaction_lists_again() {
    use oxidubbo_integration_tests::etcd::OwnEtcd;
    let Some(_) = etcd() else { return };
    let own = OwnEtcd::start("compact");
    let addr = own.address();
    let reg = Url::parse(&format!(
        "etcdv3://{addr}?group=oxitest-compact&timeout=1000"
    ))
    .unwrap();
    let registry = EtcdRegistry::connect(reg).await.unwrap();
    let last = Arc::new(LastList::default());
    let listener: Arc<dyn oxidubbo_registry::NotifyListener> = last.clone();
    registry
        .subscribe(&reference(GREETER), listener.clone())
        .await
        .unwrap();
    let key = |url: &Url| {
        format!(
            "/oxitest-compact/{GREETER}/providers/{}",
            Url::encode_component(&url.to_full_string())
        )
    };
    let a = provider_url(GREETER, 20001);
    etcdctl(&addr, &["put", &key(&a), ""]);
    assert!(
        within(Duration::from_secs(10), || {
            let ports = last.ports();
            async move { ports == [20001] }
        })
        .await
    );

    // etcd goes away long enough for the watch to back off; when it is back, changes are
    // made and the history compacted before the watch resumes: resuming from the last
    // revision seen is refused (compacted), the category is listed again.
    own.kill_server();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    own.start_server();
    let b = provider_url(GREETER, 20002);
    etcdctl(&addr, &["put", &key(&b), ""]);
    etcdctl(&addr, &["del", &key(&a)]);
    let status = etcdctl(&addr, &["get", "/", "-w", "json"]);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    let revision = status["header"]["revision"].as_i64().unwrap();
    etcdctl(&addr, &["compact", &revision.to_string()]);
    assert!(
        within(Duration::from_secs(10), || {
            let ports = last.ports();
            async move { ports == [20002] }
        })
        .await,
        "after the compaction the consumer lists {:?}",
        last.ports()
    );
    // And it goes on watching.
    let c = provider_url(GREETER, 20003);
    etcdctl(&addr, &["put", &key(&c), ""]);
    assert!(
        within(Duration::from_secs(10), || {
            let ports = last.ports();
            async move { ports == [20002, 20003] }
        })
        .await,
        "{:?}",
        last.ports()
    );
    registry
        .unsubscribe(&reference(GREETER), &listener)
        .await
        .unwrap();
    registry.destroy().await;
    assert!(registry.counts().is_empty(), "{:?}", registry.counts());
    assert_eq!(
        Arc::strong_count(&last),
        2,
        "the registry dropped the listener"
    );
}

/// `check` at start, against a loopback port where nothing listens: by default (`check=true`)
/// `connect` fails saying which etcd; with `check=false` the registry starts disconnected,
/// keeps what is registered and subscribed (nothing to wait for), and a lookup fails.
#[tokio::test]
async fn check_false_starts_without_etcd_check_true_fails() {
    let nobody = format!("127.0.0.1:{}", free_port());
    let guard = Duration::from_secs(30);

    let checked = Url::parse(&format!(
        "etcdv3://{nobody}?group=oxitest-check&timeout=1000"
    ))
    .unwrap();
    let failed = tokio::time::timeout(guard, EtcdRegistry::connect(checked))
        .await
        .expect("connect gives up within its timeout");
    let Err(e) = failed else {
        panic!("check=true started without etcd")
    };
    let message = e.to_string();
    assert!(
        message.contains(&nobody) && message.contains("unreachable"),
        "{message}"
    );

    let unchecked = Url::parse(&format!(
        "etcdv3://{nobody}?group=oxitest-check&timeout=1000&check=false"
    ))
    .unwrap();
    let registry = tokio::time::timeout(guard, EtcdRegistry::connect(unchecked))
        .await
        .expect("connect returns")
        .expect("check=false starts without etcd");
    assert!(!registry.is_available());
    assert_eq!(registry.lease_id(), None);
    let provider = provider_url(GREETER, free_port());
    tokio::time::timeout(guard, registry.register(&provider))
        .await
        .expect("register returns")
        .expect("check=false: registering without etcd is kept, not an error");
    let last = Arc::new(LastList::default());
    let listener: Arc<dyn oxidubbo_registry::NotifyListener> = last.clone();
    tokio::time::timeout(guard, registry.subscribe(&reference(GREETER), listener))
        .await
        .expect("subscribe returns")
        .expect("check=false: subscribing without etcd is kept, not an error");
    let counts = registry.counts();
    assert_eq!(
        (counts.registered, counts.subscriptions, counts.instances),
        (1, 1, 1),
        "{counts:?}"
    );
    assert!(last.ports().is_empty(), "nothing notified without etcd");
    let looked = tokio::time::timeout(guard, registry.lookup(&reference(GREETER)))
        .await
        .expect("lookup returns");
    assert!(looked.is_err(), "{looked:?}");
    tokio::time::timeout(guard, registry.destroy())
        .await
        .expect("destroy returns without etcd");
    assert!(registry.counts().is_empty(), "{:?}", registry.counts());
}

/// A registry started with `check=false` before its etcd: once etcd is up it grants its
/// lease, puts what was registered meanwhile (interface key and application instance) and
/// notifies the subscription made meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_false_registers_and_notifies_once_etcd_is_up() {
    use oxidubbo_integration_tests::etcd::OwnEtcd;
    // Needs an etcd installation; this test starts its own, after the registry.
    let Some(_) = etcd() else { return };
    let own = OwnEtcd::not_started("check");
    let addr = own.address();
    let reg = Url::parse(&format!(
        "etcdv3://{addr}?group=oxitest-check&ttl=6&timeout=1000&check=false"
    ))
    .unwrap();
    let registry = EtcdRegistry::connect(reg).await.unwrap();
    assert!(!registry.is_available());
    let port = free_port();
    let provider = provider_url(GREETER, port);
    registry.register(&provider).await.unwrap();
    let last = Arc::new(LastList::default());
    let listener: Arc<dyn oxidubbo_registry::NotifyListener> = last.clone();
    registry
        .subscribe(&reference(GREETER), listener.clone())
        .await
        .unwrap();
    assert!(last.ports().is_empty());

    own.start_server();
    let key = registry.node_key(&provider);
    let keys = || etcdctl_get_prefix(&addr, &format!("/oxitest-check/{GREETER}/providers/"));
    assert!(
        within(Duration::from_secs(20), || {
            let found = keys().iter().any(|(k, _)| *k == key);
            async move { found }
        })
        .await,
        "{key} not put once etcd is up: {:?}",
        keys()
    );
    assert_ne!(lease_of(&addr, &key), 0, "put under the registry's lease");
    let instances = etcdctl_get_prefix(&addr, "/oxitest-check/oxidubbo-test/");
    assert_eq!(
        instances.len(),
        1,
        "the application instance: {instances:?}"
    );
    assert!(
        within(Duration::from_secs(20), || {
            let ports = last.ports();
            async move { ports == [port] }
        })
        .await,
        "the subscription made before etcd was up notified {:?}",
        last.ports()
    );
    assert!(
        within(Duration::from_secs(10), || {
            let up = registry.is_available();
            async move { up }
        })
        .await
    );
    assert_eq!(registry.leases_granted(), 1);

    registry
        .unsubscribe(&reference(GREETER), &listener)
        .await
        .unwrap();
    registry.destroy().await;
    assert!(registry.counts().is_empty(), "{:?}", registry.counts());
    assert!(keys().is_empty(), "{:?}", keys());
}
