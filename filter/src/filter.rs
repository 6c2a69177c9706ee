//! The [`Filter`] trait, the [`Next`] handle a filter calls to go on, and [`Side`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use oxidubbo_common::{Url, values};
use oxidubbo_invoker::{CallFuture, Invocation, Invoker, RpcError, RpcResult, ready_call};

use crate::observer::{Begin, Observer, Watches};

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
/// `next.invoke(invocation).await` returns (`accesslog`): code after the `await` is the
/// response hook, and it runs for errors too. A filter whose work fits in two synchronous
/// hooks is cheaper as an [`Observer`] (`graceful`, `echo`, `timeout`, `generic`, `context`
/// and `exception` are): the chain runs a row of them in one hop, with no future of their
/// own.
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

    /// This filter as an [`Observer`], if what it does fits in synchronous hooks: the
    /// chain then runs its hooks itself, in one hop with the observers next to it, and
    /// does not call [`invoke`](Self::invoke) (which should do the same, with
    /// [`observe`](crate::observe), for a caller driving the filter directly). The default
    /// is `None`.
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
    /// the next filters are [`Observer`]s ([`Filter::observer`]), their hooks run here,
    /// inline: each `begin` now, in chain order, and each `end` when the first ordinary
    /// filter after them (or the invoker) answers.
    pub fn invoke(
        self,
        invocation: Invocation,
    ) -> impl Future<Output = Result<RpcResult, RpcError>> + Send + 'a {
        self.hop(None, invocation)
    }

    /// [`Next::invoke`] as a boxed future: the next filter's (or the invoker's) own box
    /// when no observer watches the call.
    ///
    /// For a filter that has nothing to do after passing a call on and is not an
    /// [`Observer`]: it can implement [`Filter::invoke`] without `async` and return this,
    /// so that the call is not boxed once more for it.
    pub fn call(self, invocation: Invocation) -> CallFuture<'a> {
        self.hop(None, invocation).boxed()
    }

    /// Runs `observer`'s hooks around the rest of the chain ([`observe`](crate::observe)).
    pub(crate) fn observed(
        self,
        observer: &'a dyn Observer,
        invocation: Invocation,
    ) -> CallFuture<'a> {
        self.hop(Some(observer), invocation).boxed()
    }

    /// Runs the `begin` hooks of `first` and of the observers at the head of the rest of
    /// the chain, then calls the first ordinary filter after them (or the invoker).
    fn hop(mut self, mut first: Option<&'a dyn Observer>, mut invocation: Invocation) -> Hop<'a> {
        let mut watches = Watches::new();
        loop {
            let observer = match first.take() {
                Some(observer) => observer,
                None => {
                    let Some((filter, rest)) = self.filters.split_first() else {
                        break;
                    };
                    let Some(observer) = filter.observer() else {
                        break;
                    };
                    if watches.is_full() {
                        break;
                    }
                    self.filters = rest;
                    observer
                }
            };
            match observer.begin(&mut invocation) {
                Begin::Pass => {}
                Begin::Watch(observation) => watches.push(observer, observation),
                Begin::Answer(mut result) => {
                    watches.capture(&invocation);
                    watches.end(&mut result);
                    return Hop {
                        call: ready_call(result),
                        watches,
                    };
                }
            }
        }
        watches.capture(&invocation);
        let call = match self.filters.split_first() {
            Some((filter, filters)) => {
                let next = Next {
                    filters,
                    invoker: self.invoker,
                };
                filter.invoke(next, invocation)
            }
            None => self.invoker.invoke(invocation),
        };
        Hop { call, watches }
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

/// A call passed on by [`Next::invoke`]: the next ordinary filter's (or the invoker's)
/// future, and the observers watching it.
struct Hop<'a> {
    call: CallFuture<'a>,
    watches: Watches<'a>,
}

impl<'a> Hop<'a> {
    /// The call's own future when nothing watches it, else the hop, boxed.
    fn boxed(self) -> CallFuture<'a> {
        if self.watches.is_empty() {
            return self.call;
        }
        Box::pin(self)
    }
}

impl Future for Hop<'_> {
    type Output = Result<RpcResult, RpcError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut result = std::task::ready!(self.call.as_mut().poll(cx));
        self.watches.end(&mut result);
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
