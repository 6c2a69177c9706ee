//! The `MetadataInfo` of each (application, revision) a consumer has read, bounded, and how
//! it is read: from the instance's `MetadataService` (`storage-type` `local`) or from the
//! metadata report (`remote`). Dubbo Java's `MetaCacheManager` and
//! `MetadataUtils.getRemoteMetadata`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use oxidubbo_common::{Url, keys as common_keys};
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invocation, Invoker};
use oxidubbo_metadata::{MetadataInfo, MetadataStorageType, ServiceInstance, metadata_service};

use crate::{Protocols, Registry};

/// Registry URL parameter: how many (application, revision) `MetadataInfo`s a
/// [`ServiceDiscoveryRegistry`](crate::ServiceDiscoveryRegistry) keeps (oxidubbo's own key).
pub const METADATA_CACHE_SIZE: &str = "metadata.cache.size";
/// Default of [`METADATA_CACHE_SIZE`].
pub const DEFAULT_METADATA_CACHE_SIZE: usize = 1000;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

type Key = (String, String);

/// The entries with the tick of their last use, and the clock.
#[derive(Default)]
struct Entries {
    tick: u64,
    map: HashMap<Key, (Arc<MetadataInfo>, u64)>,
}

/// A least-recently-used map of (application, revision) → `MetadataInfo`, never holding more
/// than its capacity. Eviction scans the entries (capacities are small: a thousand). Reads
/// of one revision are made one at a time, so subscriptions that miss it together read it
/// once.
pub(crate) struct MetadataCache {
    capacity: usize,
    entries: Mutex<Entries>,
    /// One gate per revision being read.
    reading: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

/// Forgets a revision's gate once nobody holds it, however the read ends.
struct Gate<'a> {
    cache: &'a MetadataCache,
    key: Key,
    gate: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for Gate<'_> {
    fn drop(&mut self) {
        let mut reading = lock(&self.cache.reading);
        // The map's reference and this one: nobody else waits.
        if Arc::strong_count(&self.gate) == 2 {
            reading.remove(&self.key);
        }
    }
}

impl MetadataCache {
    /// A cache of at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        MetadataCache {
            capacity: capacity.max(1),
            entries: Mutex::default(),
            reading: Mutex::default(),
        }
    }

    /// The capacity named by `registry`'s [`METADATA_CACHE_SIZE`], else the default.
    pub(crate) fn for_registry(registry: &Url) -> Self {
        let capacity = registry
            .param(METADATA_CACHE_SIZE)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_METADATA_CACHE_SIZE);
        MetadataCache::new(capacity)
    }

    pub(crate) fn get(&self, app: &str, revision: &str) -> Option<Arc<MetadataInfo>> {
        let mut guard = lock(&self.entries);
        let Entries { tick, map } = &mut *guard;
        *tick += 1;
        let entry = map.get_mut(&(app.to_owned(), revision.to_owned()))?;
        entry.1 = *tick;
        Some(Arc::clone(&entry.0))
    }

    pub(crate) fn insert(&self, app: &str, revision: &str, info: Arc<MetadataInfo>) {
        let mut guard = lock(&self.entries);
        let Entries { tick, map } = &mut *guard;
        *tick += 1;
        let key = (app.to_owned(), revision.to_owned());
        if !map.contains_key(&key) && map.len() >= self.capacity {
            let oldest = map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                map.remove(&oldest);
            }
        }
        map.insert(key, (info, *tick));
    }

    /// The cached `MetadataInfo` of (`app`, `revision`), else what `read` reads (then
    /// cached). Concurrent calls for one revision read it once.
    pub(crate) async fn get_or_read<F>(
        &self,
        app: &str,
        revision: &str,
        read: F,
    ) -> Result<Arc<MetadataInfo>, String>
    where
        F: Future<Output = Result<MetadataInfo, String>>,
    {
        let key: Key = (app.to_owned(), revision.to_owned());
        let gate = Gate {
            cache: self,
            gate: Arc::clone(lock(&self.reading).entry(key.clone()).or_default()),
            key,
        };
        let _turn = gate.gate.lock().await;
        if let Some(info) = self.get(app, revision) {
            return Ok(info);
        }
        let info = Arc::new(read.await?);
        self.insert(app, revision, Arc::clone(&info));
        Ok(info)
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.entries).map.len()
    }

    pub(crate) fn clear(&self) {
        lock(&self.entries).map.clear();
    }
}

/// Destroys a `MetadataService` invoker however the call ends (timeout and abort included).
struct DestroyOnDrop(Arc<dyn Invoker>);

impl Drop for DestroyOnDrop {
    fn drop(&mut self) {
        self.0.destroy();
    }
}

/// How long a call to `url` (a `MetadataService` URL) may take: its `timeout`, else 5000 ms.
fn timeout_of(url: &Url) -> Duration {
    let default = metadata_service::DEFAULT_TIMEOUT_MS.parse().unwrap_or(5000);
    let ms = url
        .param(common_keys::TIMEOUT)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .unwrap_or(default);
    Duration::from_millis(ms)
}

/// Reads the `MetadataInfo` of `instance` at `revision`: `getMetadataInfo(revision)` on its
/// `MetadataService` (referred for this call only, bounded by the URL's timeout; over TLS
/// with the consumer's `tls` parameters when the instance says `ssl-enabled`) or the
/// metadata report of `registry`. An error says why it could not be read.
pub(crate) async fn fetch(
    registry: &Arc<dyn Registry>,
    protocols: &Protocols,
    instance: &ServiceInstance,
    revision: &str,
    tls: &[(String, String)],
) -> Result<MetadataInfo, String> {
    let found = match instance.storage_type() {
        MetadataStorageType::Remote => {
            let discovery = registry
                .discovery()
                .ok_or("the registry has no metadata report")?;
            discovery
                .metadata_report(&instance.name, revision)
                .await
                .map_err(|e| e.to_string())?
        }
        MetadataStorageType::Local => {
            let url = instance.metadata_service_url().map_err(|e| e.to_string())?;
            let url = if url.bool_param(common_keys::SSL_ENABLED, false) {
                url.to_builder()
                    .params(tls.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .build()
            } else {
                url
            };
            let limit = timeout_of(&url);
            let call = async {
                let protocol = protocols.for_url(&url).map_err(|e| e.to_string())?;
                let invoker = DestroyOnDrop(
                    protocol
                        .refer(Arc::new(url.clone()))
                        .await
                        .map_err(|e| e.to_string())?,
                );
                let invocation = Invocation::new(
                    metadata_service::GET_METADATA_INFO,
                    metadata_service::GET_METADATA_INFO_PARAM_TYPES,
                    vec![Value::from(revision)],
                );
                let answer = invoker
                    .0
                    .invoke(invocation)
                    .await
                    .map_err(|e| e.to_string())?;
                MetadataInfo::from_hessian(&answer.value).map_err(|e| e.to_string())
            };
            tokio::time::timeout(limit, call)
                .await
                .map_err(|_| format!("no answer from {url:?} within {limit:?}"))??
        }
    };
    found.ok_or_else(|| format!("revision {revision} of {} is unknown", instance.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entry_leaves_first() {
        let cache = MetadataCache::new(2);
        let info = |app: &str| Arc::new(MetadataInfo::new(app));
        cache.insert("a", "1", info("a"));
        cache.insert("b", "1", info("b"));
        assert!(cache.get("a", "1").is_some());
        cache.insert("c", "1", info("c"));
        assert_eq!(cache.len(), 2);
        assert!(cache.get("b", "1").is_none(), "b was used least recently");
        assert!(cache.get("a", "1").is_some() && cache.get("c", "1").is_some());
        cache.insert("c", "1", info("c"));
        assert_eq!(cache.len(), 2);
    }
}
