//! `timeout` (provider): logs calls that took longer than the URL's `timeout` for their
//! method. It never cancels a call — the consumer gives up on its own clock.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use oxidubbo_common::{defaults, keys};
use oxidubbo_invoker::{Invocation, RpcError, RpcResult};

use crate::observer::observer_filter;
use crate::{Begin, Called, Filter, FilterContext, Observation, Observer, Side};

/// The filter's name in `service.filter`.
pub const NAME: &str = "timeout";
/// The `tracing` target of the slow-call warnings.
pub const LOG_TARGET: &str = "oxidubbo::timeout";

/// Warns (target [`LOG_TARGET`]) when a call outlives its `timeout`.
#[derive(Debug, Clone)]
pub struct TimeoutFilter {
    /// The clock calls are timed on.
    clock: quanta::Clock,
}

/// The clock of the filters made by [`TimeoutFilter::new`]: the CPU's time-stamp counter
/// where it is invariant (reading it costs a fraction of `Instant::now()`, twice per
/// call), else the monotonic clock. Calibrated once per process.
static CLOCK: LazyLock<quanta::Clock> = LazyLock::new(quanta::Clock::new);

impl TimeoutFilter {
    /// A filter timing calls on the process's clock. The first one made in a process
    /// calibrates that clock (the time-stamp counter against the monotonic clock: about
    /// 0.6 ms here, at most 200 ms), unless the metrics did already.
    pub fn new() -> Self {
        TimeoutFilter::with_clock(CLOCK.clone())
    }

    /// A filter timing calls on `clock` (`quanta::Clock::mock()` makes one a test moves).
    pub fn with_clock(clock: quanta::Clock) -> Self {
        TimeoutFilter { clock }
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
            stamp: self.clock.raw(),
        })
    }

    fn end(&self, started: Observation, call: &Called, _: &mut Result<RpcResult, RpcError>) {
        let elapsed = self.clock.delta(started.stamp, self.clock.raw());
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
