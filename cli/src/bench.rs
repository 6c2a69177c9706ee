//! `oxidubbo bench`: a closed-loop load generator.
//!
//! `concurrency` workers each send the same call again and again, one at a time, until the
//! duration is over (or `--requests` calls were started). Latencies of successful calls go
//! into a log-linear histogram (under 1 % error, bounded memory); failed calls are counted
//! by kind.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oxidubbo_invoker::{Invocation, Invoker, RpcError};

use crate::error::{rpc_error_kind, rpc_exit_code};

/// Microsecond values below this are kept exactly.
const LINEAR: u64 = 256;
/// Sub-buckets per power of two above [`LINEAR`].
const SUB_BITS: u32 = 7;
const SUBS: u64 = 1 << SUB_BITS;
const BUCKETS: usize = LINEAR as usize + (64 - 8) * SUBS as usize;

/// A latency histogram in microseconds.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            sum: 0,
            max: 0,
        }
    }
}

fn bucket_of(us: u64) -> usize {
    if us < LINEAR {
        return us as usize;
    }
    let exp = 63 - us.leading_zeros(); // >= 8
    let sub = (us >> (exp - SUB_BITS)) & (SUBS - 1);
    LINEAR as usize + (exp as usize - 8) * SUBS as usize + sub as usize
}

fn bucket_low(index: usize) -> u64 {
    if index < LINEAR as usize {
        return index as u64;
    }
    let i = (index - LINEAR as usize) as u64;
    let exp = i / SUBS + 8;
    let sub = i % SUBS;
    (SUBS + sub) << (exp - u64::from(SUB_BITS))
}

impl Histogram {
    /// Records one latency.
    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket_of(us)] += 1;
        self.total += 1;
        self.sum += u128::from(us);
        self.max = self.max.max(us);
    }

    /// Adds `other`'s counts to this one.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    /// Number of latencies recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The latency at quantile `q` (0–1), in microseconds (never above the maximum).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).clamp(1, self.total);
        if rank == self.total {
            return self.max;
        }
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return bucket_low(i).min(self.max);
            }
        }
        self.max
    }

    /// The largest latency, in microseconds.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The mean latency, in microseconds.
    pub fn mean(&self) -> u64 {
        if self.total == 0 {
            0
        } else {
            u64::try_from(self.sum / u128::from(self.total)).unwrap_or(u64::MAX)
        }
    }
}

/// Formats microseconds as milliseconds with 3 decimals (`1.234ms`).
pub fn fmt_ms(us: u64) -> String {
    format!("{}.{:03}ms", us / 1000, us % 1000)
}

/// Parses a duration: `10` or `10s` (seconds), `500ms`, `2m`, `1.5s`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (s, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("bad duration {s:?} (examples: 10, 10s, 500ms, 2m)"))?;
    let secs = value * scale;
    if !(secs.is_finite() && secs > 0.0 && secs <= 24.0 * 3600.0) {
        return Err(format!("duration {s:?} must be above 0 and at most 24h"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// How a bench runs.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Workers, each with one call in flight.
    pub concurrency: usize,
    /// How long to send calls.
    pub duration: Duration,
    /// Stop after this many calls were started (`None`: no limit).
    pub max_requests: Option<u64>,
    /// Print the progress line once a second on stderr.
    pub progress: bool,
    /// Whether stderr is a terminal (the progress line then rewrites itself).
    pub tty: bool,
}

/// What a bench measured.
#[derive(Debug, Clone, Default)]
pub struct BenchResult {
    /// Wall time from the first call to the last response.
    pub elapsed: Duration,
    /// Latencies of the successful calls.
    pub latency: Histogram,
    /// Failed calls by kind, with the first message of each kind.
    pub errors: BTreeMap<&'static str, (u64, String)>,
    /// Exit code suggested by the errors when no call succeeded.
    pub failure_code: Option<u8>,
}

impl BenchResult {
    /// Successful calls.
    pub fn ok(&self) -> u64 {
        self.latency.count()
    }

    /// Failed calls.
    pub fn failed(&self) -> u64 {
        self.errors.values().map(|(n, _)| n).sum()
    }

    /// Calls (successful or not) per second.
    pub fn qps(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs <= 0.0 {
            0.0
        } else {
            (self.ok() + self.failed()) as f64 / secs
        }
    }

    /// The summary lines printed at the end.
    pub fn summary(&self) -> String {
        let h = &self.latency;
        let mut out = format!(
            "requests={} ok={} errors={} elapsed={:.2}s qps={:.1}\nlatency p50={} p90={} p99={} max={} mean={}\n",
            self.ok() + self.failed(),
            self.ok(),
            self.failed(),
            self.elapsed.as_secs_f64(),
            self.qps(),
            fmt_ms(h.quantile(0.50)),
            fmt_ms(h.quantile(0.90)),
            fmt_ms(h.quantile(0.99)),
            fmt_ms(h.max()),
            fmt_ms(h.mean()),
        );
        for (kind, (n, first)) in &self.errors {
            out.push_str(&format!("errors {kind}={n} (first: {first})\n"));
        }
        out
    }
}

struct Shared {
    ok: AtomicU64,
    failed: AtomicU64,
    started: AtomicU64,
    done: AtomicBool,
}

struct WorkerResult {
    latency: Histogram,
    errors: BTreeMap<&'static str, (u64, String, u8)>,
}

async fn worker(
    invoker: Arc<dyn Invoker>,
    invocation: Invocation,
    deadline: Instant,
    max_requests: Option<u64>,
    shared: Arc<Shared>,
) -> WorkerResult {
    let mut out = WorkerResult {
        latency: Histogram::default(),
        errors: BTreeMap::new(),
    };
    while Instant::now() < deadline {
        let n = shared.started.fetch_add(1, Ordering::Relaxed);
        if max_requests.is_some_and(|max| n >= max) {
            break;
        }
        let start = Instant::now();
        match invoker.invoke(invocation.clone()).await {
            Ok(_) => {
                out.latency.record(start.elapsed());
                shared.ok.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                shared.failed.fetch_add(1, Ordering::Relaxed);
                let entry = out
                    .errors
                    .entry(rpc_error_kind(&e))
                    .or_insert_with(|| (0, describe(&e), rpc_exit_code(&e)));
                entry.0 += 1;
                if matches!(e, RpcError::Network(_) | RpcError::Destroyed(_)) {
                    // Do not spin on a dead connection: the reconnect needs a moment.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
    out
}

fn describe(e: &RpcError) -> String {
    match e {
        RpcError::Remote { class, message, .. } => format!("{class}: {message}"),
        other => other.to_string(),
    }
}

async fn progress(shared: Arc<Shared>, start: Instant, tty: bool) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.tick().await;
    let mut last_total = 0;
    let mut stderr = std::io::stderr();
    loop {
        ticker.tick().await;
        if shared.done.load(Ordering::Acquire) {
            break;
        }
        let ok = shared.ok.load(Ordering::Relaxed);
        let failed = shared.failed.load(Ordering::Relaxed);
        let total = ok + failed;
        let line = format!(
            "[{:>4}s] {ok} ok, {failed} errors, {} qps",
            start.elapsed().as_secs(),
            total - last_total
        );
        last_total = total;
        let _ = if tty {
            write!(stderr, "\r\x1b[2K{line}")
        } else {
            writeln!(stderr, "{line}")
        };
        let _ = stderr.flush();
    }
    if tty {
        let _ = write!(stderr, "\r\x1b[2K");
        let _ = stderr.flush();
    }
}

/// Runs the bench: `config.concurrency` workers calling `invocation` through `invoker`.
pub async fn run(
    invoker: Arc<dyn Invoker>,
    invocation: Invocation,
    config: &BenchConfig,
) -> BenchResult {
    let shared = Arc::new(Shared {
        ok: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        started: AtomicU64::new(0),
        done: AtomicBool::new(false),
    });
    let start = Instant::now();
    let deadline = start + config.duration;
    let progress_task = config
        .progress
        .then(|| tokio::spawn(progress(Arc::clone(&shared), start, config.tty)));
    let workers: Vec<_> = (0..config.concurrency.max(1))
        .map(|_| {
            tokio::spawn(worker(
                Arc::clone(&invoker),
                invocation.clone(),
                deadline,
                config.max_requests,
                Arc::clone(&shared),
            ))
        })
        .collect();
    let mut result = BenchResult::default();
    let mut codes = BTreeMap::new();
    for w in workers {
        match w.await {
            Ok(r) => {
                result.latency.merge(&r.latency);
                for (kind, (n, first, code)) in r.errors {
                    let entry = result.errors.entry(kind).or_insert((0, first));
                    entry.0 += n;
                    *codes.entry(code).or_insert(0u64) += n;
                }
            }
            Err(e) => {
                let entry = result
                    .errors
                    .entry("worker_panic")
                    .or_insert((0, e.to_string()));
                entry.0 += 1;
            }
        }
    }
    result.elapsed = start.elapsed();
    shared.done.store(true, Ordering::Release);
    if let Some(task) = progress_task {
        task.abort();
        let _ = task.await;
        if config.tty {
            let mut stderr = std::io::stderr();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        }
    }
    if result.ok() == 0 {
        result.failure_code = Some(
            codes
                .iter()
                .max_by_key(|(_, n)| **n)
                .map_or(crate::error::exit::CALL_FAILED, |(c, _)| *c),
        );
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_close() {
        let mut h = Histogram::default();
        for us in 1..=10_000u64 {
            h.record(Duration::from_micros(us));
        }
        let p50 = h.quantile(0.5) as f64;
        let p99 = h.quantile(0.99) as f64;
        assert!((p50 - 5000.0).abs() / 5000.0 < 0.01, "{p50}");
        assert!((p99 - 9900.0).abs() / 9900.0 < 0.01, "{p99}");
        assert_eq!(h.max(), 10_000);
        assert_eq!(h.quantile(1.0), 10_000);
        for i in 0..BUCKETS {
            assert_eq!(bucket_of(bucket_low(i)), i);
        }
        assert!(bucket_of(u64::MAX) < BUCKETS);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("48h").is_err());
        assert_eq!(fmt_ms(1234), "1.234ms");
    }
}
