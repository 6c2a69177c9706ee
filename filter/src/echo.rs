//! `echo` (provider): answers Dubbo's `$echo(x)` health check with `x`, without calling
//! the service.

use std::sync::Arc;

use oxidubbo_invoker::{Invocation, RpcError, RpcResult};

use crate::observer::observer_filter;
use crate::{Begin, Filter, FilterContext, Observer, Side};

/// The filter's name in `service.filter`.
pub const NAME: &str = "echo";
/// The method name of an echo call.
pub const ECHO_METHOD: &str = "$echo";

/// Returns the only argument of a `$echo` call; passes every other call on.
#[derive(Debug, Clone, Copy, Default)]
pub struct EchoFilter;

// An observer: the chain answers `$echo` in the hop that reaches it.
impl Observer for EchoFilter {
    fn begin(&self, invocation: &mut Invocation) -> Begin {
        if invocation.method_name() == ECHO_METHOD && invocation.arguments().len() == 1 {
            let value = invocation.take_arguments().pop().unwrap_or_default();
            return Begin::Answer(Ok(RpcResult::new(value)));
        }
        Begin::Pass
    }
}

observer_filter!(EchoFilter);

/// The factory: active on the provider side only (a consumer's `$echo` must reach the
/// provider).
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    Ok(match ctx.side {
        Side::Provider => Some(Arc::new(EchoFilter)),
        Side::Consumer => None,
    })
}
