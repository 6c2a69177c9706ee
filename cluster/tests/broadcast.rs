//! `broadcast`: every provider is called; any failure fails the call.

mod support;

use oxidubbo_cluster::cluster_for;
use oxidubbo_invoker::RpcError;
use support::{Script, answer, call, directory, scripted};

#[tokio::test]
async fn every_provider_is_called_once() {
    let providers: Vec<_> = (1..=4)
        .map(|i| scripted(&format!("p{i}"), i, "", Script::Ok))
        .collect();
    let invoker = cluster_for("broadcast")
        .unwrap()
        .join(directory("", &providers));
    let result = invoker.invoke(call("x")).await.unwrap();
    assert_eq!(answer(&result), "p4", "the last provider's result");
    assert!(providers.iter().all(|p| p.calls() == 1));
}

#[tokio::test]
async fn one_failure_fails_the_call_but_all_are_still_called() {
    let a = scripted("a", 1, "", Script::Ok);
    let b = scripted("b", 2, "", Script::FailTimes(usize::MAX));
    let c = scripted("c", 3, "", Script::Ok);
    let invoker = cluster_for("broadcast")
        .unwrap()
        .join(directory("", &[a.clone(), b.clone(), c.clone()]));
    let err = invoker.invoke(call("x")).await.unwrap_err();
    assert!(matches!(err, RpcError::Network(_)), "{err}");
    assert_eq!((a.calls(), b.calls(), c.calls()), (1, 1, 1));

    b.set_script(Script::Fail(RpcError::business("boom")));
    assert!(invoker.invoke(call("x")).await.unwrap_err().is_business());
}
