//! Watching the resident set size (RSS) of the test process while work runs: for tests
//! showing that hostile input costs bounded memory. Linux only (`/proc/self/status`);
//! elsewhere RSS reads as 0 and nothing is checked.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// This process's resident set size in bytes (`VmRSS` of `/proc/self/status`), or 0 where
/// it cannot be read.
pub fn rss_bytes() -> u64 {
    rss_of("self")
}

/// The resident set size in bytes of process `pid` (a number, or `self`), or 0 where it
/// cannot be read.
pub fn rss_of(pid: &str) -> u64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// How far past its allowance RSS may grow before the watch stops the whole process: the
/// work under test may hold the test's thread (or its runtime) so that it cannot fail
/// by itself, and would otherwise take the machine's memory.
const HARD_LIMIT_FACTOR: u64 = 8;

/// Samples RSS every millisecond on a thread of its own, from [`RssWatch::start`] to
/// [`RssWatch::finish`], and keeps the highest level seen.
///
/// [`RssWatch::check`] and [`RssWatch::finish`] fail (panic) once RSS has grown by more
/// than the allowance. Should it grow past eight times the allowance while the test cannot
/// notice (or after it failed, the work going on), the watch aborts the process with a
/// message rather than let it take the machine's memory.
#[derive(Debug)]
pub struct RssWatch {
    shared: Arc<Shared>,
    sampler: Option<JoinHandle<()>>,
    started: Instant,
}

#[derive(Debug)]
struct Shared {
    baseline: u64,
    max_growth: u64,
    peak: AtomicU64,
    done: AtomicBool,
}

impl Shared {
    fn sample(&self) -> u64 {
        let rss = rss_bytes();
        let peak = self.peak.fetch_max(rss, Ordering::AcqRel).max(rss);
        peak.saturating_sub(self.baseline)
    }
}

/// What a watched piece of work cost.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// How long it ran.
    pub elapsed: Duration,
    /// The highest RSS seen above the level before it started, in bytes.
    pub peak_growth: u64,
}

impl RssWatch {
    /// Starts watching: RSS may grow by at most `max_growth` bytes from now.
    pub fn start(max_growth: u64) -> RssWatch {
        let baseline = rss_bytes();
        let shared = Arc::new(Shared {
            baseline,
            max_growth,
            peak: AtomicU64::new(baseline),
            done: AtomicBool::new(false),
        });
        let sampler = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                let hard = max_growth.saturating_mul(HARD_LIMIT_FACTOR);
                while !shared.done.load(Ordering::Acquire) {
                    let growth = shared.sample();
                    if growth > hard {
                        // Straight to stderr: the test harness would hold a message printed
                        // with `eprintln!` in its capture, and never show it.
                        let _ = writeln!(
                            std::io::stderr(),
                            "RSS grew by {} MiB, past {HARD_LIMIT_FACTOR} times the {} MiB \
                             allowed: aborting the test process",
                            growth >> 20,
                            max_growth >> 20
                        );
                        std::process::abort();
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
        };
        RssWatch {
            shared,
            sampler: Some(sampler),
            started: Instant::now(),
        }
    }

    /// Panics if RSS has grown by more than allowed so far.
    pub fn check(&self) {
        let growth = self.shared.sample();
        assert!(
            growth <= self.shared.max_growth,
            "RSS grew by {} KiB (more than the {} KiB allowed) after {:?}",
            growth >> 10,
            self.shared.max_growth >> 10,
            self.started.elapsed(),
        );
    }

    /// Stops watching and reports the cost; panics if RSS grew by more than allowed.
    pub fn finish(mut self) -> Cost {
        self.stop();
        self.check();
        Cost {
            elapsed: self.started.elapsed(),
            peak_growth: self
                .shared
                .peak
                .load(Ordering::Acquire)
                .saturating_sub(self.shared.baseline),
        }
    }

    fn stop(&mut self) {
        self.shared.done.store(true, Ordering::Release);
        if let Some(sampler) = self.sampler.take() {
            let _ = sampler.join();
        }
    }
}

impl Drop for RssWatch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // The test failed, perhaps because the work under test is running away with
            // memory; it may go on after the test thread is gone (a runtime waiting for it
            // as it drops): the sampler stays behind as a watchdog.
            return;
        }
        self.stop();
    }
}

/// Runs `work` on a thread of its own under an [`RssWatch`]: returns its result and cost,
/// or panics as soon as RSS grows by more than `max_growth` bytes or the work runs longer
/// than `hang_guard` (the thread is then left behind, still running).
pub fn run_watched<T: Send + 'static>(
    max_growth: u64,
    hang_guard: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> (T, Cost) {
    let (tx, rx) = std::sync::mpsc::channel();
    let watch = RssWatch::start(max_growth);
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    loop {
        match rx.recv_timeout(Duration::from_millis(1)) {
            Ok(result) => return (result, watch.finish()),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                watch.check();
                assert!(
                    watch.started.elapsed() < hang_guard,
                    "the work did not finish within {hang_guard:?}"
                );
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                panic!("the work panicked")
            }
        }
    }
}
