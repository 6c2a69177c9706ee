//! Prometheus metrics of RPC calls, under dubbo-go's and Dubbo Java's names, so that the
//! Grafana boards built for them work on an oxidubbo service unchanged.
//!
//! * [`RpcMetrics`] holds the statistics of one application, one series per side,
//!   service and method, and is a `prometheus-client` collector.
//! * [`MetricsFilter`] (named [`filter::NAME`], `metrics`) records each call of a chain;
//!   the bootstrap puts it in every chain when `[metrics] enabled = true`, and leaves it
//!   out otherwise, so disabled metrics cost nothing per call.
//! * [`MetricsServer`] serves the text exposition over HTTP (`GET /metrics`, port 9090 by
//!   default, as dubbo-go).
//!
//! # The families
//!
//! For each side (`provider`, `consumer`), labelled `application_name`, `interface`,
//! `method`, `group`, `version`, `ip`, `hostname`:
//!
//! | family | type | what |
//! |---|---|---|
//! | `dubbo_<side>_requests_total` | counter | calls begun |
//! | `dubbo_<side>_requests_succeed_total` | counter | calls that returned a result |
//! | `dubbo_<side>_requests_failed_total` | counter | calls that returned an error, each also counted in one of: |
//! | `dubbo_<side>_requests_timeout_total` | counter | timeouts |
//! | `dubbo_<side>_requests_limit_total` | counter | refused by a limit (`tps`, `executes`, `actives`, `token`) |
//! | `dubbo_<side>_requests_failed_service_unavailable_total` | counter | no provider, no such service or method |
//! | `dubbo_<side>_requests_business_failed_total` | counter | the service's own exception |
//! | `dubbo_<side>_requests_failed_codec_total` | counter | encoding or decoding failed |
//! | `dubbo_<side>_requests_failed_network_total` | counter | connection failed or lost |
//! | `dubbo_<side>_requests_unknown_failed_total` | counter | anything else |
//! | `dubbo_<side>_requests_processing` | gauge | calls in progress |
//! | `dubbo_<side>_qps_total` | gauge | calls begun per second since the newest scrape at least 10 s old ([`Snapshot::qps`]) |
//! | `dubbo_<side>_rt_milliseconds_{min,max,avg,sum}` | gauge | response times since start |
//! | `dubbo_<side>_rt_milliseconds_{p95,p99}` | gauge | over the most recent calls (up to 2048) of the last 120 s |
//!
//! [`FailureReason::of`] says which `RpcError` goes where.
//!
//! # Bounded series
//!
//! Series are made when a chain is built, for the methods its URL lists (a provider's
//! `methods`); a consumer chain, whose URL lists none, adds the methods its own code calls,
//! up to [`filter::MAX_UNLISTED_METHODS`]. A method name that arrives on the wire and is
//! not exported never makes a series: the call is passed on unrecorded.
//!
//! ```
//! use std::sync::Arc;
//! use oxidubbo_filter::{ChainBuilder, FilterRegistry, Side};
//! use oxidubbo_invoker::{Invocation, Invoker, RpcResult, ServiceInvoker, Url, service_fn};
//! use oxidubbo_metrics::{RpcMetrics, encode, filter};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let metrics = Arc::new(RpcMetrics::with_hostname("demo", "127.0.0.1", "host-1"));
//! let mut filters = FilterRegistry::with_builtins();
//! filters.register_filter(filter::NAME, filter::factory(Arc::clone(&metrics))).unwrap();
//!
//! let url: Url = "dubbo://127.0.0.1:20880/com.example.Greeter?interface=com.example.Greeter&methods=sayHello"
//!     .parse()
//!     .unwrap();
//! let url = Arc::new(url.with_param("service.filter", "metrics"));
//! let service = ServiceInvoker::new(
//!     url.clone(),
//!     service_fn(|_inv: Invocation| async { Ok(RpcResult::new("hi")) }),
//! );
//! let chain = ChainBuilder::new(Side::Provider)
//!     .registry(Arc::new(filters))
//!     .build(&url, Arc::new(service))
//!     .unwrap();
//! chain.invoke(Invocation::new("sayHello", "Ljava/lang/String;", vec!["Ann".into()])).await.unwrap();
//!
//! let text = encode(&metrics.registry());
//! assert!(text.contains(
//!     "dubbo_provider_requests_total{application_name=\"demo\",interface=\"com.example.Greeter\",\
//!      method=\"sayHello\",group=\"\",version=\"\",ip=\"127.0.0.1\",hostname=\"host-1\"} 1\n"
//! ), "{text}");
//! # });
//! ```

pub use prometheus_client;

mod collector;
pub mod filter;
mod reason;
mod server;
mod stats;

pub use collector::{MethodKey, RpcMetrics, encode, local_hostname};
pub use filter::MetricsFilter;
pub use reason::FailureReason;
pub use server::{CONTENT_TYPE_OPENMETRICS, DEFAULT_PATH, DEFAULT_PORT, MetricsServer};
pub use stats::{
    CallGuard, MethodStats, QPS_WINDOW_SECS, RT_WINDOW, RT_WINDOW_SAMPLES, STRIPES, Snapshot,
    Started,
};
