//! dubbo-go #3153: routers given destroyed invokers (no URL) skip them, never panic.

mod support;

use std::sync::Arc;

use oxidubbo_cluster::router::{ConditionRouter, Router, RouterChain, TagRouter};
use oxidubbo_cluster::{Cluster, Directory, FailoverCluster, StaticDirectory};
use oxidubbo_invoker::Invoker;
use support::{Script, answer, call, consumer, dyns, scripted};

#[tokio::test]
async fn router_notified_with_destroyed_invokers_does_not_panic() {
    let providers = vec![
        scripted("a", 1, "dubbo.tag=gray", Script::Ok),
        scripted("b", 2, "", Script::Ok),
        scripted("c", 3, "", Script::Ok),
    ];
    let chain = RouterChain::with_routers(vec![
        Arc::new(TagRouter::new()) as Arc<dyn Router>,
        Arc::new(ConditionRouter::new("method = sayHello => host != 10.0.0.9").unwrap()),
    ]);
    providers[1].destroy();
    providers[0].destroy();
    let invokers = dyns(&providers);
    chain.notify(&invokers);
    let url = consumer("");
    for inv in [call("x"), call("x").with_attachment("dubbo.tag", "gray")] {
        let routed = chain.route(invokers.clone(), Some(&url), &inv);
        assert_eq!(routed.len(), 1);
        assert_eq!(routed[0].url().unwrap().host(), "10.0.0.3");
    }
    // Every router alone, too.
    let all: Vec<Arc<dyn Router>> = vec![
        Arc::new(TagRouter::new()),
        Arc::new(
            ConditionRouter::new("=> host = 10.0.0.*")
                .unwrap()
                .with_force(true),
        ),
        Arc::new(ConditionRouter::new("=> host = 10.0.0.*").unwrap()),
        Arc::new(ConditionRouter::new("method = sayHello =>").unwrap()),
    ];
    for router in all {
        router.notify(&invokers);
        let routed = router.route(invokers.clone(), Some(&url), &call("x"));
        assert!(routed.iter().all(|i| !i.is_destroyed()));
        let routed = router.route(invokers.clone(), None, &call("x"));
        assert!(routed.iter().all(|i| !i.is_destroyed()));
    }

    // Through a directory and a cluster invoker: the live provider serves.
    let dir = StaticDirectory::with_url(Some(consumer("")), invokers).with_routers(chain);
    let invoker = FailoverCluster.join(Arc::new(dir));
    assert_eq!(answer(&invoker.invoke(call("x")).await.unwrap()), "c");
    // Everyone destroyed: a clear error.
    providers[2].destroy();
    assert!(invoker.invoke(call("x")).await.is_err());
}

#[test]
fn a_directory_lists_no_destroyed_invoker() {
    let providers = vec![
        scripted("a", 1, "", Script::Ok),
        scripted("b", 2, "", Script::Ok),
    ];
    let dir = StaticDirectory::new(dyns(&providers));
    providers[0].destroy();
    let listed = dir.list(&call("x")).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].url().unwrap().host(), "10.0.0.2");
}
