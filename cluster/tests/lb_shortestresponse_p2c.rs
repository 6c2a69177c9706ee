//! `shortestresponse` and `p2c`: both prefer the provider that answers soonest.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_cluster::loadbalance::{LoadBalance, P2cLoadBalance, ShortestResponseLoadBalance};
use oxidubbo_invoker::{Invoker, RpcStatus};
use rand::SeedableRng;
use rand::rngs::StdRng;
use support::{Script, call, consumer, dyns, scripted};

/// Records one finished call of at least `ms` milliseconds on `invoker`.
fn record(invoker: &Arc<dyn Invoker>, ms: u64) {
    let url = invoker.url().unwrap();
    let guard = RpcStatus::begin(&url, "sayHello");
    std::thread::sleep(Duration::from_millis(ms));
    guard.end(true);
}

#[test]
fn shortestresponse_prefers_the_fast_provider() {
    let invokers = dyns(
        &(1..=3)
            .map(|i| scripted("p", i, "", Script::Ok))
            .collect::<Vec<_>>(),
    );
    record(&invokers[0], 30);
    record(&invokers[1], 0);
    record(&invokers[2], 30);
    let lb = ShortestResponseLoadBalance::new();
    let mut rng = StdRng::seed_from_u64(1);
    for _ in 0..50 {
        assert_eq!(
            lb.select(&invokers, &consumer(""), &call("x"), &mut rng),
            Some(1)
        );
    }
    assert!(lb.uses_rpc_status());
}

#[tokio::test]
async fn p2c_picks_the_less_loaded_of_two() {
    let invokers = dyns(
        &(1..=2)
            .map(|i| scripted("p", i, "", Script::Ok))
            .collect::<Vec<_>>(),
    );
    let url0 = invokers[0].url().unwrap();
    let _busy: Vec<_> = (0..4)
        .map(|_| RpcStatus::begin(&url0, "sayHello"))
        .collect();
    let lb = P2cLoadBalance::new();
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..100 {
        assert_eq!(
            lb.select(&invokers, &consumer(""), &call("x"), &mut rng),
            Some(1)
        );
    }
    let one = &invokers[..1];
    assert_eq!(lb.select(one, &consumer(""), &call("x"), &mut rng), Some(0));
    assert_eq!(lb.select(&[], &consumer(""), &call("x"), &mut rng), None);
}

#[test]
fn p2c_spreads_over_equal_providers() {
    let invokers = dyns(
        &(1..=4)
            .map(|i| scripted("p", i, "", Script::Ok))
            .collect::<Vec<_>>(),
    );
    let lb = P2cLoadBalance::new();
    let mut rng = StdRng::seed_from_u64(9);
    let mut counts = [0usize; 4];
    for _ in 0..10_000 {
        counts[lb
            .select(&invokers, &consumer(""), &call("x"), &mut rng)
            .unwrap()] += 1;
    }
    assert!(counts.iter().all(|&c| c > 1_000), "{counts:?}");
}
