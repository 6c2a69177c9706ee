//! The ZooKeeper registry (`zookeeper://host:port`), in Dubbo's interface-level layout
//! (wire spec §6.1):
//!
//! ```text
//! /<group, default dubbo>/<URL-encoded interface>/<category>/<URL.encode(url.toFullString())>
//! ```
//!
//! * parent nodes are persistent; a registered leaf is ephemeral unless its URL says
//!   `dynamic=false`; leaves carry no data;
//! * a subscription watches the children of each subscribed category and notifies the full,
//!   filtered list (or `empty://`) after every change;
//! * after a connection loss the registry re-creates any missing node of its own and
//!   re-reads every subscribed category; after a session expiry (or a server that lost its
//!   data) it opens a new session, re-registers and re-subscribes by itself; the same,
//!   at its next `register`, `subscribe` or `lookup`, when its task ended with the tokio
//!   runtime it was spawned on while it is used from another one (logged as an error);
//! * [`Registry::destroy`] deletes every node it wrote and closes the session.
//!
//! Every request has a time limit, the registry URL's `timeout`: a ZooKeeper that is down
//! or frozen makes `register`, `unregister` and `lookup` fail in bounded time instead of
//! waiting for it. A node withdrawn while the connection is lost (or whose delete failed)
//! is deleted when the connection comes back. [`Registry::destroy`] releases everything
//! of its own at once and spends a bounded time on ZooKeeper; when ZooKeeper is not
//! reachable it does not wait for it: the session's ephemeral nodes go with the session.
//!
//! It also holds the interface → application mapping of Dubbo 3's application-level discovery
//! ([`ZookeeperRegistry::map_service`], [`ZookeeperRegistry::mapped_applications`]; see
//! [`mapping`]).
//!
//! With `register-mode` `instance` or `all` (Dubbo's default), a registered provider URL also
//! goes into the application instance `<instances root>/<application>/<host>:<port>`, whose
//! revision follows the exported services, and its interface is mapped to the application
//! (see [`ZookeeperRegistry::instance_path`]); with `instance`, no interface-level node is
//! written. Given a `MetadataService` ([`Registry::serve_metadata`]), the instance
//! carries its `dubbo.metadata-service.url-params` and the service answers the instance's
//! `MetadataInfo`. With `metadata-type=remote`, each revision's `MetadataInfo` also goes to
//! the metadata report under the registry's root before the instance node that carries it.
//!
//! Consumers find applications through its [`ServiceDiscovery`](crate::ServiceDiscovery)
//! ([`Registry::discovery`]): watches on the mapping and on an application's instances, and
//! the metadata report.
//!
//! Registry URL parameters: `group` (root, default `dubbo`), `backup` (more
//! comma-separated `host:port` addresses), `session` (session timeout in ms, default
//! 60000), `timeout` (connect and request timeout in ms, default 5000), `register-mode`
//! (`interface`, `instance` or `all`, default `all`; anything else is refused), `rootPath`
//! (the instances root, default `/services`, or `/` + `group` when `group` is set, as Java
//! reads it), `metadata-type` (`local` or `remote`, default `local`; anything else is
//! refused), `check` (default `true`: no ZooKeeper within the timeout fails `connect`, and
//! `register`/`subscribe` fail without a session; `false`: the registry starts
//! disconnected, keeps what is registered and subscribed, and writes and watches it once
//! a session opens — Java's failback).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_common::{Url, defaults, keys, values};
use oxidubbo_metadata::{MetadataStorageType, RegisterMode, keys as metadata_keys, paths};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use zookeeper_client::{Acls, Client, CreateMode, EventType, SessionState, WatchedEvent};

mod discovery;
mod instance;
pub mod mapping;

use crate::registry::{category_of, empty_url, is_match, same_listener, subscribed_categories};
use crate::{NotifyListener, Registry, RegistryCounts, RegistryError};

/// Dubbo's default session timeout for ZooKeeper (ms).
const DEFAULT_SESSION_MS: u64 = 60_000;
/// Default connect timeout (ms).
const DEFAULT_CONNECT_MS: u64 = 5_000;
/// Longest wait for the work of [`Registry::destroy`] and of one unsubscribe (deleting the
/// nodes, stopping the watches, closing the session), all of it together.
const SHUTDOWN_STEP: Duration = Duration::from_secs(3);
/// Longest wait in `subscribe` for the first notifications of its categories.
const FIRST_NOTIFY: Duration = Duration::from_secs(10);

fn backend(e: zookeeper_client::Error) -> RegistryError {
    RegistryError::Backend(e.to_string())
}

fn is_terminal(e: &zookeeper_client::Error) -> bool {
    use zookeeper_client::Error as E;
    matches!(
        e,
        E::SessionExpired | E::ClientClosed | E::AuthFailed | E::SessionMoved
    )
}

/// One node this registry wrote.
struct Registered {
    path: String,
    ephemeral: bool,
}

/// One subscription: a listener and the categories it watches.
struct Subscription {
    url: Url,
    listener: Arc<dyn NotifyListener>,
    categories: Vec<String>,
    cancel: CancellationToken,
    /// Held while a category is listed and delivered: deliveries never overlap and never
    /// go back in time.
    delivery: tokio::sync::Mutex<()>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

struct Shared {
    url: Url,
    address: String,
    root: String,
    session_timeout: Duration,
    /// Connect timeout, and the time limit of every request.
    timeout: Duration,
    client: Mutex<Option<Client>>,
    /// Cancelled when the current session ends (its watch tasks stop with it).
    session: Mutex<CancellationToken>,
    registered: Mutex<Vec<Registered>>,
    /// Paths unregistered without being deleted (no connection, or the delete failed):
    /// deleted when the connection comes back.
    withdrawn: Mutex<Vec<String>>,
    subs: Mutex<Vec<Arc<Subscription>>>,
    destroyed: AtomicBool,
    connected: AtomicBool,
    /// Cancelled on destroy (or drop): stops the supervisor and every watch.
    cancel: CancellationToken,
    watches: AtomicUsize,
    sessions: AtomicU64,
    supervisor: Mutex<Option<JoinHandle<()>>>,
    /// Tells the supervisor to end the current session ([`ZookeeperRegistry::expire_session`]).
    end_session: tokio::sync::Notify,
    /// `register-mode`: interface-level nodes, the application instance, or both.
    register_mode: RegisterMode,
    /// Where application instances live (`paths::instances_root`).
    instances_root: String,
    /// The application instance registered, if any (see [`instance`]).
    instance: Mutex<Option<instance::AppInstance>>,
    /// The `MetadataService` answering for the instance, if one is served.
    metadata_service: Mutex<Option<instance::ServedMetadata>>,
    /// Held while the instance is changed and written: writes never overlap or reorder.
    instance_writes: tokio::sync::Mutex<()>,
    /// `metadata-type`: where the instance's `MetadataInfo` is kept (`remote`: also in the
    /// metadata report).
    metadata_type: MetadataStorageType,
    /// The application-level subscriptions (see [`discovery`]).
    discovery: Mutex<Vec<Arc<discovery::DiscoverySubscription>>>,
    /// `check` (default true, Java's): whether an unreachable ZooKeeper fails the start
    /// and `register`/`subscribe`. With `check=false` the registry starts disconnected,
    /// keeps what is registered and subscribed, and writes and watches it once connected.
    check: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The ZooKeeper registry. See the [module docs](self).
pub struct ZookeeperRegistry {
    shared: Arc<Shared>,
}

impl ZookeeperRegistry {
    /// Connects to the ZooKeeper of `url` (`zookeeper://host:port?backup=…&group=…`) and
    /// starts watching the session. Fails if no session can be opened within the connect
    /// timeout.
    pub async fn connect(url: Url) -> Result<Self, RegistryError> {
        if url.host().is_empty() {
            return Err(RegistryError::Config(format!(
                "zookeeper registry URL without an address: {url:?}"
            )));
        }
        let mut address = url.address();
        if let Some(backup) = url.param("backup").filter(|b| !b.is_empty()) {
            address.push(',');
            address.push_str(backup);
        }
        let group = url.param_or(keys::REGISTRY_GROUP, defaults::REGISTRY_GROUP);
        let root = match group.trim_matches('/') {
            "" => String::new(),
            g => format!("/{g}"),
        };
        let session_timeout =
            url.duration_ms_param("session", Duration::from_millis(DEFAULT_SESSION_MS));
        let timeout =
            url.duration_ms_param(keys::TIMEOUT, Duration::from_millis(DEFAULT_CONNECT_MS));
        let register_mode = crate::instance::register_mode(&url)?;
        let metadata_type = match url.param(metadata_keys::METADATA_TYPE) {
            Some(kind) if !kind.trim().is_empty() => kind
                .parse::<MetadataStorageType>()
                .map_err(|e| RegistryError::Config(e.to_string()))?,
            _ => MetadataStorageType::Local,
        };
        let instances_root = paths::instances_root(&url);
        let check = url.bool_param(keys::CHECK, true);
        let shared = Arc::new(Shared {
            url,
            address,
            root,
            session_timeout,
            timeout,
            client: Mutex::new(None),
            session: Mutex::new(CancellationToken::new()),
            registered: Mutex::new(Vec::new()),
            withdrawn: Mutex::new(Vec::new()),
            subs: Mutex::new(Vec::new()),
            destroyed: AtomicBool::new(false),
            connected: AtomicBool::new(false),
            cancel: CancellationToken::new(),
            watches: AtomicUsize::new(0),
            sessions: AtomicU64::new(0),
            supervisor: Mutex::new(None),
            end_session: tokio::sync::Notify::new(),
            register_mode,
            instances_root,
            instance: Mutex::new(None),
            metadata_service: Mutex::new(None),
            instance_writes: tokio::sync::Mutex::new(()),
            metadata_type,
            discovery: Mutex::new(Vec::new()),
            check,
        });
        let first = match shared.open_session().await {
            Ok(client) => {
                *lock(&shared.client) = Some(client.clone());
                shared.connected.store(true, Ordering::Release);
                Some(client)
            }
            Err(e) if !check => {
                tracing::warn!(
                    address = %shared.address,
                    error = %e,
                    "ZooKeeper unreachable; check=false: starting disconnected, connecting in \
                     the background"
                );
                None
            }
            Err(e) => return Err(e),
        };
        let task = tokio::spawn(supervise(Arc::clone(&shared), first));
        *lock(&shared.supervisor) = Some(task);
        Ok(ZookeeperRegistry { shared })
    }

    /// The ZooKeeper path of the node `url` is registered as:
    /// `/<root>/<encoded interface>/<category>/<URL.encode(url.toFullString())>`.
    pub fn node_path(&self, url: &Url) -> String {
        self.shared.node_path(url)
    }

    /// The path of the category folder `category` of `interface`.
    pub fn category_path(&self, interface: &str, category: &str) -> String {
        self.shared.category_path(interface, category)
    }

    /// How many sessions this registry has opened (1 until a session expired).
    pub fn sessions_opened(&self) -> u64 {
        self.shared.sessions.load(Ordering::Acquire)
    }

    /// Ends the current session as an expiry does — the server drops it, with its
    /// ephemeral nodes and its watches — and returns once the registry has opened a new
    /// one; it then re-registers and re-subscribes by itself, as after an expiry. Meant
    /// for tests and failure drills.
    ///
    /// The session is closed from this registry's side, not taken over by a second
    /// connection: a takeover races the registry's own client, which, cut off, reconnects
    /// at once and takes the session back before the takeover's close reaches the server
    /// (and a dropped client whose close was cut off never sends it again), so on a busy
    /// machine the session often survived the drill.
    pub async fn expire_session(&self) -> Result<(), RegistryError> {
        self.shared.client()?;
        let before = self.sessions_opened();
        self.shared.end_session.notify_one();
        let bound = self.shared.timeout.max(Duration::from_secs(15));
        let renewed = tokio::time::timeout(bound, async {
            while self.sessions_opened() == before {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        renewed.map_err(|_| {
            RegistryError::Backend(format!("no new ZooKeeper session within {bound:?}"))
        })
    }

    /// Starts the supervisor again, on the caller's runtime, if its task ended although the
    /// registry was not destroyed: the runtime it was spawned on shut down while this
    /// registry is still used from another one (a process-wide registry protocol shared by
    /// several runtimes, as tests make them). Its session's task went with that runtime,
    /// so nothing kept the nodes, watched or reconnected any more. The new supervisor
    /// opens a new session and recovers as after an expiry (nodes written again, every
    /// subscription listed and watched again); this waits for the session, at most the
    /// registry's timeout.
    async fn revive(&self) {
        let shared = &self.shared;
        {
            let mut supervisor = lock(&shared.supervisor);
            let ended = supervisor.as_ref().is_some_and(JoinHandle::is_finished);
            if !ended || shared.cancel.is_cancelled() {
                return;
            }
            tracing::error!(
                address = %shared.address,
                "the ZooKeeper registry's task ended with the runtime it ran on; \
                 connecting again from this one"
            );
            shared.connected.store(false, Ordering::Release);
            lock(&shared.client).take();
            lock(&shared.session).cancel();
            *supervisor = Some(tokio::spawn(supervise(Arc::clone(shared), None)));
        }
        let _ = tokio::time::timeout(shared.timeout, async {
            while lock(&shared.client).is_none() && !shared.cancel.is_cancelled() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
    }
}

impl Shared {
    fn client(&self) -> Result<Client, RegistryError> {
        if self.destroyed.load(Ordering::Acquire) {
            return Err(RegistryError::Destroyed(format!("{:?}", self.url)));
        }
        lock(&self.client)
            .clone()
            .ok_or_else(|| RegistryError::Backend("no ZooKeeper session".into()))
    }

    /// Runs one request within the registry's time limit.
    async fn bounded<T>(
        &self,
        what: &str,
        request: impl Future<Output = Result<T, RegistryError>>,
    ) -> Result<T, RegistryError> {
        tokio::time::timeout(self.timeout, request)
            .await
            .map_err(|_| {
                RegistryError::Backend(format!(
                    "{what}: no answer from ZooKeeper at {} within {:?}",
                    self.address, self.timeout
                ))
            })?
    }

    /// Deletes the paths withdrawn while they could not be deleted.
    async fn delete_withdrawn(&self, client: &Client) {
        let paths: Vec<String> = std::mem::take(&mut *lock(&self.withdrawn));
        for path in paths {
            let deleted = self
                .bounded("unregister", async {
                    match client.delete(&path, None).await {
                        Ok(()) | Err(zookeeper_client::Error::NoNode) => Ok(()),
                        Err(e) => Err(backend(e)),
                    }
                })
                .await;
            if let Err(e) = deleted {
                tracing::warn!(%path, error = %e, "deleting a withdrawn node failed");
                self.withdraw_later(path);
            }
        }
    }

    /// Remembers `path` to delete when the connection is back.
    fn withdraw_later(&self, path: String) {
        let mut withdrawn = lock(&self.withdrawn);
        if !withdrawn.contains(&path) {
            withdrawn.push(path);
        }
    }

    async fn open_session(&self) -> Result<Client, RegistryError> {
        let client = tokio::time::timeout(
            self.timeout,
            Client::connector()
                .with_session_timeout(self.session_timeout)
                .with_fail_eagerly()
                .connect(&self.address),
        )
        .await
        .map_err(|_| {
            RegistryError::Backend(format!(
                "no ZooKeeper session with {} within {:?}",
                self.address, self.timeout
            ))
        })?
        .map_err(|e| RegistryError::Backend(format!("connecting to {}: {e}", self.address)))?;
        self.sessions.fetch_add(1, Ordering::AcqRel);
        tracing::info!(address = %self.address, session = %client.session_id(), "ZooKeeper session opened");
        Ok(client)
    }

    fn service_path(&self, interface: &str) -> String {
        format!("{}/{}", self.root, Url::encode_component(interface))
    }

    fn category_path(&self, interface: &str, category: &str) -> String {
        format!("{}/{category}", self.service_path(interface))
    }

    fn node_path(&self, url: &Url) -> String {
        format!(
            "{}/{}",
            self.category_path(url.interface(), category_of(url)),
            url.to_node_name()
        )
    }

    /// Creates `path` with `data` (parents persistent). An ephemeral node left by an older
    /// session of ours is replaced, so it does not vanish when that session finally expires;
    /// one of this session gets `data` when that is not empty.
    async fn create_node(
        &self,
        client: &Client,
        path: &str,
        ephemeral: bool,
        data: &[u8],
    ) -> Result<(), RegistryError> {
        let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
        if !parent.is_empty() {
            client
                .mkdir(
                    parent,
                    &CreateMode::Persistent.with_acls(Acls::anyone_all()),
                )
                .await
                .map_err(backend)?;
        }
        let mode = if ephemeral {
            CreateMode::Ephemeral
        } else {
            CreateMode::Persistent
        };
        let options = mode.with_acls(Acls::anyone_all());
        for _ in 0..3 {
            match client.create(path, data, &options).await {
                Ok(_) => return Ok(()),
                Err(zookeeper_client::Error::NodeExists) => {
                    if !ephemeral {
                        return Ok(());
                    }
                    match client.check_stat(path).await.map_err(backend)? {
                        Some(stat) if stat.ephemeral_owner == client.session_id().0 => {
                            if !data.is_empty() {
                                match client.set_data(path, data, None).await {
                                    Ok(_) => return Ok(()),
                                    Err(zookeeper_client::Error::NoNode) => continue,
                                    Err(e) => return Err(backend(e)),
                                }
                            }
                            return Ok(());
                        }
                        Some(_) => match client.delete(path, None).await {
                            Ok(()) | Err(zookeeper_client::Error::NoNode) => continue,
                            Err(e) => return Err(backend(e)),
                        },
                        None => continue,
                    }
                }
                Err(e) => return Err(backend(e)),
            }
        }
        Err(RegistryError::Backend(format!(
            "could not create {path}: it keeps being re-created"
        )))
    }

    /// Lists `category` for `sub` and notifies it, under the subscription's delivery lock.
    /// With `watch`, also leaves a watch on the children and returns it.
    async fn list_and_deliver(
        &self,
        client: &Client,
        sub: &Subscription,
        category: &str,
        watch: bool,
    ) -> Result<Option<zookeeper_client::OneshotWatcher>, zookeeper_client::Error> {
        let path = self.category_path(sub.url.interface(), category);
        let _turn = sub.delivery.lock().await;
        if sub.cancel.is_cancelled() {
            return Ok(None);
        }
        let listed = if watch {
            client
                .list_and_watch_children(&path)
                .await
                .map(|(c, w)| (c, Some(w)))
        } else {
            client.list_children(&path).await.map(|c| (c, None))
        };
        let (children, watcher) = match listed {
            Ok(found) => found,
            Err(zookeeper_client::Error::NoNode) => {
                client
                    .mkdir(&path, &CreateMode::Persistent.with_acls(Acls::anyone_all()))
                    .await?;
                if watch {
                    let (c, w) = client.list_and_watch_children(&path).await?;
                    (c, Some(w))
                } else {
                    (client.list_children(&path).await?, None)
                }
            }
            Err(e) => return Err(e),
        };
        let mut urls: Vec<Url> = Vec::with_capacity(children.len());
        for child in &children {
            match Url::from_node_name(child) {
                Ok(url) if is_match(&sub.url, &url) => urls.push(url),
                Ok(_) => {}
                Err(e) => tracing::warn!(%path, child, error = %e, "unreadable registry node"),
            }
        }
        if urls.is_empty() {
            urls.push(empty_url(&sub.url, category));
        }
        sub.listener.notify(urls).await;
        Ok(watcher)
    }

    /// Starts one watch task per category of `sub` on `client`; waits (bounded) for each
    /// category's first notification.
    async fn start_watches(self: &Arc<Self>, client: &Client, sub: &Arc<Subscription>) {
        let session = lock(&self.session).clone();
        let mut firsts = Vec::new();
        let mut handles = Vec::new();
        for category in &sub.categories {
            let (tx, rx) = tokio::sync::oneshot::channel();
            firsts.push(rx);
            handles.push(tokio::spawn(watch_category(
                Arc::clone(self),
                Arc::clone(sub),
                category.clone(),
                client.clone(),
                session.clone(),
                tx,
            )));
        }
        {
            let mut tasks = lock(&sub.tasks);
            tasks.retain(|t| !t.is_finished());
            tasks.extend(handles);
        }
        let deadline = tokio::time::Instant::now() + FIRST_NOTIFY;
        for rx in firsts {
            let _ = tokio::time::timeout_at(deadline, rx).await;
        }
    }

    /// After a reconnection (same session) or a new session: puts back every node of ours
    /// and refreshes (same session) or restarts (new session) every subscription.
    async fn recover(self: &Arc<Self>, client: &Client, new_session: bool) {
        let nodes: Vec<(String, bool)> = lock(&self.registered)
            .iter()
            .map(|r| (r.path.clone(), r.ephemeral))
            .collect();
        for (path, ephemeral) in nodes {
            let created = self.bounded(
                "re-register",
                self.create_node(client, &path, ephemeral, &[]),
            );
            if let Err(e) = created.await {
                tracing::warn!(%path, error = %e, "re-register failed");
            }
        }
        self.recover_instance(client).await;
        self.delete_withdrawn(client).await;
        let subs: Vec<Arc<Subscription>> = lock(&self.subs).clone();
        for sub in subs {
            if new_session {
                self.start_watches(client, &sub).await;
            } else {
                for category in &sub.categories {
                    if let Err(e) = self.list_and_deliver(client, &sub, category, false).await {
                        tracing::warn!(category, error = %e, "refresh after reconnect failed");
                    }
                }
            }
        }
        self.recover_discovery(client, new_session).await;
        tracing::info!(address = %self.address, new_session, "ZooKeeper registry recovered");
    }

    /// Makes `client`'s session the current one: a new session token, the client, connected.
    fn adopt(&self, client: &Client) {
        {
            let mut session = lock(&self.session);
            session.cancel();
            *session = self.cancel.child_token();
        }
        *lock(&self.client) = Some(client.clone());
        self.connected.store(true, Ordering::Release);
    }

    /// The current session's client; `None` instead of an error when there is none and
    /// `check=false` says to go on without it (what is asked is done once connected).
    fn client_unless_checked(&self) -> Result<Option<Client>, RegistryError> {
        match self.client() {
            Ok(client) => Ok(Some(client)),
            Err(RegistryError::Backend(_)) if !self.check => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Opens a new session after the old one ended; retries with back-off until it works
    /// or the registry is destroyed.
    async fn reopen(self: &Arc<Self>) -> Option<Client> {
        let mut backoff = Duration::from_millis(100);
        loop {
            if self.cancel.is_cancelled() {
                return None;
            }
            match self.open_session().await {
                Ok(client) => return Some(client),
                Err(e) => tracing::warn!(error = %e, "ZooKeeper reconnect failed; retrying"),
            }
            tokio::select! {
                _ = self.cancel.cancelled() => return None,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }
}

struct WatchCount<'a>(&'a AtomicUsize);

impl<'a> WatchCount<'a> {
    fn new(c: &'a AtomicUsize) -> Self {
        c.fetch_add(1, Ordering::AcqRel);
        WatchCount(c)
    }
}

impl Drop for WatchCount<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Keeps one category of one subscription up to date until the subscription, the session
/// or the registry ends.
async fn watch_category(
    shared: Arc<Shared>,
    sub: Arc<Subscription>,
    category: String,
    client: Client,
    session: CancellationToken,
    first: tokio::sync::oneshot::Sender<()>,
) {
    let _count = WatchCount::new(&shared.watches);
    let mut first = Some(first);
    let stopped =
        || sub.cancel.is_cancelled() || session.is_cancelled() || shared.cancel.is_cancelled();
    while !stopped() {
        let listed = tokio::select! {
            _ = sub.cancel.cancelled() => return,
            _ = session.cancelled() => return,
            _ = shared.cancel.cancelled() => return,
            listed = shared.list_and_deliver(&client, &sub, &category, true) => listed,
        };
        let watcher = match listed {
            Ok(Some(w)) => w,
            Ok(None) => return,
            Err(e) if is_terminal(&e) => return,
            Err(e) => {
                tracing::warn!(%category, error = %e, "watching a registry category failed; retrying");
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
        let event: WatchedEvent = tokio::select! {
            _ = sub.cancel.cancelled() => return,
            _ = session.cancelled() => return,
            _ = shared.cancel.cancelled() => return,
            event = watcher.changed() => event,
        };
        if event.event_type == EventType::Session && event.session_state.is_terminated() {
            return;
        }
    }
}

/// Follows the session: refreshes after a reconnection, opens a new session after an
/// expiry (or after ending one itself for a drill), and stops when the registry is
/// destroyed.
/// Watches the session, reconnects and recovers; started without a client (`check=false`
/// and ZooKeeper unreachable at the start), it first connects.
async fn supervise(shared: Arc<Shared>, first: Option<Client>) {
    let _ended = SupervisorEnded(&shared);
    let mut client = match first {
        Some(client) => client,
        None => {
            let Some(client) = shared.reopen().await else {
                return;
            };
            shared.adopt(&client);
            shared.recover(&client, true).await;
            client
        }
    };
    loop {
        let mut states = client.state_watcher();
        let mut disconnected = false;
        loop {
            let state = tokio::select! {
                _ = shared.cancel.cancelled() => return,
                () = shared.end_session.notified() => {
                    // Close the session: no clone of its client may be left (the watch
                    // tasks end with the session token); wait, bounded, for the close.
                    lock(&shared.client).take();
                    lock(&shared.session).cancel();
                    drop(client);
                    let _ = tokio::time::timeout(SHUTDOWN_STEP, async {
                        while !states.changed().await.is_terminated() {}
                    })
                    .await;
                    break;
                }
                s = states.changed() => s,
            };
            match state {
                SessionState::Disconnected => {
                    disconnected = true;
                    shared.connected.store(false, Ordering::Release);
                    tracing::warn!(address = %shared.address, "ZooKeeper connection lost");
                }
                SessionState::SyncConnected | SessionState::ConnectedReadOnly => {
                    shared.connected.store(true, Ordering::Release);
                    if disconnected {
                        disconnected = false;
                        shared.recover(&client, false).await;
                    }
                }
                _ => break,
            }
        }
        shared.connected.store(false, Ordering::Release);
        tracing::warn!(address = %shared.address, "ZooKeeper session ended; opening a new one");
        let Some(fresh) = shared.reopen().await else {
            return;
        };
        shared.adopt(&fresh);
        client = fresh;
        shared.recover(&client, true).await;
    }
}

/// Says so when the supervisor ends although the registry was not destroyed (its task
/// dropped with the runtime it was spawned on): nothing watches or reconnects until the
/// registry is used again ([`ZookeeperRegistry::revive`]).
struct SupervisorEnded<'a>(&'a Shared);

impl Drop for SupervisorEnded<'_> {
    fn drop(&mut self) {
        if !self.0.cancel.is_cancelled() {
            self.0.connected.store(false, Ordering::Release);
            tracing::error!(
                address = %self.0.address,
                "the ZooKeeper registry's task ended (its runtime shut down): subscriptions \
                 are not watched until the registry is used again"
            );
        }
    }
}

#[async_trait]
impl Registry for ZookeeperRegistry {
    fn url(&self) -> Url {
        self.shared.url.clone()
    }

    fn is_available(&self) -> bool {
        !self.shared.destroyed.load(Ordering::Acquire)
            && self.shared.connected.load(Ordering::Acquire)
    }

    /// Publishes `url` as the registry's `register-mode` says: its interface-level node
    /// (`interface`, `all`) and, for a provider URL, its service in the application instance
    /// (`instance`, `all`; see [`ZookeeperRegistry::instance_path`]).
    ///
    /// With `check=false`, a failure to reach ZooKeeper is logged, not returned: what was
    /// registered is kept and written when the connection is back (Java's failback).
    async fn register(&self, url: &Url) -> Result<(), RegistryError> {
        self.revive().await;
        let client = self.shared.client_unless_checked()?;
        let mut done = Ok(());
        if self.shared.register_mode.registers_interface() {
            done = self.register_interface(client.as_ref(), url).await;
        }
        if done.is_ok() && self.shared.register_mode.registers_instance() {
            done = self.register_in_instance(url).await;
        }
        match done {
            Err(RegistryError::Backend(e)) if !self.shared.check => {
                tracing::warn!(
                    url = %url.interface(),
                    error = %e,
                    "registered while ZooKeeper is unreachable; written once connected (check=false)"
                );
                Ok(())
            }
            done => done,
        }
    }

    /// Withdraws `url` from what `register` wrote. Without a connection to ZooKeeper it does
    /// not wait: the node is deleted when the connection comes back (or goes with the
    /// session), and this fails saying so; the same after a failed or timed-out delete.
    async fn unregister(&self, url: &Url) -> Result<(), RegistryError> {
        let client = self.shared.client()?;
        let interface = if self.shared.register_mode.registers_interface() {
            self.unregister_interface(&client, url).await
        } else {
            Ok(())
        };
        if self.shared.register_mode.registers_instance() {
            self.unregister_in_instance(url).await?;
        }
        interface
    }

    async fn subscribe(
        &self,
        url: &Url,
        listener: Arc<dyn NotifyListener>,
    ) -> Result<(), RegistryError> {
        self.revive().await;
        let client = self.shared.client_unless_checked()?;
        if url.interface() == values::ANY {
            return Err(RegistryError::Config(
                "the ZooKeeper registry does not support subscriptions to every interface".into(),
            ));
        }
        let sub = Arc::new(Subscription {
            url: url.clone(),
            listener,
            categories: subscribed_categories(url),
            cancel: self.shared.cancel.child_token(),
            delivery: tokio::sync::Mutex::new(()),
            tasks: Mutex::new(Vec::new()),
        });
        lock(&self.shared.subs).push(Arc::clone(&sub));
        // Without a session (`check=false`), the recovery starts the watches.
        if let Some(client) = client {
            self.shared.start_watches(&client, &sub).await;
        }
        Ok(())
    }

    async fn unsubscribe(
        &self,
        url: &Url,
        listener: &Arc<dyn NotifyListener>,
    ) -> Result<(), RegistryError> {
        let removed: Vec<Arc<Subscription>> = {
            let mut subs = lock(&self.shared.subs);
            let (gone, kept) = std::mem::take(&mut *subs)
                .into_iter()
                .partition(|s| s.url == *url && same_listener(&s.listener, listener));
            *subs = kept;
            gone
        };
        for sub in removed {
            stop_watching(&sub.cancel, &sub.tasks).await;
        }
        Ok(())
    }

    async fn lookup(&self, url: &Url) -> Result<Vec<Url>, RegistryError> {
        self.revive().await;
        let client = self.shared.client()?;
        self.shared
            .bounded("lookup", self.lookup_on(&client, url))
            .await
    }

    fn discovery(&self) -> Option<&dyn crate::ServiceDiscovery> {
        Some(self)
    }

    fn needs_metadata_service(&self) -> bool {
        self.shared.register_mode.registers_instance()
            && self.shared.metadata_type == MetadataStorageType::Local
    }

    async fn serve_metadata(
        &self,
        service: crate::MetadataServiceDelegation,
        url: &Url,
    ) -> Result<(), RegistryError> {
        self.attach_metadata_service(service, url.clone()).await
    }

    async fn destroy(&self) {
        let shared = &self.shared;
        if shared.destroyed.swap(true, Ordering::AcqRel) {
            return;
        }
        // What is ours is released at once, whatever happens to the rest of this future
        // (cut short by a caller's time limit, say): every watch and the supervisor stop.
        let connected = shared.connected.swap(false, Ordering::AcqRel);
        let mut nodes: Vec<Registered> = std::mem::take(&mut *lock(&shared.registered));
        if let Some(served) = lock(&shared.metadata_service).take() {
            served.withdraw();
        }
        if let Some(instance) = lock(&shared.instance).take() {
            nodes.push(Registered {
                path: instance.path,
                ephemeral: true,
            });
        }
        let withdrawn: Vec<String> = std::mem::take(&mut *lock(&shared.withdrawn));
        let subs: Vec<Arc<Subscription>> = std::mem::take(&mut *lock(&shared.subs));
        for sub in &subs {
            sub.cancel.cancel();
        }
        let discovery = std::mem::take(&mut *lock(&shared.discovery));
        for sub in &discovery {
            sub.cancel.cancel();
        }
        shared.cancel.cancel();
        lock(&shared.session).cancel();
        let supervisor = lock(&shared.supervisor).take();
        let client = lock(&shared.client).take();

        // Then ZooKeeper, within one bounded step, and only when it can be reached: an
        // ephemeral node goes with the session anyway.
        let deadline = tokio::time::Instant::now() + SHUTDOWN_STEP;
        if let Some(client) = client.as_ref().filter(|_| connected) {
            let paths = nodes.iter().map(|n| n.path.as_str());
            for path in paths.chain(withdrawn.iter().map(String::as_str)) {
                match tokio::time::timeout_at(deadline, client.delete(path, None)).await {
                    Ok(Ok(()) | Err(zookeeper_client::Error::NoNode)) => {}
                    Ok(Err(e)) => tracing::warn!(%path, error = %e, "unregister failed"),
                    Err(_) => tracing::warn!(%path, "unregister timed out"),
                }
            }
        } else if nodes.iter().any(|n| !n.ephemeral) {
            tracing::warn!(
                address = %shared.address,
                "ZooKeeper not reachable at destroy: persistent nodes are left"
            );
        }
        let tasks: Vec<JoinHandle<()>> = subs
            .iter()
            .flat_map(|sub| std::mem::take(&mut *lock(&sub.tasks)))
            .chain(
                discovery
                    .iter()
                    .flat_map(|sub| std::mem::take(&mut *lock(&sub.tasks))),
            )
            .chain(supervisor)
            .collect();
        join_or_abort(tasks, deadline).await;
        drop(subs);
        drop(discovery);
        // Dropping the last client closes the session; when connected, wait (bounded)
        // until it is closed.
        if let Some(client) = client {
            let mut states = client.state_watcher();
            drop(client);
            if connected {
                let _ = tokio::time::timeout_at(deadline, async {
                    loop {
                        if states.changed().await.is_terminated() {
                            break;
                        }
                    }
                })
                .await;
            }
        }
        tracing::info!(address = %shared.address, "ZooKeeper registry destroyed");
    }

    fn counts(&self) -> RegistryCounts {
        RegistryCounts {
            registered: lock(&self.shared.registered).len(),
            subscriptions: lock(&self.shared.subs).len() + lock(&self.shared.discovery).len(),
            watches: self.shared.watches.load(Ordering::Acquire),
            instances: usize::from(lock(&self.shared.instance).is_some()),
        }
    }
}

impl ZookeeperRegistry {
    /// The interface-level node of `url`; remembered (and written by the next recovery)
    /// when there is no `client` or the write fails.
    async fn register_interface(
        &self,
        client: Option<&Client>,
        url: &Url,
    ) -> Result<(), RegistryError> {
        let path = self.shared.node_path(url);
        let ephemeral = url.bool_param(keys::DYNAMIC, true);
        {
            let mut registered = lock(&self.shared.registered);
            if !registered.iter().any(|r| r.path == path) {
                registered.push(Registered {
                    path: path.clone(),
                    ephemeral,
                });
            }
        }
        lock(&self.shared.withdrawn).retain(|p| *p != path);
        // Kept in the list even if this fails: the next recovery creates it (failback).
        let Some(client) = client else {
            return Err(RegistryError::Backend(format!(
                "register: not connected to ZooKeeper at {}",
                self.shared.address
            )));
        };
        self.shared
            .bounded(
                "register",
                self.shared.create_node(client, &path, ephemeral, &[]),
            )
            .await
    }

    /// Deletes the interface-level node of `url` (see [`Registry::unregister`]).
    async fn unregister_interface(&self, client: &Client, url: &Url) -> Result<(), RegistryError> {
        let path = self.shared.node_path(url);
        lock(&self.shared.registered).retain(|r| r.path != path);
        if !self.shared.connected.load(Ordering::Acquire) {
            self.shared.withdraw_later(path);
            return Err(RegistryError::Backend(format!(
                "unregister: not connected to ZooKeeper at {}; the node is deleted when the \
                 connection is back",
                self.shared.address
            )));
        }
        let deleted = self
            .shared
            .bounded("unregister", async {
                match client.delete(&path, None).await {
                    Ok(()) | Err(zookeeper_client::Error::NoNode) => Ok(()),
                    Err(e) => Err(backend(e)),
                }
            })
            .await;
        if deleted.is_err() {
            self.shared.withdraw_later(path);
        }
        deleted
    }

    async fn lookup_on(&self, client: &Client, url: &Url) -> Result<Vec<Url>, RegistryError> {
        let mut out = Vec::new();
        for category in subscribed_categories(url) {
            let path = self.shared.category_path(url.interface(), &category);
            let children = match client.list_children(&path).await {
                Ok(c) => c,
                Err(zookeeper_client::Error::NoNode) => continue,
                Err(e) => return Err(backend(e)),
            };
            for child in children {
                if let Ok(found) = Url::from_node_name(&child) {
                    if is_match(url, &found) {
                        out.push(found);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Cancels a subscription's watches (`cancel`) and waits (bounded) until its `tasks` ended.
async fn stop_watching(cancel: &CancellationToken, tasks: &Mutex<Vec<JoinHandle<()>>>) {
    cancel.cancel();
    let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(tasks));
    join_or_abort(tasks, tokio::time::Instant::now() + SHUTDOWN_STEP).await;
}

/// Waits until `deadline` for `tasks` (already told to stop) to end; aborts the others.
async fn join_or_abort(tasks: Vec<JoinHandle<()>>, deadline: tokio::time::Instant) {
    for mut task in tasks {
        if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
            tracing::warn!("a ZooKeeper registry task did not stop in time; aborting it");
            task.abort();
        }
    }
}

impl Drop for ZookeeperRegistry {
    /// Without [`Registry::destroy`], dropping the registry still stops its tasks; the
    /// session closes when they have dropped their clients, and ZooKeeper removes the
    /// ephemeral nodes with it.
    fn drop(&mut self) {
        self.shared.cancel.cancel();
        lock(&self.shared.session).cancel();
    }
}
