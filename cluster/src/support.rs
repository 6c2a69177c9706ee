//! `ClusterCore`: what every cluster invoker shares (directory, lifecycle, selection).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use oxidubbo_common::{Url, defaults, keys};
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult, RpcStatus};

use crate::Directory;
use crate::loadbalance::{LoadBalance, load_balance_for};

/// The state and helpers of a cluster invoker.
pub(crate) struct ClusterCore {
    directory: Arc<dyn Directory>,
    /// The service key, as text, kept for error messages after the URL is released.
    service: String,
    destroyed: AtomicBool,
    balancers: RwLock<Vec<(String, Arc<dyn LoadBalance>)>>,
}

impl ClusterCore {
    pub(crate) fn new(directory: Arc<dyn Directory>) -> Self {
        let service = directory
            .url()
            .map(|u| u.service_key().to_string())
            .unwrap_or_else(|| "<unknown service>".to_owned());
        ClusterCore {
            directory,
            service,
            destroyed: AtomicBool::new(false),
            balancers: RwLock::new(Vec::new()),
        }
    }

    /// The service key this invoker serves, as text.
    pub(crate) fn service(&self) -> &str {
        &self.service
    }

    /// Starts a call: fails if destroyed, else returns the consumer URL snapshot of the
    /// call (the invocation's, or the directory's, which is then recorded in it).
    pub(crate) fn start(&self, invocation: &mut Invocation) -> Result<Arc<Url>, RpcError> {
        if self.is_destroyed() {
            return Err(self.destroyed_error(invocation.method_name()));
        }
        if let Some(url) = invocation.url() {
            return Ok(Arc::clone(url));
        }
        let url = self
            .directory
            .url()
            .ok_or_else(|| self.destroyed_error(invocation.method_name()))?;
        invocation.set_url(Arc::clone(&url));
        Ok(url)
    }

    /// The error for a call on (or interrupted by) a destroyed cluster invoker.
    pub(crate) fn destroyed_error(&self, method: &str) -> RpcError {
        RpcError::Destroyed(format!(
            "cluster invoker of service {} was destroyed (method {method})",
            self.service
        ))
    }

    /// The routed invokers for the call; [`RpcError::Unavailable`] naming the service when
    /// there are none.
    pub(crate) fn list(
        &self,
        invocation: &Invocation,
        url: &Url,
    ) -> Result<Vec<Arc<dyn Invoker>>, RpcError> {
        if self.is_destroyed() {
            return Err(self.destroyed_error(invocation.method_name()));
        }
        let invokers = match self.directory.list(invocation) {
            Err(RpcError::Destroyed(_)) => {
                return Err(self.destroyed_error(invocation.method_name()));
            }
            other => other?,
        };
        if invokers.is_empty() {
            return Err(RpcError::Unavailable(format!(
                "no provider available for method {} of service {} (consumer {})",
                invocation.method_name(),
                self.service,
                url.host()
            )));
        }
        Ok(invokers)
    }

    /// The balancer the URL names for `method` (default `random`), one instance per name
    /// per cluster invoker so stateful balancers keep their state.
    pub(crate) fn balancer(
        &self,
        url: &Url,
        method: &str,
    ) -> Result<Arc<dyn LoadBalance>, RpcError> {
        let name = url.method_param_or(method, keys::LOADBALANCE, defaults::LOADBALANCE);
        {
            let cache = self.balancers.read().unwrap_or_else(|e| e.into_inner());
            if let Some((_, lb)) = cache.iter().find(|(n, _)| n == name) {
                return Ok(Arc::clone(lb));
            }
        }
        let lb = load_balance_for(name)?;
        let mut cache = self.balancers.write().unwrap_or_else(|e| e.into_inner());
        if let Some((_, existing)) = cache.iter().find(|(n, _)| n == name) {
            return Ok(Arc::clone(existing));
        }
        cache.push((name.to_owned(), Arc::clone(&lb)));
        Ok(lb)
    }

    /// Picks an invoker with `lb`, preferring available invokers not yet `tried`; falls
    /// back to tried-but-available ones, then to any not destroyed (Dubbo's reselect).
    pub(crate) fn select(
        &self,
        lb: &dyn LoadBalance,
        invokers: &[Arc<dyn Invoker>],
        tried: &[Arc<dyn Invoker>],
        url: &Url,
        invocation: &Invocation,
    ) -> Option<Arc<dyn Invoker>> {
        let was_tried = |i: &Arc<dyn Invoker>| tried.iter().any(|t| same_invoker(t, i));
        let mut candidates: Vec<Arc<dyn Invoker>> = invokers
            .iter()
            .filter(|i| i.is_available() && !was_tried(i))
            .cloned()
            .collect();
        if candidates.is_empty() {
            candidates = invokers
                .iter()
                .filter(|i| i.is_available())
                .cloned()
                .collect();
        }
        if candidates.is_empty() {
            candidates = invokers
                .iter()
                .filter(|i| !i.is_destroyed())
                .cloned()
                .collect();
        }
        let index = if candidates.len() == 1 {
            Some(0)
        } else {
            let mut rng = rand::thread_rng();
            lb.select(&candidates, url, invocation, &mut rng)
        };
        index.and_then(|i| candidates.get(i).cloned())
    }

    /// Calls `invoker`, counting the call in [`RpcStatus`] when `lb` reads those statistics.
    pub(crate) async fn invoke(
        &self,
        lb: &dyn LoadBalance,
        invoker: &Arc<dyn Invoker>,
        invocation: Invocation,
    ) -> Result<RpcResult, RpcError> {
        invoke_counted(lb.uses_rpc_status(), invoker, invocation).await
    }

    pub(crate) fn url(&self) -> Option<Arc<Url>> {
        if self.is_destroyed() {
            return None;
        }
        self.directory.url()
    }

    pub(crate) fn is_available(&self) -> bool {
        !self.is_destroyed() && self.directory.is_available()
    }

    pub(crate) fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire)
    }

    /// Destroys the directory (once). Returns `true` the first time.
    pub(crate) fn destroy(&self) -> bool {
        if self.destroyed.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.directory.destroy();
        self.balancers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        tracing::debug!(service = %self.service, "cluster invoker destroyed");
        true
    }
}

/// Calls `invoker`; when `count`, the call is counted in [`RpcStatus`] against the
/// provider URL snapshot taken before the call, so the count is released against that
/// same status even if the invoker is destroyed meanwhile (dubbo-go #3190, #3230).
pub(crate) async fn invoke_counted(
    count: bool,
    invoker: &Arc<dyn Invoker>,
    invocation: Invocation,
) -> Result<RpcResult, RpcError> {
    if !count {
        return invoker.invoke(invocation).await;
    }
    let guard = invoker
        .url()
        .map(|provider| RpcStatus::begin(&provider, invocation.method_name()));
    let result = invoker.invoke(invocation).await;
    if let Some(guard) = guard {
        // A business exception is a served call: it counts as succeeded, as in Dubbo.
        guard.end(result.as_ref().map_or_else(RpcError::is_business, |_| true));
    }
    result
}

/// Whether `a` and `b` are the same invoker (pointer identity).
pub(crate) fn same_invoker(a: &Arc<dyn Invoker>, b: &Arc<dyn Invoker>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

/// Implements the lifecycle methods of [`Invoker`] by delegating to `self.core`.
macro_rules! delegate_lifecycle {
    () => {
        fn url(&self) -> Option<std::sync::Arc<oxidubbo_common::Url>> {
            self.core.url()
        }

        fn is_available(&self) -> bool {
            self.core.is_available()
        }

        fn is_destroyed(&self) -> bool {
            self.core.is_destroyed()
        }

        fn destroy(&self) {
            self.core.destroy();
        }
    };
}
pub(crate) use delegate_lifecycle;
