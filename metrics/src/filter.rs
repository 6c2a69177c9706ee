//! The `metrics` filter: records every call of a chain in its [`RpcMetrics`].

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use oxidubbo_common::keys;
use oxidubbo_filter::{
    Begin, Called, FactoryResult, Filter, FilterContext, Next, Observation, Observer, observe,
};
use oxidubbo_invoker::{CallFuture, Invocation, RpcError, RpcResult, Value};

use crate::collector::{MethodKey, RpcMetrics};
use crate::stats::{MethodStats, Started};

/// The filter's name in `service.filter` / `reference.filter`.
pub const NAME: &str = "metrics";
/// How many methods a chain whose URL lists none (a consumer's) records, at most; calls
/// of further methods are not recorded.
pub const MAX_UNLISTED_METHODS: usize = 64;

/// See the [module documentation](self).
///
/// The methods recorded are the ones the chain's URL lists (`methods`, a provider's);
/// a chain whose URL lists none (a consumer's, whose calls come from its own code) records
/// the first [`MAX_UNLISTED_METHODS`] it sees. A call of any other method, and `$echo` and
/// the like, passes through unrecorded, so a name received from the wire never makes a
/// series. A generic call (`$invoke`) is recorded under the method it names.
#[derive(Debug)]
pub struct MetricsFilter {
    metrics: Arc<RpcMetrics>,
    key: MethodKey,
    /// The methods the URL lists, fixed: a call finds its statistics with no lock, no
    /// count touched (a short list is searched faster than a map is hashed).
    listed: Vec<(String, Arc<MethodStats>)>,
    /// Without a list: the methods seen, read per call without a lock and replaced whole
    /// when one is added.
    seen: ArcSwap<Vec<(String, Arc<MethodStats>)>>,
    /// Held while a method is added to `seen`.
    adding: Mutex<()>,
}

impl MetricsFilter {
    /// The filter of the chain described by `ctx`, recording into `metrics`.
    pub fn new(metrics: Arc<RpcMetrics>, ctx: &FilterContext<'_>) -> Self {
        let url = ctx.url;
        let interface = url.param(keys::INTERFACE).unwrap_or(url.path());
        let key = MethodKey::new(
            ctx.side,
            interface,
            url.param(keys::GROUP).unwrap_or_default(),
            url.param(keys::VERSION).unwrap_or_default(),
            "",
        );
        let mut listed: Vec<(String, Arc<MethodStats>)> = Vec::new();
        for m in url
            .param(keys::METHODS)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty() && !m.starts_with('$'))
        {
            if !listed.iter().any(|(name, _)| name == m) {
                listed.push((m.to_owned(), metrics.stats(with_method(&key, m))));
            }
        }
        MetricsFilter {
            listed,
            metrics,
            key,
            seen: ArcSwap::from_pointee(Vec::new()),
            adding: Mutex::new(()),
        }
    }

    /// The slot of a method the chain was not given (a consumer's), found or added if
    /// there is room, and the start of the call counted in it.
    fn start_seen(&self, method: &str) -> Option<(usize, Started)> {
        let position =
            |list: &[(String, Arc<MethodStats>)]| list.iter().position(|(name, _)| name == method);
        {
            let seen = self.seen.load();
            if let Some(slot) = position(&seen) {
                return Some((slot, seen[slot].1.start()));
            }
        }
        if method.is_empty() || method.starts_with('$') {
            return None;
        }
        let _adding = self.adding.lock().unwrap_or_else(|e| e.into_inner());
        let seen = self.seen.load_full();
        if let Some(slot) = position(&seen) {
            return Some((slot, seen[slot].1.start()));
        }
        if seen.len() >= MAX_UNLISTED_METHODS {
            return None;
        }
        let stats = self.metrics.stats(with_method(&self.key, method));
        let started = stats.start();
        let mut more = Vec::clone(&seen);
        more.push((method.to_owned(), stats));
        self.seen.store(Arc::new(more));
        Some((seen.len(), started))
    }
}

fn with_method(key: &MethodKey, method: &str) -> MethodKey {
    MethodKey {
        method: method.to_owned(),
        ..key.clone()
    }
}

/// The method a call is recorded under: the one a generic call names, else its own.
fn method_of(invocation: &Invocation) -> &str {
    let name = invocation.method_name();
    if name == oxidubbo_filter::generic::INVOKE || name == oxidubbo_filter::generic::INVOKE_ASYNC {
        return invocation
            .arguments()
            .first()
            .and_then(Value::as_str)
            .unwrap_or(name);
    }
    name
}

impl MetricsFilter {
    /// The statistics in `slot` (of `listed`, or else of `seen`, which only grows).
    fn with_slot(&self, slot: usize, f: impl FnOnce(&MethodStats)) {
        if !self.listed.is_empty() {
            if let Some((_, stats)) = self.listed.get(slot) {
                f(stats);
            }
        } else if let Some((_, stats)) = self.seen.load().get(slot) {
            f(stats);
        }
    }
}

impl Observer for MetricsFilter {
    fn begin(&self, invocation: &mut Invocation) -> Begin {
        let method = method_of(invocation);
        let started = if !self.listed.is_empty() {
            self.listed
                .iter()
                .position(|(name, _)| name == method)
                .map(|slot| (slot, self.listed[slot].1.start()))
        } else {
            self.start_seen(method)
        };
        match started {
            Some((slot, started)) => Begin::Watch(Observation {
                slot,
                stamp: started.to_raw(),
            }),
            None => Begin::Pass,
        }
    }

    fn end(&self, observation: Observation, _: &Called, result: &mut Result<RpcResult, RpcError>) {
        self.with_slot(observation.slot, |stats| {
            stats.finish(Started::from_raw(observation.stamp), result)
        });
    }

    fn abandon(&self, observation: Observation) {
        self.with_slot(observation.slot, MethodStats::abandon);
    }
}

impl Filter for MetricsFilter {
    fn invoke<'s, 'n, 'f>(&'s self, next: Next<'n>, invocation: Invocation) -> CallFuture<'f>
    where
        's: 'f,
        'n: 'f,
        Self: 'f,
    {
        observe(self, next, invocation)
    }

    fn observer(&self) -> Option<&dyn Observer> {
        Some(self)
    }
}

/// A filter factory recording into `metrics` (register it as [`NAME`]).
pub fn factory(
    metrics: Arc<RpcMetrics>,
) -> impl Fn(&FilterContext<'_>) -> FactoryResult + Send + Sync + 'static {
    move |ctx: &FilterContext<'_>| {
        Ok(Some(
            Arc::new(MetricsFilter::new(Arc::clone(&metrics), ctx)) as Arc<dyn Filter>,
        ))
    }
}
