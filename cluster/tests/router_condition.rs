//! The condition router: Dubbo's `when => then` rule syntax.

mod support;

use std::sync::Arc;

use oxidubbo_cluster::router::{ConditionRouter, Router};
use oxidubbo_invoker::{Invocation, Invoker, Url};
use proptest::prelude::*;
use support::consumer;

/// Providers at 10.20.0.1 (east, 1.0), 10.20.0.2 (west, 2.0) and 10.30.0.3 (east, 2.0).
fn providers() -> Vec<Arc<dyn Invoker>> {
    let make = |host: &str, params: &str| -> Arc<dyn Invoker> {
        let url = Arc::new(
            Url::parse(&format!(
                "dubbo://{host}:20880/com.example.Greeter?{params}"
            ))
            .unwrap(),
        );
        Arc::new(oxidubbo_invoker::ServiceInvoker::new(
            url,
            oxidubbo_invoker::service_fn(|_inv: Invocation| async {
                Ok(oxidubbo_invoker::RpcResult::new("ok"))
            }),
        ))
    };
    vec![
        make("10.20.0.1", "region=east&version=1.0"),
        make("10.20.0.2", "region=west&version=2.0"),
        make("10.30.0.3", "region=east&version=2.0"),
    ]
}

fn hosts(invokers: &[Arc<dyn Invoker>]) -> Vec<String> {
    invokers
        .iter()
        .map(|i| i.url().unwrap().host().to_owned())
        .collect()
}

fn route(rule: &str, consumer_params: &str, method: &str) -> Vec<String> {
    let router = ConditionRouter::new(rule).unwrap();
    let url = consumer(consumer_params);
    hosts(&router.route(
        providers(),
        Some(&url),
        &Invocation::new(method.to_owned(), "", vec![]),
    ))
}

#[test]
fn method_wildcard_to_host_wildcard() {
    let rule = "method = find* => host = 10.20.*";
    assert_eq!(route(rule, "", "findUser"), ["10.20.0.1", "10.20.0.2"]);
    assert_eq!(
        route(rule, "", "save"),
        ["10.20.0.1", "10.20.0.2", "10.30.0.3"],
        "when does not match"
    );
}

#[test]
fn mismatch_comma_lists_and_ampersand() {
    assert_eq!(
        route("=> host != 10.20.0.1,10.20.0.2", "", "m"),
        ["10.30.0.3"]
    );
    assert_eq!(
        route("=> region = east & version = 2.0", "", "m"),
        ["10.30.0.3"]
    );
    assert_eq!(
        route("=> version = 1.0,2.0 & host != 10.30.*", "", "m"),
        ["10.20.0.1", "10.20.0.2"]
    );
    assert_eq!(
        route("=> host = *.0.3", "", "m"),
        ["10.30.0.3"],
        "star at the start"
    );
    assert_eq!(
        route("=> host = 10.*.1", "", "m"),
        ["10.20.0.1"],
        "star in the middle"
    );
    assert_eq!(
        route("method = a,b => region = west", "", "b"),
        ["10.20.0.2"]
    );
}

#[test]
fn consumer_side_conditions() {
    let rule = "host = 10.0.0.99 & application = shop => region = west";
    assert_eq!(route(rule, "application=shop", "m"), ["10.20.0.2"]);
    assert_eq!(route(rule, "application=other", "m").len(), 3);
    // A key the consumer URL lacks: `=` fails, `!=` holds.
    assert_eq!(route("zone = a => region = west", "", "m").len(), 3);
    assert_eq!(route("zone != a => region = west", "", "m"), ["10.20.0.2"]);
}

#[test]
fn dollar_references_the_consumer_url() {
    assert_eq!(
        route("=> region = $region", "region=west", "m"),
        ["10.20.0.2"]
    );
}

#[test]
fn empty_then_forbids_and_empty_when_matches_all() {
    assert!(route("method = save =>", "", "save").is_empty(), "forbid");
    assert!(
        route("method = save => false", "", "save").is_empty(),
        "forbid"
    );
    assert_eq!(route("method = save =>", "", "find").len(), 3);
    assert_eq!(route("=> region = west", "", "any"), ["10.20.0.2"]);
    assert_eq!(route("true => region = west", "", "any"), ["10.20.0.2"]);
    assert_eq!(
        route("region = west", "", "any"),
        ["10.20.0.2"],
        "no arrow: all then"
    );
}

#[test]
fn no_match_returns_all_unless_forced() {
    assert_eq!(route("=> host = 192.168.*", "", "m").len(), 3);
    let forced = ConditionRouter::new("=> host = 192.168.*")
        .unwrap()
        .with_force(true);
    let url = consumer("");
    assert!(
        forced
            .route(providers(), Some(&url), &Invocation::new("m", "", vec![]))
            .is_empty()
    );
}

#[test]
fn from_a_route_url() {
    let url = Url::parse(
        "route://0.0.0.0/com.example.Greeter?rule=method%3Dfind*%20%3D%3E%20host%3D10.30.*&force=true&priority=3",
    )
    .unwrap();
    let router = ConditionRouter::from_url(&url).unwrap();
    assert_eq!(router.rule(), "method=find* => host=10.30.*");
    assert_eq!(router.priority(), 3);
    let c = consumer("");
    let got = router.route(
        providers(),
        Some(&c),
        &Invocation::new("findAll", "", vec![]),
    );
    assert_eq!(hosts(&got), ["10.30.0.3"]);
}

#[test]
fn illegal_rules_are_errors() {
    assert!(
        ConditionRouter::new("=> = 10.20.*").is_err(),
        "value before key"
    );
    assert!(
        ConditionRouter::new("=> host ,a").is_err(),
        "comma before value"
    );
    assert!(ConditionRouter::new("=> host =! a").is_err());
}

#[test]
fn without_a_consumer_url_only_the_method_is_known() {
    let router = ConditionRouter::new("method = find => region = east").unwrap();
    let got = router.route(providers(), None, &Invocation::new("find", "", vec![]));
    assert_eq!(hosts(&got), ["10.20.0.1", "10.30.0.3"]);
}

#[test]
fn destroyed_providers_are_dropped() {
    let ps = providers();
    ps[0].destroy();
    let router = ConditionRouter::new("=> region = east").unwrap();
    let got = router.route(ps, Some(&consumer("")), &Invocation::new("m", "", vec![]));
    assert_eq!(hosts(&got), ["10.30.0.3"]);
}

proptest! {
    #[test]
    fn parsing_and_routing_never_panic(rule in "[ a-z0-9=!&,*$.>]{0,40}", method in "[a-z*]{0,6}") {
        if let Ok(router) = ConditionRouter::new(&rule) {
            let url = consumer("region=east");
            let _ = router.route(providers(), Some(&url), &Invocation::new(method, "", vec![]));
        }
    }
}
