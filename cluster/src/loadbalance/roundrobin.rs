//! `roundrobin`: smooth weighted round robin.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker};
use rand::RngCore;

use super::{LoadBalance, invoker_weight};

/// State of an invoker that has not been seen for this long is dropped (Dubbo's 60 s).
const RECYCLE_PERIOD: Duration = Duration::from_secs(60);

/// Per-invoker state of one service method.
#[derive(Debug)]
struct Weighted {
    weight: i64,
    current: i64,
    last_seen: Instant,
}

/// Dubbo's `roundrobin` balancer: smooth weighted round robin (as in nginx). Each pick
/// adds every provider's weight to its current value, takes the largest, and subtracts
/// the total weight from the one taken; weights 5:1:1 give `a a b a c a a`.
///
/// State is kept per service and method, per invoker *identity* (the address of the
/// invoker, never the invoker itself), and dropped after 60 s unseen.
#[derive(Debug, Default)]
pub struct RoundRobinLoadBalance {
    state: Mutex<HashMap<String, HashMap<usize, Weighted>>>,
}

impl RoundRobinLoadBalance {
    /// Its name in the `loadbalance` parameter.
    pub const NAME: &'static str = "roundrobin";

    /// A new balancer with no state.
    pub fn new() -> Self {
        RoundRobinLoadBalance::default()
    }
}

/// The identity of an invoker: the address of its allocation.
pub(crate) fn identity(invoker: &Arc<dyn Invoker>) -> usize {
    Arc::as_ptr(invoker) as *const () as usize
}

impl LoadBalance for RoundRobinLoadBalance {
    fn select(
        &self,
        invokers: &[Arc<dyn Invoker>],
        url: &Url,
        invocation: &Invocation,
        _rng: &mut dyn RngCore,
    ) -> Option<usize> {
        if invokers.is_empty() {
            return None;
        }
        let method = invocation.method_name();
        let key = format!("{}.{method}", url.service_key());
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let map = state.entry(key).or_default();
        let mut total: i64 = 0;
        let mut best: Option<(usize, usize, i64)> = None;
        for (i, invoker) in invokers.iter().enumerate() {
            if invoker.is_destroyed() {
                continue;
            }
            let weight = invoker_weight(invoker.as_ref(), method);
            let id = identity(invoker);
            let entry = map.entry(id).or_insert(Weighted {
                weight,
                current: 0,
                last_seen: now,
            });
            if entry.weight != weight {
                entry.weight = weight;
                entry.current = 0;
            }
            entry.current = entry.current.saturating_add(weight);
            entry.last_seen = now;
            if best.is_none_or(|(_, _, max)| entry.current > max) {
                best = Some((i, id, entry.current));
            }
            total = total.saturating_add(weight);
        }
        if map.len() != invokers.len() {
            map.retain(|_, w| now.duration_since(w.last_seen) < RECYCLE_PERIOD);
        }
        match best {
            Some((i, id, _)) => {
                if let Some(entry) = map.get_mut(&id) {
                    entry.current = entry.current.saturating_sub(total);
                }
                Some(i)
            }
            None => Some(0),
        }
    }
}
