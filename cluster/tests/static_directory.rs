//! `StaticDirectory`: a fixed list, routed, destroyed with everything it holds.

mod support;

use std::sync::Arc;

use oxidubbo_cluster::router::{ConditionRouter, Router, RouterChain};
use oxidubbo_cluster::{Cluster, Directory, FailoverCluster, StaticDirectory};
use oxidubbo_invoker::{Invoker, RpcError};
use support::{Script, answer, call, consumer, dyns, scripted};

#[test]
fn lists_through_its_routers_in_priority_order() {
    let providers = vec![
        scripted("a", 1, "region=east", Script::Ok),
        scripted("b", 2, "region=west", Script::Ok),
        scripted("c", 3, "region=east", Script::Ok),
    ];
    let chain = RouterChain::new();
    chain.add(Arc::new(
        ConditionRouter::new("=> host != 10.0.0.1")
            .unwrap()
            .with_priority(5),
    ));
    chain.add(Arc::new(
        ConditionRouter::new("=> region = east")
            .unwrap()
            .with_priority(1),
    ));
    assert_eq!(chain.len(), 2);
    let dir = StaticDirectory::with_url(Some(consumer("")), dyns(&providers)).with_routers(chain);
    let listed = dir.list(&call("x")).unwrap();
    let hosts: Vec<_> = listed
        .iter()
        .map(|i| i.url().unwrap().host().to_owned())
        .collect();
    assert_eq!(hosts, ["10.0.0.3"]);
    assert_eq!(dir.routers().len(), 2);
    dir.routers().clear();
    assert_eq!(dir.list(&call("x")).unwrap().len(), 3);
}

#[test]
fn its_url_defaults_to_the_first_invokers() {
    let providers = vec![scripted("a", 1, "", Script::Ok)];
    let dir = StaticDirectory::new(dyns(&providers));
    assert_eq!(dir.url().unwrap().host(), "10.0.0.1");
    assert!(StaticDirectory::new(Vec::new()).url().is_none());
}

/// The URL a directory made without one is its own copy of the first invoker's: that
/// invoker, destroyed on its own while the cluster goes on, releases its URL's data.
#[tokio::test]
async fn its_default_url_is_its_own_not_the_first_invokers() {
    let providers = vec![
        scripted("a", 1, "", Script::Ok),
        scripted("b", 2, "", Script::Ok),
    ];
    let first = providers[0].url().unwrap().downgrade();
    let cluster = FailoverCluster.join(Arc::new(StaticDirectory::new(dyns(&providers))));
    let url = cluster.url().unwrap();
    assert_eq!(
        url.to_full_string(),
        providers[0].url().unwrap().to_full_string()
    );
    drop(url);

    providers[0].destroy();
    assert!(
        !first.is_alive(),
        "the cluster keeps the destroyed first invoker's URL alive: {first:?}"
    );
    assert_eq!(answer(&cluster.invoke(call("x")).await.unwrap()), "b");
    assert_eq!(cluster.url().unwrap().host(), "10.0.0.1");
    cluster.destroy();
}

#[test]
fn availability_follows_its_invokers() {
    let providers = vec![
        scripted("a", 1, "", Script::Ok),
        scripted("b", 2, "", Script::Ok),
    ];
    let dir = StaticDirectory::new(dyns(&providers));
    assert!(dir.is_available());
    providers[0].set_available(false);
    assert!(dir.is_available());
    providers[1].set_available(false);
    assert!(!dir.is_available());
}

#[test]
fn destroy_destroys_every_invoker_and_releases_every_url() {
    let providers = vec![
        scripted("a", 1, "", Script::Ok),
        scripted("b", 2, "", Script::Ok),
    ];
    let consumer_url = consumer("");
    let weak_urls: Vec<_> = providers
        .iter()
        .map(|p| p.url().unwrap().downgrade())
        .chain([consumer_url.downgrade()])
        .collect();
    let weak_invokers: Vec<_> = providers.iter().map(Arc::downgrade).collect();
    let chain =
        RouterChain::with_routers(vec![
            Arc::new(ConditionRouter::new("=> host = 10.*").unwrap()) as Arc<dyn Router>,
        ]);
    let dir = StaticDirectory::with_url(Some(consumer_url), dyns(&providers)).with_routers(chain);
    drop(providers);
    dir.destroy();
    dir.destroy(); // idempotent
    assert!(dir.is_destroyed() && !dir.is_available());
    assert!(dir.url().is_none());
    assert!(dir.invokers().is_empty());
    assert!(dir.routers().is_empty());
    assert!(matches!(dir.list(&call("x")), Err(RpcError::Destroyed(_))));
    assert!(
        weak_urls.iter().all(|w| w.upgrade().is_none()),
        "no URL stays reachable"
    );
    assert!(
        weak_invokers.iter().all(|w| w.upgrade().is_none()),
        "no invoker stays reachable"
    );
}
