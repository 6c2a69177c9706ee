//! Routers: which of a service's invokers may serve a given call.
//!
//! - [`ConditionRouter`], Dubbo's condition rules (`method = find* => host = 10.20.*`);
//! - [`TagRouter`], Dubbo's static tag routing (`dubbo.tag`, `dubbo.force.tag`);
//! - [`RouterChain`], the routers a directory applies, in priority order.
//!
//! Every router tolerates destroyed invokers (whose `url()` is `None`): it skips them and
//! never panics (dubbo-go #3153).

mod chain;
mod condition;
mod tag;

use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker};

pub use chain::RouterChain;
pub use condition::{ConditionRouter, RuleError};
pub use tag::TagRouter;

/// Narrows a list of invokers down to those that may serve a call.
pub trait Router: Send + Sync + 'static {
    /// The invokers of `invokers` that may serve `invocation`, made by the consumer
    /// `url` (`None` when the caller has none). Destroyed invokers are dropped.
    fn route(
        &self,
        invokers: Vec<Arc<dyn Invoker>>,
        url: Option<&Url>,
        invocation: &Invocation,
    ) -> Vec<Arc<dyn Invoker>>;

    /// Order in a [`RouterChain`]: lower runs first. Default `0`.
    fn priority(&self) -> i32 {
        0
    }

    /// Tells the router the directory's invokers changed (they may include destroyed
    /// ones). The default does nothing.
    fn notify(&self, invokers: &[Arc<dyn Invoker>]) {
        let _ = invokers;
    }
}
