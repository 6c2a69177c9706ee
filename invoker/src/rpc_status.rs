//! `RpcStatus`: per-invoker, per-method call statistics (active calls, totals, elapsed),
//! shared by the `actives`/`executes` filters and the `leastactive`/`shortestresponse`
//! load balancers.
//!
//! Statistics are keyed by the *identity* of an invoker's `Arc<Url>` (not its text) and
//! held only while that URL lives: when an invoker is destroyed and releases its URL, its
//! statistics are pruned. A call takes its [`ActiveGuard`] from the URL snapshot it started
//! with, so the count is released against that same status even if the invoker is
//! destroyed mid-call (dubbo-go #3190, #3230).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use once_cell::sync::Lazy;
use oxidubbo_common::Url;

/// Call statistics of one invoker (and, for per-method figures, one method).
#[derive(Debug, Default)]
pub struct RpcStatus {
    active: AtomicI64,
    total: AtomicU64,
    failed: AtomicU64,
    total_elapsed_ms: AtomicU64,
    succeeded_elapsed_ms: AtomicU64,
    max_elapsed_ms: AtomicU64,
}

type Key = (usize, String);

struct Entry {
    url: Weak<Url>,
    status: Arc<RpcStatus>,
}

#[derive(Default)]
struct Table {
    map: HashMap<Key, Entry>,
    prune_at: usize,
}

static TABLE: Lazy<Mutex<Table>> = Lazy::new(|| {
    Mutex::new(Table {
        map: HashMap::new(),
        prune_at: 64,
    })
});

impl RpcStatus {
    /// The statistics of `method` on the invoker whose URL is `url` (`""` for all methods).
    pub fn get(url: &Arc<Url>, method: &str) -> Arc<RpcStatus> {
        let key = (Arc::as_ptr(url) as usize, method.to_owned());
        let mut table = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = table.map.get(&key) {
            if entry.url.upgrade().is_some_and(|u| Arc::ptr_eq(&u, url)) {
                return Arc::clone(&entry.status);
            }
        }
        if table.map.len() >= table.prune_at {
            table.map.retain(|_, e| e.url.strong_count() > 0);
            table.prune_at = (table.map.len() * 2).max(64);
        }
        let status = Arc::new(RpcStatus::default());
        table.map.insert(
            key,
            Entry {
                url: Arc::downgrade(url),
                status: Arc::clone(&status),
            },
        );
        status
    }

    /// Starts counting a call of `method` on `url`, for the method and for the invoker.
    /// Dropping the guard (or calling [`ActiveGuard::end`]) ends it.
    pub fn begin(url: &Arc<Url>, method: &str) -> ActiveGuard {
        let statuses = [RpcStatus::get(url, ""), RpcStatus::get(url, method)];
        for s in &statuses {
            s.active.fetch_add(1, Ordering::AcqRel);
        }
        ActiveGuard {
            statuses: Some(statuses),
            started: Instant::now(),
        }
    }

    /// Number of statistics entries currently kept (live URLs only, after pruning).
    pub fn tracked() -> usize {
        let mut table = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        table.map.retain(|_, e| e.url.strong_count() > 0);
        table.map.len()
    }

    /// Calls in flight.
    pub fn active(&self) -> i64 {
        self.active.load(Ordering::Acquire)
    }

    /// Calls finished.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Acquire)
    }

    /// Calls that failed.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Acquire)
    }

    /// Sum of the elapsed time of all finished calls.
    pub fn total_elapsed(&self) -> Duration {
        Duration::from_millis(self.total_elapsed_ms.load(Ordering::Acquire))
    }

    /// Longest call so far.
    pub fn max_elapsed(&self) -> Duration {
        Duration::from_millis(self.max_elapsed_ms.load(Ordering::Acquire))
    }

    /// Mean elapsed time of the calls that succeeded (zero before any did).
    pub fn succeeded_average_elapsed(&self) -> Duration {
        let ok = self.total().saturating_sub(self.failed());
        if ok == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(self.succeeded_elapsed_ms.load(Ordering::Acquire) / ok)
    }

    fn finish(&self, elapsed_ms: u64, succeeded: bool) {
        self.active.fetch_sub(1, Ordering::AcqRel);
        self.total.fetch_add(1, Ordering::AcqRel);
        self.total_elapsed_ms
            .fetch_add(elapsed_ms, Ordering::AcqRel);
        self.max_elapsed_ms.fetch_max(elapsed_ms, Ordering::AcqRel);
        if succeeded {
            self.succeeded_elapsed_ms
                .fetch_add(elapsed_ms, Ordering::AcqRel);
        } else {
            self.failed.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// One call being counted; ends the count exactly once, against the statuses it began on.
#[derive(Debug)]
pub struct ActiveGuard {
    statuses: Option<[Arc<RpcStatus>; 2]>,
    started: Instant,
}

impl ActiveGuard {
    /// Ends the call, recording whether it succeeded.
    pub fn end(mut self, succeeded: bool) {
        self.finish(succeeded);
    }

    fn finish(&mut self, succeeded: bool) {
        if let Some(statuses) = self.statuses.take() {
            let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            for s in &statuses {
                s.finish(ms, succeeded);
            }
        }
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        // A call dropped without an outcome (cancelled) counts as failed.
        self.finish(false);
    }
}
