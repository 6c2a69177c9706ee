//! `StaticDirectory`: a fixed list of invokers, routed per call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::{ArcSwap, ArcSwapOption};
use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker, RpcError};

use crate::Directory;
use crate::router::RouterChain;

/// A [`Directory`] over a fixed list of invokers (Dubbo's `StaticDirectory`), with a
/// [`RouterChain`] applied to every [`Directory::list`].
///
/// Its consumer URL is the one given to [`StaticDirectory::with_url`], else a copy of the
/// first invoker's URL: a copy, so that the directory never keeps that invoker's URL alive
/// after the invoker is destroyed on its own. [`Directory::destroy`] destroys every
/// invoker and releases the list and the URL, so nothing the directory held stays
/// reachable through it.
pub struct StaticDirectory {
    url: ArcSwapOption<Url>,
    invokers: ArcSwap<Vec<Arc<dyn Invoker>>>,
    routers: RouterChain,
    destroyed: AtomicBool,
}

impl StaticDirectory {
    /// A directory over `invokers`, without routers; its URL is a copy of the first
    /// invoker's URL (its own data, not shared with that invoker).
    pub fn new(invokers: Vec<Arc<dyn Invoker>>) -> Self {
        let url = invokers
            .iter()
            .find_map(|i| i.url())
            .map(|first| Arc::new(first.to_builder().build()));
        Self::with_url(url, invokers)
    }

    /// A directory over `invokers` serving the consumer URL `url`.
    pub fn with_url(url: Option<Arc<Url>>, invokers: Vec<Arc<dyn Invoker>>) -> Self {
        StaticDirectory {
            url: ArcSwapOption::from(url),
            invokers: ArcSwap::from_pointee(invokers),
            routers: RouterChain::new(),
            destroyed: AtomicBool::new(false),
        }
    }

    /// Uses `routers` for [`Directory::list`], builder style.
    pub fn with_routers(mut self, routers: RouterChain) -> Self {
        self.routers = routers;
        self
    }

    /// The router chain, e.g. to add or replace routers.
    pub fn routers(&self) -> &RouterChain {
        &self.routers
    }

    /// Every invoker the directory holds, before routing (empty once destroyed).
    pub fn invokers(&self) -> Vec<Arc<dyn Invoker>> {
        self.invokers.load().as_ref().clone()
    }
}

impl Directory for StaticDirectory {
    fn url(&self) -> Option<Arc<Url>> {
        self.url.load_full()
    }

    fn list(&self, invocation: &Invocation) -> Result<Vec<Arc<dyn Invoker>>, RpcError> {
        if self.is_destroyed() {
            return Err(RpcError::Destroyed(
                "the static directory was destroyed".into(),
            ));
        }
        let invokers: Vec<Arc<dyn Invoker>> = self
            .invokers
            .load()
            .iter()
            .filter(|i| !i.is_destroyed())
            .cloned()
            .collect();
        let url = match invocation.url() {
            Some(url) => Some(Arc::clone(url)),
            None => self.url(),
        };
        Ok(self.routers.route(invokers, url.as_deref(), invocation))
    }

    fn is_available(&self) -> bool {
        !self.is_destroyed() && self.invokers.load().iter().any(|i| i.is_available())
    }

    fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire)
    }

    fn destroy(&self) {
        if self.destroyed.swap(true, Ordering::AcqRel) {
            return;
        }
        let invokers = self.invokers.swap(Arc::new(Vec::new()));
        for invoker in invokers.iter() {
            invoker.destroy();
        }
        self.routers.clear();
        if let Some(url) = self.url.swap(None) {
            tracing::debug!(url = %url, "static directory destroyed");
        }
    }
}
