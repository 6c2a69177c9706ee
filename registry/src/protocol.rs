//! `RegistryProtocol`: export = serve + register; refer = subscribe + cluster.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use oxidubbo_cluster::{Directory, StaticDirectory};
use oxidubbo_common::{Url, defaults, keys, values};
use oxidubbo_invoker::{BaseInvoker, CallFuture, Invocation, Invoker, RpcError, ready_call};
use oxidubbo_protocol::{Exporter, Protocol};

use crate::factory::{connect_registry, normalize_registry_url, registry_key};
use crate::{Protocols, Registry, RegistryDirectory, ServiceDiscoveryRegistry};

/// Keys Dubbo Java (≥ 3.2.11) leaves out of provider URLs it registers (wire spec §6.1).
const NOT_REGISTERED: [&str; 21] = [
    "pid",
    "anyhost",
    "background",
    "bind.ip",
    "bind.port",
    "threadname",
    "threadpool",
    "threads",
    "corethreads",
    "queues",
    "alive",
    "monitor",
    "qos.enable",
    "qos.host",
    "qos.port",
    "qos.accept.foreign.ip",
    "validation",
    "interfaces",
    "register-mode",
    "file-cache",
    "executor-management-mode",
];

/// How long [`Protocol::destroy`] and an exporter's unexport spend on registry work at
/// most (Dubbo's default shutdown timeout).
const DESTROY_LIMIT: Duration = Duration::from_secs(10);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn now_ms() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        .to_string()
}

fn with_default(url: Url, key: &str, value: &str) -> Url {
    if url.param(key).is_some_and(|v| !v.is_empty()) {
        url
    } else {
        url.with_param(key, value)
    }
}

/// The URL a provider is registered as: `url` without the keys Dubbo Java does not
/// register (`pid`, `anyhost`, `bind.*`, `qos.*`, thread-pool keys, hidden `.x` and
/// `triple.` keys) nor the paths and passwords of its TLS files (`ssl-enabled` stays, so
/// consumers connect with TLS), with `interface`, `side=provider`, `dubbo=2.0.2` and `timestamp` added
/// when missing.
pub fn registered_provider_url(url: &Url) -> Url {
    let mut b = url.to_builder();
    for key in NOT_REGISTERED.iter().chain(&keys::SSL_LOCAL) {
        b = b.remove_param(key);
    }
    for (k, _) in url.params() {
        if k.starts_with('.') || k.starts_with("triple.") {
            b = b.remove_param(k);
        }
    }
    let mut out = b.build();
    let interface = url.interface().to_owned();
    out = with_default(out, keys::INTERFACE, &interface);
    out = with_default(out, keys::SIDE, values::PROVIDER_SIDE);
    out = with_default(out, keys::DUBBO, defaults::DUBBO_PROTOCOL_VERSION);
    with_default(out, keys::TIMESTAMP, &now_ms())
}

/// The consumer URL of a reference, Dubbo's form: `consumer://<host>/<interface>?…` with
/// `interface`, `side=consumer`, `dubbo=2.0.2` and `timestamp` added when missing. The host is the reference URL's host,
/// or `127.0.0.1`.
pub fn consumer_url(reference: &Url) -> Url {
    let interface = reference.interface().to_owned();
    let host = if reference.host().is_empty() || reference.host() == "0.0.0.0" {
        "127.0.0.1"
    } else {
        reference.host()
    };
    let url = Url::builder(values::CONSUMER_PROTOCOL)
        .host(host)
        .path(interface.clone())
        .params(reference.params())
        .remove_param(keys::CATEGORY)
        .build();
    let url = with_default(url, keys::INTERFACE, &interface);
    let url = url.with_param(keys::SIDE, values::CONSUMER_SIDE);
    let url = with_default(url, keys::DUBBO, defaults::DUBBO_PROTOCOL_VERSION);
    with_default(url, keys::TIMESTAMP, &now_ms())
}

/// What a consumer registers: [`consumer_url`] with `category=consumers` and `check=false`,
/// without the paths and passwords of its TLS files.
pub fn registered_consumer_url(consumer: &Url) -> Url {
    let mut b = consumer.to_builder();
    for key in keys::SSL_LOCAL {
        b = b.remove_param(key);
    }
    b.build()
        .with_param(keys::CATEGORY, values::CONSUMERS_CATEGORY)
        .with_param(keys::CHECK, "false")
}

/// The consumer (`refer`) URL inside a registry URL: a full URL (`consumer://…`), or
/// Dubbo Java's form-encoded parameter string (`interface=…&version=…`).
fn refer_of(url: &Url) -> Result<Url, RpcError> {
    if let Ok(Some(found)) = url.sub_url(keys::REFER) {
        return Ok(found);
    }
    let raw = url
        .param(keys::REFER)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| RpcError::Config(format!("registry URL without refer: {url:?}")))?;
    let decoded = if raw.contains('=') {
        raw.to_owned()
    } else {
        Url::decode_component(raw).map_err(|e| RpcError::Config(e.to_string()))?
    };
    let params = Url::parse(&format!("consumer://127.0.0.1?{decoded}"))
        .map_err(|e| RpcError::Config(format!("bad refer parameters: {e}")))?;
    let interface = params.param_or(keys::INTERFACE, "").to_owned();
    if interface.is_empty() {
        return Err(RpcError::Config(
            "refer parameters without interface".into(),
        ));
    }
    Ok(params.to_builder().path(interface).build())
}

/// Calls a service through the invoker of a provider URL, while reporting `url`
/// (Dubbo's `InvokerDelegate`): what the trait-form export hands to the real protocol.
struct Delegate {
    base: BaseInvoker,
    inner: Arc<dyn Invoker>,
}

// Not `async`: the inner invoker's own future is returned, not boxed once more.
impl Invoker for Delegate {
    fn invoke<'s, 'f>(&'s self, invocation: Invocation) -> CallFuture<'f>
    where
        's: 'f,
        Self: 'f,
    {
        match self.base.url_or_destroyed() {
            Ok(_) => self.inner.invoke(invocation),
            Err(e) => ready_call(Err(e)),
        }
    }

    fn url(&self) -> Option<Arc<Url>> {
        self.base.url()
    }

    fn is_available(&self) -> bool {
        self.base.is_available() && self.inner.is_available()
    }

    fn is_destroyed(&self) -> bool {
        self.base.is_destroyed()
    }

    fn destroy(&self) {
        if self.base.destroy() {
            self.inner.destroy();
        }
    }
}

/// What a registry protocol holds right now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistryProtocolCounts {
    /// Services exported and registered.
    pub exporters: usize,
    /// Registry directories (references) alive.
    pub directories: usize,
    /// Registries connected.
    pub registries: usize,
}

impl RegistryProtocolCounts {
    /// Whether the protocol holds nothing.
    pub fn is_empty(&self) -> bool {
        *self == RegistryProtocolCounts::default()
    }
}

struct State {
    protocols: Protocols,
    registries: tokio::sync::Mutex<HashMap<String, Arc<dyn Registry>>>,
    registry_count: std::sync::atomic::AtomicUsize,
    exporters: Mutex<HashMap<u64, Arc<RegistryExporter>>>,
    /// The directories of live references, held weakly: a reference's cluster invoker
    /// owns its directory, so one dropped without `destroy()` is released all the same
    /// (its directory's drop destroys it, which takes it out of this table).
    directories: Mutex<HashMap<u64, Weak<RegistryDirectory>>>,
    next_id: AtomicU64,
}

/// Exports services to, and refers services through, a registry (Dubbo's
/// `RegistryProtocol`).
///
/// Two ways to use it:
///
/// * **Typed**: [`RegistryProtocol::export_to`] with a registry URL and the provider's
///   invoker (its URL is the provider URL, e.g. `dubbo://127.0.0.1:20880/…`), and
///   [`RegistryProtocol::refer_from`] with a registry URL and the reference URL.
/// * **As a [`Protocol`]**, Dubbo style: the invoker's URL (export) or the URL (refer) is
///   the registry URL, `registry://host:port?registry=zookeeper&…` or directly
///   `zookeeper://host:port?…` / `memory://…`, carrying the provider URL in `export` (a
///   full URL, as [`Url::with_sub_url`] writes it) or the reference in `refer` (a full
///   URL, or Java's encoded parameter string `interface=…&version=…`).
///
/// Export serves the service with the protocol of the provider URL's scheme and registers
/// [`registered_provider_url`] (unless `register=false`). Refer registers the
/// [`registered_consumer_url`] (unless `register=false`), subscribes a
/// [`RegistryDirectory`] to providers, configurators and routers, and joins it with the
/// cluster named by the reference's `cluster` parameter. With `check` (default `true`)
/// refer fails when no provider is available.
///
/// An exporter that is unexported, or a reference invoker that is destroyed or dropped,
/// leaves this protocol's tables at once. [`Protocol::destroy`] unexports and unregisters every
/// service, destroys every reference (unsubscribing and unregistering) and destroys every
/// registry it connected; afterwards it holds nothing and can be used again.
pub struct RegistryProtocol {
    state: Arc<State>,
}

impl Default for RegistryProtocol {
    fn default() -> Self {
        RegistryProtocol::new()
    }
}

impl RegistryProtocol {
    /// A registry protocol over the process-wide `dubbo` and `injvm` protocols.
    pub fn new() -> Self {
        RegistryProtocol::with_protocols(Protocols::global())
    }

    /// A registry protocol over `protocols`.
    pub fn with_protocols(protocols: Protocols) -> Self {
        RegistryProtocol {
            state: Arc::new(State {
                protocols,
                registries: tokio::sync::Mutex::new(HashMap::new()),
                registry_count: std::sync::atomic::AtomicUsize::new(0),
                exporters: Mutex::new(HashMap::new()),
                directories: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
            }),
        }
    }

    /// What the protocol holds now.
    pub fn counts(&self) -> RegistryProtocolCounts {
        RegistryProtocolCounts {
            exporters: lock(&self.state.exporters).len(),
            directories: lock(&self.state.directories)
                .values()
                .filter(|d| d.strong_count() > 0)
                .count(),
            registries: self.state.registry_count.load(Ordering::Acquire),
        }
    }

    /// The registry this protocol uses for `registry_url`, connecting it the first time:
    /// the backend wrapped in a [`ServiceDiscoveryRegistry`] over this protocol's
    /// protocols, so that references find providers at application level too.
    pub async fn registry(&self, registry_url: &Url) -> Result<Arc<dyn Registry>, RpcError> {
        let url = normalize_registry_url(registry_url);
        let key = registry_key(&url);
        let mut registries = self.state.registries.lock().await;
        if let Some(found) = registries.get(&key) {
            return Ok(Arc::clone(found));
        }
        let backend = connect_registry(&url).await?;
        let registry: Arc<dyn Registry> = Arc::new(ServiceDiscoveryRegistry::new(
            backend,
            self.state.protocols.clone(),
        ));
        registries.insert(key, Arc::clone(&registry));
        self.state
            .registry_count
            .store(registries.len(), Ordering::Release);
        Ok(registry)
    }

    /// Exports `invoker` (whose URL is the provider URL) with the protocol of its scheme
    /// and registers it in the registry of `registry_url`.
    pub async fn export_to(
        &self,
        registry_url: &Url,
        invoker: Arc<dyn Invoker>,
    ) -> Result<Arc<dyn Exporter>, RpcError> {
        let provider = invoker
            .url()
            .ok_or_else(|| RpcError::Destroyed("cannot export a destroyed invoker".into()))?;
        let registry = self.registry(registry_url).await?;
        let protocol = self.state.protocols.for_url(&provider)?;
        let exporter = protocol.export(invoker).await?;
        let registered = if provider.bool_param(keys::REGISTER, true) {
            let url = registered_provider_url(&provider);
            if let Err(e) = registry.register(&url).await {
                exporter.unexport().await;
                return Err(e.into());
            }
            Some(url)
        } else {
            None
        };
        let id = self.state.next_id.fetch_add(1, Ordering::Relaxed);
        let handle = Arc::new(RegistryExporter {
            id,
            inner: exporter,
            registry,
            registered: Mutex::new(registered),
            owner: Arc::downgrade(&self.state),
            done: tokio::sync::Mutex::new(false),
        });
        lock(&self.state.exporters).insert(id, Arc::clone(&handle));
        Ok(handle)
    }

    /// Refers the service of `reference` (interface, group, version, cluster, …; any
    /// scheme, the host is used as the consumer's address) through the registry of
    /// `registry_url`: returns the cluster invoker over a subscribed [`RegistryDirectory`].
    pub async fn refer_from(
        &self,
        registry_url: &Url,
        reference: &Url,
    ) -> Result<Arc<dyn Invoker>, RpcError> {
        let registry = self.registry(registry_url).await?;
        let consumer = consumer_url(reference);
        let directory = Arc::new(RegistryDirectory::new(
            registry,
            consumer.clone(),
            self.state.protocols.clone(),
        ));
        let id = self.state.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.state.directories).insert(id, Arc::downgrade(&directory));
        let owner: Weak<State> = Arc::downgrade(&self.state);
        directory.on_destroy(move || {
            if let Some(state) = owner.upgrade() {
                lock(&state.directories).remove(&id);
            }
        });
        let started = async {
            if consumer.bool_param(keys::REGISTER, true) {
                directory
                    .register_consumer(registered_consumer_url(&consumer))
                    .await?;
            }
            directory.subscribe().await?;
            if consumer.bool_param(keys::CHECK, true) && !directory.is_available() {
                return Err(RpcError::Unavailable(format!(
                    "no provider of {} in the registry (check=true)",
                    consumer.service_key()
                )));
            }
            oxidubbo_cluster::join(Arc::clone(&directory) as Arc<dyn Directory>)
        }
        .await;
        match started {
            Ok(invoker) => Ok(invoker),
            Err(e) => {
                directory.shutdown().await;
                Err(e)
            }
        }
    }
}

/// Refers a service directly, without a registry (Dubbo's `url=` on a reference):
/// `urls` holds one or several provider addresses separated by `;`
/// (`dubbo://10.0.0.1:20880;dubbo://10.0.0.2:20880`, a missing scheme means `dubbo`).
/// Each is merged with `reference` (interface, version, timeouts, …), referred with the
/// protocol of its scheme, and the invokers are joined in a static directory by the
/// cluster named by `reference`'s `cluster` parameter.
pub async fn refer_direct(
    protocols: &Protocols,
    urls: &str,
    reference: &Url,
) -> Result<Arc<dyn Invoker>, RpcError> {
    let consumer = consumer_url(reference);
    let mut invokers: Vec<Arc<dyn Invoker>> = Vec::new();
    let mut failure = None;
    for raw in urls.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let direct = match Url::parse_with_default_protocol(raw, values::DUBBO_PROTOCOL) {
            Ok(u) => u,
            Err(e) => {
                failure = Some(RpcError::Config(format!("bad direct URL {raw:?}: {e}")));
                break;
            }
        };
        let mut url = Url::merge_consumer(&direct, &consumer)
            .without_param(keys::SIDE)
            .without_param(keys::CATEGORY);
        if url.path().is_empty() {
            url = url.to_builder().path(consumer.interface()).build();
        }
        let referred = match protocols.for_url(&url) {
            Ok(protocol) => protocol.refer(Arc::new(url)).await,
            Err(e) => Err(e),
        };
        match referred {
            Ok(invoker) => invokers.push(invoker),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if let Some(e) = failure {
        for invoker in &invokers {
            invoker.destroy();
        }
        return Err(e);
    }
    if invokers.is_empty() {
        return Err(RpcError::Config(format!("no direct URL in {urls:?}")));
    }
    let directory = StaticDirectory::with_url(Some(Arc::new(consumer)), invokers);
    oxidubbo_cluster::join(Arc::new(directory))
}

/// Runs `work` as tasks and waits for them until `deadline`; what has not ended by then
/// goes on in the background (every registry request has a time limit of its own).
async fn settle<F>(deadline: tokio::time::Instant, what: &str, work: impl IntoIterator<Item = F>)
where
    F: Future<Output = ()> + Send + 'static,
{
    let tasks: Vec<tokio::task::JoinHandle<()>> = work.into_iter().map(tokio::spawn).collect();
    let mut late = 0;
    for task in tasks {
        if tokio::time::timeout_at(deadline, task).await.is_err() {
            late += 1;
        }
    }
    if late > 0 {
        tracing::warn!(
            late,
            "{what}: not done in time; left to finish in the background"
        );
    }
}

/// A service exported through a registry: unexporting unregisters it, then unexports it
/// from the real protocol.
struct RegistryExporter {
    id: u64,
    inner: Arc<dyn Exporter>,
    registry: Arc<dyn Registry>,
    registered: Mutex<Option<Url>>,
    owner: Weak<State>,
    done: tokio::sync::Mutex<bool>,
}

#[async_trait]
impl Exporter for RegistryExporter {
    fn invoker(&self) -> Option<Arc<dyn Invoker>> {
        self.inner.invoker()
    }

    async fn unexport(&self) {
        self.withdraw(tokio::time::Instant::now() + DESTROY_LIMIT)
            .await;
    }
}

impl RegistryExporter {
    /// Unregisters (waiting for the registry until `deadline` at most), then unexports.
    async fn withdraw(&self, deadline: tokio::time::Instant) {
        let mut done = self.done.lock().await;
        if *done {
            return;
        }
        *done = true;
        let registered = lock(&self.registered).take();
        if let Some(url) = registered {
            match tokio::time::timeout_at(deadline, self.registry.unregister(&url)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "unregister of the provider failed"),
                Err(_) => tracing::warn!("unregister of the provider timed out"),
            }
        }
        self.inner.unexport().await;
        if let Some(state) = self.owner.upgrade() {
            let removed = lock(&state.exporters).remove(&self.id);
            drop(removed);
        }
    }
}

#[async_trait]
impl Protocol for RegistryProtocol {
    /// Dubbo style: the invoker's URL is the registry URL with the provider URL in
    /// `export`. See the type docs.
    async fn export(&self, invoker: Arc<dyn Invoker>) -> Result<Arc<dyn Exporter>, RpcError> {
        let url = invoker
            .url()
            .ok_or_else(|| RpcError::Destroyed("cannot export a destroyed invoker".into()))?;
        let provider = url
            .sub_url(keys::EXPORT)
            .map_err(|e| RpcError::Config(e.to_string()))?
            .ok_or_else(|| RpcError::Config(format!("registry URL without export: {url:?}")))?;
        let delegate: Arc<dyn Invoker> = Arc::new(Delegate {
            base: BaseInvoker::new(Arc::new(provider)),
            inner: invoker,
        });
        self.export_to(&url, delegate).await
    }

    /// Dubbo style: `url` is the registry URL with the reference in `refer`.
    async fn refer(&self, url: Arc<Url>) -> Result<Arc<dyn Invoker>, RpcError> {
        let reference = refer_of(&url)?;
        self.refer_from(&url, &reference).await
    }

    /// [`RegistryProtocol::destroy_within`] 10 s.
    async fn destroy(&self) {
        self.destroy_within(DESTROY_LIMIT).await;
    }
}

impl RegistryProtocol {
    /// Destroys the protocol (see [`Protocol::destroy`]) spending at most `limit` on the
    /// registries: the references' invokers, listeners and URLs are released at once; the
    /// services are unexported once unregistered or once the limit is reached; the
    /// registry work left when the limit is reached (unsubscribing, unregistering
    /// consumers, closing registries, each bounded by its registry's own time limits)
    /// goes on in the background. A registry that is down does not hold a shutdown up.
    pub async fn destroy_within(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        let exporters: Vec<Arc<RegistryExporter>> = lock(&self.state.exporters)
            .drain()
            .map(|(_, e)| e)
            .collect();
        let directories: Vec<Arc<RegistryDirectory>> = lock(&self.state.directories)
            .drain()
            .filter_map(|(_, d)| d.upgrade())
            .collect();
        let pending: Vec<_> = directories
            .iter()
            .filter_map(|d| d.begin_shutdown())
            .collect();
        drop(directories);
        for exporter in exporters {
            exporter.withdraw(deadline).await;
        }
        settle(deadline, "the references' registry work", pending).await;
        let registries: Vec<Arc<dyn Registry>> = {
            let mut map = self.state.registries.lock().await;
            self.state.registry_count.store(0, Ordering::Release);
            map.drain().map(|(_, r)| r).collect()
        };
        let closing = registries
            .into_iter()
            .map(|registry| async move { registry.destroy().await });
        settle(deadline, "closing the registries", closing).await;
    }
}
