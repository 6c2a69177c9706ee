//! Strategies and balancers are chosen by name from the consumer URL.

mod support;

use std::sync::Arc;

use oxidubbo_cluster::{Directory, StaticDirectory, cluster_for, join, load_balance_for};
use oxidubbo_invoker::{RpcError, RpcResult};
use support::{Script, answer, call, directory, dyns, scripted};

#[test]
fn every_dubbo_name_is_known() {
    for name in [
        "failover",
        "failfast",
        "failsafe",
        "failback",
        "forking",
        "broadcast",
        "available",
    ] {
        assert!(cluster_for(name).is_ok(), "{name}");
    }
    for name in [
        "random",
        "roundrobin",
        "leastactive",
        "shortestresponse",
        "p2c",
        "consistenthash",
    ] {
        assert!(load_balance_for(name).is_ok(), "{name}");
    }
    assert!(matches!(
        cluster_for("mergeable2"),
        Err(RpcError::Config(_))
    ));
    assert!(matches!(
        load_balance_for("fastest"),
        Err(RpcError::Config(_))
    ));
}

#[tokio::test]
async fn join_reads_the_cluster_parameter() {
    let a = scripted("a", 1, "", Script::FailTimes(usize::MAX));
    let invoker = join(directory("cluster=failsafe", std::slice::from_ref(&a))).unwrap();
    assert_eq!(
        invoker.invoke(call("x")).await.unwrap(),
        RpcResult::default()
    );
    let bad = join(directory("cluster=nope", std::slice::from_ref(&a)));
    assert!(matches!(bad, Err(RpcError::Config(_))));
    // Without a URL: failover.
    let b = scripted("b", 2, "", Script::Ok);
    let dir: Arc<dyn Directory> = Arc::new(StaticDirectory::with_url(None, dyns(&[b])));
    let invoker = join(dir).unwrap();
    assert!(
        invoker.invoke(call("x")).await.is_err(),
        "no consumer URL: destroyed-like error"
    );
}

#[tokio::test]
async fn an_unknown_load_balance_fails_the_call_clearly() {
    let a = scripted("a", 1, "", Script::Ok);
    let invoker = join(directory("loadbalance=fastest", std::slice::from_ref(&a))).unwrap();
    let err = invoker.invoke(call("x")).await.unwrap_err();
    assert!(
        matches!(&err, RpcError::Config(m) if m.contains("fastest")),
        "{err}"
    );
    assert_eq!(a.calls(), 0);
    // The method-level value wins over the service-level one.
    let invoker = join(directory(
        "loadbalance=fastest&sayHello.loadbalance=roundrobin",
        std::slice::from_ref(&a),
    ))
    .unwrap();
    assert_eq!(answer(&invoker.invoke(call("x")).await.unwrap()), "a");
}
