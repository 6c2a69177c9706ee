//! The `Invoker` trait and `BaseInvoker`, the lifecycle core every invoker embeds.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::ArcSwapOption;
use async_trait::async_trait;
use oxidubbo_common::Url;

use crate::{Invocation, RpcError, RpcResult};

/// The boxed future of one call: what [`Invoker::invoke`] and
/// [`Service::call`](crate::Service::call) return once `#[async_trait]` has expanded them.
///
/// An invoker that only checks something and passes the call on can implement `invoke`
/// without `async`, returning the inner call's own future rather than boxing it again
/// (one allocation per call fewer):
///
/// ```
/// use std::sync::Arc;
/// use oxidubbo_invoker::{CallFuture, Invocation, Invoker, RpcError, Url, ready_call};
///
/// struct Guarded(Arc<dyn Invoker>);
///
/// impl Invoker for Guarded {
///     fn invoke<'s, 'f>(&'s self, invocation: Invocation) -> CallFuture<'f>
///     where
///         's: 'f,
///         Self: 'f,
///     {
///         if invocation.method_name().starts_with('$') {
///             return ready_call(Err(RpcError::NotFound("no $ methods".into())));
///         }
///         self.0.invoke(invocation)
///     }
///     fn url(&self) -> Option<Arc<Url>> { self.0.url() }
///     fn is_available(&self) -> bool { self.0.is_available() }
///     fn is_destroyed(&self) -> bool { self.0.is_destroyed() }
///     fn destroy(&self) { self.0.destroy() }
/// }
/// ```
pub type CallFuture<'a> = Pin<Box<dyn Future<Output = Result<RpcResult, RpcError>> + Send + 'a>>;

/// A [`CallFuture`] already answered with `result` (a call refused or served at once).
pub fn ready_call<'a>(result: Result<RpcResult, RpcError>) -> CallFuture<'a> {
    Box::pin(std::future::ready(result))
}

/// Something that can be called: a remote provider, a local service, a cluster of
/// providers, or a filter in front of any of these.
///
/// Object-safe: invokers are passed around as `Arc<dyn Invoker>`.
#[async_trait]
pub trait Invoker: Send + Sync + 'static {
    /// Performs one call.
    ///
    /// A destroyed invoker returns [`RpcError::Destroyed`]; it never panics.
    async fn invoke(&self, invocation: Invocation) -> Result<RpcResult, RpcError>;

    /// The invoker's URL, or `None` once it has been destroyed.
    fn url(&self) -> Option<Arc<Url>>;

    /// Whether the invoker can take calls now.
    fn is_available(&self) -> bool;

    /// Whether [`Invoker::destroy`] has been called.
    fn is_destroyed(&self) -> bool;

    /// Releases the invoker: its URL, connections and tasks. Idempotent.
    fn destroy(&self);
}

/// The state every invoker shares: its URL and its lifecycle flags.
///
/// The URL lives in an [`ArcSwapOption`]: [`BaseInvoker::destroy`] stores `None`, so a
/// destroyed invoker keeps no URL reachable however long someone holds the invoker
/// (the dubbo-go leak this project was founded on). Everything here is lock-free.
#[derive(Debug)]
pub struct BaseInvoker {
    url: ArcSwapOption<Url>,
    available: AtomicBool,
    destroyed: AtomicBool,
}

impl BaseInvoker {
    /// A live, available invoker for `url`.
    pub fn new(url: Arc<Url>) -> Self {
        BaseInvoker {
            url: ArcSwapOption::from(Some(url)),
            available: AtomicBool::new(true),
            destroyed: AtomicBool::new(false),
        }
    }

    /// The URL, or `None` once destroyed. Take it once per call and keep the snapshot.
    pub fn url(&self) -> Option<Arc<Url>> {
        self.url.load_full()
    }

    /// The URL snapshot for a call, or [`RpcError::Destroyed`].
    pub fn url_or_destroyed(&self) -> Result<Arc<Url>, RpcError> {
        self.url
            .load_full()
            .ok_or_else(|| RpcError::Destroyed("the invoker's URL was released".into()))
    }

    /// Whether the invoker is available: not destroyed and not marked unavailable.
    pub fn is_available(&self) -> bool {
        self.available.load(Ordering::Acquire) && !self.is_destroyed()
    }

    /// Marks the invoker available or not (for example after a read-only event).
    pub fn set_available(&self, available: bool) {
        self.available.store(available, Ordering::Release);
    }

    /// Whether [`BaseInvoker::destroy`] has run.
    pub fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire)
    }

    /// Destroys: flips the flags, logs the URL and releases it.
    ///
    /// Returns `true` the first time, `false` on every later call, so the owner runs its
    /// own clean-up exactly once.
    pub fn destroy(&self) -> bool {
        if self.destroyed.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.available.store(false, Ordering::Release);
        if let Some(url) = self.url.swap(None) {
            tracing::debug!(url = %url, "invoker destroyed");
        }
        true
    }
}
