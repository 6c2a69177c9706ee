//! The bootstrap: from a configuration (a TOML file or code) to services exported and
//! registered, references referred, typed clients, and one graceful `shutdown()`.
//!
//! [`Bootstrap`] collects the configuration and binds implementations to
//! `[services.<name>]`; [`Bootstrap::start`] returns a [`Running`] application.
//!
//! What `start` does, per service and per protocol it is served with (`protocol =
//! "dubbo,tri"` serves it on both): the provider URL
//! (`dubbo://host:port/<interface>?interface&version&group&methods&side=provider&…`, or
//! `tri://…`; `serialization=protobuf` for IDL services, `hessian2` for the others on tri) is
//! served by the implementation wrapped in the provider filter chain
//! ([`ChainBuilder`](oxidubbo_filter::ChainBuilder), `service.filter`), exported with the
//! protocol, then registered in each of its registries. Per reference: a direct `url` is
//! referred with [`refer_direct`](oxidubbo_registry::refer_direct), otherwise through the
//! registry ([`RegistryProtocol::refer_from`](oxidubbo_registry::RegistryProtocol::refer_from)),
//! keeping only the providers of the reference's protocol;
//! the consumer filter chain (`reference.filter`) wraps the **cluster invoker**, so a
//! filter such as `actives` limits the whole reference; per-provider accounting
//! (`RpcStatus` for least-active and shortest-response balancing) is the cluster's.
//!
//! Triple services and references run on the process-wide
//! [`TripleProtocol::global`], which a shutdown never destroys: unexporting a service and
//! destroying a reference take what the application made out of it (a server closes with
//! the last service it served, a connection with the last invoker calling through it).
//!
//! The bootstrap registers provider URLs itself rather than with
//! `RegistryProtocol::export_to`, so that a graceful shutdown can withdraw them from the
//! registries while the services still answer the calls in flight (see [`Running::shutdown`]).

mod gauges;
mod qos;
mod running;
mod urls;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use oxidubbo_common::Url;
use oxidubbo_filter::{ChainBuilder, FilterRegistry, Graceful, Side};
use oxidubbo_invoker::RpcError;
use oxidubbo_invoker::{Invoker, Service, ServiceInvoker};
use oxidubbo_metrics::{MetricsServer, RpcMetrics};
use oxidubbo_protocol::{DubboProtocol, Protocol, TripleProtocol};
use oxidubbo_registry::{
    MetadataServiceDelegation, Protocols, RegistryProtocol, refer_direct, registered_provider_url,
};

use self::running::{Exported, MetadataServiceExport, Registration, Shared};
pub use self::running::{Running, ShutdownReport};
use crate::config::{
    Config, ProtocolConfig, ReferenceConfig, RegistryConfig, ServiceConfig, rpc_message,
};
use crate::{DubboService, Error};

/// An implementation bound to `[services.<name>]`.
#[derive(Clone)]
struct Binding {
    interface: &'static str,
    version: Option<&'static str>,
    group: Option<&'static str>,
    methods: Vec<String>,
    serialization: Option<&'static str>,
    service: Arc<dyn Service>,
}

/// The dubbo protocol a bootstrap runs on: the process-wide one, or an injected one.
#[derive(Clone)]
pub(crate) enum DubboHandle {
    Global,
    Owned(Arc<DubboProtocol>),
}

impl DubboHandle {
    pub(crate) fn get(&self) -> &DubboProtocol {
        match self {
            DubboHandle::Global => DubboProtocol::global(),
            DubboHandle::Owned(p) => p,
        }
    }
}

/// Builds an application: configuration, service implementations, and the protocol to
/// run on. [`Bootstrap::start`] exports and refers everything.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use oxidubbo::RpcError;
/// # #[oxidubbo::service(interface = "com.example.Greeter", version = "1.0.0")]
/// # pub trait Greeter { async fn say_hello(&self, name: String) -> Result<String, RpcError>; }
/// # struct MyGreeter;
/// # #[oxidubbo::async_trait]
/// # impl Greeter for MyGreeter {
/// #     async fn say_hello(&self, name: String) -> Result<String, RpcError> { Ok(name) }
/// # }
/// # async fn demo() -> Result<(), oxidubbo::Error> {
/// use oxidubbo::Bootstrap;
///
/// let running = Bootstrap::from_file("provider.toml")?
///     .service::<dyn Greeter>("greeter", Arc::new(MyGreeter))
///     .start()
///     .await?;
/// running.run_until_signal().await?; // Ctrl-C or SIGTERM, then a graceful shutdown
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Bootstrap {
    config: Config,
    bindings: BTreeMap<String, Binding>,
    dubbo: DubboHandle,
    filters: Arc<FilterRegistry>,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap::from_config(Config::new())
    }
}

impl fmt::Debug for Bootstrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bootstrap")
            .field("config", &self.config)
            .field("bound", &self.bindings.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Bootstrap {
    /// An empty application (configure it in code).
    pub fn new() -> Self {
        Bootstrap::default()
    }

    /// An application configured by the TOML file at `path`, with the process
    /// environment's `OXIDUBBO_…` overrides (see [`crate::config`]).
    ///
    /// # Errors
    ///
    /// [`Error::Config`], located in the file or naming the variable.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        Ok(Bootstrap::from_config(Config::from_file(path)?))
    }

    /// An application configured by `config`.
    pub fn from_config(config: Config) -> Self {
        Bootstrap {
            config,
            bindings: BTreeMap::new(),
            dubbo: DubboHandle::Global,
            filters: FilterRegistry::builtin(),
        }
    }

    /// The configuration so far.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration so far, to change in code.
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// Sets the application name.
    pub fn application(mut self, name: impl Into<String>) -> Self {
        self.config.application.name = Some(name.into());
        self
    }

    /// Adds (or replaces) `[registries.<name>]`.
    pub fn registry(mut self, name: impl Into<String>, registry: RegistryConfig) -> Self {
        self.config.registries.insert(name.into(), registry);
        self
    }

    /// Adds (or replaces) `[protocols.<name>]`.
    pub fn protocol(mut self, name: impl Into<String>, protocol: ProtocolConfig) -> Self {
        self.config.protocols.insert(name.into(), protocol);
        self
    }

    /// Adds (or replaces) `[services.<name>]` (an implementation is bound with
    /// [`Bootstrap::service`]).
    pub fn service_config(mut self, name: impl Into<String>, service: ServiceConfig) -> Self {
        self.config.services.insert(name.into(), service);
        self
    }

    /// Adds (or replaces) `[references.<name>]`.
    pub fn reference(mut self, name: impl Into<String>, reference: ReferenceConfig) -> Self {
        self.config.references.insert(name.into(), reference);
        self
    }

    /// Sets how long a graceful shutdown may take (registry work and the wait for calls
    /// in flight together).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.config.shutdown.timeout = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Binds `implementation` of the `#[oxidubbo::service]` trait `T` to
    /// `[services.<name>]` (created with defaults when the configuration has none).
    /// The interface, version and group default to the trait's; the configuration wins.
    pub fn service<T: DubboService + ?Sized>(
        mut self,
        name: impl Into<String>,
        implementation: Arc<T>,
    ) -> Self {
        let name = name.into();
        self.config.services.entry(name.clone()).or_default();
        self.bindings.insert(
            name,
            Binding {
                interface: T::INTERFACE,
                version: T::VERSION,
                group: T::GROUP,
                methods: T::METHODS.iter().map(|m| (*m).to_owned()).collect(),
                serialization: T::SERIALIZATION,
                service: T::provider(implementation),
            },
        );
        self
    }

    /// Declares that `[references.<name>]` calls the `#[oxidubbo::service]` trait `T`
    /// (created when the configuration has none): its interface, when the configuration
    /// gives none, and its version and group, when the configuration gives neither, are
    /// the trait's — as dubbo-go's `SetConsumerService` takes them from the generated
    /// client, so a dubbo-go reference with no `interface` works unchanged.
    pub fn reference_of<T: DubboService + ?Sized>(mut self, name: impl Into<String>) -> Self {
        let reference = self.config.references.entry(name.into()).or_default();
        if reference.interface.trim().is_empty() {
            reference.interface = T::INTERFACE.to_owned();
        }
        if reference.version.is_none() && reference.group.is_none() {
            reference.version = T::VERSION.map(str::to_owned);
            reference.group = T::GROUP.map(str::to_owned);
        }
        self
    }

    /// Runs on `protocol` instead of the process-wide [`DubboProtocol::global`] (an
    /// application that shares no server or connection with the others of its process,
    /// tests). [`Running::shutdown`] destroys it.
    pub fn dubbo_protocol(mut self, protocol: Arc<DubboProtocol>) -> Self {
        self.dubbo = DubboHandle::Owned(protocol);
        self
    }

    /// Looks filter names up in `registry` (to use custom filters).
    pub fn filter_registry(mut self, registry: Arc<FilterRegistry>) -> Self {
        self.filters = registry;
        self
    }

    /// Exports every service (filters wrapped, registered) and refers every reference.
    /// On failure, whatever this start had started is shut down again, and nothing else:
    /// other applications on the process-wide protocols are not touched.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an invalid configuration (also a filter name no registry
    /// knows), [`Error::Usage`] for a `[services.<name>]` without a bound implementation,
    /// [`Error::Rpc`] when exporting, registering or referring fails.
    pub async fn start(self) -> Result<Running, Error> {
        let config = self.config;
        config.validate()?;
        let metrics = config.metrics.enabled.then(|| {
            let ip = config
                .effective_protocols()
                .values()
                .next()
                .map(|p| p.host.clone())
                .unwrap_or_else(|| crate::config::DEFAULT_HOST.to_owned());
            let application = config.application.name.clone().unwrap_or_default();
            Arc::new(RpcMetrics::new(application, ip))
        });
        let filters = match &metrics {
            Some(metrics) => with_metrics_filter(&self.filters, metrics)
                .map_err(|e| config.error_at(&["metrics"], rpc_message(&e)))?,
            None => self.filters,
        };
        let filters = if config.tracing.enabled {
            with_tracing_filter(&filters, config.tracing.sampling)
                .map_err(|e| config.error_at(&["tracing"], rpc_message(&e)))?
        } else {
            filters
        };
        #[cfg(feature = "otlp")]
        let otlp = start_otlp(&config)?;
        #[cfg(not(feature = "otlp"))]
        if config.tracing.exporter.is_some() {
            return Err(config
                .error_at(
                    &["tracing", "exporter"],
                    "this program was built without oxidubbo's `otlp` feature",
                )
                .into());
        }
        for (name, service) in &config.services {
            if !self.bindings.contains_key(name) {
                return Err(Error::Usage(format!(
                    "{}: services.{name} has no implementation: bind one with Bootstrap::service",
                    config.file_name()
                )));
            }
            if let Err(e) = filters.resolve(Side::Provider, service.filters.as_deref()) {
                return Err(config
                    .error_at(&["services", name, "filters"], rpc_message(&e))
                    .into());
            }
        }
        for (name, reference) in &config.references {
            if let Err(e) = filters.resolve(Side::Consumer, reference.filters.as_deref()) {
                return Err(config
                    .error_at(&["references", name, "filters"], rpc_message(&e))
                    .into());
            }
        }
        let mut registry_urls = BTreeMap::new();
        for (name, registry) in config.effective_registries() {
            let url = urls::registry_url(&registry)
                .map_err(|m| config.error_at(&["registries", &name, "address"], m))?;
            registry_urls.insert(name, url);
        }
        let protocol_configs = config.effective_protocols();
        // The reservations keep port-0 protocols' ports bound until `start` is over.
        let (ports, _reserved) = urls::resolve_ports(
            &protocol_configs,
            self.dubbo.get(),
            TripleProtocol::global(),
        )
        .map_err(|(name, e)| {
            config.error_at(
                &["protocols", &name, "port"],
                format!("no free port on the host: {e}"),
            )
        })?;

        let metrics_server = match &metrics {
            Some(metrics) => Some(start_metrics_server(&config, metrics, &self.dubbo).await?),
            None => None,
        };
        let protocols = match &self.dubbo {
            DubboHandle::Global => Protocols::global(),
            DubboHandle::Owned(p) => Protocols::global().with(
                oxidubbo_common::values::DUBBO_PROTOCOL,
                Arc::clone(p) as Arc<dyn Protocol>,
            ),
        };
        let shared = Arc::new(Shared {
            shutdown_timeout: Duration::from_millis(config.shutdown.timeout),
            registry_protocol: RegistryProtocol::with_protocols(protocols.clone()),
            protocols,
            dubbo: self.dubbo.clone(),
            provider_graceful: Graceful::new(),
            consumer_graceful: Graceful::new(),
            exported: Default::default(),
            metadata_service: Default::default(),
            references: Default::default(),
            report: tokio::sync::Mutex::new(None),
            metrics,
            metrics_server,
            qos_server: Default::default(),
            started: Default::default(),
            shutdown_began: Default::default(),
            #[cfg(feature = "otlp")]
            otlp,
            config,
        });
        let running = Running::new(Arc::clone(&shared));
        let serving = Serving {
            protocols: &protocol_configs,
            ports: &ports,
        };
        let started = async {
            if shared.config.qos.enabled {
                let server = qos::start_qos_server(&shared.config, &shared).await?;
                let _ = shared.qos_server.set(server);
            }
            for (name, binding) in &self.bindings {
                export(&shared, &filters, name, binding, &serving, &registry_urls).await?;
            }
            for name in shared.config.references.keys() {
                refer(&shared, &filters, name, &registry_urls).await?;
            }
            Ok::<(), Error>(())
        }
        .await;
        match started {
            Ok(()) => {
                shared
                    .started
                    .store(true, std::sync::atomic::Ordering::Release);
                Ok(running)
            }
            Err(e) => {
                running.shutdown().await;
                Err(e)
            }
        }
    }
}

/// `[tracing] exporter = "otlp-http"`: the OTLP export, with the global subscriber that
/// feeds it installed.
#[cfg(feature = "otlp")]
fn start_otlp(config: &Config) -> Result<Option<crate::otlp::OtlpTracing>, Error> {
    if config.tracing.exporter.is_none() {
        return Ok(None);
    }
    let service = config.application.name.as_deref().unwrap_or("oxidubbo");
    let otlp = crate::otlp::OtlpTracing::start(&config.tracing.endpoint, service)
        .map_err(|e| config.error_at(&["tracing", "endpoint"], e.to_string()))?;
    otlp.install_global()
        .map_err(|e| config.error_at(&["tracing", "exporter"], e.to_string()))?;
    Ok(Some(otlp))
}

/// `filters` with the `metrics` filter recording into `metrics`, placed in both sides'
/// defaults right after `graceful` (so it sees the calls refused by `token`, `tps`,
/// `executes` and `actives`, and the service's errors as the consumer gets them).
fn with_metrics_filter(
    filters: &FilterRegistry,
    metrics: &Arc<RpcMetrics>,
) -> Result<Arc<FilterRegistry>, RpcError> {
    with_default_filter(
        filters,
        oxidubbo_metrics::filter::NAME,
        oxidubbo_metrics::filter::factory(Arc::clone(metrics)),
    )
}

/// `filters` with the `tracing` filter sampling new traces with probability `sampling`,
/// placed in both sides' defaults right after `graceful` (so its span covers every other
/// filter, the calls they refuse included).
fn with_tracing_filter(
    filters: &FilterRegistry,
    sampling: f64,
) -> Result<Arc<FilterRegistry>, RpcError> {
    with_default_filter(
        filters,
        oxidubbo_filter::trace::NAME,
        oxidubbo_filter::trace::factory(sampling),
    )
}

/// `filters` with `factory` registered as `name` and placed in both sides' defaults right
/// after `graceful`.
fn with_default_filter(
    filters: &FilterRegistry,
    name: &str,
    factory: impl oxidubbo_filter::FilterFactory,
) -> Result<Arc<FilterRegistry>, RpcError> {
    let mut filters = filters.clone();
    filters.register_default_filter(name, factory)?;
    Ok(Arc::new(filters))
}

/// Starts the `[metrics]` endpoint serving `metrics` and the gauges of the protocols.
async fn start_metrics_server(
    config: &Config,
    metrics: &Arc<RpcMetrics>,
    dubbo: &DubboHandle,
) -> Result<MetricsServer, Error> {
    let settings = &config.metrics;
    let addr = settings
        .socket_addr()
        .map_err(|m| config.error_at(&["metrics", "host"], m))?;
    let mut registry = metrics.registry();
    registry.register_collector(Box::new(gauges::ProtocolGauges {
        dubbo: dubbo.clone(),
    }));
    MetricsServer::start(addr, settings.path.clone(), Arc::new(registry))
        .await
        .map_err(|e| {
            config
                .error_at(
                    &["metrics", "port"],
                    format!("cannot listen on {addr}: {e}"),
                )
                .into()
        })
}

/// Where the services are served: the protocols in effect and their ports.
struct Serving<'a> {
    protocols: &'a BTreeMap<String, ProtocolConfig>,
    ports: &'a BTreeMap<String, u16>,
}

/// Serves `binding` as `[services.<name>]` with each of its protocols, and registers it.
async fn export(
    shared: &Shared,
    filters: &Arc<FilterRegistry>,
    name: &str,
    binding: &Binding,
    serving: &Serving<'_>,
    registry_urls: &BTreeMap<String, Url>,
) -> Result<(), Error> {
    for protocol_name in shared.config.service_protocols(name)? {
        let protocol = serving
            .protocols
            .get(&protocol_name)
            .cloned()
            .unwrap_or_default();
        let port = serving
            .ports
            .get(&protocol_name)
            .copied()
            .unwrap_or(protocol.port);
        export_on(
            shared,
            filters,
            name,
            binding,
            &protocol,
            port,
            registry_urls,
        )
        .await?;
    }
    Ok(())
}

/// Serves `binding` as `[services.<name>]` with `protocol` on `port`, and registers it.
async fn export_on(
    shared: &Shared,
    filters: &Arc<FilterRegistry>,
    name: &str,
    binding: &Binding,
    protocol: &ProtocolConfig,
    port: u16,
    registry_urls: &BTreeMap<String, Url>,
) -> Result<(), Error> {
    let config = &shared.config;
    let service = config.services.get(name).cloned().unwrap_or_default();
    let injvm = protocol.name == oxidubbo_common::values::INJVM_PROTOCOL;
    let register = service.register.unwrap_or(true) && !injvm;
    let interface = service.interface.as_deref().unwrap_or(binding.interface);
    let spec = urls::ProviderSpec {
        interface,
        version: service.version.as_deref().or(binding.version),
        group: service.group.as_deref().or(binding.group),
        methods: &binding.methods,
        serialization: binding.serialization,
        service: &service,
        register,
    };
    let url = urls::provider_url(&spec, protocol, port, &config.application);
    let url = Arc::new(if protocol.ssl_enabled {
        urls::with_server_ssl(url, &config.ssl)
    } else {
        url
    });
    let invoker: Arc<dyn Invoker> = Arc::new(ServiceInvoker::new(
        Arc::clone(&url),
        Arc::clone(&binding.service),
    ));
    let chain = ChainBuilder::new(Side::Provider)
        .registry(Arc::clone(filters))
        .graceful(shared.provider_graceful.clone())
        .build(&url, invoker)
        .map_err(|e| config.error_at(&["services", name], rpc_message(&e)))?;
    let context = || format!("exporting services.{name} ({})", url.to_full_string());
    let target = shared
        .protocols
        .for_url(&url)
        .map_err(|e| Error::rpc(context(), e))?;
    let exporter = target
        .export(chain)
        .await
        .map_err(|e| Error::rpc(context(), e))?;
    let exported = Exported {
        name: name.to_owned(),
        url: Arc::clone(&url),
        exporter,
        registrations: Default::default(),
        withdrawn: Default::default(),
    };
    let exported = Arc::new(exported);
    shared.lock_exported().push(Arc::clone(&exported));
    tracing::info!(service = name, url = %url.to_full_string(), "exported");
    if !register {
        return Ok(());
    }
    let registered = registered_provider_url(&url);
    for registry_name in config.service_registries(name)? {
        let Some(registry_url) = registry_urls.get(&registry_name) else {
            continue;
        };
        let context = || format!("registering services.{name} in registries.{registry_name}");
        let registry = shared
            .registry_protocol
            .registry(registry_url)
            .await
            .map_err(|e| Error::rpc(context(), e))?;
        if registry.needs_metadata_service() {
            if let Some((service, at)) = metadata_service(shared, &url)
                .await
                .map_err(|e| Error::rpc(context(), e))?
            {
                registry
                    .serve_metadata(service, &at)
                    .await
                    .map_err(|e| Error::rpc(context(), e.into()))?;
            }
        }
        registry
            .register(&registered)
            .await
            .map_err(|e| Error::rpc(context(), e.into()))?;
        exported.lock_registrations().push(Registration {
            registry,
            url: registered.clone(),
        });
    }
    Ok(())
}

/// The application's `MetadataService` and its URL, exported the first time on the dubbo
/// server of `provider` (a dubbo provider URL), as Java exports it: group = the application,
/// version `1.0.0`, no filters, not registered. An application without a dubbo protocol
/// (Triple only, dubbo-go's usual setup) gets it on a dubbo server of its own, on a free port
/// of the provider's host, as dubbo-go does (`metadata-service-protocol` defaults to dubbo,
/// `metadata-service-port` to a free one). `None` for a provider of another protocol when
/// the application also serves dubbo (that one's server will have it), or without an
/// application, which has no instance to answer for.
async fn metadata_service(
    shared: &Shared,
    provider: &Url,
) -> Result<Option<(MetadataServiceDelegation, Url)>, RpcError> {
    let application = provider
        .param(oxidubbo_common::keys::APPLICATION)
        .filter(|a| !a.is_empty());
    let Some(application) = application else {
        return Ok(None);
    };
    let on_dubbo = provider.protocol() == oxidubbo_common::values::DUBBO_PROTOCOL;
    let serves_dubbo = shared
        .config
        .effective_protocols()
        .values()
        .any(|p| p.name == oxidubbo_common::values::DUBBO_PROTOCOL);
    if !on_dubbo && serves_dubbo {
        return Ok(None);
    }
    let mut slot = shared.metadata_service.lock().await;
    if let Some(current) = slot.as_ref() {
        return Ok(Some((current.service.clone(), current.url.clone())));
    }
    let service = MetadataServiceDelegation::new(application);
    // Held until the export below serves on its listener.
    let reserved = if on_dubbo {
        None
    } else {
        Some(shared.dubbo.get().reserve_port(provider.host())?)
    };
    let port = reserved.as_ref().map_or(provider.port(), |r| r.port());
    let mut url = service.export_url(
        oxidubbo_common::values::DUBBO_PROTOCOL,
        provider.host(),
        port,
    );
    // On the provider's own dubbo server it binds as the provider does; on a server of its
    // own or not, it serves with the provider's TLS settings.
    let bind = ["bind.ip", "bind.port"].into_iter().filter(|_| on_dubbo);
    let tls =
        std::iter::once(oxidubbo_common::keys::SSL_ENABLED).chain(oxidubbo_common::keys::SSL_LOCAL);
    for key in bind.chain(tls) {
        if let Some(value) = provider.param(key) {
            url = url.with_param(key, value);
        }
    }
    let exporter = shared
        .dubbo
        .get()
        .export(Arc::new(ServiceInvoker::new(
            Arc::new(url.clone()),
            service.clone(),
        )))
        .await?;
    drop(reserved);
    tracing::info!(url = %url.to_full_string(), "exported the MetadataService");
    *slot = Some(MetadataServiceExport {
        service: service.clone(),
        url: url.clone(),
        exporter,
    });
    Ok(Some((service, url)))
}

/// Refers `[references.<name>]` and wraps it in the consumer chain.
async fn refer(
    shared: &Shared,
    filters: &Arc<FilterRegistry>,
    name: &str,
    registry_urls: &BTreeMap<String, Url>,
) -> Result<(), Error> {
    let config = &shared.config;
    let Some(reference) = config.references.get(name) else {
        return Ok(());
    };
    let protocol = config.reference_protocol(name)?;
    let url = urls::with_client_ssl(
        urls::reference_url(reference, &protocol, &config.application),
        &config.ssl,
    );
    let context = || format!("referring references.{name} ({})", reference.interface);
    let cluster = match (reference.url.as_deref(), config.reference_registry(name)?) {
        (Some(direct), _) if !direct.trim().is_empty() => {
            let direct = urls::with_scheme(direct, &protocol);
            refer_direct(&shared.protocols, &direct, &url).await
        }
        (_, Some(registry)) => match registry_urls.get(&registry) {
            Some(registry_url) => {
                shared
                    .registry_protocol
                    .refer_from(registry_url, &url)
                    .await
            }
            None => Err(oxidubbo_invoker::RpcError::Config(format!(
                "no registry {registry:?}"
            ))),
        },
        (_, None) => Err(oxidubbo_invoker::RpcError::Config(
            "neither a url nor a registry".into(),
        )),
    }
    .map_err(|e| Error::rpc(context(), e))?;
    let chain = ChainBuilder::new(Side::Consumer)
        .registry(Arc::clone(filters))
        .graceful(shared.consumer_graceful.clone());
    match chain.build(&url, Arc::clone(&cluster)) {
        Ok(invoker) => {
            shared
                .lock_references()
                .insert(name.to_owned(), invoker as Arc<dyn Invoker>);
            tracing::info!(reference = name, "referred");
            Ok(())
        }
        Err(e) => {
            cluster.destroy();
            Err(config
                .error_at(&["references", name], rpc_message(&e))
                .into())
        }
    }
}
