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
//! sets another count) and 10,000 against the embedded registry (`memory://`), where
//! notifications are delivered in process. (Alone in its test binary: the counting
//! allocator and the process-wide protocol.)

mod churn_support;

use churn_support::{ONE_AT_A_TIME, check, churn};
use oxidubbo_integration_tests::counting_alloc::CountingAllocator;
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
