//! `RegistryDirectory`: the providers of one service as a registry reports them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use arc_swap::{ArcSwap, ArcSwapOption};
use async_trait::async_trait;
use oxidubbo_cluster::Directory;
use oxidubbo_cluster::router::{ConditionRouter, Router, RouterChain};
use oxidubbo_common::{Url, keys, values};
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult};

use crate::registry::{category_of, is_empty_url};
use crate::{NotifyListener, Protocols, Registry, RegistryError};

/// The categories a directory subscribes to.
pub const DIRECTORY_CATEGORIES: &str = "providers,configurators,routers";

/// Parameters an `override://` URL carries for itself (its scope and match conditions, as
/// in Dubbo's `AbstractConfigurator`), never copied onto providers. Keys starting with `~`
/// are conditions too.
const OVERRIDE_OWN_KEYS: [&str; 12] = [
    keys::CATEGORY,
    keys::DYNAMIC,
    keys::ENABLED,
    keys::INTERFACE,
    keys::SIDE,
    keys::GROUP,
    keys::VERSION,
    keys::APPLICATION,
    keys::CHECK,
    "interfaces",
    "configVersion",
    "compatible_config",
];

/// Whether the override's match conditions (`group`, `version`, `application`) hold for
/// `url`; a condition the override does not set, or sets to `*`, always holds.
fn override_matches(o: &Url, url: &Url, consumer: &Url) -> bool {
    let holds =
        |key: &str, actual: Option<&str>| match o.param(key).filter(|v| !v.is_empty() && *v != "*")
        {
            Some(wanted) => actual == Some(wanted),
            None => true,
        };
    holds(keys::GROUP, url.group())
        && holds(keys::VERSION, url.version())
        && holds(keys::APPLICATION, consumer.param(keys::APPLICATION))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A provider invoker as the directory hands it out: counts its calls in flight, so that
/// a provider that left the registry is destroyed only after its last call finished.
struct Tracked {
    inner: Arc<dyn Invoker>,
    in_flight: AtomicUsize,
    retiring: AtomicBool,
}

struct Flight<'a>(&'a Tracked);

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1
            && self.0.retiring.load(Ordering::SeqCst)
        {
            self.0.inner.destroy();
        }
    }
}

impl Tracked {
    fn new(inner: Arc<dyn Invoker>) -> Self {
        Tracked {
            inner,
            in_flight: AtomicUsize::new(0),
            retiring: AtomicBool::new(false),
        }
    }

    /// No new calls; destroyed now if idle, else when the last call in flight ends.
    fn retire(&self) {
        self.retiring.store(true, Ordering::SeqCst);
        if self.in_flight.load(Ordering::SeqCst) == 0 {
            self.inner.destroy();
        }
    }
}

#[async_trait]
impl Invoker for Tracked {
    async fn invoke(&self, invocation: Invocation) -> Result<RpcResult, RpcError> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let _flight = Flight(self);
        self.inner.invoke(invocation).await
    }

    fn url(&self) -> Option<Arc<Url>> {
        self.inner.url()
    }

    fn is_available(&self) -> bool {
        !self.retiring.load(Ordering::SeqCst) && self.inner.is_available()
    }

    fn is_destroyed(&self) -> bool {
        self.inner.is_destroyed()
    }

    fn destroy(&self) {
        self.retiring.store(true, Ordering::SeqCst);
        self.inner.destroy();
    }
}

/// The invokers one refresh made and has not yet handed to the directory.
///
/// A refresh can stop at any await — its future dropped when a notification is cancelled
/// or a registry watch is aborted at shutdown — and the protocol it referred from still
/// holds what it made; dropping this retires them, so every path destroys what it made.
#[derive(Default)]
struct Made(Vec<Arc<Tracked>>);

impl Made {
    /// Records a fresh invoker; returns it.
    fn add(&mut self, tracked: Arc<Tracked>) -> Arc<Tracked> {
        self.0.push(Arc::clone(&tracked));
        tracked
    }

    /// The directory owns them now (they are in `by_key`).
    fn handed_over(&mut self) {
        self.0.clear();
    }
}

impl Drop for Made {
    fn drop(&mut self) {
        for t in self.0.drain(..) {
            t.retire();
        }
    }
}

type DestroyHook = Box<dyn FnOnce() + Send>;

struct Inner {
    /// The consumer URL; `None` once destroyed.
    consumer: ArcSwapOption<Url>,
    /// What was subscribed (kept to unsubscribe).
    subscribed: Mutex<Option<Url>>,
    /// The consumer URL this directory registered, to unregister on destroy.
    registered: Mutex<Option<Url>>,
    registry: Arc<dyn Registry>,
    protocols: Protocols,
    invokers: ArcSwap<Vec<Arc<dyn Invoker>>>,
    by_key: Mutex<HashMap<String, Arc<Tracked>>>,
    providers: Mutex<Vec<Url>>,
    configurators: Mutex<Vec<Url>>,
    routers: RouterChain,
    destroyed: AtomicBool,
    /// Serialises notifications: one provider list is applied at a time.
    update: tokio::sync::Mutex<()>,
    listener: Mutex<Option<Arc<dyn NotifyListener>>>,
    on_destroy: Mutex<Option<DestroyHook>>,
}

/// A [`Directory`] that follows a registry: it subscribes to the `providers`,
/// `configurators` and `routers` of the consumer's service and keeps one invoker per
/// provider.
///
/// * Provider lists are applied as diffs: the invoker of a provider whose URL did not
///   change is kept; a new provider is referred through the protocol of its scheme; a
///   provider that left is destroyed once its calls in flight have finished; an empty list
///   (`empty://`) empties the directory.
/// * Each provider URL is merged with the consumer URL ([`Url::merge_consumer`]) and then
///   with the `override://` URLs of the `configurators` category that match it.
///   `enabled=false` (from the provider or an override) leaves the provider out.
/// * `route://` URLs of the `routers` category become [`ConditionRouter`]s applied by
///   [`Directory::list`].
/// * A provider whose protocol is not known (or whose refer fails) is skipped with a
///   warning and retried with the next notification.
///
/// Destroying it (see [`RegistryDirectory::shutdown`]) unsubscribes and drops its listener,
/// unregisters the consumer URL it registered and destroys every invoker.
pub struct RegistryDirectory {
    inner: Arc<Inner>,
}

struct Listener(Weak<Inner>);

#[async_trait]
impl NotifyListener for Listener {
    async fn notify(&self, urls: Vec<Url>) {
        if let Some(inner) = self.0.upgrade() {
            inner.on_notify(urls).await;
        }
    }
}

impl RegistryDirectory {
    /// A directory for `consumer` (the reference URL: interface, group, version, cluster,
    /// timeouts, …) over `registry`, referring providers with `protocols`. It is empty
    /// until [`RegistryDirectory::subscribe`].
    pub fn new(registry: Arc<dyn Registry>, consumer: Url, protocols: Protocols) -> Self {
        RegistryDirectory {
            inner: Arc::new(Inner {
                consumer: ArcSwapOption::from_pointee(consumer),
                subscribed: Mutex::new(None),
                registered: Mutex::new(None),
                registry,
                protocols,
                invokers: ArcSwap::from_pointee(Vec::new()),
                by_key: Mutex::new(HashMap::new()),
                providers: Mutex::new(Vec::new()),
                configurators: Mutex::new(Vec::new()),
                routers: RouterChain::new(),
                destroyed: AtomicBool::new(false),
                update: tokio::sync::Mutex::new(()),
                listener: Mutex::new(None),
                on_destroy: Mutex::new(None),
            }),
        }
    }

    /// Registers `url` (a `consumer://…&category=consumers` URL); it is unregistered when
    /// the directory is destroyed.
    pub async fn register_consumer(&self, url: Url) -> Result<(), RegistryError> {
        self.check()?;
        self.inner.registry.register(&url).await?;
        *lock(&self.inner.registered) = Some(url);
        Ok(())
    }

    /// Subscribes to the service's providers, configurators and routers. Returns once the
    /// current lists have been applied.
    pub async fn subscribe(&self) -> Result<(), RegistryError> {
        self.check()?;
        let consumer = self
            .inner
            .consumer
            .load_full()
            .ok_or_else(|| RegistryError::Destroyed("registry directory".into()))?;
        let url = consumer.with_param(keys::CATEGORY, DIRECTORY_CATEGORIES);
        let listener: Arc<dyn NotifyListener> = Arc::new(Listener(Arc::downgrade(&self.inner)));
        *lock(&self.inner.listener) = Some(Arc::clone(&listener));
        *lock(&self.inner.subscribed) = Some(url.clone());
        self.inner.registry.subscribe(&url, listener).await
    }

    /// Joins this directory into one invoker with the cluster strategy named by the
    /// consumer URL's `cluster` parameter (default `failover`). Destroying that invoker
    /// destroys the directory.
    pub fn join(self: Arc<Self>) -> Result<Arc<dyn Invoker>, RpcError> {
        oxidubbo_cluster::join(self as Arc<dyn Directory>)
    }

    /// Runs `hook` once when the directory is destroyed (the registry protocol forgets it).
    pub fn on_destroy(&self, hook: impl FnOnce() + Send + 'static) {
        *lock(&self.inner.on_destroy) = Some(Box::new(hook));
    }

    /// The current provider invokers, before routing.
    pub fn invokers(&self) -> Vec<Arc<dyn Invoker>> {
        self.inner.invokers.load().as_ref().clone()
    }

    /// The routers in use (from the `routers` category).
    pub fn routers(&self) -> &RouterChain {
        &self.inner.routers
    }

    /// Notifies the directory as a registry would (for tests and custom registries).
    pub async fn notify(&self, urls: Vec<Url>) {
        self.inner.on_notify(urls).await;
    }

    /// Destroys the directory and waits until it has unsubscribed and unregistered:
    /// every invoker is destroyed (after its calls in flight), the listener is removed from
    /// the registry, and the consumer URL is unregistered. Idempotent.
    pub async fn shutdown(&self) {
        if let Some(pending) = self.inner.destroy_now() {
            pending.run().await;
        }
    }

    /// Destroys the directory at once (invokers, listener, URLs) and returns its registry
    /// work (unsubscribing, unregistering the consumer) to run, the first time.
    pub(crate) fn begin_shutdown(&self) -> Option<impl Future<Output = ()> + Send + 'static> {
        self.inner.destroy_now().map(Pending::run)
    }

    fn check(&self) -> Result<(), RegistryError> {
        if self.inner.destroyed.load(Ordering::Acquire) {
            return Err(RegistryError::Destroyed("registry directory".into()));
        }
        Ok(())
    }
}

/// The registry work left after a directory was destroyed.
struct Pending {
    registry: Arc<dyn Registry>,
    subscribed: Option<(Url, Arc<dyn NotifyListener>)>,
    registered: Option<Url>,
}

impl Pending {
    async fn run(self) {
        if let Some((url, listener)) = &self.subscribed {
            if let Err(e) = self.registry.unsubscribe(url, listener).await {
                tracing::warn!(error = %e, "unsubscribe failed");
            }
        }
        if let Some(url) = &self.registered {
            if let Err(e) = self.registry.unregister(url).await {
                tracing::warn!(error = %e, "unregister of the consumer failed");
            }
        }
    }
}

impl Inner {
    /// The synchronous part of destroy; returns the registry work to do, the first time.
    fn destroy_now(&self) -> Option<Pending> {
        if self.destroyed.swap(true, Ordering::AcqRel) {
            return None;
        }
        let invokers = self.invokers.swap(Arc::new(Vec::new()));
        drop(invokers);
        let tracked: Vec<Arc<Tracked>> = lock(&self.by_key).drain().map(|(_, t)| t).collect();
        for t in &tracked {
            t.retire();
        }
        drop(tracked);
        lock(&self.providers).clear();
        lock(&self.configurators).clear();
        self.routers.clear();
        let listener = lock(&self.listener).take();
        let subscribed = lock(&self.subscribed).take();
        let registered = lock(&self.registered).take();
        if let Some(url) = self.consumer.swap(None) {
            tracing::debug!(url = ?url, "registry directory destroyed");
        }
        if let Some(hook) = lock(&self.on_destroy).take() {
            hook();
        }
        Some(Pending {
            registry: Arc::clone(&self.registry),
            subscribed: subscribed.zip(listener),
            registered,
        })
    }

    async fn on_notify(&self, urls: Vec<Url>) {
        let _turn = self.update.lock().await;
        if self.destroyed.load(Ordering::Acquire) {
            return;
        }
        let mut providers: Option<Vec<Url>> = None;
        let mut routers: Option<Vec<Url>> = None;
        let mut configurators: Option<Vec<Url>> = None;
        for url in urls {
            let slot = match classify(&url) {
                Category::Providers => &mut providers,
                Category::Routers => &mut routers,
                Category::Configurators => &mut configurators,
                Category::Other => continue,
            };
            let list = slot.get_or_insert_with(Vec::new);
            if !is_empty_url(&url) {
                list.push(url);
            }
        }
        if let Some(routes) = routers {
            self.apply_routers(&routes);
        }
        let reapply = configurators.is_some();
        if let Some(overrides) = configurators {
            *lock(&self.configurators) = overrides;
        }
        match providers {
            Some(list) => {
                *lock(&self.providers) = list.clone();
                self.refresh(list).await;
            }
            None if reapply => {
                let list = lock(&self.providers).clone();
                self.refresh(list).await;
            }
            None => {}
        }
    }

    fn apply_routers(&self, routes: &[Url]) {
        let mut chain: Vec<Arc<dyn Router>> = Vec::new();
        for url in routes {
            let kind = url.param_or("router", "condition");
            if kind != "condition" || !url.bool_param(keys::ENABLED, true) {
                if kind != "condition" {
                    tracing::warn!(router = kind, "unsupported router kind; ignored");
                }
                continue;
            }
            // The rule is form-encoded inside the route URL (`+` for spaces).
            let url = match url.param("rule") {
                Some(rule) if rule.contains('+') => url.with_param("rule", rule.replace('+', " ")),
                _ => url.clone(),
            };
            match ConditionRouter::from_url(&url) {
                Ok(router) => chain.push(Arc::new(router)),
                Err(e) => tracing::warn!(error = %e, "bad route rule; ignored"),
            }
        }
        self.routers.set(chain);
        self.routers.notify(&self.invokers.load());
    }

    /// The URL a provider is called with: merged with the consumer, then overridden.
    fn effective_url(&self, provider: &Url, consumer: &Url) -> Url {
        let mut url = Url::merge_consumer(provider, consumer);
        if url.path().is_empty() {
            url = url.to_builder().path(consumer.interface()).build();
        }
        for o in lock(&self.configurators).iter() {
            let host_ok = o.host() == "0.0.0.0" || o.host() == url.host();
            let port_ok = o.port() == 0 || o.port() == url.port();
            let applies = host_ok
                && port_ok
                && o.bool_param(keys::ENABLED, true)
                && override_matches(o, &url, consumer);
            if !applies {
                continue;
            }
            let mut b = url.to_builder();
            for (k, v) in o.params() {
                if !OVERRIDE_OWN_KEYS.contains(&k) && !k.starts_with('~') {
                    b = b.param(k, v);
                }
            }
            if o.param("disabled").is_some_and(|d| d == "true") {
                b = b.param(keys::ENABLED, "false");
            }
            url = b.build();
        }
        url
    }

    async fn refresh(&self, providers: Vec<Url>) {
        let Some(consumer) = self.consumer.load_full() else {
            return;
        };
        let wanted_protocol = consumer.param(keys::PROTOCOL).filter(|p| !p.is_empty());
        let mut wanted: Vec<(String, Url)> = Vec::with_capacity(providers.len());
        for provider in &providers {
            if wanted_protocol.is_some_and(|p| p.split(',').all(|p| p != provider.protocol())) {
                continue;
            }
            let url = self.effective_url(provider, &consumer);
            if !url.bool_param(keys::ENABLED, true) {
                continue;
            }
            let key = url.to_full_string();
            if !wanted.iter().any(|(k, _)| *k == key) {
                wanted.push((key, url));
            }
        }
        let existing: HashMap<String, Arc<Tracked>> = lock(&self.by_key).clone();
        let mut next: HashMap<String, Arc<Tracked>> = HashMap::with_capacity(wanted.len());
        let mut list: Vec<Arc<dyn Invoker>> = Vec::with_capacity(wanted.len());
        // Every await below may be the last: whatever this refresh made is retired unless
        // it reaches `by_key`.
        let mut made = Made::default();
        for (key, url) in wanted {
            let tracked = match existing.get(&key) {
                Some(t) if !t.inner.is_destroyed() => Arc::clone(t),
                _ => match self.refer(url).await {
                    Some(t) => made.add(t),
                    None => continue,
                },
            };
            list.push(Arc::clone(&tracked) as Arc<dyn Invoker>);
            next.insert(key, tracked);
        }
        drop(existing);
        let old = {
            let mut by_key = lock(&self.by_key);
            if self.destroyed.load(Ordering::Acquire) {
                // Destroyed while referring (destroy empties by_key under this lock and
                // retires what was there): what was just made must not outlive it.
                return;
            }
            made.handed_over();
            std::mem::replace(&mut *by_key, next)
        };
        self.invokers.store(Arc::new(list));
        self.routers.notify(&self.invokers.load());
        let current = lock(&self.by_key);
        let removed: Vec<Arc<Tracked>> = old
            .into_iter()
            .filter(|(k, _)| !current.contains_key(k))
            .map(|(_, t)| t)
            .collect();
        drop(current);
        for t in removed {
            tracing::info!(url = ?t.inner.url(), "provider left; retiring its invoker");
            t.retire();
        }
    }

    async fn refer(&self, url: Url) -> Option<Arc<Tracked>> {
        let protocol = match self.protocols.for_url(&url) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(url = ?url, error = %e, "provider skipped");
                return None;
            }
        };
        match protocol.refer(Arc::new(url.clone())).await {
            Ok(invoker) => {
                tracing::info!(url = ?url, "provider joined");
                Some(Arc::new(Tracked::new(invoker)))
            }
            Err(e) => {
                tracing::warn!(url = ?url, error = %e, "refer failed; provider skipped");
                None
            }
        }
    }
}

enum Category {
    Providers,
    Routers,
    Configurators,
    Other,
}

fn classify(url: &Url) -> Category {
    let category = category_of(url);
    if url.protocol() == values::ROUTE_PROTOCOL || category == values::ROUTERS_CATEGORY {
        Category::Routers
    } else if url.protocol() == values::OVERRIDE_PROTOCOL
        || category == values::CONFIGURATORS_CATEGORY
    {
        Category::Configurators
    } else if category == values::PROVIDERS_CATEGORY
        || (!is_empty_url(url) && !url.has_param(keys::CATEGORY))
    {
        Category::Providers
    } else {
        Category::Other
    }
}

impl Directory for RegistryDirectory {
    fn url(&self) -> Option<Arc<Url>> {
        self.inner.consumer.load_full()
    }

    fn list(&self, invocation: &Invocation) -> Result<Vec<Arc<dyn Invoker>>, RpcError> {
        if self.inner.destroyed.load(Ordering::Acquire) {
            return Err(RpcError::Destroyed(
                "the registry directory was destroyed".into(),
            ));
        }
        let invokers: Vec<Arc<dyn Invoker>> = self
            .inner
            .invokers
            .load()
            .iter()
            .filter(|i| !i.is_destroyed())
            .cloned()
            .collect();
        let url = match invocation.url() {
            Some(url) => Some(Arc::clone(url)),
            None => self.url(),
        };
        Ok(self
            .inner
            .routers
            .route(invokers, url.as_deref(), invocation))
    }

    fn is_available(&self) -> bool {
        !self.inner.destroyed.load(Ordering::Acquire)
            && self.inner.invokers.load().iter().any(|i| i.is_available())
    }

    fn is_destroyed(&self) -> bool {
        self.inner.destroyed.load(Ordering::Acquire)
    }

    /// Destroys the invokers at once and unsubscribes/unregisters in a background task
    /// (on the current tokio runtime, if there is one). Use
    /// [`RegistryDirectory::shutdown`] to wait for the registry work.
    fn destroy(&self) {
        let Some(pending) = self.inner.destroy_now() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(pending.run());
            }
            Err(_) => tracing::warn!(
                "registry directory destroyed outside a tokio runtime: its subscription is \
                 removed when the registry is destroyed"
            ),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(pending) = self.destroy_now() {
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(pending.run());
            }
        }
    }
}

#[cfg(test)]
mod override_tests {
    use super::*;

    #[test]
    fn an_override_applies_only_where_its_conditions_hold_and_never_copies_them() {
        let url = |s: &str| Url::parse(s).unwrap();
        let provider = url("dubbo://10.0.0.1:20880/I?version=1.0.0&group=a");
        let consumer = url("consumer://10.0.0.9/I?application=shop");
        let other_version =
            url("override://0.0.0.0/I?category=configurators&version=2.0.0&timeout=5000");
        let same = url(
            "override://0.0.0.0/I?category=configurators&version=1.0.0&group=a&application=shop&~weird=1&timeout=5000",
        );
        let other_app =
            url("override://0.0.0.0/I?category=configurators&application=admin&timeout=5000");
        assert!(!override_matches(&other_version, &provider, &consumer));
        assert!(override_matches(&same, &provider, &consumer));
        assert!(!override_matches(&other_app, &provider, &consumer));
        let copied: Vec<&str> = same
            .params()
            .map(|(k, _)| k)
            .filter(|k| !OVERRIDE_OWN_KEYS.contains(k) && !k.starts_with('~'))
            .collect();
        assert_eq!(
            copied,
            vec!["timeout"],
            "only the override's settings are copied"
        );
    }
}
