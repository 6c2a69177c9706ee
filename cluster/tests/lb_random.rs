//! `random`: weighted random picks, with Dubbo's warm-up.

mod support;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use oxidubbo_cluster::loadbalance::{
    LoadBalance, RandomLoadBalance, invoker_weight, load_balance_for, warmup_weight,
};
use oxidubbo_invoker::Invoker;
use rand::SeedableRng;
use rand::rngs::StdRng;
use support::{Script, call, consumer, dyns, scripted};

const PICKS: usize = 10_000;

fn counts(lb: &dyn LoadBalance, invokers: &[Arc<dyn Invoker>], seed: u64) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let url = consumer("");
    let inv = call("x");
    let mut counts = vec![0; invokers.len()];
    for _ in 0..PICKS {
        let i = lb.select(invokers, &url, &inv, &mut rng).unwrap();
        counts[i] += 1;
    }
    counts
}

fn assert_share(counts: &[usize], expected: &[f64], tolerance: f64) {
    for (i, (&c, &e)) in counts.iter().zip(expected).enumerate() {
        let share = c as f64 / PICKS as f64;
        assert!(
            (share - e).abs() <= tolerance,
            "provider {i}: share {share:.4}, expected {e} ± {tolerance} ({counts:?})"
        );
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn weights_1_2_7_over_10000_picks_within_3_percent() {
    let invokers = dyns(&[
        scripted("a", 1, "weight=1", Script::Ok),
        scripted("b", 2, "weight=2", Script::Ok),
        scripted("c", 3, "weight=7", Script::Ok),
    ]);
    for seed in [1, 2, 3] {
        let c = counts(&RandomLoadBalance::new(), &invokers, seed);
        assert_share(&c, &[0.1, 0.2, 0.7], 0.03);
    }
}

#[test]
fn equal_weights_are_uniform() {
    let invokers = dyns(
        &(1..=4)
            .map(|i| scripted("p", i, "", Script::Ok))
            .collect::<Vec<_>>(),
    );
    let c = counts(load_balance_for("random").unwrap().as_ref(), &invokers, 7);
    assert_share(&c, &[0.25; 4], 0.03);
}

#[test]
fn the_same_seed_gives_the_same_picks() {
    let invokers = dyns(&[
        scripted("a", 1, "weight=1", Script::Ok),
        scripted("b", 2, "weight=9", Script::Ok),
    ]);
    assert_eq!(
        counts(&RandomLoadBalance, &invokers, 99),
        counts(&RandomLoadBalance, &invokers, 99)
    );
}

#[test]
fn zero_weight_and_destroyed_providers_are_not_picked() {
    let a = scripted("a", 1, "weight=0", Script::Ok);
    let b = scripted("b", 2, "", Script::Ok);
    let c = scripted("c", 3, "", Script::Ok);
    c.destroy();
    let c = counts(&RandomLoadBalance, &dyns(&[a, b, c]), 5);
    assert_eq!(c, vec![0, PICKS, 0]);
}

#[test]
fn method_level_weight_wins() {
    let invokers = dyns(&[
        scripted("a", 1, "weight=50&sayHello.weight=1", Script::Ok),
        scripted("b", 2, "weight=50&sayHello.weight=3", Script::Ok),
    ]);
    let c = counts(&RandomLoadBalance, &invokers, 11);
    assert_share(&c, &[0.25, 0.75], 0.03);
}

#[test]
fn warm_up_ramps_the_weight() {
    assert_eq!(warmup_weight(0, 600_000, 100), 1);
    assert_eq!(warmup_weight(300_000, 600_000, 100), 50);
    assert_eq!(warmup_weight(599_999, 600_000, 100), 99);
    assert_eq!(warmup_weight(60_000, 600_000, 100), 10);

    let half = now_ms() - 300_000;
    let young = scripted("young", 1, &format!("timestamp={half}"), Script::Ok);
    let w = invoker_weight(young.as_ref(), "sayHello");
    assert!(
        (49..=51).contains(&w),
        "half-way through a 10 min warm-up: {w}"
    );

    let custom = scripted(
        "custom",
        2,
        &format!("timestamp={half}&warmup=400000"),
        Script::Ok,
    );
    let w = invoker_weight(custom.as_ref(), "sayHello");
    assert!((74..=76).contains(&w), "300 s into a 400 s warm-up: {w}");

    let old = scripted(
        "old",
        3,
        &format!("timestamp={}", now_ms() - 3_600_000),
        Script::Ok,
    );
    assert_eq!(invoker_weight(old.as_ref(), "sayHello"), 100);

    let future = scripted(
        "future",
        4,
        &format!("timestamp={}", now_ms() + 60_000),
        Script::Ok,
    );
    assert_eq!(invoker_weight(future.as_ref(), "sayHello"), 1);

    // A warming provider (weight ~50) against a warm one (100): about 1:2.
    let warm = scripted("warm", 5, "", Script::Ok);
    let c = counts(&RandomLoadBalance, &dyns(&[young, warm]), 3);
    assert_share(&c, &[1.0 / 3.0, 2.0 / 3.0], 0.03);
}

#[test]
fn huge_weights_do_not_overflow() {
    let max = i64::MAX;
    let invokers = dyns(&[
        scripted("a", 1, &format!("weight={max}"), Script::Ok),
        scripted("b", 2, &format!("weight={max}"), Script::Ok),
        scripted("c", 3, "weight=1", Script::Ok),
    ]);
    for name in [
        "random",
        "roundrobin",
        "leastactive",
        "shortestresponse",
        "p2c",
    ] {
        let lb = load_balance_for(name).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..100 {
            assert!(
                lb.select(&invokers, &consumer(""), &call("x"), &mut rng)
                    .is_some()
            );
        }
    }
}
