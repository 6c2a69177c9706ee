//! Churn at application level (issue #15): a provider registering only its application
//! instance (`register-mode=instance`) joins and leaves 1,000 times while a consumer at
//! `migration.step=FORCE_APPLICATION`, which finds it through the mapping, the instance
//! watch and the metadata, keeps calling it; the other traffic of the process-wide protocol
//! goes on throughout. After all cycles the live heap (counting allocator) is back within
//! 64 KiB of its level after the first 100, the runtime's tasks and the process's sockets
//! are back to their count, and the destroyed reference leaves no subscription and no
//! watch in the consumer's registry.
//!
//! Against the embedded registry (`memory://`, storage-type `remote`: its store is the
//! report) and against ZooKeeper (`OXIDUBBO_ZK`, with `metadata-type=remote`: the provider
//! goes through the registry protocol, which exports no MetadataService, so the consumer
//! reads the report; each cycle waits for the instance watch, twice), and against etcd
//! (`OXIDUBBO_ETCD`, the same way, in dubbo-go's etcd layout).
//! (Alone in its test binary: the counting allocator and the process-wide protocol.)

mod churn_support;

use churn_support::{ONE_AT_A_TIME, check, churn};
use oxidubbo_integration_tests::counting_alloc::CountingAllocator;
use oxidubbo_integration_tests::etcd::etcd;
use oxidubbo_integration_tests::{unique_name, zookeeper};
use oxidubbo_invoker::Url;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const CYCLES: usize = 1_000;
/// The consumer's reference: application level only, whatever the registry's default.
const FORCE_APPLICATION: &str = "&migration.step=FORCE_APPLICATION";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_churn_through_the_embedded_registry() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let registry = Url::parse("memory://127.0.0.1?register-mode=instance").unwrap();
    let figures = churn(&registry, FORCE_APPLICATION, CYCLES).await;
    check("memory:// (instance)", &figures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_churn_through_zookeeper() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxitest-app-churn-");
    let registry = Url::parse(&format!(
        "zookeeper://{zk}?group={root}&session=30000&register-mode=instance&metadata-type=remote"
    ))
    .unwrap();
    let figures = churn(&registry, FORCE_APPLICATION, CYCLES).await;
    check("zookeeper:// (instance)", &figures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_churn_through_etcd() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(etcd) = etcd() else { return };
    let root = unique_name("oxitest-app-churn-");
    let registry = Url::parse(&format!(
        "etcdv3://{etcd}?group={root}&register-mode=instance&metadata-type=remote"
    ))
    .unwrap();
    let figures = churn(&registry, FORCE_APPLICATION, CYCLES).await;
    check("etcdv3:// (instance)", &figures);
}
