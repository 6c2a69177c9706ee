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
//!   data) it opens a new session, re-registers and re-subscribes by itself;
//! * [`Registry::destroy`] deletes every node it wrote and closes the session.
//!
//! Registry URL parameters: `group` (root, default `dubbo`), `backup` (more
//! comma-separated `host:port` addresses), `session` (session timeout in ms, default
//! 60000), `timeout` (connect timeout in ms, default 5000).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_common::{Url, defaults, keys, values};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use zookeeper_client::{Acls, Client, CreateMode, EventType, SessionState, WatchedEvent};

use crate::registry::{category_of, empty_url, is_match, same_listener, subscribed_categories};
use crate::{NotifyListener, Registry, RegistryCounts, RegistryError};

/// Dubbo's default session timeout for ZooKeeper (ms).
const DEFAULT_SESSION_MS: u64 = 60_000;
/// Default connect timeout (ms).
const DEFAULT_CONNECT_MS: u64 = 5_000;
/// Longest wait for one ZooKeeper request made on the way out (destroy, unsubscribe).
const SHUTDOWN_STEP: Duration = Duration::from_secs(3);
/// Longest wait in `subscribe` for the first notification of each category.
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
    url: Url,
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
    connect_timeout: Duration,
    client: Mutex<Option<Client>>,
    /// Cancelled when the current session ends (its watch tasks stop with it).
    session: Mutex<CancellationToken>,
    registered: Mutex<Vec<Registered>>,
    subs: Mutex<Vec<Arc<Subscription>>>,
    destroyed: AtomicBool,
    connected: AtomicBool,
    /// Cancelled on destroy (or drop): stops the supervisor and every watch.
    cancel: CancellationToken,
    watches: AtomicUsize,
    sessions: AtomicU64,
    supervisor: Mutex<Option<JoinHandle<()>>>,
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
        let connect_timeout =
            url.duration_ms_param(keys::TIMEOUT, Duration::from_millis(DEFAULT_CONNECT_MS));
        let shared = Arc::new(Shared {
            url,
            address,
            root,
            session_timeout,
            connect_timeout,
            client: Mutex::new(None),
            session: Mutex::new(CancellationToken::new()),
            registered: Mutex::new(Vec::new()),
            subs: Mutex::new(Vec::new()),
            destroyed: AtomicBool::new(false),
            connected: AtomicBool::new(false),
            cancel: CancellationToken::new(),
            watches: AtomicUsize::new(0),
            sessions: AtomicU64::new(0),
            supervisor: Mutex::new(None),
        });
        let client = shared.open_session().await?;
        *lock(&shared.client) = Some(client.clone());
        shared.connected.store(true, Ordering::Release);
        let task = tokio::spawn(supervise(Arc::clone(&shared), client));
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

    /// Forces the current session to expire, as a ZooKeeper outage longer than the session
    /// timeout would: a second connection takes over the session and closes it. The
    /// registry then recovers by itself (new session, re-register, re-subscribe). Meant for
    /// tests and failure drills.
    pub async fn expire_session(&self) -> Result<(), RegistryError> {
        let client = self.shared.client()?;
        let session = client.session().clone();
        // A loaded machine (CI) can take a while to hand a session over: be generous.
        let bound = self.shared.connect_timeout.max(Duration::from_secs(15));
        let thief = tokio::time::timeout(
            bound,
            Client::connector()
                .with_session_timeout(self.shared.session_timeout)
                .with_connection_timeout(bound)
                .with_session(session)
                .connect(&self.shared.address),
        )
        .await
        .map_err(|_| RegistryError::Backend("session takeover timed out".into()))?
        .map_err(backend)?;
        let mut states = thief.state_watcher();
        drop(thief);
        // Wait (bounded) for the takeover's CloseSession to be acknowledged.
        let _ = tokio::time::timeout(SHUTDOWN_STEP, async {
            loop {
                if states.changed().await.is_terminated() {
                    break;
                }
            }
        })
        .await;
        Ok(())
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

    async fn open_session(&self) -> Result<Client, RegistryError> {
        let client = tokio::time::timeout(
            self.connect_timeout,
            Client::connector()
                .with_session_timeout(self.session_timeout)
                .with_fail_eagerly()
                .connect(&self.address),
        )
        .await
        .map_err(|_| {
            RegistryError::Backend(format!(
                "no ZooKeeper session with {} within {:?}",
                self.address, self.connect_timeout
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

    /// Creates `path` (parents persistent). An ephemeral node left by an older session of
    /// ours is replaced, so it does not vanish when that session finally expires.
    async fn create_node(
        &self,
        client: &Client,
        path: &str,
        ephemeral: bool,
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
            match client.create(path, &[], &options).await {
                Ok(_) => return Ok(()),
                Err(zookeeper_client::Error::NodeExists) => {
                    if !ephemeral {
                        return Ok(());
                    }
                    match client.check_stat(path).await.map_err(backend)? {
                        Some(stat) if stat.ephemeral_owner == client.session_id().0 => {
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
        for rx in firsts {
            let _ = tokio::time::timeout(FIRST_NOTIFY, rx).await;
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
            if let Err(e) = self.create_node(client, &path, ephemeral).await {
                tracing::warn!(%path, error = %e, "re-register failed");
            }
        }
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
        tracing::info!(address = %self.address, new_session, "ZooKeeper registry recovered");
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
        let watcher = match shared
            .list_and_deliver(&client, &sub, &category, true)
            .await
        {
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
/// expiry, and stops when the registry is destroyed.
async fn supervise(shared: Arc<Shared>, first: Client) {
    let mut client = first;
    loop {
        let mut states = client.state_watcher();
        let mut disconnected = false;
        loop {
            let state = tokio::select! {
                _ = shared.cancel.cancelled() => return,
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
        {
            let mut session = lock(&shared.session);
            session.cancel();
            *session = shared.cancel.child_token();
        }
        *lock(&shared.client) = Some(fresh.clone());
        shared.connected.store(true, Ordering::Release);
        client = fresh;
        shared.recover(&client, true).await;
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

    async fn register(&self, url: &Url) -> Result<(), RegistryError> {
        let client = self.shared.client()?;
        let path = self.shared.node_path(url);
        let ephemeral = url.bool_param(keys::DYNAMIC, true);
        {
            let mut registered = lock(&self.shared.registered);
            if !registered.iter().any(|r| r.path == path) {
                registered.push(Registered {
                    url: url.clone(),
                    path: path.clone(),
                    ephemeral,
                });
            }
        }
        // Kept in the list even if this fails: the next recovery creates it (failback).
        self.shared.create_node(&client, &path, ephemeral).await
    }

    async fn unregister(&self, url: &Url) -> Result<(), RegistryError> {
        let client = self.shared.client()?;
        let path = self.shared.node_path(url);
        lock(&self.shared.registered).retain(|r| r.path != path);
        match client.delete(&path, None).await {
            Ok(()) | Err(zookeeper_client::Error::NoNode) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }

    async fn subscribe(
        &self,
        url: &Url,
        listener: Arc<dyn NotifyListener>,
    ) -> Result<(), RegistryError> {
        let client = self.shared.client()?;
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
        self.shared.start_watches(&client, &sub).await;
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
            stop_subscription(&sub).await;
        }
        Ok(())
    }

    async fn lookup(&self, url: &Url) -> Result<Vec<Url>, RegistryError> {
        let client = self.shared.client()?;
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

    async fn destroy(&self) {
        let shared = &self.shared;
        if shared.destroyed.swap(true, Ordering::AcqRel) {
            return;
        }
        let client = lock(&shared.client).clone();
        let nodes: Vec<Registered> = std::mem::take(&mut *lock(&shared.registered));
        if let Some(client) = &client {
            for node in &nodes {
                match tokio::time::timeout(SHUTDOWN_STEP, client.delete(&node.path, None)).await {
                    Ok(Ok(()) | Err(zookeeper_client::Error::NoNode)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(path = %node.path, error = %e, "unregister failed")
                    }
                    Err(_) => tracing::warn!(path = %node.path, "unregister timed out"),
                }
                tracing::debug!(url = ?node.url, "unregistered");
            }
        }
        let subs: Vec<Arc<Subscription>> = std::mem::take(&mut *lock(&shared.subs));
        for sub in &subs {
            stop_subscription(sub).await;
        }
        drop(subs);
        shared.cancel.cancel();
        lock(&shared.session).cancel();
        let supervisor = lock(&shared.supervisor).take();
        if let Some(task) = supervisor {
            let _ = tokio::time::timeout(SHUTDOWN_STEP, task).await;
        }
        // Dropping the last client closes the session; wait (bounded) until it is closed.
        let taken = lock(&shared.client).take();
        drop(client);
        if let Some(client) = taken {
            let mut states = client.state_watcher();
            drop(client);
            let _ = tokio::time::timeout(SHUTDOWN_STEP, async {
                loop {
                    if states.changed().await.is_terminated() {
                        break;
                    }
                }
            })
            .await;
        }
        shared.connected.store(false, Ordering::Release);
        tracing::info!(address = %shared.address, "ZooKeeper registry destroyed");
    }

    fn counts(&self) -> RegistryCounts {
        RegistryCounts {
            registered: lock(&self.shared.registered).len(),
            subscriptions: lock(&self.shared.subs).len(),
            watches: self.shared.watches.load(Ordering::Acquire),
        }
    }
}

/// Cancels a subscription's watches and waits (bounded) until they ended.
async fn stop_subscription(sub: &Subscription) {
    sub.cancel.cancel();
    let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&sub.tasks));
    for mut task in tasks {
        if tokio::time::timeout(SHUTDOWN_STEP, &mut task)
            .await
            .is_err()
        {
            tracing::warn!("a registry watch did not stop within {SHUTDOWN_STEP:?}; aborting it");
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
