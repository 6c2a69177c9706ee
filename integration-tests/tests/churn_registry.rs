//! Churn under a live global, registry-driven: a provider joins (export + register) and
//! leaves (unregister + unexport) over and over while a consumer, referred through the
//! registry, follows it — all on the process-wide dubbo protocol, which serves other
//! traffic throughout. After each cycle the provider's URL data is released
//! (`WeakUrl`); after all of them the live heap (counting allocator) is back within
//! 64 KiB of its level after the first 100 cycles, and the runtime's tasks and the
//! process's sockets are back to their count.
//!
//! 10,000 cycles against ZooKeeper (`OXIDUBBO_ZK`; each cycle waits for two watch
//! notifications of a real server, about 7 ms on a 2-core machine; `OXIDUBBO_CHURN_ZK_CYCLES`
//! sets another count), 1,000 against etcd (`OXIDUBBO_ETCD`; `OXIDUBBO_CHURN_ETCD_CYCLES`
//! sets another count) and 10,000 against the embedded registry (`memory://`), where
//! notifications are delivered in process. (Alone in its test binary: the counting
//! allocator and the process-wide protocol.)

mod churn_support;

use churn_support::{ONE_AT_A_TIME, check, churn};
use oxidubbo_integration_tests::counting_alloc::CountingAllocator;
use oxidubbo_integration_tests::etcd::etcd;
use oxidubbo_integration_tests::zookeeper;
use oxidubbo_invoker::Url;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_churn_through_the_embedded_registry() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let registry = Url::parse("memory://127.0.0.1").unwrap();
    let figures = churn(&registry, "", 10_000).await;
    check("memory://", &figures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_churn_through_zookeeper() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(zk) = zookeeper() else { return };
    let cycles = std::env::var("OXIDUBBO_CHURN_ZK_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(10_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let registry = Url::parse(&format!(
        "zookeeper://{zk}?group=oxitest-churn-{nanos}&session=30000"
    ))
    .unwrap();
    let figures = churn(&registry, "", cycles).await;
    check("zookeeper://", &figures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_churn_through_etcd() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(etcd) = etcd() else { return };
    let cycles = std::env::var("OXIDUBBO_CHURN_ETCD_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let registry = Url::parse(&format!("etcdv3://{etcd}?group=oxitest-churn-{nanos}")).unwrap();
    let figures = churn(&registry, "", cycles).await;
    check("etcdv3://", &figures);
}

/// A listener that only counts its notifications.
struct Counting(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl oxidubbo_registry::NotifyListener for Counting {
    async fn notify(&self, _urls: Vec<Url>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Whole etcd registries, one after the other: connect, register, subscribe, destroy. Each
/// destroy leaves no watch, lease task, connection or listener behind: after 1,000 of them
/// the live heap, the runtime's tasks and the process's sockets are where they were after
/// the first 100.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_registry_connect_destroy_cycles() {
    use churn_support::{sockets, tasks, until};
    use oxidubbo_integration_tests::counting_alloc::live_bytes;
    use oxidubbo_registry::{EtcdRegistry, NotifyListener, Registry};
    use std::sync::Arc;
    use std::time::Duration;

    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(etcd) = etcd() else { return };
    let cycles: usize = std::env::var("OXIDUBBO_CHURN_ETCD_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let url = Url::parse(&format!("etcdv3://{etcd}?group=oxitest-lifecycle-{nanos}")).unwrap();
    let provider = Url::parse(
        "dubbo://127.0.0.1:20880/com.example.Lifecycle?interface=com.example.Lifecycle&version=1.0.0",
    )
    .unwrap();
    let reference = Url::parse(
        "consumer://127.0.0.1/com.example.Lifecycle?interface=com.example.Lifecycle&version=1.0.0",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let (mut heap0, mut tasks0, mut sockets0) = (0, 0, 0);
    for cycle in 1..=cycles {
        let (tasks_before, sockets_before) = (tasks(), sockets());
        let registry = EtcdRegistry::connect(url.clone()).await.unwrap();
        registry.register(&provider).await.unwrap();
        let counting = Arc::new(Counting(Default::default()));
        let listener: Arc<dyn NotifyListener> = counting.clone();
        registry.subscribe(&reference, listener).await.unwrap();
        assert!(
            counting.0.load(std::sync::atomic::Ordering::Relaxed) >= 1,
            "cycle {cycle}: notified"
        );
        registry.destroy().await;
        assert!(
            registry.counts().is_empty(),
            "cycle {cycle}: {:?}",
            registry.counts()
        );
        // Destroyed but not dropped yet: its lease task, watches and connection are gone.
        // (Cycle 1 warms up: in a full test run a socket once stayed open after it, never
        // again; the sockets after cycle 100 are compared with the end as well.)
        assert!(
            until(Duration::from_secs(10), async || tasks() <= tasks_before
                && (cycle == 1 || sockets() <= sockets_before))
            .await,
            "cycle {cycle}: the destroyed registry left tasks ({tasks_before} -> {}) or sockets \
             ({sockets_before} -> {})",
            tasks(),
            sockets()
        );
        drop(registry);
        assert_eq!(
            Arc::strong_count(&counting),
            1,
            "cycle {cycle}: the destroyed registry dropped its listener"
        );
        if cycle == 100 || cycle == cycles {
            let settled = until(Duration::from_secs(10), async || {
                cycle == 100 || (tasks() <= tasks0 && sockets() <= sockets0)
            })
            .await;
            assert!(
                settled,
                "cycle {cycle}: tasks {tasks0} -> {}, sockets {sockets0} -> {}",
                tasks(),
                sockets()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
            if cycle == 100 {
                (heap0, tasks0, sockets0) = (live_bytes(), tasks(), sockets());
            }
        }
    }
    let growth = live_bytes() - heap0;
    println!(
        "etcd registry lifecycle: {cycles} connect/register/subscribe/destroy cycles in {:?}; \
         live heap after 100 cycles {heap0} bytes ({growth:+} at the end); tasks {tasks0} -> {}; \
         sockets {sockets0} -> {}",
        started.elapsed(),
        tasks(),
        sockets()
    );
    assert!(
        growth.abs() < 64 * 1024,
        "live heap moved by {growth} bytes"
    );
    let left = oxidubbo_integration_tests::etcd::etcdctl_get_prefix(
        &etcd,
        &format!("/oxitest-lifecycle-{nanos}/com.example.Lifecycle/providers/"),
    );
    assert!(left.is_empty(), "{left:?}");
}
