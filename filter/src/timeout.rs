//! `timeout` (provider): logs calls that took longer than the URL's `timeout` for their
//! method. It never cancels a call — the consumer gives up on its own clock.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_common::{defaults, keys};
use oxidubbo_invoker::{Invocation, RpcError, RpcResult};
use tokio::time::Instant;

use crate::filter::snapshot;
use crate::{Filter, FilterContext, Next, Side};

/// The filter's name in `service.filter`.
pub const NAME: &str = "timeout";
/// The `tracing` target of the slow-call warnings.
pub const LOG_TARGET: &str = "oxidubbo::timeout";

/// Warns (target [`LOG_TARGET`]) when a call outlives its `timeout`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeoutFilter;

#[async_trait]
impl Filter for TimeoutFilter {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        let url = snapshot(&invocation)?;
        let method = invocation.method().clone();
        let started = Instant::now();
        let result = next.invoke(invocation).await;
        let elapsed = started.elapsed();
        // Timeouts are whole milliseconds, and a call under one is over none of them (as in
        // Java, whose elapsed time is whole milliseconds too): most calls look nothing up.
        if elapsed < Duration::from_millis(1) {
            return result;
        }
        let limit = url.method_duration_ms_param(
            &method,
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
        result
    }
}

/// The factory: active on the provider side.
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    Ok(match ctx.side {
        Side::Provider => Some(Arc::new(TimeoutFilter)),
        Side::Consumer => None,
    })
}
