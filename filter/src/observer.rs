//! [`Observer`]: a filter that only watches calls, run by the chain itself around the rest
//! of it, with no future of its own.
//!
//! A filter that awaits the rest of the chain costs a boxed future and a hop per call,
//! whatever it does. One that only needs to see a call start and end (to count it, to time
//! it) can instead return itself from [`Filter::observer`](crate::Filter::observer): the chain then calls
//! [`Observer::begin`] when the call reaches the filter's place, goes on to the next filter
//! at once, and calls [`Observer::end`] with the result when the rest of the chain answers
//! — or [`Observer::abandon`] if the call is dropped first (its caller gave up).

use oxidubbo_invoker::{Invocation, RpcError, RpcResult};

use crate::Next;

/// Hooks around one place of a filter chain, run by the chain itself: a filter that only
/// watches calls returns itself from [`Filter::observer`](crate::Filter::observer), and the
/// chain calls `begin` when a call reaches its place and `end` (or `abandon`, if the call is
/// dropped first) when the rest of the chain answers — no boxed future, no hop of its own.
///
/// The hooks are synchronous and run on the call's own task: they must not block.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use async_trait::async_trait;
/// use oxidubbo_filter::{Filter, FilteredInvoker, Next, Observation, Observer, observe};
/// use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, Url, service_fn};
///
/// /// Counts the calls that failed.
/// #[derive(Default)]
/// struct Failures(AtomicU64);
///
/// impl Observer for Failures {
///     fn begin(&self, _: &Invocation) -> Option<Observation> {
///         Some(Observation { slot: 0, stamp: 0 })
///     }
///     fn end(&self, _: Observation, result: &Result<RpcResult, RpcError>) {
///         if result.is_err() {
///             self.0.fetch_add(1, Ordering::Relaxed);
///         }
///     }
///     fn abandon(&self, _: Observation) {}
/// }
///
/// #[async_trait]
/// impl Filter for Failures {
///     async fn invoke(&self, next: Next<'_>, inv: Invocation) -> Result<RpcResult, RpcError> {
///         observe(self, next, inv).await
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
/// let call = Invocation::new("sayHello", "", vec![]);
/// assert!(chain.invoke(call).await.is_err());
/// assert_eq!(failures.0.load(Ordering::Relaxed), 1);
/// # });
/// ```
pub trait Observer: Send + Sync {
    /// A call reached the observer's place in the chain. `None` leaves this call
    /// unwatched; otherwise exactly one of [`end`](Self::end) and
    /// [`abandon`](Self::abandon) gets the returned observation.
    fn begin(&self, invocation: &Invocation) -> Option<Observation>;

    /// The rest of the chain answered the call with `result`.
    fn end(&self, observation: Observation, result: &Result<RpcResult, RpcError>);

    /// The call was dropped before the rest of the chain answered.
    fn abandon(&self, observation: Observation);
}

/// What an [`Observer`] keeps of one call between its hooks: two numbers of its choosing,
/// such as an index into its own table and a reading of its own clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// The observer's own number for the call.
    pub slot: usize,
    /// When the call began, in the observer's own clock (or any other number).
    pub stamp: u64,
}

/// Runs `invocation` through the rest of the chain under `observer`'s hooks: what a filter
/// that is an observer does in [`Filter::invoke`] when it is called as an ordinary filter
/// (the chain itself runs the hooks without calling it).
///
/// [`Filter::invoke`]: crate::Filter::invoke
pub async fn observe(
    observer: &dyn Observer,
    next: Next<'_>,
    invocation: Invocation,
) -> Result<RpcResult, RpcError> {
    let watch = Watch::begin(observer, &invocation);
    let result = next.invoke(invocation).await;
    watch.end(&result);
    result
}

/// One observer watching one call, until [`Watch::end`] or, if dropped first,
/// [`Observer::abandon`].
pub(crate) struct Watch<'a> {
    observer: &'a dyn Observer,
    observation: Option<Observation>,
}

impl<'a> Watch<'a> {
    /// Begins `observer`'s watch of `invocation` (or nothing, if it does not watch it).
    pub(crate) fn begin(observer: &'a dyn Observer, invocation: &Invocation) -> Self {
        Watch {
            observer,
            observation: observer.begin(invocation),
        }
    }

    pub(crate) fn end(mut self, result: &Result<RpcResult, RpcError>) {
        if let Some(observation) = self.observation.take() {
            self.observer.end(observation, result);
        }
    }
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        if let Some(observation) = self.observation.take() {
            self.observer.abandon(observation);
        }
    }
}
