//! `roundrobin`: smooth weighted round robin, exact sequences.

mod support;

use std::sync::Arc;

use oxidubbo_cluster::loadbalance::{LoadBalance, RoundRobinLoadBalance};
use oxidubbo_invoker::Invoker;
use rand::SeedableRng;
use rand::rngs::StdRng;
use support::{Script, call, consumer, dyns, scripted};

fn sequence(lb: &RoundRobinLoadBalance, invokers: &[Arc<dyn Invoker>], n: usize) -> String {
    let url = consumer("");
    let inv = call("x");
    let mut rng = StdRng::seed_from_u64(0);
    (0..n)
        .map(|_| {
            let i = lb.select(invokers, &url, &inv, &mut rng).unwrap();
            (b'a' + i as u8) as char
        })
        .collect()
}

#[test]
fn weights_5_1_1_give_the_smooth_sequence() {
    let invokers = dyns(&[
        scripted("a", 1, "weight=5", Script::Ok),
        scripted("b", 2, "weight=1", Script::Ok),
        scripted("c", 3, "weight=1", Script::Ok),
    ]);
    let lb = RoundRobinLoadBalance::new();
    assert_eq!(sequence(&lb, &invokers, 7), "aabacaa");
    assert_eq!(sequence(&lb, &invokers, 14), "aabacaaaabacaa");
}

#[test]
fn equal_weights_cycle_in_order() {
    let invokers = dyns(
        &(1..=3)
            .map(|i| scripted("p", i, "", Script::Ok))
            .collect::<Vec<_>>(),
    );
    let lb = RoundRobinLoadBalance::new();
    assert_eq!(sequence(&lb, &invokers, 9), "abcabcabc");
}

#[test]
fn weights_3_2_1_exact_counts_per_cycle() {
    let invokers = dyns(&[
        scripted("a", 1, "weight=3", Script::Ok),
        scripted("b", 2, "weight=2", Script::Ok),
        scripted("c", 3, "weight=1", Script::Ok),
    ]);
    let lb = RoundRobinLoadBalance::new();
    let s = sequence(&lb, &invokers, 600);
    for chunk in s.as_bytes().chunks(6) {
        let count = |ch: u8| chunk.iter().filter(|&&c| c == ch).count();
        assert_eq!((count(b'a'), count(b'b'), count(b'c')), (3, 2, 1), "{s}");
    }
    assert_eq!(&s[..6], "abacba");
}

#[test]
fn methods_keep_separate_state() {
    let invokers = dyns(
        &(1..=2)
            .map(|i| scripted("p", i, "", Script::Ok))
            .collect::<Vec<_>>(),
    );
    let lb = RoundRobinLoadBalance::new();
    let url = consumer("");
    let mut rng = StdRng::seed_from_u64(0);
    let other = oxidubbo_invoker::Invocation::new("other", "", vec![]);
    assert_eq!(lb.select(&invokers, &url, &call("x"), &mut rng), Some(0));
    assert_eq!(lb.select(&invokers, &url, &other, &mut rng), Some(0));
    assert_eq!(lb.select(&invokers, &url, &call("x"), &mut rng), Some(1));
}

#[test]
fn destroyed_providers_are_skipped() {
    let a = scripted("a", 1, "", Script::Ok);
    let b = scripted("b", 2, "", Script::Ok);
    let c = scripted("c", 3, "", Script::Ok);
    b.destroy();
    let lb = RoundRobinLoadBalance::new();
    assert_eq!(sequence(&lb, &dyns(&[a, b, c]), 6), "acacac");
}
