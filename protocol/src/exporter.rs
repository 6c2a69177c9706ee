//! The `Exporter` trait and the exporter table a protocol keeps.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use arc_swap::ArcSwap;
use async_trait::async_trait;
use oxidubbo_common::{ServiceKey, keys};
use oxidubbo_invoker::{Invoker, RpcError};

/// A service exported by a protocol: the handle that keeps it exported.
#[async_trait]
pub trait Exporter: Send + Sync {
    /// The exported invoker, or `None` once unexported.
    fn invoker(&self) -> Option<Arc<dyn Invoker>>;

    /// Withdraws the service: it leaves the protocol's table at once, its invoker is
    /// destroyed, and a server left with no service is closed. Idempotent.
    async fn unexport(&self);
}

/// The protocol's table of exported services, read lock-free on every request.
///
/// Writes (export, unexport) copy the map; reads take an `ArcSwap` snapshot, so a
/// request never waits on a lock.
#[derive(Default)]
pub(crate) struct ExporterTable {
    map: ArcSwap<Table>,
    /// Serialises writers so that no export or unexport is lost.
    write: Mutex<()>,
}

/// The exported services by key. Looked up on every request, so hashed with foldhash (a
/// few times cheaper than SipHash for a service key); only the exporting application puts
/// keys in it.
type Table = HashMap<ServiceKey, Exported, foldhash::fast::RandomState>;

/// A method name shared by the calls of an exported service.
pub(crate) type SharedName = Arc<str>;

/// One exported service: its invoker, and the names of the methods its URL lists, shared
/// by every call of them (a request's method name is then not copied per call).
#[derive(Clone)]
struct Exported {
    invoker: Arc<dyn Invoker>,
    methods: Box<[SharedName]>,
}

impl Exported {
    fn new(invoker: Arc<dyn Invoker>) -> Self {
        let methods = invoker
            .url()
            .and_then(|url| {
                url.param(keys::METHODS).map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .map(Arc::from)
                        .collect()
                })
            })
            .unwrap_or_default();
        Exported { invoker, methods }
    }
}

impl ExporterTable {
    /// The invoker exported under `key`.
    pub(crate) fn get(&self, key: &ServiceKey) -> Option<Arc<dyn Invoker>> {
        self.map.load().get(key).map(|e| Arc::clone(&e.invoker))
    }

    /// The invoker exported under the key whose text form is `key` (no allocation).
    pub(crate) fn get_str(&self, key: &str) -> Option<Arc<dyn Invoker>> {
        self.map.load().get(key).map(|e| Arc::clone(&e.invoker))
    }

    /// [`get_str`](Self::get_str), with the service's shared copy of `method`'s name when
    /// its URL lists the method.
    pub(crate) fn get_call(
        &self,
        key: &str,
        method: &str,
    ) -> Option<(Arc<dyn Invoker>, Option<SharedName>)> {
        let map = self.map.load();
        let exported = map.get(key)?;
        let name = exported.methods.iter().find(|m| ***m == *method).cloned();
        Some((Arc::clone(&exported.invoker), name))
    }

    /// The invoker of the smallest key `matches` accepts (a fallback lookup, not per call).
    pub(crate) fn find(&self, matches: impl Fn(&ServiceKey) -> bool) -> Option<Arc<dyn Invoker>> {
        let map = self.map.load();
        let key = map.keys().filter(|k| matches(k)).min()?;
        map.get(key).map(|e| Arc::clone(&e.invoker))
    }

    /// Adds `invoker` under `key`; fails if the key is taken by an invoker not destroyed
    /// (one destroyed behind its exporter's back is replaced).
    pub(crate) fn insert(
        &self,
        key: ServiceKey,
        invoker: Arc<dyn Invoker>,
    ) -> Result<(), RpcError> {
        let _guard = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.map.load();
        if current
            .get(&key)
            .is_some_and(|found| !found.invoker.is_destroyed())
        {
            return Err(RpcError::Config(format!(
                "service {key} is already exported"
            )));
        }
        let mut next = Table::clone(&current);
        next.insert(key, Exported::new(invoker));
        self.map.store(Arc::new(next));
        Ok(())
    }

    /// Removes `key` if it still maps to `invoker`.
    pub(crate) fn remove(&self, key: &ServiceKey, invoker: &Arc<dyn Invoker>) -> bool {
        let _guard = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.map.load();
        match current.get(key) {
            Some(found) if Arc::ptr_eq(&found.invoker, invoker) => {
                let mut next = Table::clone(&current);
                next.remove(key);
                self.map.store(Arc::new(next));
                true
            }
            _ => false,
        }
    }

    /// Removes every invoker that was destroyed without being unexported (by whoever held
    /// it), returning them: a destroyed invoker must not stay reachable from a protocol.
    pub(crate) fn remove_destroyed(&self) -> Vec<Arc<dyn Invoker>> {
        let _guard = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.map.load();
        if !current.values().any(|e| e.invoker.is_destroyed()) {
            return Vec::new();
        }
        let mut kept = Table::clone(&current);
        let mut gone = Vec::new();
        kept.retain(|_, e| {
            let destroyed = e.invoker.is_destroyed();
            if destroyed {
                gone.push(Arc::clone(&e.invoker));
            }
            !destroyed
        });
        self.map.store(Arc::new(kept));
        gone
    }

    /// Empties the table, returning what it held.
    pub(crate) fn drain(&self) -> Vec<(ServiceKey, Arc<dyn Invoker>)> {
        let _guard = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.map.swap(Arc::new(Table::default()));
        Arc::unwrap_or_clone(old)
            .into_iter()
            .map(|(key, e)| (key, e.invoker))
            .collect()
    }

    /// Number of exported services.
    pub(crate) fn len(&self) -> usize {
        self.map.load().len()
    }

    /// Whether no service is exported.
    pub(crate) fn is_empty(&self) -> bool {
        self.map.load().is_empty()
    }
}

/// What an exporter calls back into when it is unexported.
pub(crate) trait ExportOwner: Send + Sync + 'static {
    /// Removes the service from the owner's tables and releases what it held for it
    /// (`address` is where it was served, empty for in-process protocols).
    fn release_export(
        &self,
        key: &ServiceKey,
        invoker: &Arc<dyn Invoker>,
        address: &str,
    ) -> impl Future<Output = ()> + Send;
}

/// The exporter handle both protocols hand out.
pub(crate) struct ServiceExporter<O: ExportOwner> {
    key: ServiceKey,
    address: String,
    invoker: Mutex<Option<Arc<dyn Invoker>>>,
    owner: Weak<O>,
}

impl<O: ExportOwner> ServiceExporter<O> {
    pub(crate) fn new(
        key: ServiceKey,
        address: String,
        invoker: Arc<dyn Invoker>,
        owner: Weak<O>,
    ) -> Self {
        ServiceExporter {
            key,
            address,
            invoker: Mutex::new(Some(invoker)),
            owner,
        }
    }
}

#[async_trait]
impl<O: ExportOwner> Exporter for ServiceExporter<O> {
    fn invoker(&self) -> Option<Arc<dyn Invoker>> {
        self.invoker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn unexport(&self) {
        let taken = self
            .invoker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(invoker) = taken else { return };
        if let Some(owner) = self.owner.upgrade() {
            owner
                .release_export(&self.key, &invoker, &self.address)
                .await;
        }
        invoker.destroy();
    }
}

#[cfg(test)]
mod tests {
    use oxidubbo_invoker::{Invocation, RpcResult, ServiceInvoker, Url, service_fn};

    use super::*;

    #[test]
    fn a_listed_method_name_is_shared_by_every_call() {
        let url =
            Url::parse("dubbo://127.0.0.1:20880/org.example.Echo?methods=echo, ping").expect("url");
        let service = service_fn(|_: Invocation| async { Ok(RpcResult::default()) });
        let invoker: Arc<dyn Invoker> = Arc::new(ServiceInvoker::new(Arc::new(url), service));
        let key = ServiceKey::new("org.example.Echo", None, None);
        let table = ExporterTable::default();
        table.insert(key.clone(), invoker).expect("exported");

        let text = key.to_string();
        let (_, first) = table.get_call(&text, "echo").expect("found");
        let (_, second) = table.get_call(&text, "echo").expect("found");
        let (first, second) = (first.expect("listed"), second.expect("listed"));
        assert_eq!(&*first, "echo");
        assert!(Arc::ptr_eq(&first, &second), "one copy for every call");
        let (_, ping) = table.get_call(&text, "ping").expect("found");
        assert_eq!(ping.as_deref(), Some("ping"));
        let (_, unlisted) = table.get_call(&text, "other").expect("found");
        assert!(unlisted.is_none());
        assert!(table.get_call("org.example.Missing", "echo").is_none());
    }
}
