//! The [`Filter`] trait, the [`Next`] handle a filter calls to go on, and [`Side`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use oxidubbo_common::{Url, values};
use oxidubbo_invoker::{CallFuture, Invocation, Invoker, RpcError, RpcResult};

use crate::observer::{Observer, Watch};

/// Which end of a call a chain sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// In front of an exported service; configured by `service.filter`.
    Provider,
    /// In front of a referred service; configured by `reference.filter`.
    Consumer,
}

impl Side {
    /// Dubbo's name of the side: `provider` or `consumer` (the `side` URL parameter).
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Provider => values::PROVIDER_SIDE,
            Side::Consumer => values::CONSUMER_SIDE,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a filter chain: something that sees every call on its way to the invoker
/// and the result on its way back.
///
/// A filter receives the call and a [`Next`] handle for the rest of the chain. It may
/// answer the call itself (`$echo`, a rejected token), change the invocation before
/// passing it on (`generic`, `context`), or look at the outcome after
/// `next.invoke(invocation).await` returns (`timeout`, `exception`, `accesslog`). There is
/// no separate response hook: code after the `await` *is* the response hook, and it runs
/// for errors too.
///
/// Filters are shared by all calls through a chain, so they are `Send + Sync`; per-call
/// state lives on the stack of `invoke`. A filter that needs the URL reads the call's
/// snapshot, [`Invocation::url`] (the chain sets it when the call starts), and never the
/// invoker's URL after an `await` (DESIGN.md, lifecycle rule 2). A filter must not keep an
/// `Arc<Url>` in its own fields, or a destroyed invoker's URL would stay reachable.
///
/// ```
/// use async_trait::async_trait;
/// use oxidubbo_filter::{Filter, Next};
/// use oxidubbo_invoker::{Invocation, RpcError, RpcResult};
///
/// /// Adds a `trace-id` attachment to every call.
/// struct TraceId;
///
/// #[async_trait]
/// impl Filter for TraceId {
///     async fn invoke(
///         &self,
///         next: Next<'_>,
///         mut invocation: Invocation,
///     ) -> Result<RpcResult, RpcError> {
///         invocation.attachments_mut().insert_if_absent("trace-id", "t-1");
///         next.invoke(invocation).await
///     }
/// }
/// ```
#[async_trait]
pub trait Filter: Send + Sync + 'static {
    /// Handles one call; `next.invoke(invocation)` passes it on to the rest of the chain.
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError>;

    /// This filter as an [`Observer`], if it only watches calls: the chain then runs its
    /// hooks itself, around the rest of the chain, and does not call
    /// [`invoke`](Self::invoke) (which should do the same, with [`observe`](crate::observe),
    /// for a caller driving the filter directly). The default is `None`.
    fn observer(&self) -> Option<&dyn Observer> {
        None
    }

    /// Called once when the chain is destroyed: release background resources (a log
    /// writer, a timer). The default does nothing.
    fn destroy(&self) {}
}

/// The rest of a filter chain, as seen from one filter: the filters after it and the
/// invoker at the end.
///
/// It is two references and `Copy`, so a filter can call it more than once (a retry) and
/// building it costs nothing.
#[derive(Clone, Copy)]
pub struct Next<'a> {
    filters: &'a [Arc<dyn Filter>],
    invoker: &'a dyn Invoker,
}

impl<'a> Next<'a> {
    pub(crate) fn new(filters: &'a [Arc<dyn Filter>], invoker: &'a dyn Invoker) -> Self {
        Next { filters, invoker }
    }

    /// Passes the call to the next filter, or to the invoker after the last one.
    ///
    /// The future returned is the next filter's own (no hop of its own is added). When
    /// the next filter is an [`Observer`] ([`Filter::observer`]), its hooks run here,
    /// inline: `begin` now, `end` when the filter after it (or the invoker) answers.
    pub fn invoke(
        self,
        invocation: Invocation,
    ) -> impl Future<Output = Result<RpcResult, RpcError>> + Send + 'a {
        self.hop(invocation)
    }

    /// [`Next::invoke`] as a boxed future: the next filter's (or the invoker's) own box
    /// when no observer watches it.
    ///
    /// For a filter that only looks at a call before passing it on: it can implement
    /// [`Filter::invoke`] without `async` and return this, so that the call is not boxed
    /// once more for it (see the built-in `echo` and `context` filters).
    pub fn call(self, invocation: Invocation) -> CallFuture<'a> {
        match self.hop(invocation) {
            Hop { call, watch: None } => call,
            watched => Box::pin(watched),
        }
    }

    fn hop(self, invocation: Invocation) -> Hop<'a> {
        let Some((filter, rest)) = self.filters.split_first() else {
            return Hop::new(self.invoker.invoke(invocation), None);
        };
        let rest = Next {
            filters: rest,
            invoker: self.invoker,
        };
        let Some(observer) = filter.observer() else {
            return Hop::new(filter.invoke(rest, invocation), None);
        };
        let watch = Watch::begin(observer, &invocation);
        // The filter after an observer is called directly (an observer there runs its
        // hooks through its own `invoke`): one observer per hop.
        let call = match rest.filters.split_first() {
            Some((filter, filters)) => {
                let next = Next {
                    filters,
                    invoker: self.invoker,
                };
                filter.invoke(next, invocation)
            }
            None => self.invoker.invoke(invocation),
        };
        Hop::new(call, Some(watch))
    }

    /// The invoker at the end of the chain (for `is_available` and the like; use the
    /// call's URL snapshot, not its `url()`).
    pub fn invoker(&self) -> &'a dyn Invoker {
        self.invoker
    }

    /// How many filters remain before the invoker.
    pub fn remaining(&self) -> usize {
        self.filters.len()
    }
}

impl fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next")
            .field("remaining", &self.filters.len())
            .finish_non_exhaustive()
    }
}

/// A call passed on by [`Next::invoke`]: the next filter's (or the invoker's) future, and
/// the observer watching it, if any.
struct Hop<'a> {
    call: CallFuture<'a>,
    watch: Option<Watch<'a>>,
}

impl<'a> Hop<'a> {
    fn new(call: CallFuture<'a>, watch: Option<Watch<'a>>) -> Self {
        Hop { call, watch }
    }
}

impl Future for Hop<'_> {
    type Output = Result<RpcResult, RpcError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = std::task::ready!(self.call.as_mut().poll(cx));
        if let Some(watch) = self.watch.take() {
            watch.end(&result);
        }
        Poll::Ready(result)
    }
}

/// The call's URL snapshot, or [`RpcError::Destroyed`] when the call has none (only
/// possible for a filter driven outside a chain).
pub(crate) fn snapshot(invocation: &Invocation) -> Result<Arc<Url>, RpcError> {
    invocation.url().cloned().ok_or_else(|| {
        RpcError::Destroyed(format!(
            "call of {} has no URL snapshot (the invoker was destroyed)",
            invocation.method_name()
        ))
    })
}
