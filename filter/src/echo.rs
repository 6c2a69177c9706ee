//! `echo` (provider): answers Dubbo's `$echo(x)` health check with `x`, without calling
//! the service.

use std::sync::Arc;

use oxidubbo_invoker::{CallFuture, Invocation, RpcError, RpcResult, ready_call};

use crate::{Filter, FilterContext, Next, Side};

/// The filter's name in `service.filter`.
pub const NAME: &str = "echo";
/// The method name of an echo call.
pub const ECHO_METHOD: &str = "$echo";

/// Returns the only argument of a `$echo` call; passes every other call on.
#[derive(Debug, Clone, Copy, Default)]
pub struct EchoFilter;

// Not `async`: any call but `$echo` is passed on as the next filter's own future.
impl Filter for EchoFilter {
    fn invoke<'s, 'n, 'f>(&'s self, next: Next<'n>, mut invocation: Invocation) -> CallFuture<'f>
    where
        's: 'f,
        'n: 'f,
        Self: 'f,
    {
        if invocation.method_name() == ECHO_METHOD && invocation.arguments().len() == 1 {
            let value = invocation.take_arguments().pop().unwrap_or_default();
            return ready_call(Ok(RpcResult::new(value)));
        }
        next.call(invocation)
    }
}

/// The factory: active on the provider side only (a consumer's `$echo` must reach the
/// provider).
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    Ok(match ctx.side {
        Side::Provider => Some(Arc::new(EchoFilter)),
        Side::Consumer => None,
    })
}
