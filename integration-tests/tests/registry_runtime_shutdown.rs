//! A registry used from several tokio runtimes (as a process-wide registry protocol is by
//! tests, each with a runtime of its own): when the runtime its tasks were spawned on shuts
//! down, its subscriptions made from another runtime are not left stale for good: the next
//! use of the registry (a refer's subscribe) connects again from the caller's runtime, and
//! every subscription, the old ones too, is notified again.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use oxidubbo_integration_tests::etcd::etcd;
use oxidubbo_integration_tests::runtimes::one_worker;
use oxidubbo_integration_tests::{unique_name, zookeeper};
use oxidubbo_invoker::Url;
use oxidubbo_registry::{EtcdRegistry, NotifyListener, Registry, ZookeeperRegistry};

/// Bounds every wait: far longer than a notification takes, so only a registry that never
/// notifies again fails it.
const DETECTOR: Duration = Duration::from_secs(30);

const INTERFACE: &str = "org.apache.dubbo.samples.api.RuntimeShutdown";

fn provider(port: u16) -> Url {
    Url::parse(&format!(
        "dubbo://127.0.0.1:{port}/{INTERFACE}?interface={INTERFACE}&side=provider"
    ))
    .unwrap()
}

/// The ports of the providers each notification listed.
#[derive(Default)]
struct Ports(Mutex<Vec<Vec<u16>>>);

#[async_trait]
impl NotifyListener for Ports {
    async fn notify(&self, urls: Vec<Url>) {
        let ports = urls.iter().map(Url::port).filter(|p| *p != 0).collect();
        self.0.lock().unwrap().push(ports);
    }
}

impl Ports {
    /// Whether the last notification listed exactly `ports`, waiting for it (bounded).
    fn lists(&self, ports: &[u16]) -> bool {
        let deadline = Instant::now() + DETECTOR;
        loop {
            let last = self.0.lock().unwrap().last().cloned();
            if last.as_deref() == Some(ports) {
                return true;
            }
            if Instant::now() >= deadline {
                eprintln!("last notification: {last:?}, wanted {ports:?}");
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Providers come and go through `providers`, on runtime `s` that lives on; `connect`
/// makes the consumers' registry, whose tasks run on runtime `a`; runtime `b` subscribes.
fn subscriptions_recover<R, F>(connect: F)
where
    R: Registry + 'static,
    F: Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = R>>>,
{
    let consumer: Url = format!(
        "consumer://127.0.0.1/{INTERFACE}?interface={INTERFACE}&category=providers&check=false"
    )
    .parse()
    .unwrap();
    let s = one_worker();
    let providers = s.block_on(connect());
    s.block_on(providers.register(&provider(1001))).unwrap();

    let a = one_worker();
    let registry = a.block_on(connect());
    let b = one_worker();
    let old = Arc::new(Ports::default());
    b.block_on(registry.subscribe(&consumer, Arc::clone(&old) as Arc<dyn NotifyListener>))
        .unwrap();
    assert!(old.lists(&[1001]));

    a.shutdown_timeout(Duration::from_secs(2));
    s.block_on(providers.register(&provider(1002))).unwrap();

    // The next refer's subscribe, from `b`, connects again: it and the old subscription
    // see the provider that came meanwhile.
    let new = Arc::new(Ports::default());
    let subscribed = b.block_on(async {
        tokio::time::timeout(
            DETECTOR,
            registry.subscribe(&consumer, Arc::clone(&new) as Arc<dyn NotifyListener>),
        )
        .await
    });
    subscribed.expect("subscribe ended").unwrap();
    assert!(new.lists(&[1001, 1002]));
    assert!(old.lists(&[1001, 1002]));

    // And both keep being notified.
    s.block_on(providers.unregister(&provider(1001))).unwrap();
    assert!(new.lists(&[1002]));
    assert!(old.lists(&[1002]));
    assert!(registry.is_available());

    b.block_on(registry.destroy());
    s.block_on(providers.destroy());
}

#[test]
fn zookeeper_subscriptions_recover_on_the_next_use_after_the_registrys_runtime_shut_down() {
    let Some(zk) = zookeeper() else {
        return;
    };
    let url: Url = format!(
        "zookeeper://{zk}?group={}&session=10000",
        unique_name("runtime-shutdown")
    )
    .parse()
    .unwrap();
    subscriptions_recover(|| {
        let url = url.clone();
        Box::pin(async move { ZookeeperRegistry::connect(url).await.unwrap() })
    });
}

#[test]
fn etcd_subscriptions_recover_on_the_next_use_after_the_registrys_runtime_shut_down() {
    let Some(etcd) = etcd() else {
        return;
    };
    let url: Url = format!(
        "etcdv3://{etcd}?group={}&ttl=5",
        unique_name("runtime-shutdown")
    )
    .parse()
    .unwrap();
    subscriptions_recover(|| {
        let url = url.clone();
        Box::pin(async move { EtcdRegistry::connect(url).await.unwrap() })
    });
}
