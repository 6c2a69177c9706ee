//! `failback`: failed calls return an empty result and are retried in the background,
//! from a bounded queue.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_cluster::{FailbackClusterInvoker, cluster_for};
use oxidubbo_invoker::{Invoker, RpcError, RpcResult};
use support::{Script, call, directory, scripted};

/// Waits (bounded) until `cond` holds.
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..500 {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond()
}

#[tokio::test]
async fn a_failed_call_is_retried_in_the_background_until_it_succeeds() {
    let a = scripted("a", 1, "", Script::FailTimes(3));
    let invoker = cluster_for("failback").unwrap().join(directory(
        "failback.period=10&retries=5",
        std::slice::from_ref(&a),
    ));
    let result = invoker.invoke(call("x")).await.unwrap();
    assert_eq!(
        result,
        RpcResult::default(),
        "the caller gets an empty result"
    );
    assert_eq!(a.calls(), 1);
    assert!(
        eventually(|| a.calls() == 4).await,
        "retried until success: {}",
        a.calls()
    );
    // Success ends the retries.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(a.calls(), 4);
    invoker.destroy();
}

#[tokio::test]
async fn retries_give_up_after_the_retries_parameter() {
    let a = scripted("a", 1, "", Script::FailTimes(usize::MAX));
    let invoker = Arc::new(FailbackClusterInvoker::new(directory(
        "failback.period=5&retries=2",
        std::slice::from_ref(&a),
    )));
    invoker.invoke(call("x")).await.unwrap();
    assert!(eventually(|| invoker.pending_retries() == 0).await);
    assert_eq!(a.calls(), 1 + 2);
    invoker.destroy();
}

#[tokio::test]
async fn the_queue_is_bounded() {
    let a = scripted("a", 1, "", Script::FailTimes(usize::MAX));
    let invoker = FailbackClusterInvoker::new(directory(
        "failback.period=600000&failbacktasks=3",
        std::slice::from_ref(&a),
    ));
    for _ in 0..10 {
        assert_eq!(
            invoker.invoke(call("x")).await.unwrap(),
            RpcResult::default()
        );
    }
    assert_eq!(
        invoker.pending_retries(),
        3,
        "only failbacktasks calls are kept"
    );
    invoker.destroy();
    assert!(eventually(|| invoker.pending_retries() == 0).await);
}

#[tokio::test]
async fn business_exceptions_are_returned_not_queued() {
    let a = scripted("a", 1, "", Script::Fail(RpcError::business("boom")));
    let invoker =
        FailbackClusterInvoker::new(directory("failback.period=5", std::slice::from_ref(&a)));
    assert!(invoker.invoke(call("x")).await.unwrap_err().is_business());
    assert_eq!(invoker.pending_retries(), 0);
    assert_eq!(invoker.retry_task_finished(), None, "no task was needed");
}
