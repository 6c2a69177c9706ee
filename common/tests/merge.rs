//! The consumer/provider merge: provider values win, except loadbalance, cluster, retries
//! and timeout, which come from the consumer.

use oxidubbo_common::{Url, keys};

fn parse(s: &str) -> Url {
    Url::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn provider() -> Url {
    parse(
        "dubbo://10.0.0.1:20880/com.Foo?application=prov&side=provider&timeout=5000&retries=0&loadbalance=roundrobin&cluster=failfast&serialization=hessian2&weight=100&methods.sayHello.timeout=700&token=",
    )
}

#[test]
fn provider_values_win_for_ordinary_keys() {
    let consumer = parse(
        "consumer://10.0.0.9/com.Foo?application=cons&side=consumer&serialization=fastjson2&weight=5",
    );
    let merged = Url::merge_consumer(&provider(), &consumer);
    assert_eq!(merged.param(keys::SERIALIZATION), Some("hessian2"));
    assert_eq!(merged.param(keys::WEIGHT), Some("100"));
    assert_eq!(merged.param(keys::SIDE), Some("provider"));
    assert_eq!(merged.param(keys::APPLICATION), Some("prov"));
}

#[test]
fn the_four_consumer_keys_come_from_the_consumer() {
    let consumer = parse(
        "consumer://10.0.0.9/com.Foo?timeout=100&retries=5&loadbalance=leastactive&cluster=failover",
    );
    let merged = Url::merge_consumer(&provider(), &consumer);
    assert_eq!(merged.param(keys::TIMEOUT), Some("100"));
    assert_eq!(merged.param(keys::RETRIES), Some("5"));
    assert_eq!(merged.param(keys::LOADBALANCE), Some("leastactive"));
    assert_eq!(merged.param(keys::CLUSTER), Some("failover"));
}

#[test]
fn provider_values_stay_when_the_consumer_has_none() {
    let consumer = parse("consumer://10.0.0.9/com.Foo?timeout=");
    let merged = Url::merge_consumer(&provider(), &consumer);
    assert_eq!(merged.param(keys::TIMEOUT), Some("5000"));
    assert_eq!(merged.param(keys::RETRIES), Some("0"));
    assert_eq!(merged.param(keys::LOADBALANCE), Some("roundrobin"));
}

#[test]
fn method_level_consumer_keys_win_too() {
    let consumer =
        parse("consumer://10.0.0.9/com.Foo?methods.sayHello.timeout=50&sayBye.retries=1");
    let merged = Url::merge_consumer(&provider(), &consumer);
    assert_eq!(merged.method_param("sayHello", keys::TIMEOUT), Some("50"));
    assert_eq!(merged.method_param("sayBye", keys::RETRIES), Some("1"));
}

#[test]
fn consumer_only_keys_are_added_and_empty_provider_values_filled() {
    let consumer = parse("consumer://10.0.0.9/com.Foo?check=false&token=abc&application=cons");
    let merged = Url::merge_consumer(&provider(), &consumer);
    assert_eq!(merged.param(keys::CHECK), Some("false"));
    assert_eq!(merged.param(keys::TOKEN), Some("abc"));
    assert_eq!(merged.param(keys::REMOTE_APPLICATION), Some("prov"));
}

#[test]
fn address_and_path_come_from_the_provider() {
    let consumer = parse("consumer://10.0.0.9:1/other?x=1");
    let merged = Url::merge_consumer(&provider(), &consumer);
    assert_eq!(merged.protocol(), "dubbo");
    assert_eq!(merged.address(), "10.0.0.1:20880");
    assert_eq!(merged.path(), "com.Foo");
}

#[test]
fn inputs_are_unchanged_and_the_result_round_trips() {
    let p = provider();
    let before = p.to_string();
    let consumer = parse("consumer://10.0.0.9/com.Foo?timeout=1&extra=1");
    let merged = Url::merge_consumer(&p, &consumer);
    assert_eq!(p.to_string(), before);
    assert_eq!(Url::parse(&merged.to_string()), Ok(merged.clone()));
    // Provider parameters keep their order; consumer-only ones follow.
    let keys_in_order: Vec<_> = merged.params().map(|(k, _)| k).collect();
    assert_eq!(keys_in_order.first(), Some(&"application"));
    assert!(
        keys_in_order.iter().position(|k| *k == "extra")
            > keys_in_order.iter().position(|k| *k == "token")
    );
}
