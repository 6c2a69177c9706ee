//! Application level for the tests: a fake backend (interface level from the memory
//! registry; mapping, instances and metadata report in memory) and application providers
//! serving a greeter and their `MetadataService` over real dubbo on 127.0.0.1.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use oxidubbo_common::Url;
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invocation, Invoker, RpcResult, Service, ServiceInvoker, service_fn};
use oxidubbo_metadata::{MetadataInfo, MetadataStorageType, ServiceInstance};
use oxidubbo_protocol::{DubboProtocol, Exporter, Protocol};
use oxidubbo_registry::{
    DiscoveryListener, MemoryRegistry, MetadataServiceDelegation, NotifyListener, Protocols,
    Registry, RegistryCounts, RegistryError, ServiceDiscovery,
};

type Watches = Mutex<Vec<(String, Arc<dyn DiscoveryListener>)>>;

/// A backend with both levels, notifying synchronously as the trait asks.
pub struct FakeDiscovery {
    memory: MemoryRegistry,
    mapping: Mutex<HashMap<String, BTreeSet<String>>>,
    instances: Mutex<HashMap<String, Vec<ServiceInstance>>>,
    reports: Mutex<HashMap<(String, String), MetadataInfo>>,
    mapping_watches: Watches,
    instance_watches: Watches,
    /// Metadata report reads so far.
    pub report_reads: AtomicUsize,
}

fn same(a: &Arc<dyn DiscoveryListener>, b: &Arc<dyn DiscoveryListener>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

impl FakeDiscovery {
    pub fn new(url: &str) -> Arc<Self> {
        Arc::new(FakeDiscovery {
            memory: MemoryRegistry::new(Url::parse(url).unwrap()),
            mapping: Mutex::default(),
            instances: Mutex::default(),
            reports: Mutex::default(),
            mapping_watches: Mutex::default(),
            instance_watches: Mutex::default(),
            report_reads: AtomicUsize::new(0),
        })
    }

    fn watchers(watches: &Watches, name: &str) -> Vec<Arc<dyn DiscoveryListener>> {
        let watches = watches.lock().unwrap();
        watches
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, l)| Arc::clone(l))
            .collect()
    }

    pub async fn set_mapping(&self, interface: &str, apps: &[&str]) {
        let apps: BTreeSet<String> = apps.iter().map(|a| (*a).to_owned()).collect();
        self.mapping
            .lock()
            .unwrap()
            .insert(interface.to_owned(), apps.clone());
        for l in Self::watchers(&self.mapping_watches, interface) {
            l.on_mapping(interface, apps.clone()).await;
        }
    }

    pub async fn set_instances(&self, app: &str, list: Vec<ServiceInstance>) {
        self.instances
            .lock()
            .unwrap()
            .insert(app.to_owned(), list.clone());
        for l in Self::watchers(&self.instance_watches, app) {
            l.on_instances(app, list.clone()).await;
        }
    }

    pub fn report(&self, info: MetadataInfo) {
        let key = (info.app().to_owned(), info.revision().unwrap().to_owned());
        self.reports.lock().unwrap().insert(key, info);
    }

    /// Mapping and instance watches alive.
    pub fn watches(&self) -> usize {
        self.mapping_watches.lock().unwrap().len() + self.instance_watches.lock().unwrap().len()
    }
}

#[async_trait]
impl ServiceDiscovery for FakeDiscovery {
    async fn subscribe_mapping(
        &self,
        interface: &str,
        listener: Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        let apps = self.mapping.lock().unwrap().get(interface).cloned();
        self.mapping_watches
            .lock()
            .unwrap()
            .push((interface.to_owned(), Arc::clone(&listener)));
        listener
            .on_mapping(interface, apps.unwrap_or_default())
            .await;
        Ok(())
    }

    async fn unsubscribe_mapping(
        &self,
        interface: &str,
        listener: &Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        let mut watches = self.mapping_watches.lock().unwrap();
        watches.retain(|(n, l)| !(n == interface && same(l, listener)));
        Ok(())
    }

    async fn subscribe_instances(
        &self,
        application: &str,
        listener: Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        let list = self.instances.lock().unwrap().get(application).cloned();
        self.instance_watches
            .lock()
            .unwrap()
            .push((application.to_owned(), Arc::clone(&listener)));
        listener
            .on_instances(application, list.unwrap_or_default())
            .await;
        Ok(())
    }

    async fn unsubscribe_instances(
        &self,
        application: &str,
        listener: &Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError> {
        let mut watches = self.instance_watches.lock().unwrap();
        watches.retain(|(n, l)| !(n == application && same(l, listener)));
        Ok(())
    }

    async fn metadata_report(
        &self,
        application: &str,
        revision: &str,
    ) -> Result<Option<MetadataInfo>, RegistryError> {
        self.report_reads.fetch_add(1, Ordering::SeqCst);
        let key = (application.to_owned(), revision.to_owned());
        Ok(self.reports.lock().unwrap().get(&key).cloned())
    }
}

#[async_trait]
impl Registry for FakeDiscovery {
    fn url(&self) -> Url {
        self.memory.url()
    }
    fn is_available(&self) -> bool {
        self.memory.is_available()
    }
    async fn register(&self, url: &Url) -> Result<(), RegistryError> {
        self.memory.register(url).await
    }
    async fn unregister(&self, url: &Url) -> Result<(), RegistryError> {
        self.memory.unregister(url).await
    }
    async fn subscribe(
        &self,
        url: &Url,
        listener: Arc<dyn NotifyListener>,
    ) -> Result<(), RegistryError> {
        self.memory.subscribe(url, listener).await
    }
    async fn unsubscribe(
        &self,
        url: &Url,
        listener: &Arc<dyn NotifyListener>,
    ) -> Result<(), RegistryError> {
        self.memory.unsubscribe(url, listener).await
    }
    async fn lookup(&self, url: &Url) -> Result<Vec<Url>, RegistryError> {
        self.memory.lookup(url).await
    }
    fn discovery(&self) -> Option<&dyn ServiceDiscovery> {
        Some(self)
    }
    async fn destroy(&self) {
        self.mapping_watches.lock().unwrap().clear();
        self.instance_watches.lock().unwrap().clear();
        self.memory.destroy().await;
    }
    fn counts(&self) -> RegistryCounts {
        let mut counts = self.memory.counts();
        counts.watches += self.watches();
        counts
    }
}

/// A greeter that says who it is: `sayHello(name)` → `<who>: Hello, <name>`.
pub fn named_greeter(url: Url, who: &str) -> Arc<dyn Invoker> {
    let who: Arc<str> = who.into();
    Arc::new(ServiceInvoker::new(
        Arc::new(url),
        service_fn(move |inv: Invocation| {
            let who = Arc::clone(&who);
            async move {
                let name = inv
                    .arguments()
                    .first()
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                Ok(RpcResult::new(format!("{who}: Hello, {name}")))
            }
        }),
    ))
}

/// The provider URL of `interface` on `port`, of application `app`.
pub fn service_url(app: &str, interface: &str, port: u16) -> Url {
    Url::parse(&format!(
        "dubbo://127.0.0.1:{port}/{interface}?application={app}&interface={interface}\
         &methods=sayHello&side=provider"
    ))
    .unwrap()
}

/// An application instance on 127.0.0.1: a greeter per interface and its `MetadataService`
/// on one dubbo port; counts the `getMetadataInfo` calls it answers.
pub struct AppProvider {
    pub app: String,
    pub port: u16,
    pub protocol: Arc<DubboProtocol>,
    pub metadata: MetadataServiceDelegation,
    pub info: MetadataInfo,
    pub metadata_calls: Arc<AtomicUsize>,
    exporters: Vec<Arc<dyn Exporter>>,
}

impl AppProvider {
    pub async fn start(app: &str, interfaces: &[&str]) -> AppProvider {
        let port = oxidubbo_integration_tests::free_port();
        let protocol = Arc::new(DubboProtocol::new());
        let metadata = MetadataServiceDelegation::new(app);
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = {
            let (service, calls) = (metadata.clone(), Arc::clone(&calls));
            service_fn(move |inv: Invocation| {
                calls.fetch_add(1, Ordering::SeqCst);
                let service = service.clone();
                async move { service.call(inv).await }
            })
        };
        let export = metadata.export_url("dubbo", "127.0.0.1", port);
        let exporters = vec![
            protocol
                .export(Arc::new(ServiceInvoker::new(Arc::new(export), counted)))
                .await
                .unwrap(),
        ];
        let mut provider = AppProvider {
            app: app.to_owned(),
            port,
            protocol,
            metadata,
            info: MetadataInfo::new(app),
            metadata_calls: calls,
            exporters,
        };
        for interface in interfaces {
            provider.add_service(interface).await;
        }
        provider
    }

    /// Exports a greeter of `interface` and publishes the new revision.
    pub async fn add_service(&mut self, interface: &str) {
        self.add(service_url(&self.app, interface, self.port)).await;
    }

    /// Exports a greeter at `url` (on this provider's port) and publishes the new revision.
    pub async fn add(&mut self, url: Url) {
        let exporter = self
            .protocol
            .export(named_greeter(url.clone(), &self.app))
            .await
            .unwrap();
        self.exporters.push(exporter);
        self.info.add_service(&url).unwrap();
        self.info.update_revision();
        self.metadata.publish("fake", self.info.clone());
    }

    /// Its instance, `storage-type` `local`, pointing at its `MetadataService`.
    pub fn instance(&self) -> ServiceInstance {
        self.instance_stored(MetadataStorageType::Local)
    }

    pub fn instance_stored(&self, storage: MetadataStorageType) -> ServiceInstance {
        let mut instance = ServiceInstance::new(&self.app, "127.0.0.1", self.port);
        let export = self.metadata.export_url("dubbo", "127.0.0.1", self.port);
        instance.set_provider_metadata(&self.info, storage, Some(&export));
        instance
    }

    pub fn metadata_calls(&self) -> usize {
        self.metadata_calls.load(Ordering::SeqCst)
    }

    pub async fn stop(&self) {
        for e in &self.exporters {
            e.unexport().await;
        }
        self.protocol.destroy().await;
    }
}

/// The consumer's protocols: a dubbo protocol of its own.
pub fn consumer_protocols() -> (Arc<DubboProtocol>, Protocols) {
    let dubbo = Arc::new(DubboProtocol::new());
    let protocols = Protocols::empty().with("dubbo", Arc::clone(&dubbo) as Arc<dyn Protocol>);
    (dubbo, protocols)
}

/// The text of a `sayHello(name)` answer.
pub async fn hello(invoker: &Arc<dyn Invoker>, name: &str) -> String {
    let answer = invoker.invoke(super::say_hello(name)).await.unwrap();
    answer.value.as_str().unwrap().to_owned()
}
