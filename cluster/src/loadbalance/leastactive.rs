//! `leastactive`: the provider with the fewest calls in flight.

use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker, RpcStatus};
use rand::RngCore;

use super::{LoadBalance, select_least_score};

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
        select_least_score(invokers, invocation, rng, RpcStatus::active)
    }

    fn uses_rpc_status(&self) -> bool {
        true
    }
}
