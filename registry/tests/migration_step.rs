//! The migration step of a subscription through `ServiceDiscoveryRegistry`:
//! `APPLICATION_FIRST` (the default) uses the application level when it has providers and
//! the interface level otherwise, switching both ways as the application level appears and
//! empties, never referring interface providers just to retire them, and honouring the
//! threshold; `FORCE_INTERFACE` ignores the application level; `FORCE_APPLICATION` ignores
//! the interface level's providers but passes its routers through.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_common::Url;
use oxidubbo_protocol::{DubboProtocol, Exporter, Protocol};
use oxidubbo_registry::{
    NotifyListener, Registry, RegistryDirectory, ServiceDiscoveryRegistry, category_of,
    consumer_url, is_empty_url,
};
use support::discovery::{
    AppProvider, FakeDiscovery, consumer_protocols, hello, named_greeter, service_url,
};
use support::{Recorder, eventually};

const LIMIT: Duration = Duration::from_secs(10);

fn reference(interface: &str, extra: &str) -> Url {
    Url::parse(&format!("consumer://127.0.0.1/{interface}?{extra}")).unwrap()
}

/// A provider registered at interface level only, answering as `interface-level`.
struct InterfaceProvider {
    protocol: DubboProtocol,
    exporter: Arc<dyn Exporter>,
    url: Url,
}

impl InterfaceProvider {
    async fn start(fake: &FakeDiscovery, interface: &str) -> Self {
        let port = oxidubbo_integration_tests::free_port();
        let url = service_url("interface-app", interface, port);
        let protocol = DubboProtocol::new();
        let exporter = protocol
            .export(named_greeter(url.clone(), "interface-level"))
            .await
            .unwrap();
        fake.register(&url).await.unwrap();
        InterfaceProvider {
            protocol,
            exporter,
            url,
        }
    }

    async fn stop(&self, fake: &FakeDiscovery) {
        fake.unregister(&self.url).await.unwrap();
        self.exporter.unexport().await;
        self.protocol.destroy().await;
    }
}

/// The providers (not `empty://`) of every notification `recorder` got.
fn providers_seen(recorder: &Recorder) -> Vec<Url> {
    recorder
        .calls
        .lock()
        .unwrap()
        .iter()
        .flatten()
        .filter(|u| !is_empty_url(u) && category_of(u) == "providers")
        .cloned()
        .collect()
}

#[tokio::test]
async fn application_first_switches_between_the_levels() {
    const I: &str = "com.example.migration.Switch";
    let fake = FakeDiscovery::new("memory://127.0.0.1");
    let interface = InterfaceProvider::start(&fake, I).await;
    let app = AppProvider::start("migration-switch", &[I]).await;
    fake.set_mapping(I, &["migration-switch"]).await;

    let (dubbo, protocols) = consumer_protocols();
    let registry = Arc::new(ServiceDiscoveryRegistry::new(
        fake.clone(),
        protocols.clone(),
    ));
    let directory = Arc::new(RegistryDirectory::new(
        registry.clone(),
        consumer_url(&reference(I, "")),
        protocols,
    ));
    directory.subscribe().await.unwrap();
    let invoker = directory.clone().join().unwrap();
    assert_eq!(hello(&invoker, "a").await, "interface-level: Hello, a");

    // The application level gets a provider: it wins, the interface one is retired.
    let before = directory.invokers();
    fake.set_instances("migration-switch", vec![app.instance()])
        .await;
    assert!(
        eventually(LIMIT, || {
            let now = directory.invokers();
            now.len() == 1 && now[0].url().is_some_and(|u| u.port() == app.port)
        })
        .await
    );
    assert!(before.iter().all(|i| i.is_destroyed()));
    assert_eq!(hello(&invoker, "b").await, "migration-switch: Hello, b");

    // It empties: back to the interface level.
    let before = directory.invokers();
    fake.set_instances("migration-switch", vec![]).await;
    assert!(
        eventually(LIMIT, || {
            let now = directory.invokers();
            now.len() == 1
                && now[0]
                    .url()
                    .is_some_and(|u| u.port() == interface.url.port())
        })
        .await
    );
    assert!(before.iter().all(|i| i.is_destroyed()));
    assert_eq!(hello(&invoker, "c").await, "interface-level: Hello, c");

    directory.shutdown().await;
    interface.stop(&fake).await;
    assert!(registry.counts().is_empty(), "{:?}", registry.counts());
    assert_eq!(fake.watches(), 0);
    registry.destroy().await;
    dubbo.destroy().await;
    app.stop().await;
}

#[tokio::test]
async fn application_first_with_both_levels_never_delivers_the_losing_one() {
    const I: &str = "com.example.migration.Both";
    let fake = FakeDiscovery::new("memory://127.0.0.1");
    let interface = InterfaceProvider::start(&fake, I).await;
    let app = AppProvider::start("migration-both", &[I]).await;
    fake.set_mapping(I, &["migration-both"]).await;
    fake.set_instances("migration-both", vec![app.instance()])
        .await;
    let registry = ServiceDiscoveryRegistry::new(fake.clone(), consumer_protocols().1);

    let recorder = Arc::new(Recorder::default());
    let listener: Arc<dyn NotifyListener> = recorder.clone();
    let url = consumer_url(&reference(I, ""));
    registry
        .subscribe(&url, Arc::clone(&listener))
        .await
        .unwrap();
    let seen = providers_seen(&recorder);
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|u| u.port() == app.port), "{seen:?}");
    registry.unsubscribe(&url, &listener).await.unwrap();

    // With a threshold of 2, one application-level provider against one interface-level
    // provider is not enough: the interface level is used, and only it.
    let recorder = Arc::new(Recorder::default());
    let listener: Arc<dyn NotifyListener> = recorder.clone();
    let url = consumer_url(&reference(I, "migration.threshold=2"));
    registry
        .subscribe(&url, Arc::clone(&listener))
        .await
        .unwrap();
    let seen = providers_seen(&recorder);
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|u| u.port() == interface.url.port()),
        "{seen:?}"
    );

    interface.stop(&fake).await;
    registry.destroy().await;
    assert!(registry.counts().is_empty(), "{:?}", registry.counts());
    app.stop().await;
}

#[tokio::test]
async fn force_interface_ignores_the_application_level() {
    const I: &str = "com.example.migration.ForceInterface";
    let fake = FakeDiscovery::new("memory://127.0.0.1?migration.step=FORCE_INTERFACE");
    let app = AppProvider::start("migration-force-interface", &[I]).await;
    fake.set_mapping(I, &["migration-force-interface"]).await;
    fake.set_instances("migration-force-interface", vec![app.instance()])
        .await;
    let registry = ServiceDiscoveryRegistry::new(fake.clone(), consumer_protocols().1);

    // The registry URL's step applies to a consumer without one.
    let recorder = Arc::new(Recorder::default());
    let listener: Arc<dyn NotifyListener> = recorder.clone();
    let url = consumer_url(&reference(I, ""));
    registry
        .subscribe(&url, Arc::clone(&listener))
        .await
        .unwrap();
    assert!(providers_seen(&recorder).is_empty());
    assert!(recorder.last().iter().all(is_empty_url));
    assert_eq!(fake.watches(), 0, "nothing at application level is watched");
    assert_eq!(app.metadata_calls(), 0);
    assert_eq!(registry.counts().subscriptions, 1);
    registry.unsubscribe(&url, &listener).await.unwrap();
    assert!(registry.counts().is_empty());

    registry.destroy().await;
    app.stop().await;
}

#[tokio::test]
async fn force_application_passes_the_interface_routers_through() {
    const I: &str = "com.example.migration.Routers";
    let fake = FakeDiscovery::new("memory://127.0.0.1");
    let interface = InterfaceProvider::start(&fake, I).await;
    let route = Url::parse(&format!(
        "route://0.0.0.0/{I}?category=routers&router=condition&rule=host%3D1.2.3.4"
    ))
    .unwrap();
    fake.register(&route).await.unwrap();
    let registry = ServiceDiscoveryRegistry::new(fake.clone(), consumer_protocols().1);

    let recorder = Arc::new(Recorder::default());
    let listener: Arc<dyn NotifyListener> = recorder.clone();
    let url = consumer_url(&reference(I, "migration.step=FORCE_APPLICATION"))
        .with_param("category", "providers,routers");
    registry
        .subscribe(&url, Arc::clone(&listener))
        .await
        .unwrap();
    let all: Vec<Url> = recorder.calls.lock().unwrap().concat();
    assert!(all.iter().any(|u| u.protocol() == "route"), "{all:?}");
    assert!(
        all.iter().all(|u| u.port() != interface.url.port()),
        "{all:?}"
    );
    assert!(providers_seen(&recorder).is_empty());

    fake.unregister(&route).await.unwrap();
    interface.stop(&fake).await;
    registry.destroy().await;
}
