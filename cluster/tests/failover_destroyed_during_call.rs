//! dubbo-go #2981: a failover invoker destroyed while a call is in flight reads no freed
//! state and returns a clear error instead of retrying or panicking.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_cluster::{Cluster, FailoverCluster, StaticDirectory};
use oxidubbo_invoker::{Invoker, RpcError};
use support::{Script, call, consumer, dyns, scripted};
use tokio::sync::Notify;

#[tokio::test]
async fn failover_invoker_destroyed_during_call_returns_clear_error() {
    let gate = Arc::new(Notify::new());
    let a = scripted("a", 1, "", Script::FailAfter(Arc::clone(&gate)));
    let b = scripted("b", 2, "", Script::FailAfter(Arc::clone(&gate)));
    let consumer_url = consumer("retries=5");
    let weak_consumer = consumer_url.downgrade();
    let weak_provider = a.url().map(|u| u.downgrade()).unwrap();
    let dir = StaticDirectory::with_url(Some(consumer_url), dyns(&[a.clone(), b.clone()]));
    let invoker = FailoverCluster.join(Arc::new(dir));

    let call_task = {
        let invoker = Arc::clone(&invoker);
        tokio::spawn(async move { invoker.invoke(call("x")).await })
    };
    // Bounded wait until the first attempt is in flight.
    for _ in 0..200 {
        if a.calls() + b.calls() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(a.calls() + b.calls(), 1, "the first attempt started");

    invoker.destroy();
    gate.notify_waiters(); // the in-flight attempt now fails
    let result = tokio::time::timeout(Duration::from_secs(10), call_task)
        .await
        .expect("the call ends")
        .expect("no panic");
    let err = result.unwrap_err();
    match &err {
        RpcError::Destroyed(msg) => {
            assert!(
                msg.contains("com.example.Greeter"),
                "the error names the service: {msg}"
            );
            assert!(msg.contains("sayHello"), "and the method: {msg}");
        }
        other => panic!("expected Destroyed, got {other}"),
    }
    assert_eq!(a.calls() + b.calls(), 1, "no retry after the destroy");
    assert!(a.is_destroyed() && b.is_destroyed());
    assert!(invoker.url().is_none());
    drop(err);
    assert!(
        weak_consumer.upgrade().is_none(),
        "the consumer URL is released"
    );
    assert!(
        weak_provider.upgrade().is_none(),
        "the provider URL is released"
    );
}
