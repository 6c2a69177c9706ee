//! [`Observer`]: a filter made of synchronous hooks, run by the chain itself around the
//! rest of it, with no future of its own.
//!
//! A filter that awaits the rest of the chain costs a boxed future and a hop per call,
//! whatever it does. One that can say what it does in two hooks — when the call reaches its
//! place, and when the answer comes back — can instead return itself from
//! [`Filter::observer`](crate::Filter::observer). The chain then runs the hooks of a row of
//! such filters in one hop: [`Observer::begin`] of each in chain order (each may change
//! the call, answer it, or watch it), then the next ordinary filter or the invoker, then
//! [`Observer::end`] of each watching one, innermost first (each may change the result), or
//! [`Observer::abandon`] if the call is dropped first (its caller gave up).
//!
//! This is dubbo-go's `Invoke` / `OnResponse` pair. Most of the built-in filters of the
//! default chains are observers: `graceful`, `echo`, `timeout`, `generic`, `context` and
//! `exception`.

use std::fmt;
use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_invoker::{CallFuture, Invocation, MethodName, RpcError, RpcResult};

use crate::Next;

/// At most this many observers watch one call in one hop; an observer past them runs its
/// hooks in a hop of its own (through its [`Filter::invoke`](crate::Filter::invoke)).
pub(crate) const WATCHES_PER_HOP: usize = 6;
// `Watches::reads_call` has a bit for each.
const _: () = assert!(WATCHES_PER_HOP <= 8);

/// What an [`Observer`] decides, in [`Observer::begin`], for one call.
#[derive(Debug)]
pub enum Begin {
    /// Let the call go on, unwatched: neither [`Observer::end`] nor [`Observer::abandon`]
    /// is called for it.
    Pass,
    /// Let the call go on, watched: exactly one of [`Observer::end`] and
    /// [`Observer::abandon`] gets this observation.
    Watch(Observation),
    /// Answer the call with this result: the rest of the chain does not see it, and the
    /// observers before this one get the answer in their `end`.
    Answer(Result<RpcResult, RpcError>),
}

/// Hooks around one place of a filter chain, run by the chain itself: a filter that returns
/// itself from [`Filter::observer`](crate::Filter::observer) is not called; the chain calls
/// `begin` when a call reaches its place and, for a call it watches, `end` (or `abandon`,
/// if the call is dropped first) when the rest of the chain answers — no boxed future, no
/// hop of its own.
///
/// The hooks are synchronous and run on the call's own task: they must not block.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use oxidubbo_filter::{Begin, Called, Filter, FilteredInvoker, Next, Observation, Observer, observe};
/// use oxidubbo_invoker::{CallFuture, Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, Url, service_fn};
///
/// /// Counts the calls that failed, and refuses calls of `forbidden`.
/// #[derive(Default)]
/// struct Failures(AtomicU64);
///
/// impl Observer for Failures {
///     fn begin(&self, invocation: &mut Invocation) -> Begin {
///         if invocation.method_name() == "forbidden" {
///             return Begin::Answer(Err(RpcError::Forbidden("no".into())));
///         }
///         Begin::Watch(Observation::default())
///     }
///     fn end(&self, _: Observation, _: &Called, result: &mut Result<RpcResult, RpcError>) {
///         if result.is_err() {
///             self.0.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
///
/// impl Filter for Failures {
///     // What a caller driving the filter directly gets: the same hooks.
///     fn invoke<'s, 'n, 'f>(&'s self, next: Next<'n>, invocation: Invocation) -> CallFuture<'f>
///     where
///         's: 'f,
///         'n: 'f,
///         Self: 'f,
///     {
///         observe(self, next, invocation)
///     }
///     fn observer(&self) -> Option<&dyn Observer> {
///         Some(self)
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let url: Arc<Url> = Arc::new("dubbo://127.0.0.1:20880/com.example.Greeter".parse().unwrap());
/// let service = ServiceInvoker::new(
///     url,
///     service_fn(|_inv: Invocation| async { Err::<RpcResult, _>(RpcError::business("no")) }),
/// );
/// let failures = Arc::new(Failures::default());
/// let chain = FilteredInvoker::new(
///     Arc::new(service),
///     [("failures", Arc::clone(&failures) as Arc<dyn Filter>)],
/// );
/// assert!(chain.invoke(Invocation::new("sayHello", "", vec![])).await.is_err());
/// assert_eq!(failures.0.load(Ordering::Relaxed), 1);
/// let refused = chain.invoke(Invocation::new("forbidden", "", vec![])).await;
/// assert!(matches!(refused, Err(RpcError::Forbidden(_))));
/// # });
/// ```
pub trait Observer: Send + Sync {
    /// A call reached the observer's place in the chain: go on with it, changed or not,
    /// watched or not, or answer it.
    fn begin(&self, invocation: &mut Invocation) -> Begin;

    /// The rest of the chain answered a call this observer watches with `result`, which it
    /// may change (the observers and filters before it see the change). `call` is the
    /// call as the chain passed it on, when the observer reads it
    /// ([`reads_call`](Self::reads_call)). The default does nothing.
    fn end(
        &self,
        observation: Observation,
        call: &Called,
        result: &mut Result<RpcResult, RpcError>,
    ) {
        let _ = (observation, call, result);
    }

    /// A call this observer watches was dropped before the rest of the chain answered. The
    /// default does nothing.
    fn abandon(&self, observation: Observation) {
        let _ = observation;
    }

    /// Whether [`end`](Self::end) reads the call's URL and method from its [`Called`]:
    /// the chain keeps them (two reference counts) only for the calls watched by an
    /// observer that does. The default is `false`.
    fn reads_call(&self) -> bool {
        false
    }
}

/// What an [`Observer`] keeps of one call between its hooks: two numbers of its choosing,
/// such as an index into its own table and a reading of its own clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observation {
    /// The observer's own number for the call.
    pub slot: usize,
    /// When the call began, in the observer's own clock (or any other number).
    pub stamp: u64,
}

/// The call an [`Observer::end`] is told of: its URL snapshot and method as the chain
/// passed it on (after every `begin` of the hop: a generic call's own method, for one).
/// Empty for an observer that does not [`read it`](Observer::reads_call).
pub struct Called {
    url: Option<Arc<Url>>,
    method: Option<MethodName>,
}

impl Called {
    /// Nothing kept of the call.
    const NOTHING: Called = Called {
        url: None,
        method: None,
    };

    /// The URL snapshot and method of `invocation`.
    pub fn of(invocation: &Invocation) -> Self {
        Called {
            url: invocation.url().cloned(),
            method: Some(invocation.method().clone()),
        }
    }

    /// The call's URL snapshot.
    pub fn url(&self) -> Option<&Arc<Url>> {
        self.url.as_ref()
    }

    /// The method called (`""` when not kept).
    pub fn method_name(&self) -> &str {
        self.method.as_ref().map_or("", MethodName::as_str)
    }
}

impl fmt::Debug for Called {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Called")
            .field("service", &self.url.as_ref().map(|u| u.service_key()))
            .field("method", &self.method_name())
            .finish()
    }
}

/// Runs `invocation` through the rest of the chain under `observer`'s hooks (and those of
/// the observers right after it, in the same hop): what an observer does in
/// [`Filter::invoke`](crate::Filter::invoke), for a caller driving it as an ordinary
/// filter (the chain itself runs the hooks without calling it).
pub fn observe<'a>(
    observer: &'a dyn Observer,
    next: Next<'a>,
    invocation: Invocation,
) -> CallFuture<'a> {
    next.observed(observer, invocation)
}

/// The observers watching one call in one hop, in chain order, until
/// [`Watches::end`] or, if dropped first, [`Observer::abandon`] (innermost first).
pub(crate) struct Watches<'a> {
    watching: [Option<(&'a dyn Observer, Observation)>; WATCHES_PER_HOP],
    len: usize,
    /// Which of `watching` read the call (bit `i` for `watching[i]`).
    reads_call: u8,
    called: Called,
}

/// What an observer that does not read the call is told of it.
static UNREAD: Called = Called::NOTHING;

impl<'a> Watches<'a> {
    pub(crate) fn new() -> Self {
        Watches {
            watching: [None; WATCHES_PER_HOP],
            len: 0,
            reads_call: 0,
            called: Called::NOTHING,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len == WATCHES_PER_HOP
    }

    /// Adds `observer`'s watch (the caller checked [`Watches::is_full`]).
    pub(crate) fn push(&mut self, observer: &'a dyn Observer, observation: Observation) {
        if let Some(slot) = self.watching.get_mut(self.len) {
            *slot = Some((observer, observation));
            if observer.reads_call() {
                self.reads_call |= 1 << self.len;
            }
            self.len += 1;
        }
    }

    /// Keeps what the watching observers read of the call as it goes on.
    pub(crate) fn capture(&mut self, invocation: &Invocation) {
        if self.reads_call != 0 {
            self.called = Called::of(invocation);
        }
    }

    /// Runs every watching observer's `end` on `result`, innermost first.
    pub(crate) fn end(&mut self, result: &mut Result<RpcResult, RpcError>) {
        while let Some((observer, observation)) = self.pop() {
            let called = if self.reads_call & (1 << self.len) != 0 {
                &self.called
            } else {
                &UNREAD
            };
            observer.end(observation, called, result);
        }
    }

    fn pop(&mut self) -> Option<(&'a dyn Observer, Observation)> {
        self.len = self.len.checked_sub(1)?;
        self.watching.get_mut(self.len)?.take()
    }
}

impl Drop for Watches<'_> {
    fn drop(&mut self) {
        while let Some((observer, observation)) = self.pop() {
            observer.abandon(observation);
        }
    }
}

/// Implements [`Filter`](crate::Filter) for observers of this crate: the chain runs their
/// hooks; a caller driving one directly gets them through [`observe`].
macro_rules! observer_filter {
    ($($observer:ty),+ $(,)?) => {$(
        impl $crate::Filter for $observer {
            fn invoke<'s, 'n, 'f>(
                &'s self,
                next: $crate::Next<'n>,
                invocation: oxidubbo_invoker::Invocation,
            ) -> oxidubbo_invoker::CallFuture<'f>
            where
                's: 'f,
                'n: 'f,
                Self: 'f,
            {
                $crate::observe(self, next, invocation)
            }

            fn observer(&self) -> Option<&dyn $crate::Observer> {
                Some(self)
            }
        }
    )+};
}
pub(crate) use observer_filter;
