//! Shared pieces of the benchmark binaries: latency statistics and argument parsing.

use std::time::Duration;

/// Throughput and latency of one run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Calls completed.
    pub calls: usize,
    /// Wall time of the measured window.
    pub elapsed: Duration,
    /// Sorted latencies in microseconds.
    pub latencies_us: Vec<u32>,
}

impl Report {
    /// Builds a report, sorting the latencies.
    pub fn new(elapsed: Duration, mut latencies_us: Vec<u32>) -> Report {
        latencies_us.sort_unstable();
        Report {
            calls: latencies_us.len(),
            elapsed,
            latencies_us,
        }
    }

    /// Calls per second.
    pub fn qps(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q`-quantile latency (0.0..=1.0), in microseconds.
    pub fn quantile_us(&self, q: f64) -> u32 {
        if self.latencies_us.is_empty() {
            return 0;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        self.latencies_us[i.min(self.latencies_us.len() - 1)]
    }

    /// One line: name, QPS, p50, p99 and max.
    pub fn line(&self, name: &str) -> String {
        format!(
            "{name}: qps={:.0} p50={}us p99={}us max={}us calls={}",
            self.qps(),
            self.quantile_us(0.5),
            self.quantile_us(0.99),
            self.quantile_us(1.0),
            self.calls
        )
    }
}

/// Reads `--name value` as a number, with a default.
pub fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Microseconds of `d`, saturating.
pub fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}
