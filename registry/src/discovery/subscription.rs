//! The application-level providers of one consumer URL (Dubbo Java's
//! `ServiceInstancesChangedListener`, with the mapping listener in front of it).
//!
//! The applications are the consumer's `provided-by`, else those the mapping names for its
//! interface (followed: an application added later is subscribed, one removed is
//! unsubscribed). Each application's instances are watched; each instance with a revision
//! needs that revision's `MetadataInfo` (the subscription's own, else the shared cache, else
//! read by a fetch task, each bounded by its timeout). The services of each instance that
//! match the consumer become provider URLs, delivered together as one `providers` list.
//!
//! One task per subscription does the work, one event at a time, so deliveries never
//! overlap. An instance whose metadata could not be read is left out and read again after a
//! back-off; an unreachable `MetadataService` holds nobody up: fetches run as tasks of
//! their own, and only the very first delivery waits for the fetches it started, 5 s at
//! most.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_common::{Url, keys as common_keys, values};
use oxidubbo_metadata::{MetadataInfo, ServiceInstance, keys, mapping};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::metadata_cache::{MetadataCache, fetch};
use crate::{
    DiscoveryListener, NotifyListener, Protocols, Registry, RegistryError, empty_url, is_match,
};

/// How long the first delivery waits for the metadata fetches it started at most (Java's
/// default `MetadataService` timeout): what is still missing then comes in a later one.
const FIRST_WAIT: Duration = Duration::from_secs(5);
/// How long `subscribe` waits for the first delivery at most (a hang guard).
const FIRST_DELIVERY_LIMIT: Duration = Duration::from_secs(30);
/// How long stopping waits for the task to unsubscribe from the backend at most.
const STOP_LIMIT: Duration = Duration::from_secs(10);
/// First pause before reading missing metadata (or subscribing an application) again.
const RETRY_FIRST: Duration = Duration::from_secs(1);
/// Longest pause between two attempts.
const RETRY_MAX: Duration = Duration::from_secs(60);

/// What every application subscription of one registry shares.
pub(crate) struct Shared {
    pub(crate) inner: Arc<dyn Registry>,
    pub(crate) protocols: Protocols,
    pub(crate) cache: Arc<MetadataCache>,
}

type Key = (String, String);

enum Event {
    Mapping(BTreeSet<String>),
    Instances(String, Vec<ServiceInstance>),
    Fetched(Key, Option<Arc<MetadataInfo>>),
}

/// The backend's listener: turns what it sees into events for the task.
struct Feed(mpsc::UnboundedSender<Event>);

#[async_trait]
impl DiscoveryListener for Feed {
    async fn on_mapping(&self, _interface: &str, applications: BTreeSet<String>) {
        let _ = self.0.send(Event::Mapping(applications));
    }

    async fn on_instances(&self, application: &str, instances: Vec<ServiceInstance>) {
        let _ = self
            .0
            .send(Event::Instances(application.to_owned(), instances));
    }
}

/// A running application-level subscription. Stopping it (or dropping it) ends its task,
/// its fetches and its backend watches.
pub(crate) struct AppSubscription {
    cancel: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl AppSubscription {
    /// Starts following the application-level providers of `consumer`, delivering them to
    /// `sink`; returns after the first delivery (or after a bounded wait).
    pub(crate) async fn start(
        shared: Arc<Shared>,
        consumer: Url,
        sink: Arc<dyn NotifyListener>,
    ) -> Result<Self, RegistryError> {
        let discovery = shared.inner.discovery().ok_or_else(|| {
            RegistryError::Config("the registry has no application-level discovery".into())
        })?;
        let (tx, rx) = mpsc::unbounded_channel();
        let feed: Arc<dyn DiscoveryListener> = Arc::new(Feed(tx.clone()));
        let provided = consumer
            .param(keys::PROVIDED_BY)
            .map(mapping::parse_app_names)
            .filter(|apps| !apps.is_empty());
        let mapped = provided.is_none();
        match provided {
            Some(apps) => {
                let _ = tx.send(Event::Mapping(apps));
            }
            None => {
                discovery
                    .subscribe_mapping(consumer.interface(), Arc::clone(&feed))
                    .await?;
            }
        }
        let (first_tx, first_rx) = oneshot::channel();
        let worker = Worker {
            shared,
            consumer,
            sink,
            feed,
            tx,
            mapped,
            apps: BTreeSet::new(),
            unsubscribed: BTreeSet::new(),
            instances: BTreeMap::new(),
            known: HashMap::new(),
            in_flight: HashSet::new(),
            failed: HashSet::new(),
            fetches: JoinSet::new(),
            retry_at: None,
            backoff: RETRY_FIRST,
            last: None,
            first: Some(first_tx),
            first_deadline: Instant::now() + FIRST_WAIT,
        };
        let cancel = CancellationToken::new();
        let task = tokio::spawn(worker.run(rx, cancel.clone()));
        if tokio::time::timeout(FIRST_DELIVERY_LIMIT, first_rx)
            .await
            .is_err()
        {
            tracing::warn!("application-level providers not known yet; delivered when they are");
        }
        Ok(AppSubscription {
            cancel,
            task: Mutex::new(Some(task)),
        })
    }

    /// Stops the task and waits (bounded) until it has unsubscribed from the backend.
    pub(crate) async fn stop(&self) {
        self.cancel.cancel();
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(mut task) = task {
            if tokio::time::timeout(STOP_LIMIT, &mut task).await.is_err() {
                tracing::warn!("application subscription did not stop in time; aborted");
                task.abort();
            }
        }
    }
}

impl Drop for AppSubscription {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

struct Worker {
    shared: Arc<Shared>,
    consumer: Url,
    sink: Arc<dyn NotifyListener>,
    feed: Arc<dyn DiscoveryListener>,
    tx: mpsc::UnboundedSender<Event>,
    /// Whether the mapping is watched (no `provided-by`).
    mapped: bool,
    /// The applications followed.
    apps: BTreeSet<String>,
    /// Applications whose instance watch could not be set up yet.
    unsubscribed: BTreeSet<String>,
    instances: BTreeMap<String, Vec<ServiceInstance>>,
    /// The metadata of the revisions in use.
    known: HashMap<Key, Arc<MetadataInfo>>,
    in_flight: HashSet<Key>,
    /// Revisions whose last fetch failed, left alone until the retry timer.
    failed: HashSet<Key>,
    fetches: JoinSet<()>,
    retry_at: Option<Instant>,
    backoff: Duration,
    /// The provider list last delivered.
    last: Option<Vec<Url>>,
    first: Option<oneshot::Sender<()>>,
    /// When the first delivery stops waiting for fetches.
    first_deadline: Instant,
}

impl Worker {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Event>, cancel: CancellationToken) {
        loop {
            let wake = if self.first.is_some() && !self.in_flight.is_empty() {
                Some(
                    self.retry_at
                        .map_or(self.first_deadline, |at| at.min(self.first_deadline)),
                )
            } else {
                self.retry_at
            };
            let woke = tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                event = rx.recv() => match event {
                    Some(event) => Some(event),
                    None => break,
                },
                () = until(wake) => None,
            };
            let work = async {
                match woke {
                    Some(event) => self.apply(event).await,
                    None if self.retry_at.is_some_and(|at| at <= Instant::now()) => {
                        self.retry().await;
                    }
                    None => {}
                }
                while let Ok(event) = rx.try_recv() {
                    self.apply(event).await;
                }
                self.refresh().await;
            };
            tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                () = work => {}
            }
        }
        self.cleanup().await;
    }

    async fn apply(&mut self, event: Event) {
        match event {
            Event::Mapping(apps) => self.follow(apps).await,
            Event::Instances(app, list) => {
                if self.apps.contains(&app) {
                    self.instances.insert(app, list);
                }
            }
            Event::Fetched(key, found) => {
                self.in_flight.remove(&key);
                match found {
                    Some(info) => {
                        self.failed.remove(&key);
                        self.known.insert(key, info);
                    }
                    None => {
                        self.failed.insert(key);
                    }
                }
            }
        }
    }

    /// Follows exactly `apps`: unsubscribes the ones gone, subscribes the new ones.
    async fn follow(&mut self, apps: BTreeSet<String>) {
        let Some(discovery) = self.shared.inner.discovery() else {
            return;
        };
        let gone: Vec<String> = self.apps.difference(&apps).cloned().collect();
        for app in gone {
            self.apps.remove(&app);
            self.unsubscribed.remove(&app);
            self.instances.remove(&app);
            if let Err(e) = discovery.unsubscribe_instances(&app, &self.feed).await {
                tracing::warn!(app, error = %e, "unsubscribing the instances failed");
            }
        }
        for app in apps {
            if self.apps.insert(app.clone()) {
                self.unsubscribed.insert(app);
            }
        }
        self.subscribe_pending().await;
    }

    async fn subscribe_pending(&mut self) {
        let Some(discovery) = self.shared.inner.discovery() else {
            return;
        };
        let pending: Vec<String> = std::mem::take(&mut self.unsubscribed).into_iter().collect();
        for app in pending {
            match discovery
                .subscribe_instances(&app, Arc::clone(&self.feed))
                .await
            {
                Ok(()) => tracing::debug!(app, "following the application's instances"),
                Err(e) => {
                    tracing::warn!(app, error = %e, "cannot watch the instances; retried later");
                    self.unsubscribed.insert(app);
                }
            }
        }
    }

    async fn retry(&mut self) {
        self.retry_at = None;
        self.failed.clear();
        self.subscribe_pending().await;
    }

    /// Builds the provider list from what is known, starts fetches for what is missing and
    /// delivers the list when it changed.
    async fn refresh(&mut self) {
        while self.fetches.try_join_next().is_some() {}
        let mut urls: BTreeMap<String, Url> = BTreeMap::new();
        let mut used: HashSet<Key> = HashSet::new();
        for (app, list) in &self.instances {
            for instance in list {
                let Some(revision) = instance.revision() else {
                    continue;
                };
                let key: Key = (app.clone(), revision.to_owned());
                let info = match self.known.get(&key) {
                    Some(info) => Some(Arc::clone(info)),
                    None => self.shared.cache.get(app, revision),
                };
                used.insert(key.clone());
                let Some(info) = info else {
                    if !self.in_flight.contains(&key) && !self.failed.contains(&key) {
                        self.in_flight.insert(key.clone());
                        let (shared, tx) = (Arc::clone(&self.shared), self.tx.clone());
                        let instance = instance.clone();
                        // The consumer's own TLS files, for a MetadataService served on TLS.
                        let tls: Vec<(String, String)> = self
                            .consumer
                            .params()
                            .filter(|(k, _)| common_keys::SSL_LOCAL.contains(k))
                            .map(|(k, v)| (k.to_owned(), v.to_owned()))
                            .collect();
                        self.fetches.spawn(async move {
                            let (app, revision) = (&key.0, &key.1);
                            let read =
                                fetch(&shared.inner, &shared.protocols, &instance, revision, &tls);
                            let found = match shared.cache.get_or_read(app, revision, read).await {
                                Ok(info) => Some(info),
                                Err(e) => {
                                    tracing::warn!(
                                        app,
                                        revision,
                                        instance = instance.id,
                                        error = e,
                                        "metadata not read; the instance is left out until it is"
                                    );
                                    None
                                }
                            };
                            let _ = tx.send(Event::Fetched(key, found));
                        });
                    }
                    continue;
                };
                self.known.insert(key, Arc::clone(&info));
                for service in info.services().values() {
                    match instance.service_url(service) {
                        Ok(url) if is_match(&self.consumer, &url) => {
                            urls.insert(url.to_full_string(), url);
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "service of an instance skipped"),
                    }
                }
            }
        }
        self.known.retain(|key, _| used.contains(key));
        self.failed.retain(|key| used.contains(key));
        if self.failed.is_empty() && self.unsubscribed.is_empty() {
            self.backoff = RETRY_FIRST;
            self.retry_at = None;
        } else if self.retry_at.is_none() {
            self.retry_at = Some(Instant::now() + self.backoff);
            self.backoff = (self.backoff * 2).min(RETRY_MAX);
        }
        if self.first.is_some()
            && !self.in_flight.is_empty()
            && Instant::now() < self.first_deadline
        {
            return; // the first list waits a little for the fetches it started
        }
        let list: Vec<Url> = if urls.is_empty() {
            vec![empty_url(&self.consumer, values::PROVIDERS_CATEGORY)]
        } else {
            urls.into_values().collect()
        };
        if self.last.as_ref() == Some(&list) {
            return;
        }
        self.last = Some(list.clone());
        self.sink.notify(list).await;
        if let Some(first) = self.first.take() {
            let _ = first.send(());
        }
    }

    async fn cleanup(mut self) {
        self.fetches.shutdown().await;
        self.known.clear();
        let Some(discovery) = self.shared.inner.discovery() else {
            return;
        };
        for app in &self.apps {
            if let Err(e) = discovery.unsubscribe_instances(app, &self.feed).await {
                tracing::warn!(app, error = %e, "unsubscribing the instances failed");
            }
        }
        if self.mapped {
            if let Err(e) = discovery
                .unsubscribe_mapping(self.consumer.interface(), &self.feed)
                .await
            {
                tracing::warn!(error = %e, "unsubscribing the mapping failed");
            }
        }
    }
}
