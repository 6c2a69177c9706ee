//! dubbo-go #3190, #3230: a call counted for `leastactive` is released against the
//! provider URL snapshot it started with, even when the provider is destroyed mid-call.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_cluster::{Cluster, FailoverCluster};
use oxidubbo_invoker::{Invoker, RpcStatus};
use support::{Script, call, directory, scripted};
use tokio::sync::Notify;

#[tokio::test]
async fn actives_released_against_snapshot_when_destroyed_mid_call() {
    let gate = Arc::new(Notify::new());
    let a = scripted("a", 1, "", Script::OkAfter(Arc::clone(&gate)));
    let snapshot = a.url().unwrap();
    let invoker = FailoverCluster.join(directory(
        "loadbalance=leastactive",
        std::slice::from_ref(&a),
    ));

    let task = {
        let invoker = Arc::clone(&invoker);
        tokio::spawn(async move { invoker.invoke(call("x")).await })
    };
    let status = RpcStatus::get(&snapshot, "sayHello");
    for _ in 0..200 {
        if status.active() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(status.active(), 1, "the call is counted while in flight");
    assert_eq!(RpcStatus::get(&snapshot, "").active(), 1);

    a.destroy(); // the provider releases its URL mid-call
    assert!(a.url().is_none());
    gate.notify_waiters();
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the call ends")
        .expect("no panic");
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(status.active(), 0, "released against the snapshot");
    assert_eq!(status.total(), 1);
    assert_eq!(RpcStatus::get(&snapshot, "").active(), 0);

    // And the statistics go with the URL once nobody holds it: its data (where they
    // live), not only this `Arc`, is released.
    let weak = snapshot.downgrade();
    drop(status);
    drop(snapshot);
    invoker.destroy();
    assert!(
        weak.upgrade().is_none(),
        "nothing keeps the provider URL alive"
    );
}

#[tokio::test]
async fn the_default_balancer_does_not_count() {
    let a = scripted("a", 2, "", Script::Ok);
    let url = a.url().unwrap();
    let invoker = FailoverCluster.join(directory("", std::slice::from_ref(&a)));
    invoker.invoke(call("x")).await.unwrap();
    assert_eq!(RpcStatus::get(&url, "sayHello").total(), 0);
    let counted = FailoverCluster.join(directory(
        "loadbalance=leastactive",
        std::slice::from_ref(&a),
    ));
    counted.invoke(call("x")).await.unwrap();
    assert_eq!(RpcStatus::get(&url, "sayHello").total(), 1);
}
