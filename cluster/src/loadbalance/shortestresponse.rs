//! `shortestresponse`: the provider expected to answer soonest.

use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker, RpcStatus};
use rand::RngCore;

use super::{LoadBalance, invoker_weight, pick_weighted};

/// Dubbo's `shortestresponse` balancer: estimates each provider's response time as its
/// mean successful elapsed time × (active calls + 1) ([`RpcStatus`]) and picks the
/// smallest; ties are broken at random by weight.
///
/// Dubbo Java multiplies by the active count alone, which makes every idle provider
/// estimate 0; the `+ 1` keeps the mean elapsed time meaningful when calls do not overlap.
#[derive(Debug, Default, Clone, Copy)]
pub struct ShortestResponseLoadBalance;

impl ShortestResponseLoadBalance {
    /// Its name in the `loadbalance` parameter.
    pub const NAME: &'static str = "shortestresponse";

    /// A new balancer (it holds no state).
    pub fn new() -> Self {
        ShortestResponseLoadBalance
    }
}

impl LoadBalance for ShortestResponseLoadBalance {
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
        let mut shortest = u128::MAX;
        let mut indexes = Vec::new();
        let mut weights = vec![0; invokers.len()];
        for (i, invoker) in invokers.iter().enumerate() {
            let Some(provider) = invoker.url() else {
                continue;
            };
            let status = RpcStatus::get(&provider, method);
            let active = u128::try_from(status.active().max(0)).unwrap_or(0);
            let estimate = status.succeeded_average_elapsed().as_millis() * (active + 1);
            weights[i] = invoker_weight(invoker.as_ref(), method);
            if estimate < shortest {
                shortest = estimate;
                indexes.clear();
                indexes.push(i);
            } else if estimate == shortest {
                indexes.push(i);
            }
        }
        match indexes.len() {
            0 => Some(0),
            1 => Some(indexes[0]),
            _ => Some(pick_weighted(&indexes, &weights, rng)),
        }
    }

    fn uses_rpc_status(&self) -> bool {
        true
    }
}
