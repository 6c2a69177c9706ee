//! `actives` (consumer): at most `actives` calls of a method are in flight at once; a call
//! over the limit waits for a slot for up to the method's `timeout`, then fails with
//! [`RpcError::Timeout`] (Dubbo's `ActiveLimitFilter`).
//!
//! Each call is counted with [`RpcStatus::begin`] on the call's **URL snapshot**, and its
//! guard ends against that same status, so the count comes back down even if the invoker
//! is destroyed (and releases its URL) while the call is in flight (dubbo-go #3190,
//! #3230). The limit is read from the snapshot per method (`<method>.actives`,
//! `methods.<method>.actives`, then `actives`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_common::{defaults, keys};
use oxidubbo_invoker::{Invocation, RpcError, RpcResult, RpcStatus};
use tokio::time::Instant;

use crate::filter::snapshot;
use crate::util::{MethodSemaphores, has_param_anywhere};
use crate::{Filter, FilterContext, Next, Side};

/// The filter's name in `reference.filter`.
pub const NAME: &str = "actives";
/// The URL parameter of the limit.
pub const ACTIVES: &str = "actives";

/// See the [module documentation](self).
#[derive(Debug, Default)]
pub struct ActiveLimitFilter {
    slots: MethodSemaphores,
}

impl ActiveLimitFilter {
    /// A filter with no calls counted yet.
    pub fn new() -> Self {
        ActiveLimitFilter::default()
    }
}

#[async_trait]
impl Filter for ActiveLimitFilter {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        let url = snapshot(&invocation)?;
        let method = invocation.method().clone();
        let max = url.method_int_param(&method, ACTIVES, 0);
        if max <= 0 {
            return next.invoke(invocation).await;
        }
        let wait = url.method_duration_ms_param(
            &method,
            keys::TIMEOUT,
            Duration::from_millis(defaults::TIMEOUT_MS),
        );
        let slots = self.slots.get(&method, max);
        let started = Instant::now();
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => match tokio::time::timeout(wait, slots.acquire_owned()).await {
                Ok(Ok(p)) => p,
                Ok(Err(_)) | Err(_) => {
                    return Err(RpcError::Timeout {
                        elapsed_ms: u64::try_from(started.elapsed().as_millis())
                            .unwrap_or(u64::MAX),
                        message: format!(
                            "waited {} ms for a free slot to call {}.{}() on {} \
                             (actives={max} calls in flight)",
                            wait.as_millis(),
                            url.service_key(),
                            method,
                            url.address(),
                        ),
                    });
                }
            },
        };
        let guard = RpcStatus::begin(&url, &method);
        let result = next.invoke(invocation).await;
        guard.end(result.is_ok());
        drop(permit);
        result
    }
}

/// The factory: active on the consumer when the URL sets `actives` for the service or any
/// method.
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    Ok(match ctx.side {
        Side::Consumer if has_param_anywhere(ctx.url, ACTIVES) => {
            Some(Arc::new(ActiveLimitFilter::new()))
        }
        _ => None,
    })
}
