//! Application-level discovery on etcd, in dubbo-go's etcd layout:
//!
//! - the application instance (`register-mode` `instance` or `all`): the key
//!   `<instances root, default /services>/<application>/<host>:<port>`, put under the
//!   registry's lease, whose value is dubbo-go's `DefaultServiceInstance` JSON
//!   ([`ServiceInstance::to_dubbo_go_json`]) carrying the revision of the exported services'
//!   [`MetadataInfo`], as the ZooKeeper instance does (see `crate::instance`);
//! - the interface → application mapping: `<root>/mapping/<interface>`, comma-separated
//!   application names, no lease, written by compare-and-set (create when missing, else
//!   update if its `mod_revision` is unchanged), as dubbo-go's etcd metadata report does;
//! - the metadata report (`metadata-type=remote`): each revision's `MetadataInfo` JSON at
//!   dubbo-go's `<root>/<application>/<revision>` — or at Java's
//!   `<root>/metadata/<application>/<revision>` when the instances live under the same root
//!   (a registry `group` makes both `/<group>`), so that reports never sit among instances;
//!   read at both places.
//!
//! Consumers ([`ServiceDiscovery`]) watch the mapping key and an application's instance
//! prefix the way the interface-level categories are watched: listed, notified, then watched
//! from the listed revision + 1, resumed from the last revision seen after a broken watch,
//! listed again after a compaction or after etcd lost its data (an empty state then held
//! back for one TTL while providers put their instances and mappings back: a provider
//! maps its interfaces again whenever it puts its instance back).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use etcd_client::{
    Compare, CompareOp, EventType, GetOptions, PutOptions, Txn, TxnOp, WatchOptions,
};
use oxidubbo_common::Url;
use oxidubbo_metadata::{MetadataInfo, MetadataStorageType, ServiceInstance, mapping, paths};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{EtcdRegistry, FIRST_NOTIFY, MAX_BACKOFF, Shared, WatchCount, backend, lock};
use crate::instance::{ProviderInstance, application_of, config};
use crate::registry::same_listener;
use crate::{DiscoveryListener, MetadataServiceDelegation, RegistryError, ServiceDiscovery};

/// Writes of the mapping tried before giving up (Java's first try and its 10 retries).
const CAS_ATTEMPTS: u32 = 11;

/// The application instance this registry registered.
pub(super) struct AppInstance {
    /// Its key.
    pub(super) key: String,
    provider: ProviderInstance,
    storage: MetadataStorageType,
}

/// What writing the instance takes: with `remote` storage, the `MetadataInfo` of its
/// revision goes to the report first.
pub(super) struct InstanceWrite {
    key: String,
    json: String,
    report: Option<MetadataInfo>,
}

/// The `MetadataService` that answers for this registry's instance.
#[derive(Clone)]
pub(super) struct ServedMetadata {
    service: MetadataServiceDelegation,
    url: Url,
    owner: String,
}

impl ServedMetadata {
    pub(super) fn withdraw(&self) {
        self.service.withdraw(&self.owner);
    }
}

impl AppInstance {
    fn write(&self) -> InstanceWrite {
        InstanceWrite {
            key: self.key.clone(),
            json: self.provider.instance.to_dubbo_go_json(),
            report: (self.storage == MetadataStorageType::Remote)
                .then(|| self.provider.metadata.clone()),
        }
    }

    fn refresh(&mut self, served: Option<&ServedMetadata>) {
        self.provider.refresh(self.storage, served.map(|s| &s.url));
        if let Some(served) = served {
            served
                .service
                .publish(&served.owner, self.provider.metadata.clone());
        }
    }
}

impl EtcdRegistry {
    /// The key of the application instance this registry has written, if any:
    /// `<instances root>/<application>/<host>:<port>`.
    pub fn instance_key(&self) -> Option<String> {
        lock(&self.shared.instance).as_ref().map(|i| i.key.clone())
    }

    /// Adds `application` to the applications that provide `interface`
    /// (`<root>/mapping/<interface>`), by compare-and-set; writes nothing when it is listed.
    pub async fn map_service(
        &self,
        interface: &str,
        application: &str,
    ) -> Result<(), RegistryError> {
        self.shared.map_service(interface, application).await
    }

    /// The applications that provide `interface` according to the mapping, sorted.
    pub async fn mapped_applications(
        &self,
        interface: &str,
    ) -> Result<BTreeSet<String>, RegistryError> {
        let shared = &self.shared;
        let key = paths::mapping_path(&shared.root_or_slash(), interface).map_err(config)?;
        let mut client = shared.client()?;
        let resp = shared
            .bounded("read mapping", async {
                client.get(key.as_str(), None).await.map_err(backend)
            })
            .await?;
        Ok(resp
            .kvs()
            .first()
            .map(|kv| mapping::parse_app_names(&String::from_utf8_lossy(kv.value())))
            .unwrap_or_default())
    }

    /// [`Registry::serve_metadata`](crate::Registry::serve_metadata) for etcd.
    pub(super) async fn attach_metadata_service(
        &self,
        service: MetadataServiceDelegation,
        url: Url,
    ) -> Result<(), RegistryError> {
        let shared = &self.shared;
        let _turn = shared.instance_writes.lock().await;
        let served = ServedMetadata {
            service,
            url,
            owner: format!("etcdv3://{}{}", shared.address, shared.instances_root),
        };
        if let Some(previous) = lock(&shared.metadata_service).replace(served.clone()) {
            previous.withdraw();
        }
        let written = lock(&shared.instance).as_mut().map(|current| {
            current.refresh(Some(&served));
            current.write()
        });
        match written {
            Some(write) => shared.write_instance(&write).await,
            None => Ok(()),
        }
    }

    /// Adds the service of provider URL `url` to the instance (creating it), writes it with
    /// the new revision and maps the interface to the application.
    pub(super) async fn register_in_instance(&self, url: &Url) -> Result<(), RegistryError> {
        let Some(application) = application_of(url) else {
            return Ok(());
        };
        let shared = &self.shared;
        let _turn = shared.instance_writes.lock().await;
        let served = lock(&shared.metadata_service).clone();
        let write = {
            let mut slot = lock(&shared.instance);
            let provider =
                ProviderInstance::adding(slot.as_ref().map(|c| &c.provider), application, url)?;
            let key =
                paths::instance_path(&shared.instances_root, application, &provider.instance.id)
                    .map_err(config)?;
            let mut updated = AppInstance {
                key,
                provider,
                storage: shared.metadata_type,
            };
            updated.refresh(served.as_ref());
            let write = updated.write();
            *slot = Some(updated);
            write
        };
        // Kept even if the write fails: the lease task writes it when etcd answers.
        shared.write_instance(&write).await?;
        self.map_service(url.interface(), application).await
    }

    /// Removes the service of `url` from the instance: rewrites it, or deletes it when no
    /// service is left.
    pub(super) async fn unregister_in_instance(&self, url: &Url) -> Result<(), RegistryError> {
        if application_of(url).is_none() {
            return Ok(());
        }
        let shared = &self.shared;
        let _turn = shared.instance_writes.lock().await;
        let served = lock(&shared.metadata_service).clone();
        let change = {
            let mut slot = lock(&shared.instance);
            let Some(current) = slot.as_mut() else {
                return Ok(());
            };
            if !current.provider.remove(url) {
                return Ok(());
            }
            if current.provider.is_empty() {
                if let Some(served) = &served {
                    served.withdraw();
                }
                slot.take().map(|gone| Err(gone.key))
            } else {
                current.refresh(served.as_ref());
                Some(Ok(current.write()))
            }
        };
        match change {
            Some(Ok(write)) => shared.write_instance(&write).await,
            Some(Err(key)) => {
                let deleted = shared.delete_key(&key).await;
                if deleted.is_err() {
                    shared.withdraw_later(key);
                }
                deleted
            }
            None => Ok(()),
        }
    }
}

impl Shared {
    /// See [`EtcdRegistry::map_service`].
    async fn map_service(&self, interface: &str, application: &str) -> Result<(), RegistryError> {
        let shared = self;
        let key = paths::mapping_path(&shared.root_or_slash(), interface).map_err(config)?;
        mapping::merge_app_name(None, application).map_err(config)?;
        for _ in 0..CAS_ATTEMPTS {
            let mut client = shared.client()?;
            let done = shared
                .bounded("map service", async {
                    let current = client.get(key.as_str(), None).await.map_err(backend)?;
                    let txn = match current.kvs().first() {
                        None => Txn::new()
                            .when([Compare::version(key.as_str(), CompareOp::Equal, 0)])
                            .and_then([TxnOp::put(key.as_str(), application, None)]),
                        Some(kv) => {
                            let text = String::from_utf8_lossy(kv.value());
                            let merged = mapping::merge_app_name(Some(&text), application)
                                .map_err(config)?;
                            let Some(merged) = merged else {
                                return Ok(true);
                            };
                            Txn::new()
                                .when([Compare::mod_revision(
                                    key.as_str(),
                                    CompareOp::Equal,
                                    kv.mod_revision(),
                                )])
                                .and_then([TxnOp::put(key.as_str(), merged, None)])
                        }
                    };
                    Ok(client.txn(txn).await.map_err(backend)?.succeeded())
                })
                .await?;
            if done {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err(RegistryError::Backend(format!(
            "mapping {application} to {interface}: {key} kept changing for {CAS_ATTEMPTS} attempts"
        )))
    }
}

impl Shared {
    /// The metadata root as a path (`/` when the root is empty).
    fn root_or_slash(&self) -> String {
        if self.root.is_empty() {
            "/".to_owned()
        } else {
            self.root.clone()
        }
    }

    /// Where this registry publishes the `MetadataInfo` of `application` at `revision`:
    /// dubbo-go's `<root>/<application>/<revision>`, or Java's
    /// `<root>/metadata/<application>/<revision>` when that would be among the instances.
    fn report_key(&self, application: &str, revision: &str) -> Result<String, RegistryError> {
        let root = self.root_or_slash();
        if root == self.instances_root {
            paths::app_metadata_path(&root, application, revision).map_err(config)
        } else {
            paths::dubbo_go_app_metadata_path(&root, application, revision).map_err(config)
        }
    }

    /// Publishes the report, if any, then puts the instance under the current lease.
    async fn write_instance(&self, write: &InstanceWrite) -> Result<(), RegistryError> {
        lock(&self.withdrawn).retain(|k| *k != write.key);
        let lease = *lock(&self.lease);
        let Some(lease) = lease else {
            return Err(RegistryError::Backend(format!(
                "register instance: no etcd lease at {} now; it is put when etcd answers",
                self.address
            )));
        };
        self.write_instance_with(write, lease).await
    }

    async fn write_instance_with(
        &self,
        write: &InstanceWrite,
        lease: i64,
    ) -> Result<(), RegistryError> {
        let mut client = self.client()?;
        if let Some(report) = &write.report {
            if let Some(revision) = report.revision() {
                let key = self.report_key(report.app(), revision)?;
                let json = report.to_json();
                self.bounded("publish metadata", async {
                    client.put(key, json, None).await.map_err(backend)
                })
                .await?;
            }
        }
        self.bounded("register instance", async {
            client
                .put(
                    write.key.as_str(),
                    write.json.as_str(),
                    Some(PutOptions::new().with_lease(lease)),
                )
                .await
                .map_err(backend)
        })
        .await?;
        Ok(())
    }

    /// Puts the instance (and its report) again under `lease`, after a new lease or a
    /// reconnection.
    pub(super) async fn restore_instance(&self, lease: i64) {
        let _turn = self.instance_writes.lock().await;
        let Some(write) = lock(&self.instance).as_ref().map(AppInstance::write) else {
            return;
        };
        if let Err(e) = self.write_instance_with(&write, lease).await {
            let key = &write.key;
            tracing::warn!(%key, error = %e, "re-registering the application instance failed");
        }
        // An etcd that lost its data lost the mapping too: map every service again (a
        // no-op when it is there).
        let mapped: Vec<(String, String)> = lock(&self.instance)
            .as_ref()
            .map(|i| {
                let app = i.provider.instance.name.clone();
                let mut interfaces: Vec<String> = i
                    .provider
                    .metadata
                    .services()
                    .values()
                    .map(|s| s.name.clone())
                    .collect();
                interfaces.dedup();
                interfaces.into_iter().map(|n| (n, app.clone())).collect()
            })
            .unwrap_or_default();
        for (interface, application) in mapped {
            if let Err(e) = self.map_service(&interface, &application).await {
                tracing::warn!(%interface, error = %e, "re-mapping the interface failed");
            }
        }
    }
}

/// What a subscription watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Mapping,
    Instances,
}

/// One application-level subscription.
pub(super) struct DiscoverySubscription {
    kind: Kind,
    /// The interface (mapping) or the application (instances).
    name: String,
    /// The mapping key, or the instance prefix (`<root>/<application>/`).
    key: String,
    listener: Arc<dyn DiscoveryListener>,
    pub(super) cancel: CancellationToken,
    pub(super) tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl DiscoverySubscription {
    /// Tells the listener the state `values` (key → value) shows.
    async fn deliver(&self, values: &BTreeMap<String, Vec<u8>>) {
        match self.kind {
            Kind::Mapping => {
                let applications = values
                    .get(&self.key)
                    .map(|v| mapping::parse_app_names(&String::from_utf8_lossy(v)))
                    .unwrap_or_default();
                self.listener.on_mapping(&self.name, applications).await;
            }
            Kind::Instances => {
                let mut instances = Vec::with_capacity(values.len());
                for (key, value) in values {
                    let direct = key
                        .strip_prefix(self.key.as_str())
                        .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
                    if !direct {
                        continue;
                    }
                    match ServiceInstance::from_dubbo_go_json(value) {
                        Ok(instance) => instances.push(instance),
                        Err(e) => tracing::warn!(%key, error = %e, "unreadable instance left out"),
                    }
                }
                self.listener.on_instances(&self.name, instances).await;
            }
        }
    }
}

impl Shared {
    async fn subscribe_discovery(
        self: &Arc<Self>,
        kind: Kind,
        name: &str,
        key: String,
        listener: Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        self.client()?;
        let sub = Arc::new(DiscoverySubscription {
            kind,
            name: name.to_owned(),
            key,
            listener,
            cancel: self.cancel.child_token(),
            tasks: Mutex::new(Vec::new()),
        });
        lock(&self.discovery).push(Arc::clone(&sub));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(watch_discovery(Arc::clone(self), Arc::clone(&sub), tx));
        lock(&sub.tasks).push(task);
        let _ = tokio::time::timeout(FIRST_NOTIFY, rx).await;
        Ok(())
    }

    async fn unsubscribe_discovery(
        &self,
        kind: Kind,
        name: &str,
        listener: &Arc<dyn DiscoveryListener>,
    ) {
        let removed: Vec<Arc<DiscoverySubscription>> = {
            let mut subs = lock(&self.discovery);
            let (gone, kept) = std::mem::take(&mut *subs).into_iter().partition(|s| {
                s.kind == kind && s.name == name && same_listener(&s.listener, listener)
            });
            *subs = kept;
            gone
        };
        for sub in removed {
            sub.cancel.cancel();
            let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&sub.tasks));
            super::join_or_abort(tasks, tokio::time::Instant::now() + super::SHUTDOWN_STEP).await;
        }
    }
}

/// Keeps one application-level subscription up to date until it or the registry ends.
async fn watch_discovery(
    shared: Arc<Shared>,
    sub: Arc<DiscoverySubscription>,
    first: tokio::sync::oneshot::Sender<()>,
) {
    let _count = WatchCount::new(&shared.watches);
    let prefix = sub.kind == Kind::Instances;
    let mut first = Some(first);
    let mut values: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut delivered: Option<BTreeMap<String, Vec<u8>>> = None;
    let mut revision: Option<i64> = None;
    // After etcd lost its data: an empty state is held back until then, while the
    // providers put their instances and mappings back.
    let mut hold_empty_until: Option<tokio::time::Instant> = None;
    let mut reset = false;
    let hold = Duration::from_secs(u64::try_from(shared.ttl).unwrap_or(1));
    let due = |values: &BTreeMap<String, Vec<u8>>,
               delivered: &Option<BTreeMap<String, Vec<u8>>>,
               hold_empty_until: &mut Option<tokio::time::Instant>| {
        if delivered.as_ref() == Some(values) {
            return false;
        }
        if let Some(until) = *hold_empty_until {
            if values.is_empty() && tokio::time::Instant::now() < until {
                return false;
            }
            *hold_empty_until = None;
        }
        true
    };
    let mut backoff = Duration::from_millis(100);
    let stopped = || sub.cancel.is_cancelled() || shared.stopped();
    'outer: while !stopped() {
        let Ok(mut client) = shared.client() else {
            return;
        };
        let last = match revision {
            Some(r) => r,
            None => {
                let options = prefix.then(|| GetOptions::new().with_prefix());
                let listed = shared
                    .bounded("list", async {
                        client.get(sub.key.as_str(), options).await.map_err(backend)
                    })
                    .await;
                match listed {
                    Ok(resp) => {
                        values = resp
                            .kvs()
                            .iter()
                            .filter_map(|kv| {
                                let key = std::str::from_utf8(kv.key()).ok()?;
                                Some((key.to_owned(), kv.value().to_vec()))
                            })
                            .collect();
                        if std::mem::take(&mut reset) {
                            hold_empty_until = Some(tokio::time::Instant::now() + hold);
                        }
                        if due(&values, &delivered, &mut hold_empty_until) {
                            delivered = Some(values.clone());
                            tokio::select! {
                                _ = sub.cancel.cancelled() => return,
                                () = sub.deliver(&values) => {}
                            }
                        }
                        if let Some(tx) = first.take() {
                            let _ = tx.send(());
                        }
                        let at = resp.header().map_or(0, |h| h.revision());
                        revision = Some(at);
                        at
                    }
                    Err(e) => {
                        tracing::warn!(key = %sub.key, error = %e, "listing failed; retrying");
                        tokio::select! {
                            _ = sub.cancel.cancelled() => return,
                            go = shared.pause(backoff) => if !go { return },
                        }
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        continue;
                    }
                }
            }
        };
        let mut options = WatchOptions::new().with_start_revision(last + 1);
        if prefix {
            options = options.with_prefix();
        }
        let opened = shared
            .bounded("watch", async {
                client
                    .watch(sub.key.as_str(), Some(options))
                    .await
                    .map_err(backend)
            })
            .await;
        let mut stream = match opened {
            Ok(s) => s,
            Err(_) => {
                tokio::select! {
                    _ = sub.cancel.cancelled() => return,
                    go = shared.pause(backoff) => if !go { return },
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        loop {
            let held = hold_empty_until;
            let message = tokio::select! {
                _ = sub.cancel.cancelled() => return,
                _ = shared.cancel.cancelled() => return,
                () = async {
                    match held {
                        Some(until) => tokio::time::sleep_until(until).await,
                        None => std::future::pending().await,
                    }
                } => None,
                m = stream.message() => Some(m),
            };
            let Some(message) = message else {
                // The hold is over: tell what is there (if it changed).
                if due(&values, &delivered, &mut hold_empty_until) {
                    delivered = Some(values.clone());
                    tokio::select! {
                        _ = sub.cancel.cancelled() => return,
                        () = sub.deliver(&values) => {}
                    }
                }
                continue;
            };
            let Ok(Some(resp)) = message else {
                tokio::select! {
                    _ = sub.cancel.cancelled() => return,
                    go = shared.pause(backoff) => if !go { return },
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue 'outer;
            };
            backoff = Duration::from_millis(100);
            if resp.compact_revision() > 0 {
                revision = None;
                continue 'outer;
            }
            if resp.canceled() {
                continue 'outer;
            }
            let events = resp.events();
            if events.is_empty() {
                if resp.created() {
                    if resp.header().is_some_and(|h| h.revision() < last) {
                        // etcd lost its data: list again.
                        revision = None;
                        reset = true;
                        continue 'outer;
                    }
                    continue;
                }
                if let Some(h) = resp.header() {
                    revision = Some(revision.map_or(h.revision(), |r| r.max(h.revision())));
                }
                continue;
            }
            for event in events {
                let Some(kv) = event.kv() else { continue };
                revision = Some(revision.map_or(kv.mod_revision(), |r| r.max(kv.mod_revision())));
                let Ok(key) = std::str::from_utf8(kv.key()) else {
                    continue;
                };
                match event.event_type() {
                    EventType::Put => values.insert(key.to_owned(), kv.value().to_vec()),
                    EventType::Delete => values.remove(key),
                };
            }
            if due(&values, &delivered, &mut hold_empty_until) {
                delivered = Some(values.clone());
                tokio::select! {
                    _ = sub.cancel.cancelled() => return,
                    () = sub.deliver(&values) => {}
                }
            }
        }
    }
}

#[async_trait]
impl ServiceDiscovery for EtcdRegistry {
    async fn subscribe_mapping(
        &self,
        interface: &str,
        listener: Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        let key = paths::mapping_path(&self.shared.root_or_slash(), interface).map_err(config)?;
        self.shared
            .subscribe_discovery(Kind::Mapping, interface, key, listener)
            .await
    }

    async fn unsubscribe_mapping(
        &self,
        interface: &str,
        listener: &Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        self.shared
            .unsubscribe_discovery(Kind::Mapping, interface, listener)
            .await;
        Ok(())
    }

    async fn subscribe_instances(
        &self,
        application: &str,
        listener: Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        let folder =
            paths::application_path(&self.shared.instances_root, application).map_err(config)?;
        self.shared
            .subscribe_discovery(Kind::Instances, application, format!("{folder}/"), listener)
            .await
    }

    async fn unsubscribe_instances(
        &self,
        application: &str,
        listener: &Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        self.shared
            .unsubscribe_discovery(Kind::Instances, application, listener)
            .await;
        Ok(())
    }

    async fn metadata_report(
        &self,
        application: &str,
        revision: &str,
    ) -> Result<Option<MetadataInfo>, RegistryError> {
        let shared = &self.shared;
        let root = shared.root_or_slash();
        let go = paths::dubbo_go_app_metadata_path(&root, application, revision).map_err(config)?;
        let java = paths::app_metadata_path(&root, application, revision).map_err(config)?;
        let mut client = shared.client()?;
        shared
            .bounded("read metadata report", async {
                for key in [&go, &java] {
                    let resp = client.get(key.as_str(), None).await.map_err(backend)?;
                    if let Some(kv) = resp.kvs().first() {
                        return MetadataInfo::from_json(kv.value())
                            .map(Some)
                            .map_err(|e| RegistryError::Backend(format!("{key}: {e}")));
                    }
                }
                Ok(None)
            })
            .await
    }
}
