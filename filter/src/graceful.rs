//! `graceful`: counts the calls in flight through a chain, can refuse new calls once
//! shutdown begins, and lets shutdown wait until the calls in flight are done.
//!
//! The counter is a [`Graceful`] handle, shared by cloning. [`ChainBuilder::graceful`]
//! hands one to a chain (or several: one handle per application counts them all); the
//! facade's graceful shutdown calls [`Graceful::shutdown`] and then
//! [`Graceful::wait_idle`].
//!
//! [`ChainBuilder::graceful`]: crate::ChainBuilder::graceful

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::Duration;

use oxidubbo_invoker::{Invocation, RpcError, RpcResult};
use tokio::sync::Notify;

use crate::observer::observer_filter;
use crate::{Begin, Called, Filter, FilterContext, Observation, Observer};

/// The filter's name in `service.filter`/`reference.filter`.
pub const NAME: &str = "graceful";

/// A shared in-flight counter with a shutdown switch.
///
/// ```
/// use std::time::Duration;
/// use oxidubbo_filter::Graceful;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let graceful = Graceful::new();
/// let call = graceful.enter().unwrap(); // what the filter does per call
/// assert_eq!(graceful.in_flight(), 1);
/// graceful.shutdown();
/// assert!(graceful.enter().is_err()); // new calls are refused
/// drop(call);
/// assert!(graceful.wait_idle(Duration::from_secs(1)).await);
/// # });
/// ```
#[derive(Clone, Default)]
pub struct Graceful {
    inner: Arc<Inner>,
}

// The orderings are `SeqCst` where a side writes one of these and then reads another: a
// call counts itself in and then reads `closing` (out, then `waiting`), while shutdown
// sets `closing` and `wait_idle` counts itself in `waiting` before reading `in_flight`.
// Only one total order of those operations makes sure that at least one side sees the
// other's write, so that no call slips past a shutdown that saw none in flight, and no
// waiter misses the last call out.
#[derive(Default)]
struct Inner {
    in_flight: AtomicUsize,
    closing: AtomicBool,
    /// `wait_idle` calls waiting now: the last call out wakes them only if there are any,
    /// so a call does not touch the `Notify` while nobody waits.
    waiting: AtomicUsize,
    idle: Notify,
}

impl Inner {
    /// Counts a call in, unless shutdown has begun.
    fn admit(&self) -> bool {
        if self.closing.load(SeqCst) {
            return false;
        }
        self.in_flight.fetch_add(1, SeqCst);
        // A shutdown that began between the check and the increment may already have
        // seen zero calls; back out so it is not waited for in vain.
        if self.closing.load(SeqCst) {
            self.leave();
            return false;
        }
        true
    }

    /// Counts a call out; the last one wakes whoever waits for no calls in flight.
    fn leave(&self) {
        if self.in_flight.fetch_sub(1, SeqCst) == 1 && self.waiting.load(SeqCst) > 0 {
            self.idle.notify_waiters();
        }
    }
}

/// One [`Graceful::wait_idle`] waiting, counted in `waiting` until dropped.
struct Waiting<'a>(&'a Inner);

impl<'a> Waiting<'a> {
    fn new(inner: &'a Inner) -> Self {
        inner.waiting.fetch_add(1, SeqCst);
        Waiting(inner)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, SeqCst);
    }
}

impl Graceful {
    /// A counter with no calls, accepting calls.
    pub fn new() -> Self {
        Graceful::default()
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Acquire)
    }

    /// Starts refusing new calls (calls in flight go on).
    pub fn shutdown(&self) {
        self.inner.closing.store(true, SeqCst);
    }

    /// Accepts new calls again (after a cancelled shutdown).
    pub fn resume(&self) {
        self.inner.closing.store(false, SeqCst);
    }

    /// Whether [`Graceful::shutdown`] has been called (and not [`Graceful::resume`]d).
    pub fn is_shutting_down(&self) -> bool {
        self.inner.closing.load(Acquire)
    }

    /// Counts one call until the returned guard is dropped.
    ///
    /// # Errors
    ///
    /// [`RpcError::Unavailable`] once shutdown has begun.
    pub fn enter(&self) -> Result<InFlight, RpcError> {
        if !self.inner.admit() {
            return Err(RpcError::Unavailable(
                "the service is shutting down and takes no new calls".to_owned(),
            ));
        }
        Ok(InFlight {
            inner: Arc::clone(&self.inner),
        })
    }

    /// Waits until no call is in flight, for at most `timeout`. Returns whether that
    /// happened (`false`: calls were still in flight when the time ran out).
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        let _waiting = Waiting::new(&self.inner);
        loop {
            let notified = self.inner.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.inner.in_flight.load(SeqCst) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.inner.in_flight.load(SeqCst) == 0;
            }
        }
    }
}

impl fmt::Debug for Graceful {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Graceful")
            .field("in_flight", &self.in_flight())
            .field("shutting_down", &self.is_shutting_down())
            .finish()
    }
}

/// One counted call; dropping it (also when the call is cancelled) ends the count.
#[must_use = "the call is counted only while the guard lives"]
pub struct InFlight {
    inner: Arc<Inner>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.inner.leave();
    }
}

impl fmt::Debug for InFlight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InFlight")
    }
}

/// Counts every call in its [`Graceful`]; refuses calls with [`RpcError::Unavailable`]
/// once shutdown has begun.
#[derive(Debug, Clone)]
pub struct GracefulFilter {
    graceful: Graceful,
}

impl GracefulFilter {
    /// A filter counting in `graceful`.
    pub fn new(graceful: Graceful) -> Self {
        GracefulFilter { graceful }
    }
}

// An observer: a call is counted in by `begin` and out by `end` or `abandon`, with no
// reference count of the `Arc` every call of the process shares.
impl Observer for GracefulFilter {
    fn begin(&self, invocation: &mut Invocation) -> Begin {
        if self.graceful.inner.admit() {
            return Begin::Watch(Observation::default());
        }
        let service = invocation
            .url()
            .map(|u| u.service_key().to_string())
            .unwrap_or_default();
        Begin::Answer(Err(RpcError::Unavailable(format!(
            "{service} is shutting down and refused {}()",
            invocation.method_name()
        ))))
    }

    fn end(&self, _: Observation, _: &Called, _: &mut Result<RpcResult, RpcError>) {
        self.graceful.inner.leave();
    }

    fn abandon(&self, _: Observation) {
        self.graceful.inner.leave();
    }
}

observer_filter!(GracefulFilter);

/// The factory: always active, counting in the chain's [`Graceful`].
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    Ok(Some(Arc::new(GracefulFilter::new(ctx.graceful.clone()))))
}
