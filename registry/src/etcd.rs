//! The etcd v3 registry (`etcdv3://host:port`, also `etcd://`), in dubbo-go's `etcdv3`
//! layout:
//!
//! ```text
//! /<group, default dubbo>/<URL-encoded interface>/<category>/<URL-encoded URL>   value ""
//! ```
//!
//! (the URL in the key is `URL.encode(url.toFullString())`, as on ZooKeeper: dubbo-go's
//! `url.QueryEscape` of the same string).
//!
//! * the parent keys (`/dubbo`, `/dubbo/<interface>`, `/dubbo/<interface>/<category>`) are
//!   written when missing, with an empty value and no lease, as dubbo-go creates its paths;
//! * a registered key is put under the registry's lease (one lease per registry, TTL the
//!   registry URL's `ttl` in seconds, default 30 as dubbo-go's), which a task owned by the
//!   registry keeps alive; a URL with `dynamic=false` is put without a lease;
//! * a subscription lists each subscribed category (`Get` with the prefix
//!   `<category path>/`), notifies the full, filtered list (or `empty://`), and then watches
//!   the prefix from the listed revision + 1, notifying again whenever the set of keys
//!   changes.
//!
//! Recovery, by itself: while etcd is unreachable consumers keep the providers they know
//! (nothing is notified); when it answers again the lease task keeps the old lease alive if
//! etcd still has it, or grants a new one and puts every registered key again under it; a
//! watch resumes from the last revision it saw + 1, so no event is missed or replayed; if
//! that revision was compacted meanwhile, the category is listed again and notified only if
//! the set of keys changed; if etcd lost its data (its revision went back), the category is
//! listed again and an empty list is held back for one TTL while providers put their keys
//! back. When its lease task ended with the tokio runtime it was spawned on (taking the
//! client's connections with it) while the registry is used from another runtime, this is
//! logged as an error, and its next `register`, `subscribe` or `lookup` connects again from
//! the caller's runtime.
//!
//! Bounded work: every etcd request has a time limit, the registry URL's `timeout` (ms,
//! default 5000); [`Registry::destroy`] spends at most a few seconds on etcd (deleting the
//! keys, revoking the lease) and none when etcd is not reachable: the lease then expires
//! with its keys.
//!
//! Application level (the `discovery` submodule): with `register-mode` `instance` or `all` (the
//! default), a provider URL also goes into the application instance
//! `<instances root>/<application>/<host>:<port>` (dubbo-go's `DefaultServiceInstance` JSON,
//! under the lease) and its interface is mapped at `<root>/mapping/<interface>`; consumers
//! find applications through [`Registry::discovery`].
//!
//! Registry URL parameters: `group` (root, default `dubbo`), `backup` (more comma-separated
//! `host:port` endpoints; `etcdv3://a:1,b:2` is read as `backup=b:2`), `timeout` (ms), `ttl`
//! (lease TTL in seconds), `register-mode` (`interface`, `instance` or `all`), `rootPath`
//! (the instances root, default `/services`, or `/` + `group` when `group` is set, as for
//! ZooKeeper), `metadata-type` (`local` or `remote`), `check` (default `true`: no lease from
//! etcd within the `timeout` fails `connect`; `false`: the registry starts disconnected,
//! keeps what is registered and subscribed, and puts and watches it once etcd answers —
//! Java's failback, as for ZooKeeper).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, EventType, GetOptions, PutOptions, Txn, TxnOp,
    WatchOptions,
};
use oxidubbo_common::{Url, defaults, keys, values};
use oxidubbo_metadata::{MetadataStorageType, RegisterMode, keys as metadata_keys, paths};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::registry::{category_of, empty_url, is_match, same_listener, subscribed_categories};
use crate::{NotifyListener, Registry, RegistryCounts, RegistryError};

mod discovery;

/// Default time limit of every request (ms).
const DEFAULT_TIMEOUT_MS: u64 = 5_000;
/// dubbo-go's lease TTL for registered keys (seconds).
pub const DEFAULT_TTL_SECS: i64 = 30;
/// Registry URL parameter: the lease TTL in seconds.
pub const TTL_KEY: &str = "ttl";
/// Longest wait for the work of [`Registry::destroy`] and of one unsubscribe.
const SHUTDOWN_STEP: Duration = Duration::from_secs(3);
/// Longest wait in `subscribe` for the first notifications of its categories.
const FIRST_NOTIFY: Duration = Duration::from_secs(10);
/// Longest pause between two attempts to reach etcd again.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

fn backend(e: etcd_client::Error) -> RegistryError {
    RegistryError::Backend(format!("etcd: {e}"))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One key this registry wrote.
struct Registered {
    key: String,
    /// Put under the lease (`dynamic` not `false`).
    leased: bool,
}

/// One subscription: a listener and the categories it watches.
struct Subscription {
    url: Url,
    listener: Arc<dyn NotifyListener>,
    categories: Vec<String>,
    cancel: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

struct Shared {
    url: Url,
    /// The endpoints, for messages.
    address: String,
    root: String,
    /// The time limit of every request.
    timeout: Duration,
    ttl: i64,
    /// `None` once destroyed: dropping the last clone closes the connections.
    client: Mutex<Option<Client>>,
    /// The current lease, when one is known to be alive.
    lease: Mutex<Option<i64>>,
    /// Leases granted so far.
    leases: AtomicU64,
    registered: Mutex<Vec<Registered>>,
    /// Keys unregistered without being deleted (etcd not reachable, or the delete failed):
    /// deleted when etcd answers again.
    withdrawn: Mutex<Vec<String>>,
    subs: Mutex<Vec<Arc<Subscription>>>,
    destroyed: AtomicBool,
    /// Whether the last keep-alive was answered.
    connected: AtomicBool,
    /// Cancelled on destroy (or drop): stops the lease task and every watch.
    cancel: CancellationToken,
    watches: AtomicUsize,
    keeper: Mutex<Option<JoinHandle<()>>>,
    /// `register-mode`: interface-level keys, the application instance, or both.
    register_mode: RegisterMode,
    /// Where application instances live (`paths::instances_root`, default `/services`).
    instances_root: String,
    /// `metadata-type`: where the instance's `MetadataInfo` is kept.
    metadata_type: MetadataStorageType,
    /// The application instance registered, if any (see the `discovery` submodule).
    instance: Mutex<Option<discovery::AppInstance>>,
    /// The `MetadataService` answering for the instance, if one is served.
    metadata_service: Mutex<Option<discovery::ServedMetadata>>,
    /// Held while the instance is changed and written: writes never overlap or reorder.
    instance_writes: tokio::sync::Mutex<()>,
    /// The application-level subscriptions.
    discovery: Mutex<Vec<Arc<discovery::DiscoverySubscription>>>,
    /// `check` (default true, Java's): whether an unreachable etcd fails the start and
    /// `register`. With `check=false` the registry starts disconnected, keeps what is
    /// registered and subscribed, and puts and watches it once etcd answers.
    check: bool,
}

/// A client of the etcd at `address` (comma-separated endpoints), connected within
/// `timeout`. Its connections are driven by tasks on the current runtime.
async fn connect_client(address: &str, timeout: Duration) -> Result<Client, RegistryError> {
    let endpoints: Vec<&str> = address.split(',').collect();
    // HTTP/2 pings find a dead or frozen etcd while a watch waits for events.
    let options = ConnectOptions::new()
        .with_connect_timeout(timeout)
        .with_keep_alive(Duration::from_secs(2), timeout.min(Duration::from_secs(3)))
        .with_keep_alive_while_idle(true);
    tokio::time::timeout(timeout, Client::connect(&endpoints, Some(options)))
        .await
        .map_err(|_| {
            RegistryError::Backend(format!("no connection to etcd at {address} in {timeout:?}"))
        })?
        .map_err(|e| RegistryError::Backend(format!("connecting to etcd at {address}: {e}")))
}

/// The etcd v3 registry. See the [module docs](self).
pub struct EtcdRegistry {
    shared: Arc<Shared>,
}

impl EtcdRegistry {
    /// Connects to the etcd of `url` (`etcdv3://host:port?backup=…&group=…`), grants the
    /// registry's lease and starts keeping it alive. Fails if etcd does not answer within
    /// the `timeout`, unless the URL says `check=false`: then the registry starts
    /// disconnected and its lease task grants the lease once etcd answers.
    pub async fn connect(url: Url) -> Result<Self, RegistryError> {
        if url.host().is_empty() {
            return Err(RegistryError::Config(format!(
                "etcd registry URL without an address: {url:?}"
            )));
        }
        let mut endpoints = vec![url.address()];
        if let Some(backup) = url.param("backup") {
            endpoints.extend(
                backup
                    .split(',')
                    .map(str::trim)
                    .filter(|b| !b.is_empty())
                    .map(str::to_owned),
            );
        }
        let address = endpoints.join(",");
        let group = url.param_or(keys::REGISTRY_GROUP, defaults::REGISTRY_GROUP);
        let root = match group.trim_matches('/') {
            "" => String::new(),
            g => format!("/{g}"),
        };
        let timeout =
            url.duration_ms_param(keys::TIMEOUT, Duration::from_millis(DEFAULT_TIMEOUT_MS));
        let ttl = url.int_param(TTL_KEY, DEFAULT_TTL_SECS);
        if ttl < 1 {
            return Err(RegistryError::Config(format!(
                "etcd registry: ttl must be at least 1 second, not {ttl}"
            )));
        }
        let register_mode = crate::instance::register_mode(&url)?;
        let metadata_type = match url.param(metadata_keys::METADATA_TYPE) {
            Some(kind) if !kind.trim().is_empty() => kind
                .parse::<MetadataStorageType>()
                .map_err(|e| RegistryError::Config(e.to_string()))?,
            _ => MetadataStorageType::Local,
        };
        let instances_root = paths::instances_root(&url);
        let check = url.bool_param(keys::CHECK, true);
        // The client connects lazily: it is the first lease that proves etcd answers.
        let client = connect_client(&address, timeout).await?;
        let shared = Arc::new(Shared {
            url,
            address,
            root,
            timeout,
            ttl,
            client: Mutex::new(Some(client)),
            lease: Mutex::new(None),
            leases: AtomicU64::new(0),
            registered: Mutex::new(Vec::new()),
            withdrawn: Mutex::new(Vec::new()),
            subs: Mutex::new(Vec::new()),
            destroyed: AtomicBool::new(false),
            connected: AtomicBool::new(false),
            cancel: CancellationToken::new(),
            watches: AtomicUsize::new(0),
            keeper: Mutex::new(None),
            register_mode,
            instances_root,
            metadata_type,
            instance: Mutex::new(None),
            metadata_service: Mutex::new(None),
            instance_writes: tokio::sync::Mutex::new(()),
            discovery: Mutex::new(Vec::new()),
            check,
        });
        match shared.grant().await {
            Ok(id) => {
                *lock(&shared.lease) = Some(id);
                shared.connected.store(true, Ordering::Release);
            }
            Err(e) if !check => tracing::warn!(
                address = %shared.address,
                error = %e,
                "etcd unreachable; check=false: starting disconnected, connecting in the background"
            ),
            Err(RegistryError::Backend(e)) => {
                return Err(RegistryError::Backend(format!(
                    "etcd at {} unreachable at start (check=false starts without it): {e}",
                    shared.address
                )));
            }
            Err(e) => return Err(e),
        }
        let task = tokio::spawn(keep_lease(Arc::clone(&shared)));
        *lock(&shared.keeper) = Some(task);
        Ok(EtcdRegistry { shared })
    }

    /// Connects again, from the caller's runtime, if the lease task ended although the
    /// registry was not destroyed: the runtime it was spawned on shut down while this
    /// registry is still used from another one (a process-wide registry protocol shared by
    /// several runtimes, as tests make them). The client's connections went with that
    /// runtime: every request failed, and nothing kept the lease. A new client takes their
    /// place (the watches pick it up at their next attempt) and a new lease task keeps the
    /// lease, or grants a new one and puts the registered keys again.
    async fn revive(&self) {
        let shared = &self.shared;
        let ended = lock(&shared.keeper)
            .as_ref()
            .is_some_and(JoinHandle::is_finished);
        if !ended || shared.stopped() {
            return;
        }
        tracing::error!(
            address = %shared.address,
            "the etcd registry's task ended with the runtime it ran on; connecting again \
             from this one"
        );
        let client = match connect_client(&shared.address, shared.timeout).await {
            Ok(client) => client,
            Err(e) => {
                tracing::warn!(error = %e, "etcd reconnect failed; trying again at the next use");
                return;
            }
        };
        let mut keeper = lock(&shared.keeper);
        if !keeper.as_ref().is_some_and(JoinHandle::is_finished) || shared.stopped() {
            return; // revived meanwhile, or destroyed
        }
        *lock(&shared.client) = Some(client);
        *keeper = Some(tokio::spawn(keep_lease(Arc::clone(shared))));
    }

    /// The etcd key `url` is registered as:
    /// `/<root>/<URL-encoded interface>/<category>/<URL.encode(url.toFullString())>`.
    pub fn node_key(&self, url: &Url) -> String {
        self.shared.node_key(url)
    }

    /// The key of the category folder `category` of `interface` (its children are below
    /// `<this>/`).
    pub fn category_key(&self, interface: &str, category: &str) -> String {
        self.shared.category_key(interface, category)
    }

    /// The lease the registered keys are put under now, if one is alive.
    pub fn lease_id(&self) -> Option<i64> {
        *lock(&self.shared.lease)
    }

    /// How many leases this registry has been granted (1 until etcd lost the first one).
    pub fn leases_granted(&self) -> u64 {
        self.shared.leases.load(Ordering::Acquire)
    }
}

impl Shared {
    fn client(&self) -> Result<Client, RegistryError> {
        if self.destroyed.load(Ordering::Acquire) {
            return Err(RegistryError::Destroyed(format!("{:?}", self.url)));
        }
        lock(&self.client)
            .clone()
            .ok_or_else(|| RegistryError::Destroyed(format!("{:?}", self.url)))
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
                    "{what}: no answer from etcd at {} within {:?}",
                    self.address, self.timeout
                ))
            })?
    }

    fn category_key(&self, interface: &str, category: &str) -> String {
        format!(
            "{}/{}/{category}",
            self.root,
            Url::encode_component(interface)
        )
    }

    fn node_key(&self, url: &Url) -> String {
        format!(
            "{}/{}",
            self.category_key(url.interface(), category_of(url)),
            url.to_node_name()
        )
    }

    /// Grants a new lease (bounded).
    async fn grant(&self) -> Result<i64, RegistryError> {
        let mut client = self.client()?;
        let granted = self
            .bounded("lease grant", async {
                client.lease_grant(self.ttl, None).await.map_err(backend)
            })
            .await?;
        self.leases.fetch_add(1, Ordering::AcqRel);
        tracing::info!(address = %self.address, lease = granted.id(), ttl = self.ttl, "etcd lease granted");
        Ok(granted.id())
    }

    /// Writes the parent keys of `key` that are missing (empty value, no lease), as
    /// dubbo-go creates its paths.
    async fn ensure_parents(&self, client: &mut Client, key: &str) -> Result<(), RegistryError> {
        let mut end = 0;
        while let Some(next) = key[end + 1..].find('/') {
            end += 1 + next;
            let parent = &key[..end];
            if parent.is_empty() {
                continue;
            }
            let txn = Txn::new()
                .when([Compare::version(parent, CompareOp::Equal, 0)])
                .and_then([TxnOp::put(parent, "", None)]);
            client.txn(txn).await.map_err(backend)?;
        }
        Ok(())
    }

    /// Puts `key` (empty value), under `lease` when given.
    async fn put_key(&self, key: &str, lease: Option<i64>) -> Result<(), RegistryError> {
        let mut client = self.client()?;
        self.bounded("register", async {
            self.ensure_parents(&mut client, key).await?;
            let options = lease.map(|id| PutOptions::new().with_lease(id));
            client.put(key, "", options).await.map_err(backend)?;
            Ok(())
        })
        .await
    }

    /// Deletes `key` (bounded).
    async fn delete_key(&self, key: &str) -> Result<(), RegistryError> {
        let mut client = self.client()?;
        self.bounded("unregister", async {
            client.delete(key, None).await.map_err(backend)?;
            Ok(())
        })
        .await
    }

    /// Remembers `key` to delete when etcd answers again.
    fn withdraw_later(&self, key: String) {
        let mut withdrawn = lock(&self.withdrawn);
        if !withdrawn.contains(&key) {
            withdrawn.push(key);
        }
    }

    /// Puts every registered key again (under `lease`), then deletes the withdrawn ones.
    async fn restore(&self, lease: i64) {
        let keys: Vec<(String, bool)> = lock(&self.registered)
            .iter()
            .map(|r| (r.key.clone(), r.leased))
            .collect();
        for (key, leased) in keys {
            if let Err(e) = self.put_key(&key, leased.then_some(lease)).await {
                tracing::warn!(%key, error = %e, "etcd re-register failed");
                continue;
            }
            // Unregistered meanwhile: take it back.
            if !lock(&self.registered).iter().any(|r| r.key == key) {
                self.withdraw_later(key);
            }
        }
        self.restore_instance(lease).await;
        let withdrawn: Vec<String> = std::mem::take(&mut *lock(&self.withdrawn));
        for key in withdrawn {
            if let Err(e) = self.delete_key(&key).await {
                tracing::warn!(%key, error = %e, "deleting a withdrawn etcd key failed");
                self.withdraw_later(key);
            }
        }
    }

    fn stopped(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Sleeps `pause` unless the registry is destroyed first (then returns false).
    async fn pause(&self, pause: Duration) -> bool {
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            _ = tokio::time::sleep(pause) => true,
        }
    }

    /// The node names below `prefix` (the part after it) in `kvs`.
    fn children<'a>(prefix: &str, keys: impl Iterator<Item = &'a [u8]>) -> BTreeSet<String> {
        keys.filter_map(|k| std::str::from_utf8(k).ok())
            .filter_map(|k| k.strip_prefix(prefix))
            .filter(|name| !name.is_empty() && !name.contains('/'))
            .map(str::to_owned)
            .collect()
    }

    /// Notifies `sub` with the URLs of `children` of `category` that match it.
    async fn deliver(&self, sub: &Subscription, category: &str, children: &BTreeSet<String>) {
        let mut urls: Vec<Url> = Vec::with_capacity(children.len());
        for child in children {
            match Url::from_node_name(child) {
                Ok(url) if is_match(&sub.url, &url) => urls.push(url),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(category, child, error = %e, "unreadable etcd registry key")
                }
            }
        }
        if urls.is_empty() {
            urls.push(empty_url(&sub.url, category));
        }
        sub.listener.notify(urls).await;
    }

    /// Starts one watch task per category of `sub`; returns what tells each category's first
    /// notification.
    fn start_watches(
        self: &Arc<Self>,
        sub: &Arc<Subscription>,
    ) -> Vec<tokio::sync::oneshot::Receiver<()>> {
        let mut firsts = Vec::new();
        let mut handles = Vec::new();
        for category in &sub.categories {
            let (tx, rx) = tokio::sync::oneshot::channel();
            firsts.push(rx);
            handles.push(tokio::spawn(watch_category(
                Arc::clone(self),
                Arc::clone(sub),
                category.clone(),
                tx,
            )));
        }
        lock(&sub.tasks).extend(handles);
        firsts
    }
}

/// Says so when the lease task ends although the registry was not destroyed (its task
/// dropped with the runtime it was spawned on): requests fail and nothing keeps the lease
/// until the registry is used again ([`EtcdRegistry::revive`]).
struct KeeperEnded<'a>(&'a Shared);

impl Drop for KeeperEnded<'_> {
    fn drop(&mut self) {
        if !self.0.stopped() {
            self.0.connected.store(false, Ordering::Release);
            tracing::error!(
                address = %self.0.address,
                "the etcd registry's task ended (its runtime shut down): subscriptions are \
                 not watched until the registry is used again"
            );
        }
    }
}

/// Keeps the registry's lease alive: a keep-alive every third of the TTL. When etcd does not
/// answer, the registry counts as disconnected and the task tries again (same lease) with a
/// growing pause; when etcd answers that the lease is gone (expired, or etcd lost its data),
/// it grants a new one and puts every registered key again under it. After every
/// reconnection the registered keys are put again and the withdrawn ones deleted.
async fn keep_lease(shared: Arc<Shared>) {
    let _ended = KeeperEnded(&shared);
    let interval = Duration::from_millis(u64::try_from(shared.ttl).unwrap_or(1) * 1000 / 3)
        .max(Duration::from_millis(300));
    let mut backoff = Duration::from_millis(100);
    while !shared.stopped() {
        let current = *lock(&shared.lease);
        let lease = match current {
            Some(id) => id,
            None => match shared.grant().await {
                Ok(id) => {
                    *lock(&shared.lease) = Some(id);
                    shared.restore(id).await;
                    id
                }
                Err(e) => {
                    tracing::warn!(address = %shared.address, error = %e, "etcd lease grant failed; retrying");
                    shared.connected.store(false, Ordering::Release);
                    if !shared.pause(backoff).await {
                        return;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            },
        };
        let Ok(mut client) = shared.client() else {
            return;
        };
        let opened = tokio::time::timeout(shared.timeout, client.lease_keep_alive(lease)).await;
        let (mut keeper, mut stream) = match opened {
            Ok(Ok(pair)) => pair,
            // etcd answered the first keep-alive with TTL 0: it does not know the lease.
            Ok(Err(etcd_client::Error::LeaseKeepAliveError(e))) => {
                tracing::warn!(address = %shared.address, lease, error = %e, "etcd lease gone; granting a new one");
                forget_lease(&shared, lease);
                continue;
            }
            failed => {
                if shared.connected.swap(false, Ordering::AcqRel) {
                    let error = match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => format!("no answer within {:?}", shared.timeout),
                    };
                    tracing::warn!(address = %shared.address, %error, "etcd not reachable");
                }
                if !shared.pause(backoff).await {
                    return;
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        // One keep-alive now (it tells whether the lease survived), then one per interval.
        let mut first = true;
        loop {
            if !first && !shared.pause(interval).await {
                return;
            }
            first = false;
            let answered = shared
                .bounded("lease keep-alive", async {
                    keeper.keep_alive().await.map_err(backend)?;
                    stream.message().await.map_err(backend)
                })
                .await;
            match answered {
                Ok(Some(resp)) if resp.ttl() > 0 => {
                    backoff = Duration::from_millis(100);
                    if !shared.connected.swap(true, Ordering::AcqRel) {
                        tracing::info!(address = %shared.address, lease, "etcd reachable again");
                        shared.restore(lease).await;
                    }
                }
                Ok(Some(_)) => {
                    tracing::warn!(address = %shared.address, lease, "etcd lease expired; granting a new one");
                    forget_lease(&shared, lease);
                    break;
                }
                Ok(None) | Err(_) => {
                    if shared.connected.swap(false, Ordering::AcqRel) {
                        tracing::warn!(address = %shared.address, "etcd not reachable; keeping the lease when it is back");
                    }
                    if !shared.pause(backoff).await {
                        return;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    break;
                }
            }
        }
    }
}

/// Drops `lease` as the current lease (unless another one replaced it already).
fn forget_lease(shared: &Shared, lease: i64) {
    let mut current = lock(&shared.lease);
    if *current == Some(lease) {
        *current = None;
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

/// What one category watch delivered last and what it holds back.
struct CategoryView {
    /// The node names below the prefix now (as listed and watched).
    children: BTreeSet<String>,
    /// What the listener was last notified with; `None` before the first notification.
    delivered: Option<BTreeSet<String>>,
    /// After etcd lost its data, an empty category is held back until then: the providers
    /// are putting their keys back (within their keep-alive interval).
    hold_empty_until: Option<tokio::time::Instant>,
}

impl CategoryView {
    /// Whether the listener must be notified now.
    fn due(&mut self) -> bool {
        if self.delivered.as_ref() == Some(&self.children) {
            return false;
        }
        if let Some(until) = self.hold_empty_until {
            if self.children.is_empty() && tokio::time::Instant::now() < until {
                return false;
            }
            self.hold_empty_until = None;
        }
        true
    }
}

/// Keeps one category of one subscription up to date until the subscription or the
/// registry ends: list, notify, watch from the listed revision + 1; after a broken watch,
/// watch again from the last revision seen + 1; after a compaction, list again; after etcd
/// lost its data (its revision went back), list again and hold an empty list back for one
/// TTL, while the providers put their keys back.
async fn watch_category(
    shared: Arc<Shared>,
    sub: Arc<Subscription>,
    category: String,
    first: tokio::sync::oneshot::Sender<()>,
) {
    let _count = WatchCount::new(&shared.watches);
    let prefix = format!("{}/", shared.category_key(sub.url.interface(), &category));
    let mut first = Some(first);
    let mut view = CategoryView {
        children: BTreeSet::new(),
        delivered: None,
        hold_empty_until: None,
    };
    let hold = Duration::from_secs(u64::try_from(shared.ttl).unwrap_or(1));
    // The last revision seen (listed or watched); `None`: list first.
    let mut revision: Option<i64> = None;
    let mut reset = false;
    let mut backoff = Duration::from_millis(100);
    let stopped = || sub.cancel.is_cancelled() || shared.stopped();
    'outer: while !stopped() {
        let Ok(mut client) = shared.client() else {
            return;
        };
        let last = match revision {
            Some(r) => r,
            None => {
                let listed = shared
                    .bounded("list", async {
                        client
                            .get(prefix.as_str(), Some(GetOptions::new().with_prefix()))
                            .await
                            .map_err(backend)
                    })
                    .await;
                match listed {
                    Ok(resp) => {
                        view.children =
                            Shared::children(&prefix, resp.kvs().iter().map(|kv| kv.key()));
                        if std::mem::take(&mut reset) {
                            view.hold_empty_until = Some(tokio::time::Instant::now() + hold);
                        }
                        if view.due() {
                            view.delivered = Some(view.children.clone());
                            tokio::select! {
                                _ = sub.cancel.cancelled() => return,
                                () = shared.deliver(&sub, &category, &view.children) => {}
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
                        tracing::warn!(%prefix, error = %e, "listing an etcd category failed; retrying");
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
        let options = WatchOptions::new()
            .with_prefix()
            .with_start_revision(last + 1)
            .with_progress_notify();
        let opened = shared
            .bounded("watch", async {
                client
                    .watch(prefix.as_str(), Some(options))
                    .await
                    .map_err(backend)
            })
            .await;
        let mut stream = match opened {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(%prefix, error = %e, "opening an etcd watch failed; retrying");
                tokio::select! {
                    _ = sub.cancel.cancelled() => return,
                    go = shared.pause(backoff) => if !go { return },
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        loop {
            let held = view.hold_empty_until;
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
                // The hold is over: notify what is there (if it changed).
                if view.due() {
                    view.delivered = Some(view.children.clone());
                    tokio::select! {
                        _ = sub.cancel.cancelled() => return,
                        () = shared.deliver(&sub, &category, &view.children) => {}
                    }
                }
                continue;
            };
            let resp = match message {
                Ok(Some(resp)) => resp,
                Ok(None) | Err(_) => {
                    tracing::debug!(%prefix, "etcd watch broken; resuming");
                    tokio::select! {
                        _ = sub.cancel.cancelled() => return,
                        go = shared.pause(backoff) => if !go { return },
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue 'outer;
                }
            };
            backoff = Duration::from_millis(100);
            if resp.compact_revision() > 0 {
                tracing::info!(%prefix, compacted = resp.compact_revision(), "etcd watch start compacted; listing again");
                revision = None;
                continue 'outer;
            }
            if resp.canceled() {
                tracing::debug!(%prefix, reason = resp.cancel_reason(), "etcd watch cancelled; resuming");
                continue 'outer;
            }
            let events = resp.events();
            if events.is_empty() {
                if resp.created() {
                    // An etcd whose revision is behind ours lost its data (a new store):
                    // what we know is void, list again.
                    if resp.header().is_some_and(|h| h.revision() < last) {
                        tracing::warn!(%prefix, "etcd revision went back (data lost); listing again");
                        revision = None;
                        reset = true;
                        continue 'outer;
                    }
                    // (The creation answer says nothing of progress: older events may
                    // still follow it.)
                    continue;
                }
                // A progress notification: every later event has a higher revision.
                if let Some(h) = resp.header() {
                    revision = Some(revision.map_or(h.revision(), |r| r.max(h.revision())));
                }
                continue;
            }
            for event in events {
                let Some(kv) = event.kv() else { continue };
                revision = Some(revision.map_or(kv.mod_revision(), |r| r.max(kv.mod_revision())));
                for name in Shared::children(&prefix, std::iter::once(kv.key())) {
                    match event.event_type() {
                        EventType::Put => view.children.insert(name),
                        EventType::Delete => view.children.remove(&name),
                    };
                }
            }
            if view.due() {
                view.delivered = Some(view.children.clone());
                tokio::select! {
                    _ = sub.cancel.cancelled() => return,
                    () = shared.deliver(&sub, &category, &view.children) => {}
                }
            }
        }
    }
}

impl EtcdRegistry {
    /// Puts the interface-level key of `url` under the registry's lease (without one for
    /// `dynamic=false`). When etcd does not answer this fails, and the key is put when etcd
    /// answers again.
    async fn register_interface(&self, url: &Url) -> Result<(), RegistryError> {
        let shared = &self.shared;
        shared.client()?;
        let key = shared.node_key(url);
        let leased = url.bool_param(keys::DYNAMIC, true);
        {
            let mut registered = lock(&shared.registered);
            if !registered.iter().any(|r| r.key == key) {
                registered.push(Registered {
                    key: key.clone(),
                    leased,
                });
            }
        }
        lock(&shared.withdrawn).retain(|k| *k != key);
        let lease = if leased {
            let current = *lock(&shared.lease);
            match current {
                Some(id) => Some(id),
                None => {
                    return Err(RegistryError::Backend(format!(
                        "register: no etcd lease at {} now; the key is put when etcd answers",
                        shared.address
                    )));
                }
            }
        } else {
            None
        };
        shared.put_key(&key, lease).await
    }

    /// Deletes the interface-level key of `url` (see [`Registry::unregister`]).
    async fn unregister_interface(&self, url: &Url) -> Result<(), RegistryError> {
        let shared = &self.shared;
        shared.client()?;
        let key = shared.node_key(url);
        lock(&shared.registered).retain(|r| r.key != key);
        if !shared.connected.load(Ordering::Acquire) {
            shared.withdraw_later(key);
            return Err(RegistryError::Backend(format!(
                "unregister: etcd at {} not reachable; the key is deleted when it is back",
                shared.address
            )));
        }
        let deleted = shared.delete_key(&key).await;
        if deleted.is_err() {
            shared.withdraw_later(key);
        }
        deleted
    }
}

#[async_trait]
impl Registry for EtcdRegistry {
    fn url(&self) -> Url {
        self.shared.url.clone()
    }

    fn is_available(&self) -> bool {
        !self.shared.destroyed.load(Ordering::Acquire)
            && self.shared.connected.load(Ordering::Acquire)
    }

    /// Publishes `url` as the registry's `register-mode` says: its interface-level key
    /// (`interface`, `all`) and, for a provider URL, its service in the application instance
    /// (`instance`, `all`; see [`EtcdRegistry::instance_key`]).
    ///
    /// With `check=false`, a failure to reach etcd is logged, not returned: what was
    /// registered is kept and put when etcd answers (Java's failback).
    async fn register(&self, url: &Url) -> Result<(), RegistryError> {
        self.revive().await;
        self.shared.client()?;
        let unless_unchecked = |done: Result<(), RegistryError>| match done {
            Err(RegistryError::Backend(e)) if !self.shared.check => {
                tracing::warn!(
                    url = %url.interface(),
                    error = %e,
                    "registered while etcd is unreachable; put once it answers (check=false)"
                );
                Ok(())
            }
            done => done,
        };
        if self.shared.register_mode.registers_interface() {
            unless_unchecked(self.register_interface(url).await)?;
        }
        if self.shared.register_mode.registers_instance() {
            unless_unchecked(self.register_in_instance(url).await)?;
        }
        Ok(())
    }

    /// Withdraws `url` from what `register` wrote. Without etcd it does not wait: the key is
    /// deleted when etcd answers again (or goes with the lease), and this fails saying so.
    async fn unregister(&self, url: &Url) -> Result<(), RegistryError> {
        self.shared.client()?;
        let interface = if self.shared.register_mode.registers_interface() {
            self.unregister_interface(url).await
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
        self.shared.client()?;
        if url.interface() == values::ANY {
            return Err(RegistryError::Config(
                "the etcd registry does not support subscriptions to every interface".into(),
            ));
        }
        let sub = Arc::new(Subscription {
            url: url.clone(),
            listener,
            categories: subscribed_categories(url),
            cancel: self.shared.cancel.child_token(),
            tasks: Mutex::new(Vec::new()),
        });
        lock(&self.shared.subs).push(Arc::clone(&sub));
        let firsts = self.shared.start_watches(&sub);
        // With `check=false` and etcd unreachable, the watches notify once it answers.
        if !self.shared.check && !self.shared.connected.load(Ordering::Acquire) {
            return Ok(());
        }
        let deadline = tokio::time::Instant::now() + FIRST_NOTIFY;
        for rx in firsts {
            let _ = tokio::time::timeout_at(deadline, rx).await;
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
            sub.cancel.cancel();
            let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&sub.tasks));
            join_or_abort(tasks, tokio::time::Instant::now() + SHUTDOWN_STEP).await;
        }
        Ok(())
    }

    async fn lookup(&self, url: &Url) -> Result<Vec<Url>, RegistryError> {
        self.revive().await;
        let shared = &self.shared;
        let mut client = shared.client()?;
        let mut out = Vec::new();
        for category in subscribed_categories(url) {
            let prefix = format!("{}/", shared.category_key(url.interface(), &category));
            let resp = shared
                .bounded("lookup", async {
                    client
                        .get(prefix.as_str(), Some(GetOptions::new().with_prefix()))
                        .await
                        .map_err(backend)
                })
                .await?;
            for child in Shared::children(&prefix, resp.kvs().iter().map(|kv| kv.key())) {
                if let Ok(found) = Url::from_node_name(&child) {
                    if is_match(url, &found) {
                        out.push(found);
                    }
                }
            }
        }
        Ok(out)
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
        // What is ours is released at once: every watch and the lease task stop.
        let connected = shared.connected.swap(false, Ordering::AcqRel);
        let mut registered: Vec<Registered> = std::mem::take(&mut *lock(&shared.registered));
        if let Some(served) = lock(&shared.metadata_service).take() {
            served.withdraw();
        }
        if let Some(instance) = lock(&shared.instance).take() {
            registered.push(Registered {
                key: instance.key,
                leased: true,
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
        let keeper = lock(&shared.keeper).take();
        let lease = lock(&shared.lease).take();
        let client = lock(&shared.client).take();

        // Then etcd, within one bounded step, and only when it answered lately: leased keys
        // go with the lease anyway.
        let deadline = tokio::time::Instant::now() + SHUTDOWN_STEP;
        if let Some(mut client) = client.filter(|_| connected) {
            let keys = registered.iter().map(|r| r.key.as_str());
            for key in keys.chain(withdrawn.iter().map(String::as_str)) {
                match tokio::time::timeout_at(deadline, client.delete(key, None)).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(%key, error = %e, "unregister failed"),
                    Err(_) => tracing::warn!(%key, "unregister timed out"),
                }
            }
            if let Some(id) = lease {
                if tokio::time::timeout_at(deadline, client.lease_revoke(id))
                    .await
                    .is_err()
                {
                    tracing::warn!(lease = id, "etcd lease revoke timed out");
                }
            }
        } else if registered.iter().any(|r| !r.leased) {
            tracing::warn!(
                address = %shared.address,
                "etcd not reachable at destroy: keys without a lease are left"
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
            .chain(keeper)
            .collect();
        join_or_abort(tasks, deadline).await;
        tracing::info!(address = %shared.address, "etcd registry destroyed");
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

/// Waits until `deadline` for `tasks` (already told to stop) to end; aborts the others.
async fn join_or_abort(tasks: Vec<JoinHandle<()>>, deadline: tokio::time::Instant) {
    for mut task in tasks {
        if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
            tracing::warn!("an etcd registry task did not stop in time; aborting it");
            task.abort();
        }
    }
}

impl Drop for EtcdRegistry {
    /// Without [`Registry::destroy`], dropping the registry still stops its tasks; its
    /// leased keys go when the lease expires.
    fn drop(&mut self) {
        self.shared.cancel.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_the_direct_names_below_the_prefix() {
        let keys: Vec<&[u8]> = vec![
            b"/dubbo/a/providers/x",
            b"/dubbo/a/providers/",
            b"/dubbo/a/providers/y/z",
            b"/dubbo/a/providersx/q",
            b"/dubbo/a/providers/w",
        ];
        let names = Shared::children("/dubbo/a/providers/", keys.into_iter());
        assert_eq!(names.into_iter().collect::<Vec<_>>(), vec!["w", "x"]);
    }
}
