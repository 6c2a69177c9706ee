//! The consumer side of application-level discovery on ZooKeeper ([`ServiceDiscovery`]):
//!
//! - a mapping subscription watches the data of `<root>/mapping/<interface>` (or, while the
//!   node does not exist, its creation) and tells the complete set of applications it lists;
//! - an instance subscription watches the children of `<instances root>/<application>` (or
//!   the folder's creation) and the data of each child, since a provider rewrites its node
//!   when its revision changes; it tells every instance read with
//!   [`ServiceInstance::from_curator_json`], leaving out unreadable nodes with a warning;
//! - the metadata report is read at Java's `<root>/metadata/<application>/<revision>`, then
//!   at dubbo-go's `<root>/<application>/<revision>`.
//!
//! Each subscription has one watch task tied to the session, as the interface-level
//! category watches: it reads everything again on every event and delivers under the
//! subscription's delivery lock, so deliveries never overlap and never go back in time.
//! After a reconnection the state is read and delivered again; after a new session the
//! task is started again. Unsubscribe, [`Registry::destroy`](crate::Registry::destroy) and
//! drop stop it.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_metadata::{MetadataInfo, ServiceInstance, mapping, paths};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use zookeeper_client::{Client, EventType, OneshotWatcher, WatchedEvent};

use super::{
    FIRST_NOTIFY, Shared, WatchCount, ZookeeperRegistry, backend, is_terminal, lock, stop_watching,
};
use crate::instance::config;
use crate::registry::same_listener;
use crate::{DiscoveryListener, RegistryError, ServiceDiscovery};

/// Times a read is tried again when the node it found missing appears meanwhile.
const CREATION_RACES: usize = 3;

/// What a subscription watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The mapping node of an interface.
    Mapping,
    /// The instance folder of an application.
    Instances,
}

/// One application-level subscription.
pub(super) struct DiscoverySubscription {
    kind: Kind,
    /// The interface (mapping) or the application (instances).
    name: String,
    /// The mapping node or the instance folder.
    path: String,
    listener: Arc<dyn DiscoveryListener>,
    pub(super) cancel: CancellationToken,
    /// Held while the state is read and delivered: deliveries never overlap and never go
    /// back in time.
    delivery: tokio::sync::Mutex<()>,
    pub(super) tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    async fn subscribe_discovery(
        self: &Arc<Self>,
        kind: Kind,
        name: &str,
        path: String,
        listener: Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        let client = self.client()?;
        let sub = Arc::new(DiscoverySubscription {
            kind,
            name: name.to_owned(),
            path,
            listener,
            cancel: self.cancel.child_token(),
            delivery: tokio::sync::Mutex::new(()),
            tasks: Mutex::new(Vec::new()),
        });
        lock(&self.discovery).push(Arc::clone(&sub));
        self.start_discovery_watch(&client, &sub).await;
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
            stop_watching(&sub.cancel, &sub.tasks).await;
        }
    }

    /// Starts the watch task of `sub` on `client`; waits (bounded) for its first delivery.
    async fn start_discovery_watch(
        self: &Arc<Self>,
        client: &Client,
        sub: &Arc<DiscoverySubscription>,
    ) {
        let session = lock(&self.session).clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(watch_discovery(
            Arc::clone(self),
            Arc::clone(sub),
            client.clone(),
            session,
            tx,
        ));
        {
            let mut tasks = lock(&sub.tasks);
            tasks.retain(|t| !t.is_finished());
            tasks.push(task);
        }
        let _ = tokio::time::timeout(FIRST_NOTIFY, rx).await;
    }

    /// After a reconnection: reads and delivers every subscription again; after a new
    /// session: restarts their watches.
    pub(super) async fn recover_discovery(self: &Arc<Self>, client: &Client, new_session: bool) {
        let subs: Vec<Arc<DiscoverySubscription>> = lock(&self.discovery).clone();
        for sub in subs {
            if new_session {
                self.start_discovery_watch(client, &sub).await;
            } else if let Err(e) = self.read_and_deliver(client, &sub, false).await {
                let name = &sub.name;
                tracing::warn!(%name, error = %e, "refresh after reconnect failed");
            }
        }
    }

    /// Reads the state of `sub` and delivers it, under the subscription's delivery lock.
    /// With `watch`, also leaves watches on what was read and returns them; `None` when the
    /// subscription has ended.
    async fn read_and_deliver(
        &self,
        client: &Client,
        sub: &DiscoverySubscription,
        watch: bool,
    ) -> Result<Option<Vec<OneshotWatcher>>, zookeeper_client::Error> {
        let _turn = sub.delivery.lock().await;
        if sub.cancel.is_cancelled() {
            return Ok(None);
        }
        let mut watchers = Vec::new();
        let watchers_out = watch.then_some(&mut watchers);
        match sub.kind {
            Kind::Mapping => {
                let applications = read_mapping(client, &sub.path, watchers_out).await?;
                sub.listener.on_mapping(&sub.name, applications).await;
            }
            Kind::Instances => {
                let instances = read_instances(client, &sub.path, watchers_out).await?;
                sub.listener.on_instances(&sub.name, instances).await;
            }
        }
        Ok(Some(watchers))
    }
}

/// The applications in the mapping node at `path` (empty when it is missing); with
/// `watchers`, watches its data, or its creation.
async fn read_mapping(
    client: &Client,
    path: &str,
    mut watchers: Option<&mut Vec<OneshotWatcher>>,
) -> Result<BTreeSet<String>, zookeeper_client::Error> {
    for _ in 0..CREATION_RACES {
        let read = match watchers.as_deref_mut() {
            Some(out) => client.get_and_watch_data(path).await.map(|(data, _, w)| {
                out.push(w);
                data
            }),
            None => client.get_data(path).await.map(|(data, _)| data),
        };
        match read {
            Ok(data) => return Ok(mapping::parse_app_names(&String::from_utf8_lossy(&data))),
            Err(zookeeper_client::Error::NoNode) => {}
            Err(e) => return Err(e),
        }
        if !watch_creation(client, path, watchers.as_deref_mut()).await? {
            return Ok(BTreeSet::new());
        }
    }
    Err(zookeeper_client::Error::NoNode)
}

/// The instances under the folder `path` (empty when it is missing); with `watchers`,
/// watches its children (or its creation) and each child's data.
async fn read_instances(
    client: &Client,
    path: &str,
    mut watchers: Option<&mut Vec<OneshotWatcher>>,
) -> Result<Vec<ServiceInstance>, zookeeper_client::Error> {
    let mut children = None;
    for _ in 0..CREATION_RACES {
        let listed = match watchers.as_deref_mut() {
            Some(out) => client.list_and_watch_children(path).await.map(|(c, w)| {
                out.push(w);
                c
            }),
            None => client.list_children(path).await,
        };
        match listed {
            Ok(found) => {
                children = Some(found);
                break;
            }
            Err(zookeeper_client::Error::NoNode) => {}
            Err(e) => return Err(e),
        }
        if !watch_creation(client, path, watchers.as_deref_mut()).await? {
            return Ok(Vec::new());
        }
    }
    let Some(mut children) = children else {
        return Err(zookeeper_client::Error::NoNode);
    };
    children.sort();
    let mut instances = Vec::with_capacity(children.len());
    for child in children {
        let node = format!("{path}/{child}");
        let read = match watchers.as_deref_mut() {
            Some(out) => client.get_and_watch_data(&node).await.map(|(data, _, w)| {
                out.push(w);
                data
            }),
            None => client.get_data(&node).await.map(|(data, _)| data),
        };
        match read {
            Ok(data) => match ServiceInstance::from_curator_json(&data) {
                Ok(instance) => instances.push(instance),
                Err(e) => tracing::warn!(%node, error = %e, "unreadable instance node left out"),
            },
            // Deleted meanwhile: the children watch tells.
            Err(zookeeper_client::Error::NoNode) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(instances)
}

/// For a node found missing: with `watchers`, watches its creation. Whether it exists
/// after all (created meanwhile: read it again).
async fn watch_creation(
    client: &Client,
    path: &str,
    watchers: Option<&mut Vec<OneshotWatcher>>,
) -> Result<bool, zookeeper_client::Error> {
    let Some(out) = watchers else {
        return Ok(false);
    };
    let (stat, watcher) = client.check_and_watch_stat(path).await?;
    if stat.is_some() {
        return Ok(true);
    }
    out.push(watcher);
    Ok(false)
}

/// The first event of any of `watchers`.
async fn any_changed(watchers: Vec<OneshotWatcher>) -> WatchedEvent {
    let mut changes: Vec<Pin<Box<dyn Future<Output = WatchedEvent> + Send>>> = watchers
        .into_iter()
        .map(|w| Box::pin(w.changed()) as Pin<Box<dyn Future<Output = WatchedEvent> + Send>>)
        .collect();
    std::future::poll_fn(|cx| {
        for change in &mut changes {
            if let Poll::Ready(event) = change.as_mut().poll(cx) {
                return Poll::Ready(event);
            }
        }
        Poll::Pending
    })
    .await
}

/// Keeps one application-level subscription up to date until the subscription, the
/// session or the registry ends.
async fn watch_discovery(
    shared: Arc<Shared>,
    sub: Arc<DiscoverySubscription>,
    client: Client,
    session: CancellationToken,
    first: tokio::sync::oneshot::Sender<()>,
) {
    let _count = WatchCount::new(&shared.watches);
    let mut first = Some(first);
    loop {
        let read = tokio::select! {
            _ = sub.cancel.cancelled() => return,
            _ = session.cancelled() => return,
            _ = shared.cancel.cancelled() => return,
            read = shared.read_and_deliver(&client, &sub, true) => read,
        };
        let watchers = match read {
            Ok(Some(w)) => w,
            Ok(None) => return,
            Err(e) if is_terminal(&e) => return,
            Err(e) => {
                let path = &sub.path;
                tracing::warn!(%path, error = %e, "application-level watch failed; retrying");
                tokio::select! {
                    _ = sub.cancel.cancelled() => return,
                    _ = session.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => continue,
                }
            }
        };
        if let Some(tx) = first.take() {
            let _ = tx.send(());
        }
        let event = tokio::select! {
            _ = sub.cancel.cancelled() => return,
            _ = session.cancelled() => return,
            _ = shared.cancel.cancelled() => return,
            event = any_changed(watchers) => event,
        };
        if event.event_type == EventType::Session && event.session_state.is_terminated() {
            return;
        }
    }
}

#[async_trait]
impl ServiceDiscovery for ZookeeperRegistry {
    async fn subscribe_mapping(
        &self,
        interface: &str,
        listener: Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        let path = self.shared.mapping_path(interface)?;
        self.shared
            .subscribe_discovery(Kind::Mapping, interface, path, listener)
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
        let path =
            paths::application_path(&self.shared.instances_root, application).map_err(config)?;
        self.shared
            .subscribe_discovery(Kind::Instances, application, path, listener)
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
        let java = paths::app_metadata_path(&shared.root, application, revision).map_err(config)?;
        let go = paths::dubbo_go_app_metadata_path(&shared.root, application, revision)
            .map_err(config)?;
        let client = shared.client()?;
        shared
            .bounded("read metadata report", async {
                for path in [&java, &go] {
                    match client.get_data(path).await {
                        Ok((data, _)) => {
                            return MetadataInfo::from_json(&data)
                                .map(Some)
                                .map_err(|e| RegistryError::Backend(format!("{path}: {e}")));
                        }
                        Err(zookeeper_client::Error::NoNode) => {}
                        Err(e) => return Err(backend(e)),
                    }
                }
                Ok(None)
            })
            .await
    }
}
