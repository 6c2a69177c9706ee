//! The embedded registry (`memory://`): in-process, zero set-up, full notification semantics.
//!
//! Every [`MemoryRegistry`] of the process shares one store (whatever the host of its
//! `memory://` URL), so a provider and a consumer in the same process find each other just
//! as they would through ZooKeeper. Each handle remembers what it registered and subscribed;
//! destroying the handle takes all of it out of the store. Once every handle is destroyed
//! the store holds nothing ([`MemoryRegistry::store_counts`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use once_cell::sync::Lazy;
use oxidubbo_common::{Url, values};

use crate::registry::{category_of, empty_url, is_match, same_listener, subscribed_categories};
use crate::{NotifyListener, Registry, RegistryCounts, RegistryError};

/// Registered URLs of one (interface, category): `(owner, url)`.
type Nodes = Vec<(u64, Url)>;

#[derive(Default)]
struct StoreState {
    nodes: HashMap<(String, String), Nodes>,
    subs: Vec<Arc<Subscription>>,
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
    /// Registered URLs, over every handle.
    pub registered: usize,
    /// Subscriptions, over every handle.
    pub subscriptions: usize,
}

/// A handle on the process-wide embedded registry. See the [module docs](self).
pub struct MemoryRegistry {
    owner: u64,
    url: Url,
    destroyed: AtomicBool,
}

impl MemoryRegistry {
    /// A new handle for the registry URL `url` (`memory://…`).
    pub fn new(url: Url) -> Self {
        MemoryRegistry {
            owner: NEXT_OWNER.fetch_add(1, Ordering::Relaxed),
            url,
            destroyed: AtomicBool::new(false),
        }
    }

    /// What the shared store holds, over every handle of the process.
    pub fn store_counts() -> StoreCounts {
        let s = store();
        StoreCounts {
            registered: s.nodes.values().map(Vec::len).sum(),
            subscriptions: s.subs.len(),
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

    async fn notify_changed(changed: &[(String, String)]) {
        for (interface, category) in changed {
            for sub in Self::interested(interface, category) {
                Self::deliver(&sub, category).await;
            }
        }
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

    async fn register(&self, url: &Url) -> Result<(), RegistryError> {
        self.check()?;
        let key = (url.interface().to_owned(), category_of(url).to_owned());
        {
            let mut s = store();
            let nodes = s.nodes.entry(key.clone()).or_default();
            if nodes.iter().any(|(o, u)| *o == self.owner && u == url) {
                return Ok(());
            }
            nodes.push((self.owner, url.clone()));
        }
        Self::notify_changed(&[key]).await;
        Ok(())
    }

    async fn unregister(&self, url: &Url) -> Result<(), RegistryError> {
        self.check()?;
        let key = (url.interface().to_owned(), category_of(url).to_owned());
        let removed = {
            let mut s = store();
            let Some(nodes) = s.nodes.get_mut(&key) else {
                return Ok(());
            };
            let before = nodes.len();
            nodes.retain(|(o, u)| !(*o == self.owner && u == url));
            let removed = nodes.len() != before;
            if nodes.is_empty() {
                s.nodes.remove(&key);
            }
            removed
        };
        if removed {
            Self::notify_changed(&[key]).await;
        }
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
        let (changed, subs) = {
            let mut s = store();
            let mut changed = Vec::new();
            s.nodes.retain(|key, nodes| {
                let before = nodes.len();
                nodes.retain(|(o, _)| *o != self.owner);
                if nodes.len() != before {
                    changed.push(key.clone());
                }
                !nodes.is_empty()
            });
            let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut s.subs)
                .into_iter()
                .partition(|sub| sub.owner == self.owner);
            s.subs = kept;
            (changed, gone)
        };
        for sub in &subs {
            sub.active.store(false, Ordering::Release);
        }
        drop(subs);
        Self::notify_changed(&changed).await;
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
            subscriptions: s.subs.iter().filter(|sub| sub.owner == self.owner).count(),
            watches: 0,
        }
    }
}

impl Drop for MemoryRegistry {
    /// A handle dropped without [`Registry::destroy`] still leaves nothing in the store
    /// (without notifying: there may be no runtime to notify on).
    fn drop(&mut self) {
        if self.destroyed.load(Ordering::Acquire) {
            return;
        }
        let subs = {
            let mut s = store();
            s.nodes.retain(|_, nodes| {
                nodes.retain(|(o, _)| *o != self.owner);
                !nodes.is_empty()
            });
            let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut s.subs)
                .into_iter()
                .partition(|sub| sub.owner == self.owner);
            s.subs = kept;
            gone
        };
        drop(subs);
    }
}

struct NoListener;

#[async_trait]
impl NotifyListener for NoListener {
    async fn notify(&self, _urls: Vec<Url>) {}
}
