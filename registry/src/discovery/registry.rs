//! `ServiceDiscoveryRegistry`: a registry that also finds providers at application level.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use oxidubbo_common::{Url, keys, values};
use oxidubbo_metadata::{MigrationStep, prefer_application};

use super::metadata_cache::MetadataCache;
use super::migration::migration_of;
use super::subscription::{AppSubscription, Shared};
use crate::registry::same_listener;
use crate::{
    MetadataServiceDelegation, NotifyListener, Protocols, Registry, RegistryCounts, RegistryError,
    ServiceDiscovery, category_of, is_empty_url, subscribed_categories,
};

/// A [`Registry`] over another one that adds Dubbo 3's application level to its
/// subscriptions (Dubbo Java's `ServiceDiscoveryRegistry` together with the migration
/// invoker's choice), so that a [`RegistryDirectory`](crate::RegistryDirectory) over it
/// sees one `providers` list whichever level it came from.
///
/// Everything but `subscribe` goes to the inner registry. A subscription follows the
/// consumer URL's `migration.step` (else the registry URL's, else `APPLICATION_FIRST`) and
/// `migration.threshold` (default `0`):
///
/// * `FORCE_INTERFACE`, or an inner registry without [`Registry::discovery`]: the inner
///   registry's subscription as it is.
/// * `FORCE_APPLICATION`: providers from the application level only (see below); the other
///   categories (routers, configurators) from the inner registry.
/// * `APPLICATION_FIRST`: both levels; the `providers` delivered are the application-level
///   list when [`prefer_application`] says so, else the interface-level one — first once
///   both levels have given their first list, then after every change of either.
///
/// The application level of a consumer: the applications of its `provided-by`, else of the
/// interface-to-application mapping; each one's instances; each instance's `MetadataInfo`
/// (per revision, from its `MetadataService` or the metadata report, kept in a bounded cache
/// shared by this registry); the services of each instance that match the consumer.
///
/// Unsubscribing and destroying stop every task, backend watch and call they started;
/// [`Registry::counts`] adds the application-level subscriptions to the inner registry's.
pub struct ServiceDiscoveryRegistry {
    inner: Arc<dyn Registry>,
    shared: Arc<Shared>,
    subscriptions: tokio::sync::Mutex<Vec<Entry>>,
    applications: AtomicUsize,
    destroyed: AtomicBool,
}

/// An inner registry's subscription: its URL and listener.
type InnerSubscription = (Url, Arc<dyn NotifyListener>);

/// A subscription that involves the application level.
struct Entry {
    url: Url,
    listener: Arc<dyn NotifyListener>,
    /// What the inner registry was subscribed with, if anything.
    inner: Option<InnerSubscription>,
    application: AppSubscription,
}

impl ServiceDiscoveryRegistry {
    /// Wraps `inner`, calling `MetadataService`s with `protocols`. The metadata cache holds
    /// the registry URL's `metadata.cache.size` entries (default 1000).
    pub fn new(inner: Arc<dyn Registry>, protocols: Protocols) -> Self {
        let cache = Arc::new(MetadataCache::for_registry(&inner.url()));
        ServiceDiscoveryRegistry {
            shared: Arc::new(Shared {
                inner: Arc::clone(&inner),
                protocols,
                cache,
            }),
            inner,
            subscriptions: tokio::sync::Mutex::new(Vec::new()),
            applications: AtomicUsize::new(0),
            destroyed: AtomicBool::new(false),
        }
    }

    /// The registry this one wraps.
    pub fn inner(&self) -> &Arc<dyn Registry> {
        &self.inner
    }

    /// How many (application, revision) `MetadataInfo`s the cache holds.
    pub fn cached_metadata(&self) -> usize {
        self.shared.cache.len()
    }

    async fn stop(&self, entry: Entry) {
        entry.application.stop().await;
        self.applications.fetch_sub(1, Ordering::AcqRel);
        if let Some((url, listener)) = entry.inner {
            if let Err(e) = self.inner.unsubscribe(&url, &listener).await {
                tracing::warn!(error = %e, "unsubscribe failed");
            }
        }
    }

    async fn subscribe_both(
        &self,
        url: &Url,
        listener: &Arc<dyn NotifyListener>,
        step: MigrationStep,
        threshold: f32,
    ) -> Result<Entry, RegistryError> {
        let (inner, sink): (Option<InnerSubscription>, Arc<dyn NotifyListener>) = if step
            == MigrationStep::ForceApplication
        {
            let others: Vec<String> = subscribed_categories(url)
                .into_iter()
                .filter(|c| c != values::PROVIDERS_CATEGORY)
                .collect();
            let inner = if others.is_empty() {
                None
            } else {
                let others = url.with_param(keys::CATEGORY, others.join(","));
                self.inner.subscribe(&others, Arc::clone(listener)).await?;
                Some((others, Arc::clone(listener)))
            };
            (inner, Arc::clone(listener))
        } else {
            let merger = Arc::new(Merger {
                outer: Arc::clone(listener),
                threshold,
                sides: tokio::sync::Mutex::new(Sides::default()),
            });
            let interface: Arc<dyn NotifyListener> = Arc::new(InterfaceSide(Arc::clone(&merger)));
            self.inner.subscribe(url, Arc::clone(&interface)).await?;
            (
                Some((url.clone(), interface)),
                Arc::new(ApplicationSide(merger)),
            )
        };
        match AppSubscription::start(Arc::clone(&self.shared), url.clone(), sink).await {
            Ok(application) => Ok(Entry {
                url: url.clone(),
                listener: Arc::clone(listener),
                inner,
                application,
            }),
            Err(e) => {
                if let Some((url, listener)) = inner {
                    let _ = self.inner.unsubscribe(&url, &listener).await;
                }
                Err(e)
            }
        }
    }
}

#[async_trait]
impl Registry for ServiceDiscoveryRegistry {
    fn url(&self) -> Url {
        self.inner.url()
    }

    fn is_available(&self) -> bool {
        !self.destroyed.load(Ordering::Acquire) && self.inner.is_available()
    }

    async fn register(&self, url: &Url) -> Result<(), RegistryError> {
        self.inner.register(url).await
    }

    async fn unregister(&self, url: &Url) -> Result<(), RegistryError> {
        self.inner.unregister(url).await
    }

    async fn subscribe(
        &self,
        url: &Url,
        listener: Arc<dyn NotifyListener>,
    ) -> Result<(), RegistryError> {
        if self.destroyed.load(Ordering::Acquire) {
            return Err(RegistryError::Destroyed(format!("{:?}", self.inner.url())));
        }
        let migration = migration_of(url, &self.inner.url())?;
        let wants_providers = subscribed_categories(url)
            .iter()
            .any(|c| c == values::PROVIDERS_CATEGORY);
        if migration.step == MigrationStep::ForceInterface
            || self.inner.discovery().is_none()
            || !wants_providers
        {
            return self.inner.subscribe(url, listener).await;
        }
        let entry = self
            .subscribe_both(url, &listener, migration.step, migration.threshold)
            .await?;
        self.applications.fetch_add(1, Ordering::AcqRel);
        let mut subscriptions = self.subscriptions.lock().await;
        if self.destroyed.load(Ordering::Acquire) {
            drop(subscriptions);
            self.stop(entry).await;
            return Err(RegistryError::Destroyed(format!("{:?}", self.inner.url())));
        }
        subscriptions.push(entry);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        url: &Url,
        listener: &Arc<dyn NotifyListener>,
    ) -> Result<(), RegistryError> {
        let entry = {
            let mut subscriptions = self.subscriptions.lock().await;
            subscriptions
                .iter()
                .position(|e| e.url == *url && same_listener(&e.listener, listener))
                .map(|at| subscriptions.remove(at))
        };
        match entry {
            Some(entry) => {
                self.stop(entry).await;
                Ok(())
            }
            None => self.inner.unsubscribe(url, listener).await,
        }
    }

    async fn lookup(&self, url: &Url) -> Result<Vec<Url>, RegistryError> {
        self.inner.lookup(url).await
    }

    fn needs_metadata_service(&self) -> bool {
        self.inner.needs_metadata_service()
    }

    async fn serve_metadata(
        &self,
        service: MetadataServiceDelegation,
        url: &Url,
    ) -> Result<(), RegistryError> {
        self.inner.serve_metadata(service, url).await
    }

    fn discovery(&self) -> Option<&dyn ServiceDiscovery> {
        self.inner.discovery()
    }

    async fn destroy(&self) {
        self.destroyed.store(true, Ordering::Release);
        let entries: Vec<Entry> = self.subscriptions.lock().await.drain(..).collect();
        for entry in entries {
            self.stop(entry).await;
        }
        self.shared.cache.clear();
        self.inner.destroy().await;
    }

    fn counts(&self) -> RegistryCounts {
        let mut counts = self.inner.counts();
        counts.subscriptions += self.applications.load(Ordering::Acquire);
        counts
    }
}

/// Whether a notification is a `providers` list (not routers or configurators).
fn is_providers(urls: &[Url]) -> bool {
    urls.first().is_some_and(|u| {
        category_of(u) == values::PROVIDERS_CATEGORY
            && u.protocol() != values::ROUTE_PROTOCOL
            && u.protocol() != values::OVERRIDE_PROTOCOL
    })
}

#[derive(Default)]
struct Sides {
    interface: Option<Vec<Url>>,
    application: Option<Vec<Url>>,
    /// Which level the last delivery used.
    chose_application: Option<bool>,
}

/// `APPLICATION_FIRST`: chooses between the two levels' provider lists (Dubbo Java's
/// `MigrationInvoker` with `DefaultMigrationAddressComparator`).
struct Merger {
    outer: Arc<dyn NotifyListener>,
    threshold: f32,
    sides: tokio::sync::Mutex<Sides>,
}

impl Merger {
    async fn deliver(&self, sides: &mut Sides) {
        let (Some(interface), Some(application)) = (&sides.interface, &sides.application) else {
            return;
        };
        let count = |list: &[Url]| list.iter().filter(|u| !is_empty_url(u)).count();
        let (apps, ifaces) = (count(application), count(interface));
        let use_application = prefer_application(apps, ifaces, self.threshold);
        if sides.chose_application != Some(use_application) {
            tracing::info!(
                application = apps,
                interface = ifaces,
                "APPLICATION_FIRST uses the {} level",
                if use_application {
                    "application"
                } else {
                    "interface"
                }
            );
            sides.chose_application = Some(use_application);
        }
        let list = if use_application {
            application.clone()
        } else {
            interface.clone()
        };
        self.outer.notify(list).await;
    }
}

/// The inner registry's listener of an `APPLICATION_FIRST` subscription.
struct InterfaceSide(Arc<Merger>);

#[async_trait]
impl NotifyListener for InterfaceSide {
    async fn notify(&self, urls: Vec<Url>) {
        let mut sides = self.0.sides.lock().await;
        if !is_providers(&urls) {
            self.0.outer.notify(urls).await;
            return;
        }
        sides.interface = Some(urls);
        self.0.deliver(&mut sides).await;
    }
}

/// The application-level listener of an `APPLICATION_FIRST` subscription.
struct ApplicationSide(Arc<Merger>);

#[async_trait]
impl NotifyListener for ApplicationSide {
    async fn notify(&self, urls: Vec<Url>) {
        let mut sides = self.0.sides.lock().await;
        sides.application = Some(urls);
        self.0.deliver(&mut sides).await;
    }
}
