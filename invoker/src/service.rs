//! `ServiceInvoker`: the provider-side invoker that calls a service implementation.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_common::Url;

use crate::{BaseInvoker, CallFuture, Invocation, Invoker, RpcError, RpcResult, ready_call};

/// A service implementation: turns an invocation into a result.
///
/// Typed services implement it through the `oxidubbo` facade; [`service_fn`] makes one
/// from an async closure.
#[async_trait]
pub trait Service: Send + Sync + 'static {
    /// Serves one call.
    async fn call(&self, invocation: Invocation) -> Result<RpcResult, RpcError>;
}

// Not `async`: the inner service's own future is returned, not boxed once more.
impl<S: Service + ?Sized> Service for Arc<S> {
    fn call<'s, 'f>(&'s self, invocation: Invocation) -> CallFuture<'f>
    where
        's: 'f,
        Self: 'f,
    {
        (**self).call(invocation)
    }
}

/// A [`Service`] made from an async function, see [`service_fn`].
#[derive(Clone)]
pub struct ServiceFn<F>(F);

/// Makes a [`Service`] from an async function of the invocation.
pub fn service_fn<F, Fut>(f: F) -> ServiceFn<F>
where
    F: Fn(Invocation) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<RpcResult, RpcError>> + Send + 'static,
{
    ServiceFn(f)
}

#[async_trait]
impl<F, Fut> Service for ServiceFn<F>
where
    F: Fn(Invocation) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<RpcResult, RpcError>> + Send + 'static,
{
    async fn call(&self, invocation: Invocation) -> Result<RpcResult, RpcError> {
        (self.0)(invocation).await
    }
}

/// The invoker a provider exports: its URL plus the service that serves the calls
/// (Dubbo's `ProxyInvoker`).
pub struct ServiceInvoker<S> {
    base: BaseInvoker,
    service: S,
}

impl<S: Service> ServiceInvoker<S> {
    /// An invoker serving `url` with `service`.
    pub fn new(url: Arc<Url>, service: S) -> Self {
        ServiceInvoker {
            base: BaseInvoker::new(url),
            service,
        }
    }
}

// Not `async`: the service's own future is returned, not boxed once more.
impl<S: Service> Invoker for ServiceInvoker<S> {
    fn invoke<'s, 'f>(&'s self, mut invocation: Invocation) -> CallFuture<'f>
    where
        's: 'f,
        Self: 'f,
    {
        match self.base.url_or_destroyed() {
            Ok(url) => {
                if invocation.url().is_none() {
                    invocation.set_url(url);
                }
                self.service.call(invocation)
            }
            Err(e) => ready_call(Err(e)),
        }
    }

    fn url(&self) -> Option<Arc<Url>> {
        self.base.url()
    }

    fn is_available(&self) -> bool {
        self.base.is_available()
    }

    fn is_destroyed(&self) -> bool {
        self.base.is_destroyed()
    }

    fn destroy(&self) {
        self.base.destroy();
    }
}
