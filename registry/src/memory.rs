//! The embedded registry (`memory://`): in-process, zero set-up, full notification semantics.
//!
//! Every [`MemoryRegistry`] of the process shares one store (whatever the host of its
//! `memory://` URL), so a provider and a consumer in the same process find each other just
//! as they would through ZooKeeper. Each handle remembers what it registered and subscribed;
//! destroying the handle takes all of it out of the store. Once every handle is destroyed
//! the store holds nothing ([`MemoryRegistry::store_counts`]); a handle dropped without
//! `destroy` leaves nothing behind either.
//!
//! It also offers Dubbo 3's application level ([`ServiceDiscovery`], through
//! [`Registry::discovery`]), with everything kept in the store itself:
//!
//! - With the registry URL's `register-mode` `instance` or `all` (default `all`, as Dubbo Java;
//!   anything else is refused with [`RegistryError::Config`]), each handle registers at most
//!   one application instance: the `application` of its first provider URL, at that URL's
//!   host and port. Each provider URL registered adds its service to the instance's
//!   `MetadataInfo` (a new revision), each unregistered removes it, and the last one removes
//!   the instance; with `instance`, provider URLs get no interface-level entry. A provider
//!   URL without an `application` is registered at interface level only (with a warning).
//! - The instance says `dubbo.metadata.storage-type=remote`: its `MetadataInfo` is the
//!   metadata report ([`ServiceDiscovery::metadata_report`] answers it for the revision of
//!   any live instance of the application, `None` for any other revision).
//!   [`Registry::serve_metadata`] is not needed and ignored.
//! - The mapping of an interface is the set of applications whose live instances export it:
//!   it follows the instances, and nothing of it is left once they are gone.
//! - Mapping and instance subscriptions follow [`discovery`](crate::discovery)'s rules: the
//!   current state before `subscribe_*` returns, then after every change that affects it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use once_cell::sync::Lazy;
use oxidubbo_common::{Url, values};
use oxidubbo_metadata::{MetadataInfo, MetadataStorageType, RegisterMode, ServiceInstance};

use crate::instance::{ProviderInstance, application_of, register_mode};
use crate::registry::{category_of, empty_url, is_match, same_listener, subscribed_categories};
use crate::{
    DiscoveryListener, NotifyListener, Registry, RegistryCounts, RegistryError, ServiceDiscovery,
};

/// Registered URLs of one (interface, category): `(owner, url)`.
type Nodes = Vec<(u64, Url)>;

#[derive(Default)]
struct StoreState {
    nodes: HashMap<(String, String), Nodes>,
    subs: Vec<Arc<Subscription>>,
    /// Application instances, by owner handle.
    instances: BTreeMap<u64, ProviderInstance>,
    /// Mapping and instance subscriptions.
    watches: Vec<Arc<Watch>>,
}

impl StoreState {
    /// The applications whose live instances export `interface`.
    fn applications_of(&self, interface: &str) -> BTreeSet<String> {
        self.instances
            .values()
            .filter(|p| p.metadata.services().values().any(|s| s.name == interface))
            .map(|p| p.instance.name.clone())
            .collect()
    }

    /// The live instances of `application`.
    fn instances_of(&self, application: &str) -> Vec<ServiceInstance> {
        self.instances
            .values()
            .filter(|p| p.instance.name == application)
            .map(|p| p.instance.clone())
            .collect()
    }

    /// Replaces (or removes) the instance of `owner`, saying which mappings and applications
    /// changed.
    fn set_instance(&mut self, owner: u64, next: Option<ProviderInstance>) -> Changed {
        let previous = self.instances.get(&owner);
        let mut changed = Changed::default();
        if previous.map(|p| &p.instance) == next.as_ref().map(|n| &n.instance) {
            return changed;
        }
        let interfaces: BTreeSet<String> = previous
            .into_iter()
            .chain(next.as_ref())
            .flat_map(|p| p.metadata.services().values().map(|s| s.name.clone()))
            .collect();
        changed.applications = previous
            .into_iter()
            .chain(next.as_ref())
            .map(|p| p.instance.name.clone())
            .collect();
        let before: Vec<BTreeSet<String>> =
            interfaces.iter().map(|i| self.applications_of(i)).collect();
        match next {
            Some(next) => self.instances.insert(owner, next),
            None => self.instances.remove(&owner),
        };
        changed.mappings = interfaces
            .into_iter()
            .zip(before)
            .filter(|(i, before)| self.applications_of(i) != *before)
            .map(|(i, _)| i)
            .collect();
        changed
    }

    /// Takes everything of `owner` out: what changed, and its subscriptions (to deactivate).
    fn remove_owner(&mut self, owner: u64) -> (Changed, Vec<Arc<Subscription>>, Vec<Arc<Watch>>) {
        let mut changed = self.set_instance(owner, None);
        self.nodes.retain(|key, nodes| {
            let before = nodes.len();
            nodes.retain(|(o, _)| *o != owner);
            if nodes.len() != before {
                changed.nodes.push(key.clone());
            }
            !nodes.is_empty()
        });
        let (subs, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.subs)
            .into_iter()
            .partition(|sub| sub.owner == owner);
        self.subs = kept;
        let (watches, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.watches)
            .into_iter()
            .partition(|w| w.owner == owner);
        self.watches = kept;
        (changed, subs, watches)
    }
}

/// What one change of the store touched, to notify.
#[derive(Default)]
struct Changed {
    /// Registered URLs: (interface, category).
    nodes: Vec<(String, String)>,
    /// Interfaces whose mapping changed.
    mappings: Vec<String>,
    /// Applications whose instances changed.
    applications: BTreeSet<String>,
}

/// What a [`Watch`] follows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Watched {
    /// The mapping of an interface.
    Mapping,
    /// The instances of an application.
    Instances,
}

/// One application-level subscription.
struct Watch {
    owner: u64,
    watched: Watched,
    /// The interface (mapping) or application (instances).
    key: String,
    listener: Arc<dyn DiscoveryListener>,
    /// As [`Subscription::delivery`].
    delivery: tokio::sync::Mutex<()>,
    active: AtomicBool,
}

impl Watch {
    async fn deliver(&self) {
        let _turn = self.delivery.lock().await;
        if !self.active.load(Ordering::Acquire) {
            return;
        }
        match self.watched {
            Watched::Mapping => {
                let applications = store().applications_of(&self.key);
                self.listener.on_mapping(&self.key, applications).await;
            }
            Watched::Instances => {
                let instances = store().instances_of(&self.key);
                self.listener.on_instances(&self.key, instances).await;
            }
        }
    }
}

fn deactivate(subs: Vec<Arc<Subscription>>, watches: Vec<Arc<Watch>>) {
    for sub in &subs {
        sub.active.store(false, Ordering::Release);
    }
    for watch in &watches {
        watch.active.store(false, Ordering::Release);
    }
}

struct Subscription {
    owner: u64,
    url: Url,
    categories: Vec<String>,
    listener: Arc<dyn NotifyListener>,
    /// Held while one notification is computed and delivered: deliveries never overlap and
    /// always carry the latest list.
    delivery: tokio::sync::Mutex<()>,
    active: AtomicBool,
}

impl Subscription {
    fn wants(&self, interface: &str, category: &str) -> bool {
        let own = self.url.interface();
        (own == values::ANY || own == interface) && self.categories.iter().any(|c| c == category)
    }
}

static STORE: Lazy<Mutex<StoreState>> = Lazy::new(|| Mutex::new(StoreState::default()));
static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

fn store() -> MutexGuard<'static, StoreState> {
    STORE.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the process-wide embedded store holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Registered URLs (interface level), over every handle.
    pub registered: usize,
    /// Subscriptions (URL, mapping and instance subscriptions), over every handle.
    pub subscriptions: usize,
    /// Application instances, over every handle.
    pub instances: usize,
}

/// A handle on the process-wide embedded registry. See the [module docs](self).
pub struct MemoryRegistry {
    owner: u64,
    url: Url,
    /// `register-mode`, or why the URL's value is refused (then `register` fails).
    register_mode: Result<RegisterMode, String>,
    destroyed: AtomicBool,
}

impl MemoryRegistry {
    /// A new handle for the registry URL `url` (`memory://…`). An unknown `register-mode`
    /// makes every `register` fail ([`connect_registry`](crate::connect_registry) refuses it
    /// at once).
    pub fn new(url: Url) -> Self {
        MemoryRegistry {
            owner: NEXT_OWNER.fetch_add(1, Ordering::Relaxed),
            register_mode: register_mode(&url).map_err(|e| e.to_string()),
            url,
            destroyed: AtomicBool::new(false),
        }
    }

    /// The application instance this handle registered, if any.
    pub fn instance(&self) -> Option<ServiceInstance> {
        store()
            .instances
            .get(&self.owner)
            .map(|p| p.instance.clone())
    }

    /// What the shared store holds, over every handle of the process.
    pub fn store_counts() -> StoreCounts {
        let s = store();
        StoreCounts {
            registered: s.nodes.values().map(Vec::len).sum(),
            subscriptions: s.subs.len() + s.watches.len(),
            instances: s.instances.len(),
        }
    }

    fn check(&self) -> Result<(), RegistryError> {
        if self.destroyed.load(Ordering::Acquire) {
            return Err(RegistryError::Destroyed(format!("{:?}", self.url)));
        }
        Ok(())
    }

    /// The subscriptions to notify after (interface, category) changed.
    fn interested(interface: &str, category: &str) -> Vec<Arc<Subscription>> {
        store()
            .subs
            .iter()
            .filter(|s| s.wants(interface, category))
            .cloned()
            .collect()
    }

    /// The current list `sub` sees in `category` (no `empty://`).
    fn current(sub: &Subscription, category: &str) -> Vec<Url> {
        let s = store();
        let own = sub.url.interface();
        let mut out: Vec<Url> = Vec::new();
        for ((interface, cat), nodes) in &s.nodes {
            if cat != category || (own != values::ANY && own != interface) {
                continue;
            }
            for (_, url) in nodes {
                if is_match(&sub.url, url) && !out.contains(url) {
                    out.push(url.clone());
                }
            }
        }
        out
    }

    async fn deliver(sub: &Subscription, category: &str) {
        let _turn = sub.delivery.lock().await;
        if !sub.active.load(Ordering::Acquire) {
            return;
        }
        let mut urls = Self::current(sub, category);
        if urls.is_empty() {
            urls.push(empty_url(&sub.url, category));
        }
        sub.listener.notify(urls).await;
    }

    async fn notify_changed(changed: Changed) {
        for (interface, category) in &changed.nodes {
            for sub in Self::interested(interface, category) {
                Self::deliver(&sub, category).await;
            }
        }
        let watching = |watched: Watched, key: &str| -> Vec<Arc<Watch>> {
            store()
                .watches
                .iter()
                .filter(|w| w.watched == watched && w.key == key)
                .cloned()
                .collect()
        };
        for interface in &changed.mappings {
            for watch in watching(Watched::Mapping, interface) {
                watch.deliver().await;
            }
        }
        for application in &changed.applications {
            for watch in watching(Watched::Instances, application) {
                watch.deliver().await;
            }
        }
    }

    /// Adds a watch and tells it the current state.
    fn watch(
        &self,
        watched: Watched,
        key: &str,
        listener: Arc<dyn DiscoveryListener>,
    ) -> Arc<Watch> {
        let watch = Arc::new(Watch {
            owner: self.owner,
            watched,
            key: key.to_owned(),
            listener,
            delivery: tokio::sync::Mutex::new(()),
            active: AtomicBool::new(true),
        });
        store().watches.push(Arc::clone(&watch));
        watch
    }

    fn unwatch(&self, watched: Watched, key: &str, listener: &Arc<dyn DiscoveryListener>) {
        let gone: Vec<Arc<Watch>> = {
            let mut s = store();
            let (gone, kept) = std::mem::take(&mut s.watches).into_iter().partition(|w| {
                w.owner == self.owner
                    && w.watched == watched
                    && w.key == key
                    && std::ptr::addr_eq(Arc::as_ptr(&w.listener), Arc::as_ptr(listener))
            });
            s.watches = kept;
            gone
        };
        deactivate(Vec::new(), gone);
    }
}

#[async_trait]
impl Registry for MemoryRegistry {
    fn url(&self) -> Url {
        self.url.clone()
    }

    fn is_available(&self) -> bool {
        !self.destroyed.load(Ordering::Acquire)
    }

    /// Registers `url` as the `register-mode` says: at interface level (`interface`,
    /// `all`) and, for a provider URL, in the handle's application instance (`instance`,
    /// `all`; see the [module docs](self)).
    async fn register(&self, url: &Url) -> Result<(), RegistryError> {
        self.check()?;
        let mode = self.register_mode.clone().map_err(RegistryError::Config)?;
        let application = mode
            .registers_instance()
            .then(|| application_of(url))
            .flatten();
        let interface_level = mode.registers_interface()
            || (application.is_none() && category_of(url) == values::PROVIDERS_CATEGORY);
        let key = (url.interface().to_owned(), category_of(url).to_owned());
        let changed = {
            let mut s = store();
            let mut changed = match application {
                Some(application) => {
                    let mut next =
                        ProviderInstance::adding(s.instances.get(&self.owner), application, url)?;
                    next.refresh(MetadataStorageType::Remote, None);
                    s.set_instance(self.owner, Some(next))
                }
                None => Changed::default(),
            };
            if interface_level {
                let nodes = s.nodes.entry(key.clone()).or_default();
                if !nodes.iter().any(|(o, u)| *o == self.owner && u == url) {
                    nodes.push((self.owner, url.clone()));
                    changed.nodes.push(key);
                }
            }
            changed
        };
        Self::notify_changed(changed).await;
        Ok(())
    }

    async fn unregister(&self, url: &Url) -> Result<(), RegistryError> {
        self.check()?;
        let key = (url.interface().to_owned(), category_of(url).to_owned());
        let changed = {
            let mut s = store();
            let mut changed = match s.instances.get(&self.owner) {
                Some(current) if category_of(url) == values::PROVIDERS_CATEGORY => {
                    let mut next = current.clone();
                    if !next.remove(url) {
                        Changed::default()
                    } else if next.is_empty() {
                        s.set_instance(self.owner, None)
                    } else {
                        next.refresh(MetadataStorageType::Remote, None);
                        s.set_instance(self.owner, Some(next))
                    }
                }
                _ => Changed::default(),
            };
            if let Some(nodes) = s.nodes.get_mut(&key) {
                let before = nodes.len();
                nodes.retain(|(o, u)| !(*o == self.owner && u == url));
                if nodes.len() != before {
                    changed.nodes.push(key.clone());
                }
                if nodes.is_empty() {
                    s.nodes.remove(&key);
                }
            }
            changed
        };
        Self::notify_changed(changed).await;
        Ok(())
    }

    async fn subscribe(
        &self,
        url: &Url,
        listener: Arc<dyn NotifyListener>,
    ) -> Result<(), RegistryError> {
        self.check()?;
        let sub = Arc::new(Subscription {
            owner: self.owner,
            url: url.clone(),
            categories: subscribed_categories(url),
            listener,
            delivery: tokio::sync::Mutex::new(()),
            active: AtomicBool::new(true),
        });
        store().subs.push(Arc::clone(&sub));
        for category in &sub.categories {
            Self::deliver(&sub, category).await;
        }
        Ok(())
    }

    async fn unsubscribe(
        &self,
        url: &Url,
        listener: &Arc<dyn NotifyListener>,
    ) -> Result<(), RegistryError> {
        self.check()?;
        let removed: Vec<Arc<Subscription>> = {
            let mut s = store();
            let (gone, kept) = std::mem::take(&mut s.subs).into_iter().partition(|sub| {
                sub.owner == self.owner && sub.url == *url && same_listener(&sub.listener, listener)
            });
            s.subs = kept;
            gone
        };
        for sub in &removed {
            sub.active.store(false, Ordering::Release);
        }
        Ok(())
    }

    async fn lookup(&self, url: &Url) -> Result<Vec<Url>, RegistryError> {
        self.check()?;
        let probe = Subscription {
            owner: self.owner,
            url: url.clone(),
            categories: subscribed_categories(url),
            listener: Arc::new(NoListener),
            delivery: tokio::sync::Mutex::new(()),
            active: AtomicBool::new(false),
        };
        let mut out = Vec::new();
        for category in &probe.categories {
            out.extend(Self::current(&probe, category));
        }
        Ok(out)
    }

    async fn destroy(&self) {
        if self.destroyed.swap(true, Ordering::AcqRel) {
            return;
        }
        let (changed, subs, watches) = store().remove_owner(self.owner);
        deactivate(subs, watches);
        Self::notify_changed(changed).await;
        tracing::debug!(url = ?self.url, "memory registry destroyed");
    }

    fn counts(&self) -> RegistryCounts {
        let s = store();
        RegistryCounts {
            registered: s
                .nodes
                .values()
                .flatten()
                .filter(|(o, _)| *o == self.owner)
                .count(),
            subscriptions: s.subs.iter().filter(|sub| sub.owner == self.owner).count()
                + s.watches.iter().filter(|w| w.owner == self.owner).count(),
            watches: 0,
            instances: usize::from(s.instances.contains_key(&self.owner)),
        }
    }

    fn discovery(&self) -> Option<&dyn ServiceDiscovery> {
        Some(self)
    }
}

#[async_trait]
impl ServiceDiscovery for MemoryRegistry {
    async fn subscribe_mapping(
        &self,
        interface: &str,
        listener: Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        self.check()?;
        self.watch(Watched::Mapping, interface, listener)
            .deliver()
            .await;
        Ok(())
    }

    async fn unsubscribe_mapping(
        &self,
        interface: &str,
        listener: &Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        self.check()?;
        self.unwatch(Watched::Mapping, interface, listener);
        Ok(())
    }

    async fn subscribe_instances(
        &self,
        application: &str,
        listener: Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        self.check()?;
        self.watch(Watched::Instances, application, listener)
            .deliver()
            .await;
        Ok(())
    }

    async fn unsubscribe_instances(
        &self,
        application: &str,
        listener: &Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        self.check()?;
        self.unwatch(Watched::Instances, application, listener);
        Ok(())
    }

    /// The `MetadataInfo` of a live instance of `application` whose revision is `revision`.
    async fn metadata_report(
        &self,
        application: &str,
        revision: &str,
    ) -> Result<Option<MetadataInfo>, RegistryError> {
        self.check()?;
        Ok(store()
            .instances
            .values()
            .find(|p| p.instance.name == application && p.metadata.revision() == Some(revision))
            .map(|p| p.metadata.clone()))
    }
}

impl Drop for MemoryRegistry {
    /// A handle dropped without [`Registry::destroy`] still leaves nothing in the store
    /// (without notifying: there may be no runtime to notify on).
    fn drop(&mut self) {
        if self.destroyed.load(Ordering::Acquire) {
            return;
        }
        let (_, subs, watches) = store().remove_owner(self.owner);
        deactivate(subs, watches);
    }
}

struct NoListener;

#[async_trait]
impl NotifyListener for NoListener {
    async fn notify(&self, _urls: Vec<Url>) {}
}
