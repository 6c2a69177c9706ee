//! `consistenthash`: the ring is laid out exactly as Dubbo Java's
//! `ConsistentHashLoadBalance`, so a key lands on the same provider as in Java.
//!
//! How the expected values are computed by hand: for provider address `A` and
//! `i` in `0..160/4`, `digest = md5(A + i)` (the decimal `i` appended to the text), and
//! point `k` (0..4) is the `u32` read little-endian from `digest[4k..4k+4]`. A key is
//! served by the first point at or after `md5(key)`'s point 0, wrapping around.
//! The literal numbers below were computed independently with Python's `hashlib`.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use md5::{Digest, Md5};
use oxidubbo_cluster::loadbalance::{
    ConsistentHashLoadBalance, ConsistentHashRing, LoadBalance, load_balance_for,
};
use oxidubbo_invoker::{Invocation, Invoker, Value};
use rand::SeedableRng;
use rand::rngs::StdRng;
use support::{Script, consumer, dyns, scripted};

const ADDRESSES: [&str; 3] = ["10.0.0.1:20880", "10.0.0.2:20880", "10.0.0.3:20880"];

/// The ring computed by hand, independently of the crate's code.
fn ring_by_hand(addresses: &[&str], nodes: usize) -> BTreeMap<u32, usize> {
    let mut ring = BTreeMap::new();
    for (index, address) in addresses.iter().enumerate() {
        for i in 0..nodes / 4 {
            let digest = Md5::digest(format!("{address}{i}").as_bytes());
            for k in 0..4 {
                let b = &digest[4 * k..4 * k + 4];
                ring.insert(u32::from_le_bytes([b[0], b[1], b[2], b[3]]), index);
            }
        }
    }
    ring
}

fn invocation(arg: Value) -> Invocation {
    Invocation::new("find", "Ljava/lang/String;", vec![arg])
}

fn three_providers() -> Vec<Arc<dyn Invoker>> {
    dyns(&[
        scripted("a", 1, "", Script::Ok),
        scripted("b", 2, "", Script::Ok),
        scripted("c", 3, "", Script::Ok),
    ])
}

fn pick(lb: &dyn LoadBalance, invokers: &[Arc<dyn Invoker>], url: &str, arg: Value) -> usize {
    let mut rng = StdRng::seed_from_u64(0);
    lb.select(invokers, &consumer(url), &invocation(arg), &mut rng)
        .unwrap()
}

#[test]
fn ring_points_equal_the_hand_computed_md5_values() {
    let ring = ConsistentHashRing::from_addresses(&ADDRESSES, 160);
    assert_eq!(ring.points(), &ring_by_hand(&ADDRESSES, 160));
    assert_eq!(
        ring.points().len(),
        480,
        "no collisions for these addresses"
    );
    // md5("10.0.0.1:208800"), four little-endian u32 (Python hashlib).
    for p in [1592126881u32, 2304069046, 3038814219, 1693096856] {
        assert_eq!(ring.points().get(&p), Some(&0), "point {p}");
    }
    // md5("10.0.0.2:208800").
    for p in [3849867350u32, 3106460665, 3905499468, 3296439099] {
        assert_eq!(ring.points().get(&p), Some(&1), "point {p}");
    }
    let sum = ring.points().keys().map(|&p| u64::from(p)).sum::<u64>();
    assert_eq!(sum, 1_032_932_016_698, "sum of all points (Python hashlib)");
    assert_eq!(
        ConsistentHashRing::from_addresses(&ADDRESSES, 8).points(),
        &ring_by_hand(&ADDRESSES, 8)
    );
}

#[test]
fn keys_land_where_java_puts_them() {
    // Expected providers computed with Python's hashlib by Java's algorithm.
    let ring = ConsistentHashRing::from_addresses(&ADDRESSES, 160);
    let expected = [
        ("alice", 0),
        ("bob", 0),
        ("carol", 1),
        ("dave", 0),
        ("42", 1),
        ("1", 1),
        ("hello", 1),
        ("zzz", 2),
    ];
    for (key, index) in expected {
        assert_eq!(ring.locate(key), Some(index), "key {key}");
    }
    let lb = ConsistentHashLoadBalance::new();
    let invokers = three_providers();
    for (key, index) in expected {
        assert_eq!(
            pick(&lb, &invokers, "", Value::from(key)),
            index,
            "key {key}"
        );
    }
    assert_eq!(
        pick(&lb, &invokers, "", Value::Int(42)),
        1,
        "an int is keyed by its text"
    );
}

#[test]
fn one_key_picks_the_same_provider_across_restarts() {
    let invokers = three_providers();
    let first: Vec<usize> = (0..50)
        .map(|i| {
            let lb = load_balance_for("consistenthash").unwrap();
            pick(lb.as_ref(), &invokers, "", Value::from(format!("user-{i}")))
        })
        .collect();
    for _ in 0..3 {
        let lb = ConsistentHashLoadBalance::new(); // a fresh instance: a "restart"
        let again: Vec<usize> = (0..50)
            .map(|i| pick(&lb, &invokers, "", Value::from(format!("user-{i}"))))
            .collect();
        assert_eq!(first, again);
    }
    // Fresh invoker instances at the same addresses give the same picks as well.
    let fresh = three_providers();
    let lb = ConsistentHashLoadBalance::new();
    let again: Vec<usize> = (0..50)
        .map(|i| pick(&lb, &fresh, "", Value::from(format!("user-{i}"))))
        .collect();
    assert_eq!(first, again);
    assert!(
        first.contains(&0) && first.contains(&1) && first.contains(&2),
        "{first:?}"
    );
}

#[test]
fn hash_arguments_and_hash_nodes_are_honoured() {
    let invokers = three_providers();
    let lb = ConsistentHashLoadBalance::new();
    let mut rng = StdRng::seed_from_u64(0);
    let two = Invocation::new("find", "", vec![Value::from("alice"), Value::Int(42)]);
    let url = consumer("hash.arguments=0,1");
    assert_eq!(
        lb.select(&invokers, &url, &two, &mut rng),
        Some(2),
        "key alice42"
    );

    let lb = ConsistentHashLoadBalance::new();
    let url = consumer("find.hash.nodes=8");
    let ring = ConsistentHashRing::from_addresses(&ADDRESSES, 8);
    for i in 0..30 {
        let key = format!("k{i}");
        let got = lb.select(
            &invokers,
            &url,
            &invocation(Value::from(key.as_str())),
            &mut rng,
        );
        assert_eq!(got, ring.locate(&key), "key {key}");
    }
}

#[test]
fn the_ring_is_rebuilt_when_the_invoker_set_changes() {
    let lb = ConsistentHashLoadBalance::new();
    let all = three_providers();
    assert_eq!(pick(&lb, &all, "", Value::from("zzz")), 2);
    // Provider c leaves: zzz moves, the other keys stay.
    let two = all[..2].to_vec();
    let moved = pick(&lb, &two, "", Value::from("zzz"));
    assert!(moved < 2);
    assert_eq!(pick(&lb, &two, "", Value::from("alice")), 0);
    assert_eq!(pick(&lb, &two, "", Value::from("carol")), 1);
    assert_eq!(lb.cached_rings(), 1, "one ring per service method");
    assert_eq!(pick(&lb, &all, "", Value::from("zzz")), 2);
}

#[test]
fn the_cache_keeps_no_destroyed_invoker_or_url_alive() {
    let lb = ConsistentHashLoadBalance::new();
    let providers = vec![
        scripted("a", 1, "", Script::Ok),
        scripted("b", 2, "", Script::Ok),
    ];
    let weak_urls: Vec<_> = providers
        .iter()
        .map(|p| p.url().unwrap().downgrade())
        .collect();
    let weak_invokers: Vec<_> = providers.iter().map(Arc::downgrade).collect();
    let invokers = dyns(&providers);
    pick(&lb, &invokers, "", Value::from("alice"));
    assert_eq!(lb.cached_rings(), 1);
    for p in &providers {
        p.destroy();
    }
    drop(invokers);
    drop(providers);
    assert!(
        weak_urls.iter().all(|w| w.upgrade().is_none()),
        "URLs released"
    );
    assert!(
        weak_invokers.iter().all(|w| w.upgrade().is_none()),
        "invokers released"
    );
    // A new list is served by a new ring, never by the stale one.
    let fresh = dyns(&[scripted("c", 3, "", Script::Ok)]);
    assert_eq!(pick(&lb, &fresh, "", Value::from("alice")), 0);
}

#[test]
fn destroyed_invokers_get_no_point() {
    let lb = ConsistentHashLoadBalance::new();
    let invokers = three_providers();
    invokers[2].destroy();
    for i in 0..100 {
        let got = pick(&lb, &invokers, "", Value::from(format!("user-{i}")));
        assert_ne!(got, 2);
    }
}
