//! Shared pieces of the benchmark binaries: latency statistics and argument parsing.

use std::time::Duration;

pub mod allocs;
pub mod child;
pub mod raw;

/// Throughput and latency of one run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Calls completed.
    pub calls: usize,
    /// Wall time of the measured window.
    pub elapsed: Duration,
    /// Sorted latencies in microseconds.
    pub latencies_us: Vec<u32>,
    /// CPU time the whole process used in the measured window, where measured
    /// ([`process_cpu`]).
    pub cpu: Option<Duration>,
    /// Allocations this process made in the measured window, where counted ([`allocs`]).
    pub allocs: Option<u64>,
}

impl Report {
    /// Builds a report, sorting the latencies.
    pub fn new(elapsed: Duration, mut latencies_us: Vec<u32>) -> Report {
        latencies_us.sort_unstable();
        Report {
            calls: latencies_us.len(),
            elapsed,
            latencies_us,
            cpu: None,
            allocs: None,
        }
    }

    /// The report with the allocations counted over its window.
    pub fn with_allocs(mut self, allocs: Option<u64>) -> Report {
        self.allocs = allocs;
        self
    }

    /// The report with the process's CPU time over its window.
    pub fn with_cpu(mut self, cpu: Option<Duration>) -> Report {
        self.cpu = cpu;
        self
    }

    /// Calls per CPU-second of the whole process (client and server when both run in it):
    /// what the QPS would be on one otherwise idle core, whatever else the machine runs.
    pub fn calls_per_cpu_s(&self) -> Option<f64> {
        self.cpu
            .map(|cpu| self.calls as f64 / cpu.as_secs_f64().max(1e-9))
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
        ) + &self
            .calls_per_cpu_s()
            .map(|c| format!(" calls_per_cpu_s={c:.0}"))
            .unwrap_or_default()
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

/// The CPU time (user and system, all threads) this process has used so far, read from
/// `/proc/self/stat` in clock ticks of 10 ms; `None` where that file is not Linux's.
pub fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces:
    // state is field 3, utime field 14 and stime field 15.
    let mut fields = stat.get(stat.rfind(')')? + 2..)?.split(' ');
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}
