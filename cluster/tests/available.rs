//! `available`: the first available provider.

mod support;

use oxidubbo_cluster::cluster_for;
use oxidubbo_invoker::RpcError;
use support::{Script, answer, call, directory, scripted};

#[tokio::test]
async fn the_first_available_provider_serves() {
    let a = scripted("a", 1, "", Script::Ok);
    let b = scripted("b", 2, "", Script::Ok);
    let c = scripted("c", 3, "", Script::Ok);
    a.set_available(false);
    let invoker = cluster_for("available")
        .unwrap()
        .join(directory("", &[a.clone(), b.clone(), c.clone()]));
    for _ in 0..10 {
        assert_eq!(answer(&invoker.invoke(call("x")).await.unwrap()), "b");
    }
    assert_eq!((a.calls(), b.calls(), c.calls()), (0, 10, 0));
}

#[tokio::test]
async fn none_available_is_unavailable_and_errors_are_not_retried() {
    let a = scripted("a", 1, "", Script::Ok);
    a.set_available(false);
    let invoker = cluster_for("available")
        .unwrap()
        .join(directory("", std::slice::from_ref(&a)));
    let err = invoker.invoke(call("x")).await.unwrap_err();
    assert!(
        matches!(&err, RpcError::Unavailable(m) if m.contains("com.example.Greeter")),
        "{err}"
    );

    let b = scripted("b", 2, "", Script::FailTimes(usize::MAX));
    let c = scripted("c", 3, "", Script::Ok);
    let invoker = cluster_for("available")
        .unwrap()
        .join(directory("", &[b.clone(), c.clone()]));
    assert!(matches!(
        invoker.invoke(call("x")).await,
        Err(RpcError::Network(_))
    ));
    assert_eq!((b.calls(), c.calls()), (1, 0));
}
