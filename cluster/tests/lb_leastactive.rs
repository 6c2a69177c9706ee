//! `leastactive`: the idle provider is picked; ties are broken by weight.

mod support;

use std::sync::Arc;

use oxidubbo_cluster::loadbalance::{LeastActiveLoadBalance, LoadBalance};
use oxidubbo_invoker::{ActiveGuard, Invoker, RpcStatus};
use rand::SeedableRng;
use rand::rngs::StdRng;
use support::{Script, call, consumer, dyns, scripted};

fn busy(invoker: &Arc<dyn Invoker>, n: usize) -> Vec<ActiveGuard> {
    let url = invoker.url().unwrap();
    (0..n).map(|_| RpcStatus::begin(&url, "sayHello")).collect()
}

#[test]
fn the_idle_provider_is_picked() {
    let invokers = dyns(
        &(1..=3)
            .map(|i| scripted("p", i, "", Script::Ok))
            .collect::<Vec<_>>(),
    );
    let _a = busy(&invokers[0], 3);
    let _c = busy(&invokers[2], 1);
    let lb = LeastActiveLoadBalance::new();
    let mut rng = StdRng::seed_from_u64(1);
    let url = consumer("");
    for _ in 0..100 {
        assert_eq!(lb.select(&invokers, &url, &call("x"), &mut rng), Some(1));
    }
    assert!(lb.uses_rpc_status());
}

#[test]
fn ties_are_broken_by_weight() {
    let invokers = dyns(&[
        scripted("a", 1, "weight=1", Script::Ok),
        scripted("b", 2, "weight=3", Script::Ok),
        scripted("c", 3, "weight=100", Script::Ok),
    ]);
    let _c = busy(&invokers[2], 1);
    let lb = LeastActiveLoadBalance::new();
    let mut rng = StdRng::seed_from_u64(2);
    let url = consumer("");
    let mut counts = [0usize; 3];
    for _ in 0..10_000 {
        counts[lb.select(&invokers, &url, &call("x"), &mut rng).unwrap()] += 1;
    }
    assert_eq!(counts[2], 0);
    let share = counts[1] as f64 / 10_000.0;
    assert!((share - 0.75).abs() < 0.03, "{counts:?}");
}

#[test]
fn other_methods_do_not_count() {
    let invokers = dyns(
        &(1..=2)
            .map(|i| scripted("p", i, "", Script::Ok))
            .collect::<Vec<_>>(),
    );
    let url0 = invokers[0].url().unwrap();
    let _other: Vec<_> = (0..5).map(|_| RpcStatus::begin(&url0, "other")).collect();
    let _b = busy(&invokers[1], 1);
    let lb = LeastActiveLoadBalance::new();
    let mut rng = StdRng::seed_from_u64(3);
    assert_eq!(
        lb.select(&invokers, &consumer(""), &call("x"), &mut rng),
        Some(0)
    );
}
