//! Load balancing: which of the routed invokers serves a call.
//!
//! One module per balancer, each selected by its name in the `loadbalance` URL parameter
//! (see [`load_balance_for`]): [`RandomLoadBalance`] (`random`, the default),
//! [`RoundRobinLoadBalance`] (`roundrobin`), [`LeastActiveLoadBalance`] (`leastactive`),
//! [`ShortestResponseLoadBalance`] (`shortestresponse`), [`P2cLoadBalance`] (`p2c`) and
//! [`ConsistentHashLoadBalance`] (`consistenthash`).
//!
//! Balancers take the random source as an argument, so tests pick with a seeded RNG.

mod consistenthash;
mod leastactive;
mod p2c;
mod random;
mod roundrobin;
mod shortestresponse;
mod weight;

use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker, RpcError};
use rand::RngCore;

pub use consistenthash::{
    ConsistentHashLoadBalance, ConsistentHashRing, DEFAULT_HASH_NODES, HASH_ARGUMENTS, HASH_NODES,
    argument_key, md5, point,
};
pub use leastactive::LeastActiveLoadBalance;
pub use p2c::P2cLoadBalance;
pub use random::RandomLoadBalance;
pub use roundrobin::RoundRobinLoadBalance;
pub use shortestresponse::ShortestResponseLoadBalance;
pub use weight::{invoker_weight, warmup_weight};

/// Picks one invoker of a non-empty list.
pub trait LoadBalance: Send + Sync + 'static {
    /// The index in `invokers` of the one to call for `invocation`, made by the consumer
    /// `url`; `None` only when `invokers` is empty. `rng` is the only source of randomness.
    ///
    /// Invokers that were destroyed (`url()` is `None`) have weight 0 and are picked only
    /// when nothing else is left.
    fn select(
        &self,
        invokers: &[Arc<dyn Invoker>],
        url: &Url,
        invocation: &Invocation,
        rng: &mut dyn RngCore,
    ) -> Option<usize>;

    /// Whether this balancer reads [`oxidubbo_invoker::RpcStatus`]; cluster invokers then
    /// count each call they make with it (active calls, elapsed times). Default `false`.
    fn uses_rpc_status(&self) -> bool {
        false
    }
}

/// The balancer registered under `name` (Dubbo's names), as a new instance.
///
/// Errors with [`RpcError::Config`] for an unknown name.
pub fn load_balance_for(name: &str) -> Result<Arc<dyn LoadBalance>, RpcError> {
    Ok(match name {
        RandomLoadBalance::NAME => Arc::new(RandomLoadBalance::new()),
        RoundRobinLoadBalance::NAME => Arc::new(RoundRobinLoadBalance::new()),
        LeastActiveLoadBalance::NAME => Arc::new(LeastActiveLoadBalance::new()),
        ShortestResponseLoadBalance::NAME => Arc::new(ShortestResponseLoadBalance::new()),
        P2cLoadBalance::NAME => Arc::new(P2cLoadBalance::new()),
        ConsistentHashLoadBalance::NAME => Arc::new(ConsistentHashLoadBalance::new()),
        other => {
            return Err(RpcError::Config(format!(
                "unknown load balance {other:?} (known: random, roundrobin, leastactive, \
                 shortestresponse, p2c, consistenthash)"
            )));
        }
    })
}

/// The selection `leastactive` and `shortestresponse` share: the invoker with the lowest
/// `score` of its call statistics for the method, ties broken at random by weight.
/// Destroyed invokers (no URL, hence no statistics) are skipped.
pub(crate) fn select_least_score<S: Ord>(
    invokers: &[std::sync::Arc<dyn oxidubbo_invoker::Invoker>],
    invocation: &oxidubbo_invoker::Invocation,
    rng: &mut dyn RngCore,
    score: impl Fn(&oxidubbo_invoker::RpcStatus) -> S,
) -> Option<usize> {
    if invokers.len() <= 1 {
        return (!invokers.is_empty()).then_some(0);
    }
    let method = invocation.method_name();
    let mut best: Option<S> = None;
    let mut indexes = Vec::new();
    let mut weights = vec![0; invokers.len()];
    for (i, invoker) in invokers.iter().enumerate() {
        let Some(provider) = invoker.url() else {
            continue;
        };
        let s = score(&oxidubbo_invoker::RpcStatus::get(&provider, method));
        weights[i] = invoker_weight(invoker.as_ref(), method);
        match &best {
            Some(b) if s > *b => {}
            Some(b) if s == *b => indexes.push(i),
            _ => {
                best = Some(s);
                indexes.clear();
                indexes.push(i);
            }
        }
    }
    match indexes.len() {
        0 => Some(0),
        1 => Some(indexes[0]),
        _ => Some(pick_weighted(&indexes, &weights, rng)),
    }
}

/// Picks one of `indexes` at random, weighted by `weights[i]` when they differ
/// (the tie-break of `leastactive` and `shortestresponse`).
pub(crate) fn pick_weighted(indexes: &[usize], weights: &[i64], rng: &mut dyn RngCore) -> usize {
    use rand::Rng;
    let weight = |i: usize| weights.get(i).copied().unwrap_or(0);
    if indexes.len() <= 1 {
        return indexes.first().copied().unwrap_or(0);
    }
    let total = indexes
        .iter()
        .fold(0i64, |sum, &i| sum.saturating_add(weight(i)));
    let same = indexes.windows(2).all(|w| weight(w[0]) == weight(w[1]));
    if total > 0 && !same {
        let mut offset = rng.gen_range(0..total);
        for &i in indexes {
            offset -= weight(i);
            if offset < 0 {
                return i;
            }
        }
    }
    indexes[rng.gen_range(0..indexes.len())]
}
