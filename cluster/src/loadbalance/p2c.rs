//! `p2c`: power of two choices.

use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker, RpcStatus};
use rand::{Rng, RngCore};

use super::LoadBalance;

/// The `p2c` balancer: picks two different providers at random and takes the less
/// loaded, the load being (active calls + 1) × mean successful elapsed time (at least
/// 1 ms) from [`RpcStatus`]; on a tie, the first of the two.
///
/// Dubbo Java's `p2c` weighs an EWMA of latencies; this simpler load keeps the same
/// idea (avoid the busy and the slow) with the statistics oxidubbo keeps.
#[derive(Debug, Default, Clone, Copy)]
pub struct P2cLoadBalance;

impl P2cLoadBalance {
    /// Its name in the `loadbalance` parameter.
    pub const NAME: &'static str = "p2c";

    /// A new balancer (it holds no state).
    pub fn new() -> Self {
        P2cLoadBalance
    }

    fn load(invoker: &dyn Invoker, method: &str) -> u128 {
        let Some(provider) = invoker.url() else {
            return u128::MAX;
        };
        let status = RpcStatus::get(&provider, method);
        let active = u128::try_from(status.active().max(0)).unwrap_or(0);
        (active + 1) * status.succeeded_average_elapsed().as_millis().max(1)
    }
}

impl LoadBalance for P2cLoadBalance {
    fn select(
        &self,
        invokers: &[Arc<dyn Invoker>],
        _url: &Url,
        invocation: &Invocation,
        rng: &mut dyn RngCore,
    ) -> Option<usize> {
        let n = invokers.len();
        if n <= 1 {
            return (n == 1).then_some(0);
        }
        let first = rng.gen_range(0..n);
        let mut second = rng.gen_range(0..n - 1);
        if second >= first {
            second += 1;
        }
        let method = invocation.method_name();
        let (a, b) = (
            Self::load(invokers[first].as_ref(), method),
            Self::load(invokers[second].as_ref(), method),
        );
        Some(if b < a { second } else { first })
    }

    fn uses_rpc_status(&self) -> bool {
        true
    }
}
