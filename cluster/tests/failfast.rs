//! `failfast`: one attempt, the error as it is.

mod support;

use oxidubbo_cluster::cluster_for;
use oxidubbo_invoker::RpcError;
use support::{Script, answer, call, directory, scripted};

#[tokio::test]
async fn one_attempt_only() {
    let a = scripted("a", 1, "", Script::FailTimes(usize::MAX));
    let b = scripted("b", 2, "", Script::FailTimes(usize::MAX));
    let invoker = cluster_for("failfast")
        .unwrap()
        .join(directory("retries=5", &[a.clone(), b.clone()]));
    let err = invoker.invoke(call("x")).await.unwrap_err();
    assert!(matches!(err, RpcError::Network(_)), "{err}");
    assert_eq!(a.calls() + b.calls(), 1);
}

#[tokio::test]
async fn success_and_business_errors_pass_through() {
    let a = scripted("a", 1, "", Script::Ok);
    let invoker = cluster_for("failfast")
        .unwrap()
        .join(directory("", std::slice::from_ref(&a)));
    assert_eq!(answer(&invoker.invoke(call("x")).await.unwrap()), "a");
    a.set_script(Script::Fail(RpcError::business("boom")));
    assert!(invoker.invoke(call("x")).await.unwrap_err().is_business());
    assert_eq!(a.calls(), 2);
}

#[tokio::test]
async fn empty_directory_is_unavailable() {
    let invoker = cluster_for("failfast").unwrap().join(directory("", &[]));
    let err = invoker.invoke(call("x")).await.unwrap_err();
    assert!(
        matches!(&err, RpcError::Unavailable(m) if m.contains("com.example.Greeter")),
        "{err}"
    );
}
