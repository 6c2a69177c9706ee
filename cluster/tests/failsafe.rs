//! `failsafe`: failures are swallowed into an empty result.

mod support;

use oxidubbo_cluster::cluster_for;
use oxidubbo_invoker::{RpcError, RpcResult, Value};
use support::{Script, answer, call, directory, scripted};

#[tokio::test]
async fn failures_become_an_empty_result() {
    let a = scripted("a", 1, "", Script::FailTimes(usize::MAX));
    let invoker = cluster_for("failsafe")
        .unwrap()
        .join(directory("", std::slice::from_ref(&a)));
    let result = invoker.invoke(call("x")).await.unwrap();
    assert_eq!(result, RpcResult::default());
    assert_eq!(result.value, Value::Null);
    assert_eq!(a.calls(), 1, "no retry");

    a.set_script(Script::Fail(RpcError::business("boom")));
    assert_eq!(
        invoker.invoke(call("x")).await.unwrap(),
        RpcResult::default()
    );
}

#[tokio::test]
async fn success_passes_through_and_no_provider_is_swallowed() {
    let a = scripted("a", 1, "", Script::Ok);
    let invoker = cluster_for("failsafe").unwrap().join(directory("", &[a]));
    assert_eq!(answer(&invoker.invoke(call("x")).await.unwrap()), "a");
    let empty = cluster_for("failsafe").unwrap().join(directory("", &[]));
    assert_eq!(empty.invoke(call("x")).await.unwrap(), RpcResult::default());
}

#[tokio::test]
async fn a_destroyed_failsafe_invoker_still_says_so() {
    let invoker = cluster_for("failsafe").unwrap().join(directory("", &[]));
    invoker.destroy();
    assert!(matches!(
        invoker.invoke(call("x")).await,
        Err(RpcError::Destroyed(_))
    ));
}
