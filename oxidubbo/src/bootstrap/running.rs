//! [`Running`]: a started application — typed clients, and the graceful shutdown.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use oxidubbo_common::Url;
use oxidubbo_filter::Graceful;
use oxidubbo_invoker::Invoker;
use oxidubbo_metrics::{MetricsServer, RpcMetrics};
use oxidubbo_protocol::{DubboProtocol, Exporter, Protocol};
use oxidubbo_qos::QosServer;
use oxidubbo_registry::{MetadataServiceDelegation, Protocols, Registry, RegistryProtocol};
use tokio::time::Instant;

use super::DubboHandle;
use crate::config::Config;
use crate::{DubboService, Error};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A provider URL registered in one registry.
pub(crate) struct Registration {
    pub(crate) registry: Arc<dyn Registry>,
    pub(crate) url: Url,
}

/// A service exported by the bootstrap.
pub(crate) struct Exported {
    pub(crate) name: String,
    pub(crate) url: Arc<Url>,
    pub(crate) exporter: Arc<dyn Exporter>,
    pub(crate) registrations: Mutex<Vec<Registration>>,
    /// Registrations withdrawn by the QoS `offline` command, for `online` to restore.
    pub(crate) withdrawn: Mutex<Vec<Registration>>,
}

impl Exported {
    pub(crate) fn lock_registrations(&self) -> MutexGuard<'_, Vec<Registration>> {
        lock(&self.registrations)
    }
}

/// The application's `MetadataService`, exported on its dubbo server for the registries
/// that register its instance.
pub(crate) struct MetadataServiceExport {
    pub(crate) service: MetadataServiceDelegation,
    pub(crate) url: Url,
    pub(crate) exporter: Arc<dyn Exporter>,
}

/// What a running application holds.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) protocols: Protocols,
    pub(crate) registry_protocol: RegistryProtocol,
    pub(crate) dubbo: DubboHandle,
    pub(crate) provider_graceful: Graceful,
    pub(crate) consumer_graceful: Graceful,
    pub(crate) exported: Mutex<Vec<Arc<Exported>>>,
    /// Exported with the first service registered where instances are.
    pub(crate) metadata_service: tokio::sync::Mutex<Option<MetadataServiceExport>>,
    pub(crate) references: Mutex<BTreeMap<String, Arc<dyn Invoker>>>,
    /// `Some` once shut down; the lock is held while shutting down.
    pub(crate) report: tokio::sync::Mutex<Option<ShutdownReport>>,
    /// The RPC metrics, with `[metrics] enabled = true`.
    pub(crate) metrics: Option<Arc<RpcMetrics>>,
    /// Their endpoint; stopped by the shutdown.
    pub(crate) metrics_server: Option<MetricsServer>,
    /// The `[qos]` server (`enabled = true`); stopped by the shutdown.
    pub(crate) qos_server: OnceLock<QosServer>,
    /// Set once `start` has exported and referred everything.
    pub(crate) started: AtomicBool,
    /// Set when `shutdown` begins.
    pub(crate) shutdown_began: AtomicBool,
    /// The OTLP export of `[tracing] exporter`; flushed by the shutdown.
    #[cfg(feature = "otlp")]
    pub(crate) otlp: Option<crate::otlp::OtlpTracing>,
}

impl Shared {
    pub(crate) fn lock_exported(&self) -> MutexGuard<'_, Vec<Arc<Exported>>> {
        lock(&self.exported)
    }

    pub(crate) fn lock_references(&self) -> MutexGuard<'_, BTreeMap<String, Arc<dyn Invoker>>> {
        lock(&self.references)
    }
}

/// What a graceful shutdown did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Provider URLs withdrawn from registries.
    pub unregistered: usize,
    /// Provider calls still in flight when the wait ran out (0: all finished).
    pub provider_calls_abandoned: usize,
    /// Consumer calls still in flight when the wait ran out (0: all finished).
    pub consumer_calls_abandoned: usize,
    /// How long the wait for calls in flight took.
    pub waited: Duration,
}

/// A started application: typed clients of its references, and its shutdown.
///
/// Cheap to clone; every clone is the same application. Dropping it does not shut it
/// down: call [`Running::shutdown`] (or [`Running::run_until_signal`]).
#[derive(Clone)]
pub struct Running {
    shared: Arc<Shared>,
}

impl fmt::Debug for Running {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Running")
            .field("services", &self.provider_urls())
            .field(
                "references",
                &self.shared.lock_references().keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Running {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Running { shared }
    }

    /// The configuration the application runs with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// A typed client of `[references.<name>]`.
    ///
    /// # Errors
    ///
    /// [`Error::Usage`] when there is no such reference (or it was shut down), or when it
    /// refers another interface than `T`'s.
    pub fn client<T: DubboService + ?Sized>(&self, name: &str) -> Result<T::Client, Error> {
        let invoker = self.invoker(name)?;
        let interface = self
            .shared
            .config
            .references
            .get(name)
            .map(|r| r.interface.as_str())
            .unwrap_or_default();
        if interface != T::INTERFACE {
            return Err(Error::Usage(format!(
                "references.{name} refers {interface}, not {}",
                T::INTERFACE
            )));
        }
        Ok(T::client(invoker))
    }

    /// A generic client of `[references.<name>]`: calls any of its methods by name
    /// (`$invoke`, see [`crate::generic`]).
    ///
    /// # Errors
    ///
    /// As [`Running::invoker`].
    pub fn generic(&self, name: &str) -> Result<crate::generic::GenericService, Error> {
        self.invoker(name).map(crate::generic::GenericService::new)
    }

    /// The invoker (consumer filter chain over the cluster invoker) of
    /// `[references.<name>]`.
    ///
    /// # Errors
    ///
    /// [`Error::Usage`] when there is no such reference (or it was shut down).
    pub fn invoker(&self, name: &str) -> Result<Arc<dyn Invoker>, Error> {
        self.shared
            .lock_references()
            .get(name)
            .cloned()
            .ok_or_else(|| {
                let known: Vec<String> = self.shared.config.references.keys().cloned().collect();
                Error::Usage(format!(
                    "no reference {name:?} (configured: {}){}",
                    known.join(", "),
                    if known.iter().any(|k| k == name) {
                        "; the application was shut down"
                    } else {
                        ""
                    }
                ))
            })
    }

    /// The provider URL of each service exported, by service name: the URL of the first
    /// protocol the service lists ([`Running::exported_urls`] has them all).
    pub fn provider_urls(&self) -> BTreeMap<String, Arc<Url>> {
        let mut urls = BTreeMap::new();
        for e in self.shared.lock_exported().iter() {
            urls.entry(e.name.clone())
                .or_insert_with(|| Arc::clone(&e.url));
        }
        urls
    }

    /// Every provider URL exported, with its service's name: one per protocol a service is
    /// served with, in the order they were exported.
    pub fn exported_urls(&self) -> Vec<(String, Arc<Url>)> {
        self.shared
            .lock_exported()
            .iter()
            .map(|e| (e.name.clone(), Arc::clone(&e.url)))
            .collect()
    }

    /// The dubbo protocol the application runs on.
    pub fn dubbo_protocol(&self) -> &DubboProtocol {
        self.shared.dubbo.get()
    }

    /// The RPC metrics of the application (`[metrics] enabled = true`).
    pub fn metrics(&self) -> Option<&Arc<RpcMetrics>> {
        self.shared.metrics.as_ref()
    }

    /// The address the metrics endpoint listens on (`[metrics] enabled = true`), until the
    /// shutdown.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.shared
            .metrics_server
            .as_ref()
            .map(MetricsServer::local_addr)
    }

    /// The address the `[qos]` server listens on (`enabled = true`), until the shutdown.
    pub fn qos_addr(&self) -> Option<SocketAddr> {
        self.shared.qos_server.get().map(QosServer::local_addr)
    }

    /// Provider calls in flight now.
    pub fn provider_calls_in_flight(&self) -> usize {
        self.shared.provider_graceful.in_flight()
    }

    /// Whether [`Running::shutdown`] has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.provider_graceful.is_shutting_down()
    }

    /// Waits for Ctrl-C (or SIGTERM on Unix), then shuts down gracefully.
    ///
    /// # Errors
    ///
    /// [`Error::Signal`] when the signal handlers cannot be installed (the application
    /// is shut down anyway).
    pub async fn run_until_signal(&self) -> Result<ShutdownReport, Error> {
        let waited = wait_for_signal().await;
        if let Ok(signal) = &waited {
            tracing::info!(signal, "shutting down");
        }
        let report = self.shutdown().await;
        waited.map(|_| report).map_err(Error::Signal)
    }

    /// Shuts the application down gracefully; later calls return the same report.
    ///
    /// 1. Withdraws every provider URL from its registries: consumers' directories drop
    ///    this provider.
    /// 2. Sends the read-only event on the connections of the dubbo servers that serve
    ///    only this application's services: consumers stop sending calls here at once.
    /// 3. Refuses new provider calls with `Unavailable` (a framework error, so a
    ///    consumer's `failover` retries the call on another provider; a call raced past
    ///    the read-only event is moved, not failed).
    /// 4. Waits until the provider calls in flight have finished; then does the same for
    ///    this application's own consumer calls.
    /// 5. Unexports its services (a server left without a service closes), destroys its
    ///    registry protocol (unregistering the consumers, unsubscribing, closing its
    ///    registries) and its references (their invokers and connections leave the
    ///    protocol), and destroys a protocol injected with
    ///    [`Bootstrap::dubbo_protocol`](crate::Bootstrap::dubbo_protocol), and stops the
    ///    `[metrics]` endpoint and the `[qos]` server (their ports are free when `shutdown`
    ///    returns; the QoS probes `ready` and `startup` answer 503 from the first step on).
    ///
    /// The whole of it takes at most `shutdown.timeout` (default 10 s), even with a
    /// registry down or frozen: the registry work of steps 1 and 5 and the waits of step 4
    /// share that bound, each registry request has a time limit of its own, and registry
    /// work left when the bound is reached finishes in the background. Local resources
    /// (servers, invokers, connections, listeners) are released in any case.
    ///
    /// Only what this application made is undone: other applications of the process keep
    /// serving and calling on the process-wide protocols ([`DubboProtocol::global`],
    /// [`TripleProtocol::global`](oxidubbo_protocol::TripleProtocol::global),
    /// [`InjvmProtocol::global`](oxidubbo_protocol::InjvmProtocol::global)), which a
    /// bootstrap never destroys (destroy them yourself, if you must, when the process is
    /// done with them). Once every application of the process is shut down, they hold
    /// nothing (`counts()` is empty).
    pub async fn shutdown(&self) -> ShutdownReport {
        let mut report_slot = self.shared.report.lock().await;
        if let Some(report) = report_slot.as_ref() {
            return report.clone();
        }
        let shared = &self.shared;
        shared.shutdown_began.store(true, Ordering::Release);
        let mut report = ShutdownReport::default();
        let exported: Vec<Arc<Exported>> = shared.lock_exported().clone();
        let deadline = Instant::now() + shared.shutdown_timeout;

        // 1. Unregister, every registration at once, within the bound (each registry
        //    bounds its requests too; what is not done in time finishes in the background).
        let mut unregistering = Vec::new();
        for service in &exported {
            let registrations: Vec<Registration> =
                std::mem::take(&mut *service.lock_registrations());
            for r in registrations {
                let task = tokio::spawn(async move { r.registry.unregister(&r.url).await });
                unregistering.push((service.name.as_str(), task));
            }
        }
        for (service, task) in unregistering {
            match tokio::time::timeout_at(deadline, task).await {
                Ok(Ok(Ok(()))) => report.unregistered += 1,
                Ok(Ok(Err(e))) => tracing::warn!(service, error = %e, "unregister failed"),
                Ok(Err(e)) => tracing::warn!(service, error = %e, "unregister failed"),
                Err(_) => {
                    tracing::warn!(service, "unregister not done within the shutdown timeout")
                }
            }
        }
        // 2. Read-only event, on the servers that serve only this application.
        //    The MetadataService is one of its services.
        let mut dubbo_services: Vec<Arc<Url>> = exported
            .iter()
            .filter(|e| e.url.protocol() == oxidubbo_common::values::DUBBO_PROTOCOL)
            .map(|e| Arc::clone(&e.url))
            .collect();
        if let Some(metadata_service) = shared.metadata_service.lock().await.as_ref() {
            dubbo_services.push(Arc::new(metadata_service.url.clone()));
        }
        shared.dubbo.get().send_readonly_for(&dubbo_services).await;
        // 3. No new provider calls.
        shared.provider_graceful.shutdown();
        // 4. Wait for the calls in flight, within what is left of the bound.
        let started = Instant::now();
        let left = deadline.saturating_duration_since(started);
        if !shared.provider_graceful.wait_idle(left).await {
            report.provider_calls_abandoned = shared.provider_graceful.in_flight();
            tracing::warn!(
                calls = report.provider_calls_abandoned,
                timeout_ms = shared.shutdown_timeout.as_millis(),
                "provider calls still in flight at the end of the shutdown wait"
            );
        }
        shared.consumer_graceful.shutdown();
        let left = deadline.saturating_duration_since(Instant::now());
        if !shared.consumer_graceful.wait_idle(left).await {
            report.consumer_calls_abandoned = shared.consumer_graceful.in_flight();
        }
        report.waited = started.elapsed();
        // 5. Destroy what this application made. The registry protocol first: it destroys
        //    the registry directories (invokers at once) and waits, within what is left of
        //    the bound, for their registry work (unregistering the consumer,
        //    unsubscribing) before it closes the registries; then the consumer chains
        //    (direct references are destroyed there). An injected protocol is the
        //    application's own and is destroyed; the process-wide ones are left to the
        //    other applications of the process.
        for service in exported {
            service.exporter.unexport().await;
        }
        shared.lock_exported().clear();
        if let Some(metadata_service) = shared.metadata_service.lock().await.take() {
            metadata_service.exporter.unexport().await;
        }
        shared
            .registry_protocol
            .destroy_within(deadline.saturating_duration_since(Instant::now()))
            .await;
        let references: Vec<Arc<dyn Invoker>> = std::mem::take(&mut *shared.lock_references())
            .into_values()
            .collect();
        for reference in references {
            reference.destroy();
        }
        if let DubboHandle::Owned(own) = &shared.dubbo {
            own.destroy().await;
        }
        if let Some(server) = &shared.metrics_server {
            server.shutdown().await;
        }
        if let Some(server) = shared.qos_server.get() {
            server.shutdown().await;
        }
        tracing::info!(?report, "shut down");
        #[cfg(feature = "otlp")]
        if let Some(otlp) = &shared.otlp {
            // The last spans, within the bound (a collector that is down must not hold
            // the shutdown up).
            let left = deadline.saturating_duration_since(Instant::now());
            otlp.shutdown(left.max(Duration::from_secs(1))).await;
        }
        *report_slot = Some(report.clone());
        report
    }
}

/// Waits for Ctrl-C, or SIGTERM on Unix; returns the signal's name.
async fn wait_for_signal() -> std::io::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map(|()| "SIGINT"),
            _ = term.recv() => Ok("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map(|()| "Ctrl-C")
    }
}
