//! The `metrics` filter: records every call of a chain in its [`RpcMetrics`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use oxidubbo_common::keys;
use oxidubbo_filter::{FactoryResult, Filter, FilterContext, Next};
use oxidubbo_invoker::{Invocation, RpcError, RpcResult, Value};

use crate::collector::{MethodKey, RpcMetrics};
use crate::stats::MethodStats;

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
    listed: bool,
    methods: RwLock<HashMap<String, Arc<MethodStats>>>,
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
        let listed: Vec<&str> = url
            .param(keys::METHODS)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty() && !m.starts_with('$'))
            .collect();
        let methods = listed
            .iter()
            .map(|m| ((*m).to_owned(), metrics.stats(with_method(&key, m))))
            .collect();
        MetricsFilter {
            listed: !listed.is_empty(),
            metrics,
            key,
            methods: RwLock::new(methods),
        }
    }

    /// The statistics `method` is recorded in, if it is.
    fn stats(&self, method: &str) -> Option<Arc<MethodStats>> {
        let methods = self.methods.read().unwrap_or_else(|e| e.into_inner());
        if let Some(stats) = methods.get(method) {
            return Some(Arc::clone(stats));
        }
        drop(methods);
        if self.listed || method.is_empty() || method.starts_with('$') {
            return None;
        }
        let mut methods = self.methods.write().unwrap_or_else(|e| e.into_inner());
        if methods.len() >= MAX_UNLISTED_METHODS && !methods.contains_key(method) {
            return None;
        }
        let stats = methods
            .entry(method.to_owned())
            .or_insert_with(|| self.metrics.stats(with_method(&self.key, method)));
        Some(Arc::clone(stats))
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

#[async_trait]
impl Filter for MetricsFilter {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        let Some(stats) = self.stats(method_of(&invocation)) else {
            return next.invoke(invocation).await;
        };
        let call = stats.begin();
        let result = next.invoke(invocation).await;
        call.finish(&result);
        result
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
