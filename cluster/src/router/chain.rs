//! `RouterChain`: the routers of a directory, applied in priority order.

use std::sync::Arc;

use arc_swap::ArcSwap;
use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker};

use super::Router;

/// An ordered list of [`Router`]s. Reading it on a call is lock-free (an [`ArcSwap`]
/// snapshot); changing it swaps in a new list.
#[derive(Default)]
pub struct RouterChain {
    routers: ArcSwap<Vec<Arc<dyn Router>>>,
}

impl RouterChain {
    /// An empty chain: routing returns the invokers unchanged.
    pub fn new() -> Self {
        RouterChain::default()
    }

    /// A chain of `routers`, sorted by [`Router::priority`] (stable).
    pub fn with_routers(routers: Vec<Arc<dyn Router>>) -> Self {
        let chain = RouterChain::new();
        chain.set(routers);
        chain
    }

    /// Replaces the routers (sorted by priority, stable).
    pub fn set(&self, mut routers: Vec<Arc<dyn Router>>) {
        routers.sort_by_key(|r| r.priority());
        self.routers.store(Arc::new(routers));
    }

    /// Adds one router, keeping the priority order.
    pub fn add(&self, router: Arc<dyn Router>) {
        let mut routers = self.routers.load().as_ref().clone();
        routers.push(router);
        self.set(routers);
    }

    /// Removes every router.
    pub fn clear(&self) {
        self.routers.store(Arc::new(Vec::new()));
    }

    /// Number of routers.
    pub fn len(&self) -> usize {
        self.routers.load().len()
    }

    /// Whether there are no routers.
    pub fn is_empty(&self) -> bool {
        self.routers.load().is_empty()
    }

    /// Tells every router the invoker list changed.
    pub fn notify(&self, invokers: &[Arc<dyn Invoker>]) {
        for router in self.routers.load().iter() {
            router.notify(invokers);
        }
    }

    /// Runs `invokers` through every router in order, stopping early once none are left.
    pub fn route(
        &self,
        mut invokers: Vec<Arc<dyn Invoker>>,
        url: Option<&Url>,
        invocation: &Invocation,
    ) -> Vec<Arc<dyn Invoker>> {
        for router in self.routers.load().iter() {
            if invokers.is_empty() {
                break;
            }
            invokers = router.route(invokers, url, invocation);
        }
        invokers
    }
}
