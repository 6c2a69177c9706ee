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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_invoker::{Invocation, RpcError, RpcResult};
use tokio::sync::Notify;

use crate::{Filter, FilterContext, Next};

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

#[derive(Default)]
struct Inner {
    in_flight: AtomicUsize,
    closing: AtomicBool,
    idle: Notify,
}

impl Graceful {
    /// A counter with no calls, accepting calls.
    pub fn new() -> Self {
        Graceful::default()
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::Acquire)
    }

    /// Starts refusing new calls (calls in flight go on).
    pub fn shutdown(&self) {
        self.inner.closing.store(true, Ordering::Release);
    }

    /// Accepts new calls again (after a cancelled shutdown).
    pub fn resume(&self) {
        self.inner.closing.store(false, Ordering::Release);
    }

    /// Whether [`Graceful::shutdown`] has been called (and not [`Graceful::resume`]d).
    pub fn is_shutting_down(&self) -> bool {
        self.inner.closing.load(Ordering::Acquire)
    }

    /// Counts one call until the returned guard is dropped.
    ///
    /// # Errors
    ///
    /// [`RpcError::Unavailable`] once shutdown has begun.
    pub fn enter(&self) -> Result<InFlight, RpcError> {
        if self.is_shutting_down() {
            return Err(RpcError::Unavailable(
                "the service is shutting down and takes no new calls".to_owned(),
            ));
        }
        self.inner.in_flight.fetch_add(1, Ordering::AcqRel);
        // A shutdown that began between the check and the increment may already have
        // seen zero calls; back out so it is not waited for in vain.
        if self.is_shutting_down() {
            drop(InFlight {
                inner: Arc::clone(&self.inner),
            });
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
        loop {
            let notified = self.inner.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.in_flight() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.in_flight() == 0;
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
        if self.inner.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.inner.idle.notify_waiters();
        }
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

#[async_trait]
impl Filter for GracefulFilter {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        let _in_flight = self.graceful.enter().map_err(|_| {
            let service = invocation
                .url()
                .map(|u| u.service_key().to_string())
                .unwrap_or_default();
            RpcError::Unavailable(format!(
                "{service} is shutting down and refused {}()",
                invocation.method_name()
            ))
        })?;
        next.invoke(invocation).await
    }
}

/// The factory: always active, counting in the chain's [`Graceful`].
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    Ok(Some(Arc::new(GracefulFilter::new(ctx.graceful.clone()))))
}
