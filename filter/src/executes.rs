//! `executes` (provider): at most `executes` calls of a method run at once; calls over the
//! limit are refused at once with [`RpcError::Forbidden`] (Dubbo's `ExecuteLimitFilter`).
//!
//! The limit is read per method (`<method>.executes`, `methods.<method>.executes`, then
//! `executes`) from the call's URL snapshot. Calls are also counted in
//! [`RpcStatus`] against that snapshot.

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_invoker::{Invocation, RpcError, RpcResult, RpcStatus};

use crate::filter::snapshot;
use crate::util::{MethodSemaphores, has_param_anywhere, is_known_method};
use crate::{Filter, FilterContext, Next, Side};

/// The filter's name in `service.filter`.
pub const NAME: &str = "executes";
/// The URL parameter of the limit.
pub const EXECUTES: &str = "executes";

/// See the [module documentation](self).
#[derive(Debug, Default)]
pub struct ExecuteLimitFilter {
    slots: MethodSemaphores,
}

impl ExecuteLimitFilter {
    /// A filter with no calls counted yet.
    pub fn new() -> Self {
        ExecuteLimitFilter::default()
    }
}

#[async_trait]
impl Filter for ExecuteLimitFilter {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        let url = snapshot(&invocation)?;
        let method = invocation.method_name();
        let max = url.method_int_param(method, EXECUTES, 0);
        if max <= 0 || !is_known_method(&url, method) {
            return next.invoke(invocation).await;
        }
        let Ok(_permit) = self.slots.get(method, max).try_acquire_owned() else {
            return Err(RpcError::Forbidden(format!(
                "provider {} refused {}.{}(): more than executes={max} calls of it are running",
                url.address(),
                url.service_key(),
                method,
            )));
        };
        let guard = RpcStatus::begin(&url, method);
        let result = next.invoke(invocation).await;
        guard.end(result.is_ok());
        result
    }
}

/// The factory: active when the URL sets `executes` for the service or any method.
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    Ok(match ctx.side {
        Side::Provider if has_param_anywhere(ctx.url, EXECUTES) => {
            Some(Arc::new(ExecuteLimitFilter::new()))
        }
        _ => None,
    })
}
