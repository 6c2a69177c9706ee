//! `RpcStatus`: per-invoker, per-method call statistics (active calls, totals, elapsed),
//! shared by the `actives`/`executes` filters and the `leastactive`/`shortestresponse`/`p2c`
//! load balancers.
//!
//! # Where the statistics live
//!
//! Each URL's data carries its own statistics, as a [URL attribute](Url::attribute) made on
//! first use. There is no global table and no lock: finding the statistics of a call is a
//! few atomic loads and, for the method, a search among a fixed set of slots; counting a
//! call is atomic adds, and allocates nothing. The statistics go with the URL: when the
//! invoker that holds the URL is destroyed and the last clone of the URL is released, its
//! statistics are released with it. A call takes its [`ActiveGuard`] from the URL snapshot
//! it started with, and the guard holds the statuses it counts on, so the count is released
//! against that same status even if the invoker is destroyed mid-call (dubbo-go #3190,
//! #3230).
//!
//! # Which methods have statistics of their own
//!
//! Method names come from the wire (a provider counts what consumers ask for), so the set
//! of per-method statistics is fixed when the URL's statistics are made, never grown by a
//! request:
//!
//! * A URL that declares its methods (`methods=sayHello,add`, as every exported service's
//!   and registered provider's URL does) has one status per declared method. A call of
//!   any other name counts in one shared status for unknown methods.
//! * A URL that declares none has [`UNDECLARED_METHOD_SLOTS`] slots, taken by the first
//!   distinct method names called on it (a name is copied once, when it takes its slot);
//!   further names share the status for unknown methods.
//!
//! Either way a URL's statistics cost a bounded amount of memory, however many distinct
//! names are called. Statistics are per URL *data*: clones of one `Url` share them, while
//! two URLs parsed from the same text (two invokers of the same provider) count apart.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use oxidubbo_common::{Url, keys};

/// How many method names a URL that does not declare its methods counts apart (the rest
/// share one status).
pub const UNDECLARED_METHOD_SLOTS: usize = 32;

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

/// The statistics of one URL's data: for the whole service, per method, and for methods
/// without a status of their own.
struct UrlStatistics {
    service: Arc<RpcStatus>,
    /// Sorted by name when declared; filled in call order otherwise.
    methods: Box<[MethodSlot]>,
    /// Whether `methods` holds the URL's declared methods (no slot is ever taken).
    declared: bool,
    unknown: Arc<RpcStatus>,
}

struct MethodSlot {
    name: OnceLock<Box<str>>,
    status: Arc<RpcStatus>,
}

impl MethodSlot {
    fn new(name: Option<&str>) -> Self {
        let slot = MethodSlot {
            name: OnceLock::new(),
            status: Arc::default(),
        };
        if let Some(name) = name {
            let _ = slot.name.set(name.into());
        }
        slot
    }
}

impl UrlStatistics {
    fn new(url: &Url) -> Self {
        let mut declared: Vec<&str> = url
            .param(keys::METHODS)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty() && *m != "*")
            .collect();
        declared.sort_unstable();
        declared.dedup();
        let methods = if declared.is_empty() {
            (0..UNDECLARED_METHOD_SLOTS)
                .map(|_| MethodSlot::new(None))
                .collect()
        } else {
            declared.iter().map(|m| MethodSlot::new(Some(m))).collect()
        };
        UrlStatistics {
            service: Arc::default(),
            methods,
            declared: !declared.is_empty(),
            unknown: Arc::default(),
        }
    }

    fn of(url: &Url) -> &UrlStatistics {
        url.attribute(|| UrlStatistics::new(url))
    }

    fn method(&self, method: &str) -> &Arc<RpcStatus> {
        if method.is_empty() {
            return &self.service;
        }
        if self.declared {
            let found = self
                .methods
                .binary_search_by(|slot| slot.name.get().map(|n| &**n).cmp(&Some(method)));
            return match found {
                Ok(i) => &self.methods[i].status,
                Err(_) => &self.unknown,
            };
        }
        for slot in self.methods.iter() {
            // Slots are taken in order and never given back: the first free one ends the
            // names taken so far; this call takes it (or finds it taken by a racing call,
            // perhaps of the same method).
            let name = slot.name.get_or_init(|| method.into());
            if **name == *method {
                return &slot.status;
            }
        }
        &self.unknown
    }
}

impl RpcStatus {
    /// The statistics of `method` on the invoker whose URL is `url` (`""` for all methods).
    pub fn get(url: &Url, method: &str) -> Arc<RpcStatus> {
        Arc::clone(UrlStatistics::of(url).method(method))
    }

    /// Starts counting a call of `method` on `url`, for the method and for the invoker.
    /// Dropping the guard (or calling [`ActiveGuard::end`]) ends it.
    pub fn begin(url: &Url, method: &str) -> ActiveGuard {
        let stats = UrlStatistics::of(url);
        let statuses = [Arc::clone(&stats.service), Arc::clone(stats.method(method))];
        for s in &statuses {
            s.active.fetch_add(1, Ordering::AcqRel);
        }
        ActiveGuard {
            statuses: Some(statuses),
            started: Instant::now(),
        }
    }

    /// How many method names have statistics of their own on `url`: its declared methods,
    /// or the slots taken so far (at most [`UNDECLARED_METHOD_SLOTS`]).
    pub fn methods_counted(url: &Url) -> usize {
        let stats = UrlStatistics::of(url);
        stats
            .methods
            .iter()
            .filter(|slot| slot.name.get().is_some())
            .count()
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
