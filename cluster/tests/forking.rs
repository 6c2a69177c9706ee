//! `forking`: parallel calls, first success wins.

mod support;

use std::time::Duration;

use oxidubbo_cluster::cluster_for;
use oxidubbo_invoker::RpcError;
use support::{Script, answer, call, directory, scripted};

#[tokio::test]
async fn the_first_success_wins_over_a_hanging_provider() {
    let slow = scripted("slow", 1, "", Script::Hang);
    let fast = scripted("fast", 2, "", Script::Ok);
    let invoker = cluster_for("forking")
        .unwrap()
        .join(directory("timeout=10000", &[slow.clone(), fast.clone()]));
    let result = tokio::time::timeout(Duration::from_secs(10), invoker.invoke(call("x")))
        .await
        .expect("answers without waiting for the hanging provider")
        .unwrap();
    assert_eq!(answer(&result), "fast");
    assert_eq!((slow.calls(), fast.calls()), (1, 1), "both forks ran");
}

#[tokio::test]
async fn a_failure_does_not_end_the_call_while_another_fork_may_succeed() {
    let bad = scripted("bad", 1, "", Script::FailTimes(usize::MAX));
    let good = scripted("good", 2, "", Script::Delay(Duration::from_millis(20)));
    let invoker = cluster_for("forking")
        .unwrap()
        .join(directory("timeout=10000", &[bad.clone(), good.clone()]));
    assert_eq!(answer(&invoker.invoke(call("x")).await.unwrap()), "good");
}

#[tokio::test]
async fn all_failing_returns_an_error() {
    let a = scripted("a", 1, "", Script::FailTimes(usize::MAX));
    let b = scripted("b", 2, "", Script::FailTimes(usize::MAX));
    let invoker = cluster_for("forking")
        .unwrap()
        .join(directory("", &[a.clone(), b.clone()]));
    assert!(matches!(
        invoker.invoke(call("x")).await,
        Err(RpcError::Network(_))
    ));
    assert_eq!((a.calls(), b.calls()), (1, 1));
}

#[tokio::test]
async fn forks_limits_the_parallel_calls() {
    let providers: Vec<_> = (1..=6)
        .map(|i| scripted(&format!("p{i}"), i, "", Script::FailTimes(usize::MAX)))
        .collect();
    let invoker = cluster_for("forking")
        .unwrap()
        .join(directory("forks=3", &providers));
    invoker.invoke(call("x")).await.unwrap_err();
    let calls: Vec<usize> = providers.iter().map(|p| p.calls()).collect();
    assert_eq!(calls.iter().sum::<usize>(), 3, "{calls:?}");
    assert!(
        calls.iter().all(|&c| c <= 1),
        "three different providers: {calls:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn all_hanging_times_out() {
    let a = scripted("a", 1, "", Script::Hang);
    let b = scripted("b", 2, "", Script::Hang);
    let invoker = cluster_for("forking")
        .unwrap()
        .join(directory("timeout=500", &[a, b]));
    let err = invoker.invoke(call("x")).await.unwrap_err();
    assert!(
        matches!(&err, RpcError::Timeout { message, .. } if message.contains("com.example.Greeter")),
        "{err}"
    );
}
