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

use oxidubbo_invoker::{Invocation, RpcError, RpcResult};

use crate::observer::observer_filter;
use crate::{Begin, Called, Filter, FilterContext, Observation, Observer, Side};

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

// An observer: the chain maps the result in the hop that reaches it.
impl Observer for ExceptionFilter {
    fn begin(&self, _: &mut Invocation) -> Begin {
        Begin::Watch(Observation::default())
    }

    fn end(&self, _: Observation, call: &Called, result: &mut Result<RpcResult, RpcError>) {
        let Err(e) = result else { return };
        if !is_unexpected(e) {
            return;
        }
        let service = call.url().map(|u| u.service_key().to_string());
        tracing::error!(
            target: LOG_TARGET,
            service = service.as_deref().unwrap_or("unknown"),
            method = call.method_name(),
            error = %e,
            "the service returned an unexpected error; sending it as a RuntimeException"
        );
        *result = Err(RpcError::business(e.to_string()));
    }

    fn reads_call(&self) -> bool {
        true
    }
}

observer_filter!(ExceptionFilter);

/// The factory: active on the provider side.
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    Ok(match ctx.side {
        Side::Provider => Some(Arc::new(ExceptionFilter)),
        Side::Consumer => None,
    })
}
