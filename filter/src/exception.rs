//! `exception` (provider): turns unexpected framework errors returned by the service
//! code into a business `java.lang.RuntimeException` carrying the message, so the
//! consumer sees the failure as the service's own (and does not retry a call that ran).
//!
//! Passed through unchanged: business errors ([`RpcError::Remote`]), gRPC statuses
//! ([`RpcError::Grpc`]: an IDL service's `Status`, its answer as a business exception is an
//! interface service's, sent by Triple with its own code and message),
//! [`RpcError::Destroyed`] (the service's invoker is gone, nothing ran) and
//! [`RpcError::NotFound`] (no such method; Dubbo answers that with a status too).

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_invoker::{Invocation, RpcError, RpcResult};

use crate::{Filter, FilterContext, Next, Side};

/// The filter's name in `service.filter`.
pub const NAME: &str = "exception";
/// The `tracing` target of the errors it maps.
pub const LOG_TARGET: &str = "oxidubbo::exception";

/// See the [module documentation](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExceptionFilter;

/// Whether the exception filter maps `error` to a business exception.
pub fn is_unexpected(error: &RpcError) -> bool {
    !matches!(
        error,
        RpcError::Remote { .. }
            | RpcError::Grpc { .. }
            | RpcError::Destroyed(_)
            | RpcError::NotFound(_)
    )
}

#[async_trait]
impl Filter for ExceptionFilter {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        let service = invocation.url().map(Arc::clone);
        let method = invocation.method().clone();
        match next.invoke(invocation).await {
            Err(e) if is_unexpected(&e) => {
                let service = service.map(|u| u.service_key().to_string());
                tracing::error!(
                    target: LOG_TARGET,
                    service = service.as_deref().unwrap_or("unknown"),
                    method = %method,
                    error = %e,
                    "the service returned an unexpected error; sending it as a RuntimeException"
                );
                Err(RpcError::business(e.to_string()))
            }
            other => other,
        }
    }
}

/// The factory: active on the provider side.
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    Ok(match ctx.side {
        Side::Provider => Some(Arc::new(ExceptionFilter)),
        Side::Consumer => None,
    })
}
