//! `random`: weighted random choice.

use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker};
use rand::{Rng, RngCore};

use super::{LoadBalance, invoker_weight};

/// Dubbo's `random` balancer (the default): picks with probability proportional to each
/// provider's [`invoker_weight`] (warm-up included); uniformly when all weights are equal
/// or all are 0.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomLoadBalance;

impl RandomLoadBalance {
    /// Its name in the `loadbalance` parameter.
    pub const NAME: &'static str = "random";

    /// A new balancer (it holds no state).
    pub fn new() -> Self {
        RandomLoadBalance
    }
}

impl LoadBalance for RandomLoadBalance {
    fn select(
        &self,
        invokers: &[Arc<dyn Invoker>],
        _url: &Url,
        invocation: &Invocation,
        rng: &mut dyn RngCore,
    ) -> Option<usize> {
        match invokers.len() {
            0 => return None,
            1 => return Some(0),
            _ => {}
        }
        let method = invocation.method_name();
        let mut cumulative = Vec::with_capacity(invokers.len());
        let mut total: i64 = 0;
        let mut same = true;
        let mut first = None;
        for invoker in invokers {
            let w = invoker_weight(invoker.as_ref(), method);
            total = total.saturating_add(w);
            cumulative.push(total);
            match first {
                None => first = Some(w),
                Some(f) if f != w => same = false,
                Some(_) => {}
            }
        }
        if total > 0 && !same {
            let offset = rng.gen_range(0..total);
            return cumulative.iter().position(|&c| offset < c);
        }
        Some(rng.gen_range(0..invokers.len()))
    }
}
