//! dubbo-go #3526: destroying a failback cluster invoker stops its retry task.

mod support;

use std::time::Duration;

use oxidubbo_cluster::FailbackClusterInvoker;
use oxidubbo_invoker::Invoker;
use support::{Script, call, directory, scripted};

#[tokio::test(flavor = "current_thread")]
async fn destroying_failback_cluster_stops_its_retry_task() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let alive_before = metrics.num_alive_tasks();
    let a = scripted("a", 1, "", Script::FailTimes(usize::MAX));
    let invoker = FailbackClusterInvoker::new(directory(
        "failback.period=20&retries=1000000",
        std::slice::from_ref(&a),
    ));
    invoker.invoke(call("x")).await.unwrap();
    assert_eq!(
        invoker.retry_task_finished(),
        Some(false),
        "the retry task runs"
    );
    assert_eq!(metrics.num_alive_tasks(), alive_before + 1);
    // Let it retry a few times.
    for _ in 0..200 {
        if a.calls() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(a.calls() >= 3, "retrying: {}", a.calls());

    invoker.destroy();
    let mut finished = false;
    for _ in 0..200 {
        if invoker.retry_task_finished() == Some(true) {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(finished, "the retry task ended after destroy");
    assert_eq!(
        metrics.num_alive_tasks(),
        alive_before,
        "no task left behind"
    );
    let calls = a.calls();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(a.calls(), calls, "no retry after destroy");
    assert_eq!(invoker.pending_retries(), 0);
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_a_failback_invoker_also_stops_its_retry_task() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let alive_before = metrics.num_alive_tasks();
    let a = scripted("a", 1, "", Script::FailTimes(usize::MAX));
    let invoker = FailbackClusterInvoker::new(directory(
        "failback.period=20&retries=1000000",
        std::slice::from_ref(&a),
    ));
    invoker.invoke(call("x")).await.unwrap();
    assert_eq!(metrics.num_alive_tasks(), alive_before + 1);
    drop(invoker);
    let mut ended = false;
    for _ in 0..200 {
        if metrics.num_alive_tasks() == alive_before {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(ended, "the retry task ended with its invoker");
}
