//! `shortestresponse`: the provider expected to answer soonest.

use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker};
use rand::RngCore;

use super::{LoadBalance, select_least_score};

/// Dubbo's `shortestresponse` balancer: estimates each provider's response time as its
/// mean successful elapsed time × (active calls + 1) ([`RpcStatus`](oxidubbo_invoker::RpcStatus)) and picks the
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
        select_least_score(invokers, invocation, rng, |status| {
            let active = u128::try_from(status.active().max(0)).unwrap_or(0);
            status.succeeded_average_elapsed().as_millis() * (active + 1)
        })
    }

    fn uses_rpc_status(&self) -> bool {
        true
    }
}
