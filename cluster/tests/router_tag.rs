//! The tag router: `dubbo.tag` and `dubbo.force.tag`.

mod support;

use std::sync::Arc;

use oxidubbo_cluster::router::{Router, TagRouter};
use oxidubbo_invoker::{Invocation, Invoker};
use support::{Script, consumer, dyns, scripted};

fn providers() -> Vec<Arc<dyn Invoker>> {
    dyns(&[
        scripted("plain", 1, "", Script::Ok),
        scripted("gray", 2, "dubbo.tag=gray", Script::Ok),
        scripted("gray2", 3, "dubbo.tag=gray", Script::Ok),
        scripted("blue", 4, "dubbo.tag=blue", Script::Ok),
    ])
}

fn hosts(invokers: &[Arc<dyn Invoker>]) -> Vec<String> {
    invokers
        .iter()
        .map(|i| i.url().unwrap().host().to_owned())
        .collect()
}

fn route(consumer_params: &str, inv: Invocation) -> Vec<String> {
    let url = consumer(consumer_params);
    hosts(&TagRouter::new().route(providers(), Some(&url), &inv))
}

fn inv() -> Invocation {
    Invocation::new("m", "", vec![])
}

#[test]
fn a_tagged_call_goes_to_its_tag() {
    assert_eq!(
        route("", inv().with_attachment("dubbo.tag", "gray")),
        ["10.0.0.2", "10.0.0.3"]
    );
    assert_eq!(
        route("dubbo.tag=blue", inv()),
        ["10.0.0.4"],
        "tag from the consumer URL"
    );
    assert_eq!(
        route("dubbo.tag=blue", inv().with_attachment("dubbo.tag", "gray")),
        ["10.0.0.2", "10.0.0.3"],
        "the attachment wins"
    );
}

#[test]
fn an_untagged_call_goes_to_untagged_providers() {
    assert_eq!(route("", inv()), ["10.0.0.1"]);
}

#[test]
fn an_unknown_tag_falls_back_unless_forced() {
    assert_eq!(
        route("", inv().with_attachment("dubbo.tag", "red")),
        ["10.0.0.1"]
    );
    assert!(
        route(
            "",
            inv()
                .with_attachment("dubbo.tag", "red")
                .with_attachment("dubbo.force.tag", "true")
        )
        .is_empty()
    );
    assert!(
        route(
            "dubbo.force.tag=true",
            inv().with_attachment("dubbo.tag", "red")
        )
        .is_empty()
    );
}

#[test]
fn priority_is_dubbos() {
    assert_eq!(TagRouter::new().priority(), 100);
}
