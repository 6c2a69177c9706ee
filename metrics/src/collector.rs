//! [`RpcMetrics`]: the per-method statistics of one application, exposed to Prometheus
//! under dubbo-go's and Dubbo Java's names.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use oxidubbo_filter::Side;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::FailureReason;
use crate::stats::{MethodStats, Snapshot};

/// What identifies one series: the side, and the service and method it counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MethodKey {
    /// `true` for the provider side.
    pub(crate) provider: bool,
    /// The `interface` label.
    pub interface: String,
    /// The `method` label.
    pub method: String,
    /// The `group` label (empty when the service has none).
    pub group: String,
    /// The `version` label (empty when the service has none).
    pub version: String,
}

impl MethodKey {
    /// The key of `method` of the service `interface`/`group`/`version` on `side`.
    pub fn new(side: Side, interface: &str, group: &str, version: &str, method: &str) -> Self {
        MethodKey {
            provider: side == Side::Provider,
            interface: interface.to_owned(),
            method: method.to_owned(),
            group: group.to_owned(),
            version: version.to_owned(),
        }
    }

    /// The side the key counts.
    pub fn side(&self) -> Side {
        if self.provider {
            Side::Provider
        } else {
            Side::Consumer
        }
    }
}

/// The RPC metrics of one application: a [`MethodStats`] per side, service and method,
/// created when a filter chain is built (never from a name received on the wire), and
/// kept for the life of the application so counters only go up.
///
/// It is a `prometheus-client` [`Collector`]; [`RpcMetrics::registry`] gives a
/// [`Registry`] to serve.
pub struct RpcMetrics {
    application: String,
    ip: String,
    hostname: String,
    series: Mutex<BTreeMap<MethodKey, Arc<MethodStats>>>,
}

impl fmt::Debug for RpcMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcMetrics")
            .field("application", &self.application)
            .field("ip", &self.ip)
            .field("hostname", &self.hostname)
            .field("series", &self.lock().len())
            .finish()
    }
}

impl RpcMetrics {
    /// The metrics of `application`, labelled with `ip` and this machine's host name.
    pub fn new(application: impl Into<String>, ip: impl Into<String>) -> Self {
        RpcMetrics::with_hostname(application, ip, local_hostname())
    }

    /// The same, with the `hostname` label given.
    pub fn with_hostname(
        application: impl Into<String>,
        ip: impl Into<String>,
        hostname: impl Into<String>,
    ) -> Self {
        crate::stats::warm_clock();
        RpcMetrics {
            application: application.into(),
            ip: ip.into(),
            hostname: hostname.into(),
            series: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<MethodKey, Arc<MethodStats>>> {
        self.series.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The statistics of `key`, created (at zero) the first time.
    pub fn stats(&self, key: MethodKey) -> Arc<MethodStats> {
        Arc::clone(self.lock().entry(key).or_default())
    }

    /// How many series (side, service, method) there are.
    pub fn series_count(&self) -> usize {
        self.lock().len()
    }

    /// A registry holding these metrics, to serve or to encode.
    pub fn registry(self: &Arc<Self>) -> Registry {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Arc::clone(self)));
        registry
    }

    fn labels<'a>(&'a self, key: &'a MethodKey) -> [(&'static str, &'a str); 7] {
        [
            ("application_name", &self.application),
            ("interface", &key.interface),
            ("method", &key.method),
            ("group", &key.group),
            ("version", &key.version),
            ("ip", &self.ip),
            ("hostname", &self.hostname),
        ]
    }
}

/// A value of a family, read from a [`Snapshot`].
enum Value {
    Counter(fn(&Snapshot) -> u64),
    Gauge(fn(&Snapshot) -> f64),
}

/// The families of a side, without `dubbo_<side>_`: name (counters without `_total`,
/// which the exposition adds), help, value.
fn families() -> Vec<(&'static str, &'static str, Value)> {
    let mut f: Vec<(&'static str, &'static str, Value)> = vec![
        ("requests", "Total Requests", Value::Counter(|s| s.total)),
        (
            "requests_succeed",
            "Total Succeed Requests",
            Value::Counter(|s| s.succeed),
        ),
        (
            "requests_failed",
            "Total Failed Requests",
            Value::Counter(|s| s.failed),
        ),
    ];
    const READ: [fn(&Snapshot) -> u64; 7] = [
        |s| s.reasons[0],
        |s| s.reasons[1],
        |s| s.reasons[2],
        |s| s.reasons[3],
        |s| s.reasons[4],
        |s| s.reasons[5],
        |s| s.reasons[6],
    ];
    for (reason, read) in FailureReason::ALL.iter().zip(READ) {
        let (name, help) = reason.family();
        f.push((name, help, Value::Counter(read)));
    }
    f.extend([
        (
            "requests_processing",
            "Processing Requests",
            Value::Gauge(|s| s.processing as f64),
        ),
        ("qps_total", "Query Per Seconds", Value::Gauge(|s| s.qps)),
        (
            "rt_milliseconds_min",
            "Min Response Time",
            Value::Gauge(|s| s.rt_min),
        ),
        (
            "rt_milliseconds_max",
            "Max Response Time",
            Value::Gauge(|s| s.rt_max),
        ),
        (
            "rt_milliseconds_avg",
            "Average Response Time",
            Value::Gauge(|s| s.rt_avg),
        ),
        (
            "rt_milliseconds_sum",
            "Sum Response Time",
            Value::Gauge(|s| s.rt_sum),
        ),
        (
            "rt_milliseconds_p95",
            "Response Time P95",
            Value::Gauge(|s| s.rt_p95),
        ),
        (
            "rt_milliseconds_p99",
            "Response Time P99",
            Value::Gauge(|s| s.rt_p99),
        ),
    ]);
    f
}

impl Collector for RpcMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), fmt::Error> {
        let snapshots: Vec<(MethodKey, Snapshot)> = self
            .lock()
            .iter()
            .map(|(k, s)| (k.clone(), s.snapshot()))
            .collect();
        let families = families();
        for side in [Side::Provider, Side::Consumer] {
            let series: Vec<&(MethodKey, Snapshot)> =
                snapshots.iter().filter(|(k, _)| k.side() == side).collect();
            if series.is_empty() {
                continue;
            }
            for (name, help, value) in &families {
                let name = format!("dubbo_{}_{name}", side.as_str());
                let kind = match value {
                    Value::Counter(_) => MetricType::Counter,
                    Value::Gauge(_) => MetricType::Gauge,
                };
                let mut family = encoder.encode_descriptor(&name, help, None, kind)?;
                for (key, snapshot) in &series {
                    let labels = self.labels(key);
                    let mut metric = family.encode_family(&labels)?;
                    match value {
                        Value::Counter(read) => {
                            metric.encode_counter::<NoLabelSet, u64, u64>(&read(snapshot), None)?
                        }
                        Value::Gauge(read) => metric.encode_gauge(&read(snapshot))?,
                    }
                }
            }
        }
        Ok(())
    }
}

/// This machine's host name (Linux's `kernel.hostname`, else `HOSTNAME`, else
/// `localhost`).
pub fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned())
}

/// The text exposition of `registry` (OpenMetrics, which Prometheus reads).
pub fn encode(registry: &Registry) -> String {
    let mut text = String::new();
    // Writing to a String cannot fail; an encoder error leaves what was written.
    let _ = prometheus_client::encoding::text::encode(&mut text, registry);
    text
}
