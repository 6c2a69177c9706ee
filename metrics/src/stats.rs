//! [`MethodStats`]: what is counted for one method of one service on one side, and the
//! [`Snapshot`] a scrape reads.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use oxidubbo_invoker::RpcError;
use std::time::Instant;

use crate::FailureReason;

/// How many recent response times p95 and p99 are computed from, at most.
pub const RT_WINDOW_SAMPLES: usize = 1024;
/// How old a response time may be to count for p95 and p99.
pub const RT_WINDOW: Duration = Duration::from_secs(120);
/// The window `…_qps_total` averages over, in seconds.
pub const QPS_WINDOW_SECS: u64 = 10;

/// The counters of one method (one series per family).
#[derive(Debug)]
pub struct MethodStats {
    origin: Instant,
    total: AtomicU64,
    succeed: AtomicU64,
    failed: AtomicU64,
    reasons: [AtomicU64; FailureReason::ALL.len()],
    processing: AtomicI64,
    timing: Mutex<Timing>,
}

/// Response times and call times, under one lock.
#[derive(Debug, Default)]
struct Timing {
    min_ms: Option<f64>,
    max_ms: f64,
    sum_ms: f64,
    completed: u64,
    /// The most recent response times (at most [`RT_WINDOW_SAMPLES`]), oldest first.
    recent: VecDeque<(Instant, f64)>,
    /// Calls begun per second (seconds since `origin`, count), one slot per second of
    /// the QPS window.
    per_second: [(u64, u64); QPS_WINDOW_SECS as usize],
}

/// The values of one method at a scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Calls begun.
    pub total: u64,
    /// Calls that returned a result.
    pub succeed: u64,
    /// Calls that returned an error.
    pub failed: u64,
    /// Failed calls by [`FailureReason`], in the order of [`FailureReason::ALL`].
    pub reasons: [u64; FailureReason::ALL.len()],
    /// Calls in progress.
    pub processing: i64,
    /// Calls per second over the last [`QPS_WINDOW_SECS`] seconds.
    pub qps: f64,
    /// The smallest response time, ms (0 before the first call).
    pub rt_min: f64,
    /// The largest response time, ms.
    pub rt_max: f64,
    /// The sum of the response times, ms.
    pub rt_sum: f64,
    /// The mean response time, ms.
    pub rt_avg: f64,
    /// The 95th percentile of the recent response times, ms.
    pub rt_p95: f64,
    /// The 99th percentile of the recent response times, ms.
    pub rt_p99: f64,
}

impl Default for MethodStats {
    fn default() -> Self {
        MethodStats {
            origin: Instant::now(),
            total: AtomicU64::default(),
            succeed: AtomicU64::default(),
            failed: AtomicU64::default(),
            reasons: Default::default(),
            processing: AtomicI64::default(),
            timing: Mutex::default(),
        }
    }
}

impl MethodStats {
    fn second(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.origin).as_secs()
    }

    fn timing(&self) -> std::sync::MutexGuard<'_, Timing> {
        self.timing.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a call that begins now; the returned [`CallGuard`] counts its end.
    pub fn begin(&self) -> CallGuard<'_> {
        let now = Instant::now();
        self.total.fetch_add(1, Ordering::Relaxed);
        self.processing.fetch_add(1, Ordering::Relaxed);
        let second = self.second(now);
        {
            let mut t = self.timing();
            let slot = &mut t.per_second[(second % QPS_WINDOW_SECS) as usize];
            if slot.0 == second {
                slot.1 += 1;
            } else {
                *slot = (second, 1);
            }
        }
        CallGuard {
            stats: self,
            started: now,
            ended: false,
        }
    }

    /// The values now.
    pub fn snapshot(&self) -> Snapshot {
        let now = Instant::now();
        let mut s = Snapshot {
            total: self.total.load(Ordering::Relaxed),
            succeed: self.succeed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            processing: self.processing.load(Ordering::Relaxed),
            ..Snapshot::default()
        };
        for (value, counter) in s.reasons.iter_mut().zip(&self.reasons) {
            *value = counter.load(Ordering::Relaxed);
        }
        let t = self.timing();
        let second = self.second(now);
        let in_window: u64 = t
            .per_second
            .iter()
            .filter(|(at, _)| second.saturating_sub(*at) < QPS_WINDOW_SECS)
            .map(|(_, count)| count)
            .sum();
        s.qps = in_window as f64 / QPS_WINDOW_SECS as f64;
        s.rt_min = t.min_ms.unwrap_or(0.0);
        s.rt_max = t.max_ms;
        s.rt_sum = t.sum_ms;
        if t.completed > 0 {
            s.rt_avg = t.sum_ms / t.completed as f64;
        }
        let mut recent: Vec<f64> = t
            .recent
            .iter()
            .filter(|(at, _)| now.saturating_duration_since(*at) < RT_WINDOW)
            .map(|(_, ms)| *ms)
            .collect();
        drop(t);
        recent.sort_by(f64::total_cmp);
        s.rt_p95 = percentile(&recent, 95);
        s.rt_p99 = percentile(&recent, 99);
        s
    }

    fn end(&self, started: Instant, outcome: Option<Result<(), &RpcError>>) {
        self.processing.fetch_sub(1, Ordering::Relaxed);
        let Some(outcome) = outcome else {
            return;
        };
        match outcome {
            Ok(()) => {
                self.succeed.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                self.reasons[FailureReason::of(e).index()].fetch_add(1, Ordering::Relaxed);
            }
        }
        let now = Instant::now();
        let ms = now.saturating_duration_since(started).as_secs_f64() * 1000.0;
        let mut t = self.timing();
        t.min_ms = Some(t.min_ms.map_or(ms, |m| m.min(ms)));
        t.max_ms = t.max_ms.max(ms);
        t.sum_ms += ms;
        t.completed += 1;
        if t.recent.len() == RT_WINDOW_SAMPLES {
            t.recent.pop_front();
        }
        t.recent.push_back((now, ms));
    }
}

/// The nearest-rank `p`th percentile of `sorted` (0 when empty).
fn percentile(sorted: &[f64], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// One call in progress; [`CallGuard::finish`] counts its outcome. A call dropped before
/// it finished (its caller gave up) only leaves `processing`.
#[derive(Debug)]
pub struct CallGuard<'a> {
    stats: &'a MethodStats,
    started: Instant,
    ended: bool,
}

impl CallGuard<'_> {
    /// Counts the call's outcome and response time.
    pub fn finish<T>(mut self, result: &Result<T, RpcError>) {
        self.ended = true;
        self.stats
            .end(self.started, Some(result.as_ref().map(|_| ())));
    }
}

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.stats.end(self.started, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 95), 95.0);
        assert_eq!(percentile(&values, 99), 99.0);
        assert_eq!(percentile(&[7.0], 99), 7.0);
        assert_eq!(percentile(&[], 95), 0.0);
    }

    #[test]
    fn outcomes_are_counted_by_reason() {
        let stats = MethodStats::default();
        stats.begin().finish::<()>(&Ok(()));
        stats
            .begin()
            .finish::<()>(&Err(RpcError::Network("reset".into())));
        let pending = stats.begin();
        assert_eq!(stats.snapshot().processing, 1);
        drop(pending);
        let s = stats.snapshot();
        assert_eq!((s.total, s.succeed, s.failed, s.processing), (3, 1, 1, 0));
        assert_eq!(s.reasons[FailureReason::Network.index()], 1);
        assert_eq!(s.reasons.iter().sum::<u64>(), 1);
        assert!(s.qps > 0.0);
        assert!(s.rt_min <= s.rt_avg && s.rt_avg <= s.rt_max);
    }

    #[test]
    fn the_rt_window_is_bounded() {
        let stats = MethodStats::default();
        for _ in 0..RT_WINDOW_SAMPLES + 10 {
            stats.begin().finish::<()>(&Ok(()));
        }
        assert_eq!(stats.timing().recent.len(), RT_WINDOW_SAMPLES);
        assert_eq!(stats.snapshot().succeed, (RT_WINDOW_SAMPLES + 10) as u64);
    }
}
