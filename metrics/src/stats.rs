//! [`MethodStats`]: what is counted for one method of one service on one side, and the
//! [`Snapshot`] a scrape reads.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock};
use std::time::{Duration, Instant};

use oxidubbo_invoker::RpcError;

use crate::FailureReason;

/// How many recent response times p95 and p99 are computed from, at most: each of the
/// [`STRIPES`] keeps the last `RT_WINDOW_SAMPLES / STRIPES` of the calls that ended on it.
pub const RT_WINDOW_SAMPLES: usize = 2048;
/// How old a response time may be to count for p95 and p99.
pub const RT_WINDOW: Duration = Duration::from_secs(120);
/// The window `…_qps_total` averages over, in seconds.
pub const QPS_WINDOW_SECS: u64 = 10;
/// How many sets of counters a method has. A thread records into one set of its own (while
/// there are no more threads than sets), so the counters of a busy method are not a cache
/// line that every core fights over; a scrape adds the sets up.
pub const STRIPES: usize = 4;
const SAMPLES_PER_STRIPE: usize = RT_WINDOW_SAMPLES / STRIPES;
/// How many scrapes' marks `qps` keeps at most (one a second at most, over a window).
const MAX_MARKS: usize = 2 * QPS_WINDOW_SECS as usize + 2;

/// The set of counters the current thread records into.
fn stripe_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    INDEX.with(|i| match i.get() {
        usize::MAX => {
            let index = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
            i.set(index);
            index
        }
        index => index,
    })
}

/// The clock calls are timed with: the CPU's time-stamp counter where it is invariant
/// (reading it costs about a third of `Instant::now()`), else the monotonic clock.
static CLOCK: LazyLock<quanta::Clock> = LazyLock::new(quanta::Clock::new);

/// Makes the clock ready (it is calibrated once per process), so that the first call
/// recorded does not wait for it.
pub(crate) fn warm_clock() {
    LazyLock::force(&CLOCK);
}

/// When a call began, as [`MethodStats::start`] read it from its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started(u64);

impl Started {
    /// The clock reading, to be kept elsewhere (an `Observation`'s stamp).
    pub fn to_raw(self) -> u64 {
        self.0
    }

    /// A reading [`to_raw`](Self::to_raw) gave.
    pub fn from_raw(raw: u64) -> Self {
        Started(raw)
    }
}

/// The counters of one method (one series per family).
///
/// Every call updates them with atomic operations only (no lock), on counters the calling
/// thread rarely shares ([`STRIPES`]): a call costs two reads of the clock (the CPU's
/// time-stamp counter where it can be used) and three uncontended atomic additions on each
/// side, whatever the concurrency.
#[derive(Debug)]
pub struct MethodStats {
    /// When the series was made, by the clock and (for scrapes) by `Instant`.
    origin_raw: u64,
    origin: Instant,
    stripes: Box<[Stripe; STRIPES]>,
    reasons: [AtomicU64; FailureReason::ALL.len()],
    /// Calls begun as of recent scrapes, oldest first, for `…_qps_total`.
    marks: Mutex<VecDeque<Mark>>,
}

/// How many calls had begun at a scrape.
#[derive(Debug, Clone, Copy)]
struct Mark {
    at: Instant,
    total: u64,
}

/// One thread's share of a method's counters, alone on its cache lines.
#[derive(Debug)]
#[repr(align(128))]
struct Stripe {
    /// Calls begun.
    total: AtomicU64,
    /// Calls ended with an outcome (succeeded or failed).
    ended: AtomicU64,
    /// Calls ended with an error.
    failed: AtomicU64,
    /// Calls dropped before they ended (their callers gave up).
    abandoned: AtomicU64,
    /// The smallest and largest response time, and their sum, in nanoseconds
    /// (`u64::MAX` as the minimum before the first call).
    min_ns: AtomicU64,
    max_ns: AtomicU64,
    sum_ns: AtomicU64,
    /// The most recent response times, a ring indexed by `ended`: the second they ended
    /// (since `origin`, plus one, so 0 is an empty slot) in the high 32 bits, the time in
    /// microseconds in the low. Made at the first call that ends on this stripe: a method
    /// called from one thread only (or not at all) has no rings for the other stripes.
    recent: OnceLock<Box<[AtomicU64]>>,
}

impl Default for Stripe {
    fn default() -> Self {
        Stripe {
            total: AtomicU64::default(),
            ended: AtomicU64::default(),
            failed: AtomicU64::default(),
            abandoned: AtomicU64::default(),
            min_ns: AtomicU64::new(u64::MAX),
            max_ns: AtomicU64::default(),
            sum_ns: AtomicU64::default(),
            recent: OnceLock::new(),
        }
    }
}

impl Stripe {
    /// The ring of recent response times, made at its first use.
    fn ring(&self) -> &[AtomicU64] {
        self.recent
            .get_or_init(|| (0..SAMPLES_PER_STRIPE).map(|_| AtomicU64::new(0)).collect())
    }
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
    /// Calls begun per second over the last [`QPS_WINDOW_SECS`] seconds, as far as
    /// scrapes tell: since the newest earlier scrape at least that old, else since the
    /// oldest one kept a second old, else since the series was made.
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
            origin_raw: CLOCK.raw(),
            origin: Instant::now(),
            stripes: Box::default(),
            reasons: Default::default(),
            marks: Mutex::default(),
        }
    }
}

impl MethodStats {
    fn second(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.origin).as_secs()
    }

    /// The second since `origin` of a clock reading.
    fn second_of_raw(&self, raw: u64) -> u64 {
        CLOCK.delta_as_nanos(self.origin_raw, raw) / 1_000_000_000
    }

    /// Counts a call that begins now; the returned [`CallGuard`] counts its end.
    pub fn begin(&self) -> CallGuard<'_> {
        CallGuard {
            stats: self,
            started: self.start(),
            ended: false,
        }
    }

    /// Counts a call that begins now and returns when it began: the call must then be
    /// counted once more, by [`finish`](Self::finish) or [`abandon`](Self::abandon).
    pub fn start(&self) -> Started {
        let now = CLOCK.raw();
        self.stripes[stripe_index()]
            .total
            .fetch_add(1, Ordering::Relaxed);
        Started(now)
    }

    /// Counts the outcome and response time of a call [`start`](Self::start)ed at
    /// `started`.
    pub fn finish<T>(&self, started: Started, result: &Result<T, RpcError>) {
        self.end(started, result.as_ref().map(|_| ()));
    }

    /// Counts a call [`start`](Self::start)ed and dropped before it ended (its caller
    /// gave up): it only leaves `processing`.
    pub fn abandon(&self) {
        self.stripes[stripe_index()]
            .abandoned
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The values now.
    pub fn snapshot(&self) -> Snapshot {
        let now = Instant::now();
        let second = self.second(now);
        let oldest = second.saturating_sub(RT_WINDOW.as_secs());
        let (mut ended, mut abandoned, mut min_ns, mut max_ns, mut sum_ns) = (0, 0, u64::MAX, 0, 0);
        let mut recent: Vec<f64> = Vec::new();
        let mut s = Snapshot::default();
        for stripe in self.stripes.iter() {
            // Ends before begins: a call that begins and ends between the two reads is
            // then not counted as ended without having begun.
            ended += stripe.ended.load(Ordering::Relaxed);
            s.failed += stripe.failed.load(Ordering::Relaxed);
            abandoned += stripe.abandoned.load(Ordering::Relaxed);
            min_ns = min_ns.min(stripe.min_ns.load(Ordering::Relaxed));
            max_ns = max_ns.max(stripe.max_ns.load(Ordering::Relaxed));
            sum_ns += stripe.sum_ns.load(Ordering::Relaxed);
            recent.extend(
                stripe
                    .recent
                    .get()
                    .into_iter()
                    .flat_map(|ring| ring.iter())
                    .map(|slot| slot.load(Ordering::Relaxed))
                    .filter(|slot| *slot != 0 && (slot >> 32) > oldest)
                    .map(|slot| (slot & u64::from(u32::MAX)) as f64 / 1e3),
            );
        }
        for stripe in self.stripes.iter() {
            s.total += stripe.total.load(Ordering::Relaxed);
        }
        for (value, counter) in s.reasons.iter_mut().zip(&self.reasons) {
            *value = counter.load(Ordering::Relaxed);
        }
        s.failed = s.failed.min(ended);
        s.succeed = ended - s.failed;
        let gone = i64::try_from(ended + abandoned).unwrap_or(i64::MAX);
        s.processing = (i64::try_from(s.total).unwrap_or(i64::MAX) - gone).max(0);
        s.qps = self.qps(now, s.total);
        let ms = |ns: u64| ns as f64 / 1e6;
        if ended > 0 {
            s.rt_min = ms(min_ns);
            s.rt_max = ms(max_ns);
            s.rt_sum = ms(sum_ns);
            s.rt_avg = s.rt_sum / ended as f64;
        }
        recent.sort_by(f64::total_cmp);
        s.rt_p95 = percentile(&recent, 95);
        s.rt_p99 = percentile(&recent, 99);
        s
    }

    /// Calls begun per second up to `now`, when `total` had begun (see [`Snapshot::qps`]);
    /// keeps `now` as a mark for later scrapes.
    fn qps(&self, now: Instant, total: u64) -> f64 {
        let window = Duration::from_secs(QPS_WINDOW_SECS);
        let mut marks = self.marks.lock().unwrap_or_else(|e| e.into_inner());
        // Marks a window old are only needed until a newer one is a window old too.
        while marks
            .get(1)
            .is_some_and(|m| now.saturating_duration_since(m.at) >= window)
        {
            marks.pop_front();
        }
        // A mark under a second old would make a rate of noise (or of nothing).
        let since = marks
            .iter()
            .find(|m| now.saturating_duration_since(m.at) >= Duration::from_secs(1))
            .copied()
            .unwrap_or(Mark {
                at: self.origin,
                total: 0,
            });
        if marks
            .back()
            .is_none_or(|m| now.saturating_duration_since(m.at) >= Duration::from_secs(1))
            && marks.len() < MAX_MARKS
        {
            marks.push_back(Mark { at: now, total });
        }
        let seconds = now.saturating_duration_since(since.at).as_secs_f64();
        if seconds <= 0.0 {
            return 0.0;
        }
        total.saturating_sub(since.total) as f64 / seconds
    }

    fn end(&self, started: Started, outcome: Result<(), &RpcError>) {
        let stripe = &self.stripes[stripe_index()];
        if let Err(e) = outcome {
            stripe.failed.fetch_add(1, Ordering::Relaxed);
            self.reasons[FailureReason::of(e).index()].fetch_add(1, Ordering::Relaxed);
        }
        let now = CLOCK.raw();
        let ns = CLOCK.delta_as_nanos(started.0, now);
        // A new extreme is rare: look before writing.
        if ns < stripe.min_ns.load(Ordering::Relaxed) {
            stripe.min_ns.fetch_min(ns, Ordering::Relaxed);
        }
        if ns > stripe.max_ns.load(Ordering::Relaxed) {
            stripe.max_ns.fetch_max(ns, Ordering::Relaxed);
        }
        stripe.sum_ns.fetch_add(ns, Ordering::Relaxed);
        let micros = (ns / 1000).min(u64::from(u32::MAX));
        let ended_at = (self.second_of_raw(now) + 1).min(u64::from(u32::MAX));
        // Counted last (a scrape reads `failed` no higher than `ended`).
        let i = stripe.ended.fetch_add(1, Ordering::Relaxed) as usize % SAMPLES_PER_STRIPE;
        stripe.ring()[i].store((ended_at << 32) | micros, Ordering::Relaxed);
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
    started: Started,
    ended: bool,
}

impl CallGuard<'_> {
    /// Counts the call's outcome and response time.
    pub fn finish<T>(mut self, result: &Result<T, RpcError>) {
        self.ended = true;
        self.stats.finish(self.started, result);
    }
}

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.stats.abandon();
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
    fn calls_on_many_threads_add_up_even_when_they_end_on_another() {
        let stats = MethodStats::default();
        let threads = STRIPES * 2 + 1;
        std::thread::scope(|scope| {
            for t in 0..threads {
                let stats = &stats;
                scope.spawn(move || {
                    for i in 0..1000 {
                        let call = stats.begin();
                        if i % 10 == 0 {
                            // Ended by another thread, as a task that moved would be.
                            std::thread::scope(|inner| {
                                inner.spawn(move || call.finish::<()>(&Ok(())));
                            });
                        } else if t == 0 && i % 7 == 0 {
                            call.finish::<()>(&Err(RpcError::Network("reset".into())));
                        } else {
                            call.finish::<()>(&Ok(()));
                        }
                    }
                });
            }
        });
        let s = stats.snapshot();
        let failed = (0..1000).filter(|i| i % 10 != 0 && i % 7 == 0).count() as u64;
        assert_eq!(s.total, threads as u64 * 1000);
        assert_eq!(s.failed, failed);
        assert_eq!(s.succeed, threads as u64 * 1000 - failed);
        assert_eq!(s.processing, 0);
        assert_eq!(s.reasons.iter().sum::<u64>(), failed);
    }

    #[test]
    fn qps_is_the_rate_since_the_newest_scrape_a_window_old() {
        let stats = MethodStats::default();
        let at = |secs: u64| stats.origin + Duration::from_secs(secs);
        // No scrape before: since the series was made.
        assert_eq!(stats.qps(at(2), 200), 100.0);
        // Since the only earlier scrape, though younger than a window.
        assert_eq!(stats.qps(at(4), 600), 200.0);
        // Scrapes less than a second apart leave no mark of their own.
        assert_eq!(stats.qps(at(4) + Duration::from_millis(500), 600), 160.0);
        assert_eq!(stats.qps(at(13), 1500), 1300.0 / 11.0);
        // The scrape at 4 s is the newest a window old: the one at 2 s is dropped.
        assert_eq!(stats.qps(at(15), 1700), 100.0);
        assert_eq!(stats.marks.lock().unwrap().len(), 3);
        // Marks stay bounded however often and long it is scraped.
        for second in 16..1000 {
            stats.qps(at(second), 1700 + second);
        }
        assert!(stats.marks.lock().unwrap().len() <= 12);
        assert_eq!(stats.qps(at(1000), 2700), 1.0);
    }

    #[test]
    fn the_rt_window_is_bounded() {
        let stats = MethodStats::default();
        for _ in 0..RT_WINDOW_SAMPLES + 10 {
            stats.begin().finish::<()>(&Ok(()));
        }
        let filled: usize = stats
            .stripes
            .iter()
            .map(|stripe| {
                stripe
                    .recent
                    .get()
                    .into_iter()
                    .flat_map(|ring| ring.iter())
                    .filter(|slot| slot.load(Ordering::Relaxed) != 0)
                    .count()
            })
            .sum();
        // One thread fills its own stripe's share of the window, and no more; the other
        // stripes, never recorded into, have no ring at all.
        assert_eq!(filled, SAMPLES_PER_STRIPE);
        let rings = stats.stripes.iter().filter(|s| s.recent.get().is_some());
        assert_eq!(rings.count(), 1);
        assert_eq!(stats.snapshot().succeed, (RT_WINDOW_SAMPLES + 10) as u64);
    }
}
