//! `failback`: failed calls are retried later, in the background.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::support::ClusterCore;
use crate::{Cluster, Directory};

/// URL parameter: most failed calls waiting for a retry. Dubbo default: `100`.
pub const FAILBACK_TASKS: &str = "failbacktasks";
/// Default of [`FAILBACK_TASKS`].
pub const DEFAULT_FAILBACK_TASKS: i64 = 100;
/// Default number of retries of a failed call (`retries` parameter): Dubbo's `3`.
pub const DEFAULT_FAILBACK_RETRIES: i64 = 3;
/// URL parameter (oxidubbo's): milliseconds between retries of a failed call.
/// Default: Dubbo's fixed 5 seconds.
pub const FAILBACK_PERIOD: &str = "failback.period";
/// Default of [`FAILBACK_PERIOD`], in milliseconds.
pub const DEFAULT_FAILBACK_PERIOD_MS: u64 = 5000;

/// Dubbo's `failback` strategy: calls one provider; when that fails (except with a
/// business exception, which is returned) it logs, returns an empty [`RpcResult`] and
/// queues the call to be retried every `failback.period` up to `retries` times (default
/// 3) on another provider (for notifications).
///
/// The queue is bounded by `failbacktasks` (default 100): beyond it failed calls are
/// dropped with a warning. The retries run on one background task per cluster invoker,
/// started at the first failure; it ends when the invoker is destroyed or dropped.
#[derive(Debug, Default, Clone, Copy)]
pub struct FailbackCluster;

impl FailbackCluster {
    /// Its name in the `cluster` parameter.
    pub const NAME: &'static str = "failback";
}

impl Cluster for FailbackCluster {
    fn join(&self, directory: Arc<dyn Directory>) -> Arc<dyn Invoker> {
        Arc::new(FailbackClusterInvoker::new(directory))
    }
}

/// A failed call waiting for its retry.
struct Retry {
    invocation: Invocation,
    retries_left: i64,
    period: Duration,
    due: Instant,
    last: Option<Arc<dyn Invoker>>,
}

/// The retry task's handle and the way to feed it.
struct Worker {
    queue: Option<mpsc::Sender<Retry>>,
    task: JoinHandle<()>,
}

/// The invoker [`FailbackCluster`] makes.
pub struct FailbackClusterInvoker {
    core: Arc<ClusterCore>,
    worker: Mutex<Option<Worker>>,
    /// Set to `true` on destroy; its drop (with the invoker) also stops the task.
    shutdown: watch::Sender<bool>,
    /// Failed calls waiting for a retry (queued or being retried).
    queued: Arc<AtomicUsize>,
}

impl FailbackClusterInvoker {
    /// A failback invoker over `directory`.
    pub fn new(directory: Arc<dyn Directory>) -> Self {
        FailbackClusterInvoker {
            core: Arc::new(ClusterCore::new(directory)),
            worker: Mutex::new(None),
            shutdown: watch::Sender::new(false),
            queued: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Failed calls waiting for a retry now.
    pub fn pending_retries(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// Whether the retry task has finished: `None` if it was never started.
    pub fn retry_task_finished(&self) -> Option<bool> {
        let worker = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        worker.as_ref().map(|w| w.task.is_finished())
    }

    /// Queues `invocation` for retries, starting the task if needed.
    fn enqueue(&self, invocation: Invocation, last: Option<Arc<dyn Invoker>>) {
        let Some(url) = invocation.url().cloned() else {
            return;
        };
        let method = invocation.method_name();
        let capacity = usize::try_from(url.int_param(FAILBACK_TASKS, DEFAULT_FAILBACK_TASKS))
            .unwrap_or(0)
            .max(1);
        let retries = url.method_int_param(
            method,
            oxidubbo_common::keys::RETRIES,
            DEFAULT_FAILBACK_RETRIES,
        );
        if retries <= 0 {
            return;
        }
        let period = url.duration_ms_param(
            FAILBACK_PERIOD,
            Duration::from_millis(DEFAULT_FAILBACK_PERIOD_MS),
        );
        let reserved = self
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < capacity).then_some(n + 1)
            })
            .is_ok();
        if !reserved {
            tracing::warn!(
                service = self.core.service(),
                method,
                capacity,
                "failback queue full, the failed call will not be retried"
            );
            return;
        }
        let retry = Retry {
            invocation,
            retries_left: retries.min(1_000),
            period,
            due: Instant::now() + period,
            last,
        };
        let mut worker = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        if worker.is_none() && !self.core.is_destroyed() {
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => {
                    let (queue, rx) = mpsc::channel(capacity);
                    let task = handle.spawn(retry_loop(
                        Arc::downgrade(&self.core),
                        rx,
                        self.shutdown.subscribe(),
                        Arc::clone(&self.queued),
                    ));
                    *worker = Some(Worker {
                        queue: Some(queue),
                        task,
                    });
                }
                Err(_) => tracing::warn!("failback needs a tokio runtime to retry"),
            }
        }
        let sent = worker
            .as_ref()
            .and_then(|w| w.queue.as_ref())
            .is_some_and(|q| q.try_send(retry).is_ok());
        if !sent {
            self.queued.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[async_trait]
impl Invoker for FailbackClusterInvoker {
    async fn invoke(&self, mut invocation: Invocation) -> Result<RpcResult, RpcError> {
        let url = self.core.start(&mut invocation)?;
        let method = invocation.method().clone();
        let attempt = async {
            let lb = self.core.balancer(&url, &method).map_err(|e| (e, None))?;
            let invokers = self.core.list(&invocation, &url).map_err(|e| (e, None))?;
            let invoker = self
                .core
                .select(lb.as_ref(), &invokers, &[], &url, &invocation)
                .ok_or_else(|| (RpcError::Unavailable("no available provider".into()), None))?;
            let result = self
                .core
                .invoke(lb.as_ref(), &invoker, invocation.clone())
                .await;
            result.map_err(|e| (e, Some(invoker)))
        };
        let outcome: Result<RpcResult, (RpcError, Option<Arc<dyn Invoker>>)> = attempt.await;
        match outcome {
            Ok(result) => Ok(result),
            Err((e, _)) if e.is_business() => Err(e),
            Err((e, _)) if matches!(e, RpcError::Destroyed(_)) && self.core.is_destroyed() => {
                Err(e)
            }
            Err((e, last)) => {
                tracing::warn!(
                    service = self.core.service(),
                    method = %method,
                    error = %e,
                    "call failed, will retry in the background"
                );
                self.enqueue(invocation, last);
                Ok(RpcResult::default())
            }
        }
    }

    fn url(&self) -> Option<Arc<oxidubbo_common::Url>> {
        self.core.url()
    }

    fn is_available(&self) -> bool {
        self.core.is_available()
    }

    fn is_destroyed(&self) -> bool {
        self.core.is_destroyed()
    }

    fn destroy(&self) {
        if self.core.destroy() {
            self.shutdown.send_replace(true);
            // Dropping the sender closes the queue; the task sees the shutdown and ends.
            let mut worker = self.worker.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(w) = worker.as_mut() {
                w.queue = None;
            }
        }
    }
}

impl Drop for FailbackClusterInvoker {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// The retry task: waits for due retries and runs them, until shutdown.
async fn retry_loop(
    core: Weak<ClusterCore>,
    mut queue: mpsc::Receiver<Retry>,
    mut shutdown: watch::Receiver<bool>,
    queued: Arc<AtomicUsize>,
) {
    let capacity = queue.max_capacity();
    let mut pending: Vec<Retry> = Vec::new();
    loop {
        if *shutdown.borrow_and_update() {
            break;
        }
        let next_due = pending.iter().map(|r| r.due).min();
        tokio::select! {
            biased;
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
            received = queue.recv(), if pending.len() < capacity => match received {
                Some(retry) => pending.push(retry),
                None if pending.is_empty() => break,
                None => {}
            },
            () = sleep_until_opt(next_due), if next_due.is_some() => {
                let now = Instant::now();
                let (due, later): (Vec<Retry>, Vec<Retry>) =
                    pending.drain(..).partition(|r| r.due <= now);
                pending = later;
                for retry in due {
                    let Some(core) = core.upgrade() else {
                        break;
                    };
                    if core.is_destroyed() {
                        break;
                    }
                    tokio::select! {
                        biased;
                        _ = shutdown.changed() => break,
                        again = run_retry(&core, retry) => match again {
                            Some(retry) => pending.push(retry),
                            None => {
                                queued.fetch_sub(1, Ordering::AcqRel);
                            }
                        },
                    }
                }
            }
        }
    }
    queued.store(0, Ordering::Release);
    tracing::debug!("failback retry task ended");
}

async fn sleep_until_opt(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Retries once; returns the retry to run again later, or `None` when done with it.
async fn run_retry(core: &ClusterCore, mut retry: Retry) -> Option<Retry> {
    let invocation = retry.invocation.clone();
    let method = invocation.method().clone();
    let url = invocation.url().cloned()?;
    let outcome = async {
        let lb = core.balancer(&url, &method)?;
        let invokers = core.list(&invocation, &url)?;
        let tried: Vec<Arc<dyn Invoker>> = retry.last.iter().cloned().collect();
        let invoker = core
            .select(lb.as_ref(), &invokers, &tried, &url, &invocation)
            .ok_or_else(|| RpcError::Unavailable("no available provider".into()))?;
        retry.last = Some(Arc::clone(&invoker));
        core.invoke(lb.as_ref(), &invoker, invocation.clone()).await
    }
    .await;
    match outcome {
        Ok(_) => {
            tracing::info!(service = core.service(), method = %method, "failback retry succeeded");
            None
        }
        Err(e) if e.is_business() => None,
        Err(e) => {
            retry.retries_left -= 1;
            if retry.retries_left <= 0 || core.is_destroyed() {
                tracing::error!(
                    service = core.service(),
                    method = %method,
                    error = %e,
                    "failback gave up on a failed call"
                );
                return None;
            }
            retry.due = Instant::now() + retry.period;
            Some(retry)
        }
    }
}
