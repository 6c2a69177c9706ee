//! `timeout` (provider): logs calls that took longer than the URL's `timeout` for their
//! method. It never cancels a call — the consumer gives up on its own clock.

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_common::{defaults, keys};
use oxidubbo_invoker::{Invocation, RpcError, RpcResult};
use tokio::time::Instant;

use crate::observer::observer_filter;
use crate::{Begin, Called, Filter, FilterContext, Observation, Observer, Side};

/// The filter's name in `service.filter`.
pub const NAME: &str = "timeout";
/// The `tracing` target of the slow-call warnings.
pub const LOG_TARGET: &str = "oxidubbo::timeout";

/// Warns (target [`LOG_TARGET`]) when a call outlives its `timeout`.
#[derive(Debug, Clone, Copy)]
pub struct TimeoutFilter {
    /// The clock calls are timed on: a call's start is kept as nanoseconds since.
    epoch: Instant,
}

impl TimeoutFilter {
    /// A filter timing calls from now on.
    pub fn new() -> Self {
        TimeoutFilter {
            epoch: Instant::now(),
        }
    }

    fn now(&self) -> u64 {
        let since = Instant::now().saturating_duration_since(self.epoch);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    }
}

impl Default for TimeoutFilter {
    fn default() -> Self {
        TimeoutFilter::new()
    }
}

// An observer: the chain times the call in the hop that reaches it.
impl Observer for TimeoutFilter {
    fn begin(&self, _: &mut Invocation) -> Begin {
        Begin::Watch(Observation {
            slot: 0,
            stamp: self.now(),
        })
    }

    fn end(&self, started: Observation, call: &Called, _: &mut Result<RpcResult, RpcError>) {
        let elapsed = Duration::from_nanos(self.now().saturating_sub(started.stamp));
        // Timeouts are whole milliseconds, and a call under one is over none of them (as in
        // Java, whose elapsed time is whole milliseconds too): most calls look nothing up.
        if elapsed < Duration::from_millis(1) {
            return;
        }
        let Some(url) = call.url() else { return };
        let method = call.method_name();
        let limit = url.method_duration_ms_param(
            method,
            keys::TIMEOUT,
            Duration::from_millis(defaults::TIMEOUT_MS),
        );
        if elapsed > limit {
            tracing::warn!(
                target: LOG_TARGET,
                service = %url.service_key(),
                method = %method,
                elapsed_ms = elapsed.as_millis() as u64,
                timeout_ms = limit.as_millis() as u64,
                "call took longer than its timeout (the consumer has likely given up)"
            );
        }
    }

    fn reads_call(&self) -> bool {
        true
    }
}

observer_filter!(TimeoutFilter);

/// The factory: active on the provider side.
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    Ok(match ctx.side {
        Side::Provider => Some(Arc::new(TimeoutFilter::new())),
        Side::Consumer => None,
    })
}
