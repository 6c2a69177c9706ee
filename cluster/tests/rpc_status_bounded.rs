//! Unbounded state keyed by the wire: calls of ten thousand distinct method names through
//! a cluster that counts calls (`leastactive`) leave the live heap where the first calls
//! left it — the statistics of a provider's URL hold its declared methods, or a fixed
//! number of names, and no more.

mod support;

use std::sync::Arc;

use oxidubbo_cluster::{Cluster, FailoverCluster};
use oxidubbo_integration_tests::counting_alloc::{CountingAllocator, live_bytes};
use oxidubbo_invoker::{Invocation, Invoker, RpcStatus, UNDECLARED_METHOD_SLOTS};
use support::{Script, directory, scripted};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

/// Calls after which every slot a URL may have is taken.
const WARM_UP: usize = 200;
/// Distinct method names sent.
const NAMES: usize = 10_000;
/// Live-heap growth tolerated from the warm-up to the end.
const SLACK: isize = 16 << 10;

/// Calls `method{i}` for `i` in `range`, one name each.
async fn call_distinct_names(invoker: &Arc<dyn Invoker>, range: std::ops::Range<usize>) {
    for i in range {
        let call = Invocation::new(format!("method{i}"), "", vec![]);
        invoker.invoke(call).await.unwrap();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn distinct_method_names_do_not_grow_the_statistics() {
    // One provider declares its methods, as every exported service does; one does not.
    let providers = [
        scripted("declared", 1, "methods=sayHello,add", Script::Ok),
        scripted("undeclared", 2, "", Script::Ok),
    ];
    let invoker = FailoverCluster.join(directory("loadbalance=leastactive", &providers));

    call_distinct_names(&invoker, 0..WARM_UP).await;
    let warm = live_bytes();
    call_distinct_names(&invoker, WARM_UP..NAMES).await;
    let grown = live_bytes() - warm;
    eprintln!(
        "live heap grew by {grown} bytes over {} more names",
        NAMES - WARM_UP
    );
    assert!(grown <= SLACK, "live heap grew by {grown} bytes");

    let declared = providers[0].url().unwrap();
    let undeclared = providers[1].url().unwrap();
    assert_eq!(RpcStatus::methods_counted(&declared), 2);
    assert_eq!(
        RpcStatus::methods_counted(&undeclared),
        UNDECLARED_METHOD_SLOTS
    );
    let calls = |u| RpcStatus::get(u, "").total();
    assert_eq!(calls(&declared) + calls(&undeclared), NAMES as u64);
    invoker.destroy();
}
