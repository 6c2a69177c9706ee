//! [`MethodStats`]: what is counted for one method of one service on one side, and the
//! [`Snapshot`] a scrape reads.

use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
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
///
/// Every call updates them with atomic operations only (no lock): a call costs a few
/// uncontended-when-idle atomics on each side, whatever the concurrency.
#[derive(Debug)]
pub struct MethodStats {
    origin: Instant,
    total: AtomicU64,
    succeed: AtomicU64,
    failed: AtomicU64,
    reasons: [AtomicU64; FailureReason::ALL.len()],
    processing: AtomicI64,
    /// The smallest and largest response time, and their sum, in nanoseconds
    /// (`u64::MAX` as the minimum before the first call).
    min_ns: AtomicU64,
    max_ns: AtomicU64,
    sum_ns: AtomicU64,
    /// Calls begun per second, one slot per second of the QPS window: the second (since
    /// `origin`) in the high 32 bits, the count in the low 32.
    per_second: [AtomicU64; QPS_WINDOW_SECS as usize],
    /// The most recent response times, a ring: the second they ended (since `origin`, plus
    /// one, so 0 is an empty slot) in the high 32 bits, the time in microseconds in the low.
    recent: Box<[AtomicU64]>,
    next_recent: AtomicUsize,
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
            min_ns: AtomicU64::new(u64::MAX),
            max_ns: AtomicU64::default(),
            sum_ns: AtomicU64::default(),
            per_second: Default::default(),
            recent: (0..RT_WINDOW_SAMPLES).map(|_| AtomicU64::new(0)).collect(),
            next_recent: AtomicUsize::default(),
        }
    }
}

impl MethodStats {
    fn second(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.origin).as_secs()
    }

    /// Counts a call that begins now; the returned [`CallGuard`] counts its end.
    pub fn begin(&self) -> CallGuard<'_> {
        let now = Instant::now();
        self.total.fetch_add(1, Ordering::Relaxed);
        self.processing.fetch_add(1, Ordering::Relaxed);
        let second = self.second(now) & u64::from(u32::MAX);
        let slot = &self.per_second[(second % QPS_WINDOW_SECS) as usize];
        let mut current = slot.load(Ordering::Relaxed);
        loop {
            if current >> 32 == second {
                slot.fetch_add(1, Ordering::Relaxed);
                break;
            }
            // The slot still counts an older second: start it over (one caller wins).
            match slot.compare_exchange_weak(
                current,
                (second << 32) | 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(seen) => current = seen,
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
        let second = self.second(now);
        let in_window: u64 = self
            .per_second
            .iter()
            .map(|slot| slot.load(Ordering::Relaxed))
            .filter(|slot| second.saturating_sub(slot >> 32) < QPS_WINDOW_SECS)
            .map(|slot| slot & u64::from(u32::MAX))
            .sum();
        s.qps = in_window as f64 / QPS_WINDOW_SECS as f64;
        let ms = |ns: u64| ns as f64 / 1e6;
        let completed = s.succeed + s.failed;
        if completed > 0 {
            s.rt_min = ms(self.min_ns.load(Ordering::Relaxed));
            s.rt_max = ms(self.max_ns.load(Ordering::Relaxed));
            s.rt_sum = ms(self.sum_ns.load(Ordering::Relaxed));
            s.rt_avg = s.rt_sum / completed as f64;
        }
        let oldest = second.saturating_sub(RT_WINDOW.as_secs());
        let mut recent: Vec<f64> = self
            .recent
            .iter()
            .map(|slot| slot.load(Ordering::Relaxed))
            .filter(|slot| *slot != 0 && (slot >> 32) > oldest)
            .map(|slot| (slot & u64::from(u32::MAX)) as f64 / 1e3)
            .collect();
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
        let elapsed = now.saturating_duration_since(started);
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        // A new extreme is rare: look before writing.
        if ns < self.min_ns.load(Ordering::Relaxed) {
            self.min_ns.fetch_min(ns, Ordering::Relaxed);
        }
        if ns > self.max_ns.load(Ordering::Relaxed) {
            self.max_ns.fetch_max(ns, Ordering::Relaxed);
        }
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .min(u64::from(u32::MAX));
        let ended = (self.second(now) + 1).min(u64::from(u32::MAX));
        let i = self.next_recent.fetch_add(1, Ordering::Relaxed) % RT_WINDOW_SAMPLES;
        self.recent[i].store((ended << 32) | micros, Ordering::Relaxed);
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
        let filled = stats
            .recent
            .iter()
            .filter(|slot| slot.load(Ordering::Relaxed) != 0)
            .count();
        assert_eq!(filled, RT_WINDOW_SAMPLES);
        assert_eq!(stats.snapshot().succeed, (RT_WINDOW_SAMPLES + 10) as u64);
    }
}
