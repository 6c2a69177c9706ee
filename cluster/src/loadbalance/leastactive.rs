//! `leastactive`: the provider with the fewest calls in flight.

use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker, RpcStatus};
use rand::RngCore;

use super::{LoadBalance, invoker_weight, pick_weighted};

/// Dubbo's `leastactive` balancer: picks the provider with the fewest active calls of
/// the method ([`RpcStatus`]); among equally idle ones, at random by weight.
///
/// Cluster invokers count their calls in [`RpcStatus`] when this balancer is in use.
#[derive(Debug, Default, Clone, Copy)]
pub struct LeastActiveLoadBalance;

impl LeastActiveLoadBalance {
    /// Its name in the `loadbalance` parameter.
    pub const NAME: &'static str = "leastactive";

    /// A new balancer (it holds no state).
    pub fn new() -> Self {
        LeastActiveLoadBalance
    }
}

impl LoadBalance for LeastActiveLoadBalance {
    fn select(
        &self,
        invokers: &[Arc<dyn Invoker>],
        _url: &Url,
        invocation: &Invocation,
        rng: &mut dyn RngCore,
    ) -> Option<usize> {
        if invokers.len() <= 1 {
            return (!invokers.is_empty()).then_some(0);
        }
        let method = invocation.method_name();
        let mut least = i64::MAX;
        let mut least_indexes = Vec::new();
        let mut weights = vec![0; invokers.len()];
        for (i, invoker) in invokers.iter().enumerate() {
            // A destroyed invoker has no URL, hence no statistics: skip it.
            let Some(provider) = invoker.url() else {
                continue;
            };
            let active = RpcStatus::get(&provider, method).active();
            weights[i] = invoker_weight(invoker.as_ref(), method);
            if active < least {
                least = active;
                least_indexes.clear();
                least_indexes.push(i);
            } else if active == least {
                least_indexes.push(i);
            }
        }
        match least_indexes.len() {
            0 => Some(0),
            1 => Some(least_indexes[0]),
            _ => Some(pick_weighted(&least_indexes, &weights, rng)),
        }
    }

    fn uses_rpc_status(&self) -> bool {
        true
    }
}
