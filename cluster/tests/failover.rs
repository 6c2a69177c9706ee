//! `failover`: retries on providers not yet tried; business errors are not retried.

mod support;

use oxidubbo_cluster::{Cluster, FailoverCluster, join};
use oxidubbo_invoker::{Invoker, RpcError};
use support::{Script, answer, call, directory, scripted};

#[tokio::test]
async fn failover_is_the_default_and_retries_on_other_providers() {
    let a = scripted("a", 1, "", Script::FailTimes(100));
    let b = scripted("b", 2, "", Script::FailTimes(100));
    let c = scripted("c", 3, "", Script::Ok);
    let invoker = join(directory("", &[a.clone(), b.clone(), c.clone()])).unwrap();
    for _ in 0..20 {
        let before = (a.calls(), b.calls(), c.calls());
        let result = invoker.invoke(call("x")).await.unwrap();
        assert_eq!(answer(&result), "c");
        let after = (a.calls(), b.calls(), c.calls());
        // Never the same failing provider twice in one call.
        assert!(
            after.0 - before.0 <= 1 && after.1 - before.1 <= 1,
            "{before:?} -> {after:?}"
        );
        assert_eq!(after.2 - before.2, 1);
    }
}

#[tokio::test]
async fn three_attempts_by_default_then_the_last_error() {
    let providers: Vec<_> = (1..=5)
        .map(|i| scripted(&format!("p{i}"), i, "", Script::FailTimes(usize::MAX)))
        .collect();
    let invoker = FailoverCluster.join(directory("", &providers));
    let err = invoker.invoke(call("x")).await.unwrap_err();
    assert!(matches!(err, RpcError::Network(_)), "{err}");
    let calls: usize = providers.iter().map(|p| p.calls()).sum();
    assert_eq!(calls, 3, "retries=2 means 3 attempts");
    assert!(
        providers.iter().all(|p| p.calls() <= 1),
        "each attempt on a new provider"
    );
}

#[tokio::test]
async fn retries_parameter_and_method_level_override() {
    let providers: Vec<_> = (1..=6)
        .map(|i| scripted(&format!("p{i}"), i, "", Script::FailTimes(usize::MAX)))
        .collect();
    let invoker = FailoverCluster.join(directory("retries=4&sayHello.retries=0", &providers));
    invoker.invoke(call("x")).await.unwrap_err();
    let calls: usize = providers.iter().map(|p| p.calls()).sum();
    assert_eq!(calls, 1, "method-level retries=0 wins");

    let invoker = FailoverCluster.join(directory("retries=4", &providers));
    invoker.invoke(call("x")).await.unwrap_err();
    let calls: usize = providers.iter().map(|p| p.calls()).sum();
    assert_eq!(calls, 1 + 5);
}

#[tokio::test]
async fn with_fewer_providers_than_attempts_a_tried_one_is_reused() {
    let a = scripted("a", 1, "", Script::FailTimes(2));
    let invoker = FailoverCluster.join(directory("retries=5", std::slice::from_ref(&a)));
    let result = invoker.invoke(call("x")).await.unwrap();
    assert_eq!(answer(&result), "a");
    assert_eq!(a.calls(), 3);
}

#[tokio::test]
async fn business_exceptions_are_not_retried() {
    let a = scripted("a", 1, "", Script::Fail(RpcError::business("no such user")));
    let b = scripted("b", 2, "", Script::Fail(RpcError::business("no such user")));
    let invoker = FailoverCluster.join(directory("", &[a.clone(), b.clone()]));
    let err = invoker.invoke(call("x")).await.unwrap_err();
    assert!(err.is_business(), "{err}");
    assert_eq!(a.calls() + b.calls(), 1);
}

#[tokio::test]
async fn an_empty_directory_is_unavailable_naming_the_service() {
    let invoker = FailoverCluster.join(directory("", &[]));
    let err = invoker.invoke(call("x")).await.unwrap_err();
    match err {
        RpcError::Unavailable(msg) => assert!(msg.contains("com.example.Greeter"), "{msg}"),
        other => panic!("expected Unavailable, got {other}"),
    }
}

#[tokio::test]
async fn unavailable_providers_are_skipped() {
    let a = scripted("a", 1, "", Script::Ok);
    let b = scripted("b", 2, "", Script::Ok);
    a.set_available(false);
    let invoker = FailoverCluster.join(directory("", &[a.clone(), b.clone()]));
    for _ in 0..20 {
        assert_eq!(answer(&invoker.invoke(call("x")).await.unwrap()), "b");
    }
    assert_eq!(a.calls(), 0);
}

#[tokio::test]
async fn a_destroyed_cluster_invoker_answers_destroyed_and_destroys_its_providers() {
    let a = scripted("a", 1, "", Script::Ok);
    let invoker = FailoverCluster.join(directory("", std::slice::from_ref(&a)));
    assert!(invoker.url().is_some());
    invoker.destroy();
    invoker.destroy(); // idempotent
    assert!(invoker.is_destroyed() && !invoker.is_available());
    assert!(invoker.url().is_none());
    assert!(
        a.is_destroyed(),
        "destroying the cluster invoker destroys its directory"
    );
    let err = invoker.invoke(call("x")).await.unwrap_err();
    assert!(matches!(err, RpcError::Destroyed(_)), "{err}");
    assert_eq!(a.calls(), 0);
}

#[tokio::test]
async fn the_consumer_url_snapshot_is_recorded_in_the_invocation() {
    use oxidubbo_cluster::StaticDirectory;
    use oxidubbo_invoker::{Invocation, RpcResult, ServiceInvoker, service_fn};
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Option<String>>> = Arc::default();
    let seen2 = Arc::clone(&seen);
    let provider: Arc<dyn Invoker> = Arc::new(ServiceInvoker::new(
        support::provider_url(1, ""),
        service_fn(move |inv: Invocation| {
            let seen = Arc::clone(&seen2);
            async move {
                *seen.lock().unwrap() = inv.url().map(|u| u.protocol().to_owned());
                Ok(RpcResult::new("ok"))
            }
        }),
    ));
    let dir = StaticDirectory::with_url(Some(support::consumer("")), vec![provider]);
    let invoker = FailoverCluster.join(Arc::new(dir));
    invoker.invoke(call("x")).await.unwrap();
    assert_eq!(seen.lock().unwrap().as_deref(), Some("consumer"));
}
