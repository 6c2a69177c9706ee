//! `ServiceDiscoveryRegistry` under a `RegistryDirectory`: a provider known only at
//! application level (through the mapping, or `provided-by`) is found and called over real
//! dubbo, its leaving empties the directory, and unsubscribe and destroy leave no
//! subscription, watch, cached metadata or task behind. `RegistryProtocol` wraps the
//! registries it connects.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_common::Url;
use oxidubbo_invoker::RpcError;
use oxidubbo_protocol::Protocol;
use oxidubbo_registry::{
    NotifyListener, Registry, RegistryDirectory, RegistryProtocol, ServiceDiscoveryRegistry,
    consumer_url, is_empty_url,
};
use support::discovery::{AppProvider, FakeDiscovery, consumer_protocols, hello};
use support::{Recorder, eventually};

const LIMIT: Duration = Duration::from_secs(10);

fn reference(interface: &str, extra: &str) -> Url {
    Url::parse(&format!("consumer://127.0.0.1/{interface}?{extra}")).unwrap()
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_application_finds_a_provider_known_only_at_application_level() {
    const I: &str = "com.example.sdr.ForceApplication";
    let tasks_before = alive_tasks();
    let provider = AppProvider::start("sdr-force-app", &[I]).await;
    let fake = FakeDiscovery::new("memory://127.0.0.1");
    fake.set_mapping(I, &["sdr-force-app"]).await;
    fake.set_instances("sdr-force-app", vec![provider.instance()])
        .await;

    let (dubbo, protocols) = consumer_protocols();
    let registry = Arc::new(ServiceDiscoveryRegistry::new(
        fake.clone(),
        protocols.clone(),
    ));
    let consumer = consumer_url(&reference(I, "migration.step=FORCE_APPLICATION"));
    let directory = Arc::new(RegistryDirectory::new(
        registry.clone(),
        consumer,
        protocols,
    ));
    directory.subscribe().await.unwrap();
    let invoker = directory.clone().join().unwrap();
    assert_eq!(hello(&invoker, "app").await, "sdr-force-app: Hello, app");
    assert_eq!(provider.metadata_calls(), 1);
    assert_eq!(registry.cached_metadata(), 1);
    // The mapping and the application's instances are watched; the inner registry is
    // subscribed to routers and configurators only.
    assert_eq!(fake.watches(), 2);
    assert_eq!(registry.counts().subscriptions, 2);

    // The instance leaves: the directory empties and its invoker is destroyed.
    let referred = directory.invokers();
    fake.set_instances("sdr-force-app", vec![]).await;
    assert!(eventually(LIMIT, || directory.invokers().is_empty()).await);
    assert!(referred.iter().all(|i| i.is_destroyed()));
    let err = invoker
        .invoke(support::say_hello("gone"))
        .await
        .unwrap_err();
    assert!(!matches!(err, RpcError::Destroyed(_)), "{err}");

    directory.shutdown().await;
    assert!(registry.counts().is_empty(), "{:?}", registry.counts());
    assert_eq!(fake.watches(), 0);
    registry.destroy().await;
    assert_eq!(registry.cached_metadata(), 0);
    dubbo.destroy().await;
    provider.stop().await;
    assert!(
        eventually(LIMIT, || alive_tasks() <= tasks_before).await,
        "tasks left: {} > {tasks_before}",
        alive_tasks()
    );
}

#[tokio::test]
async fn provided_by_skips_the_mapping() {
    const I: &str = "com.example.sdr.ProvidedBy";
    let provider = AppProvider::start("sdr-provided-by", &[I]).await;
    let fake = FakeDiscovery::new("memory://127.0.0.1");
    // The mapping names another application: provided-by wins without reading it.
    fake.set_mapping(I, &["sdr-somebody-else"]).await;
    fake.set_instances("sdr-provided-by", vec![provider.instance()])
        .await;

    let (dubbo, protocols) = consumer_protocols();
    let registry = Arc::new(ServiceDiscoveryRegistry::new(
        fake.clone(),
        protocols.clone(),
    ));
    let consumer = consumer_url(&reference(
        I,
        "migration.step=FORCE_APPLICATION&provided-by=sdr-provided-by, ,",
    ));
    let directory = Arc::new(RegistryDirectory::new(
        registry.clone(),
        consumer,
        protocols,
    ));
    directory.subscribe().await.unwrap();
    let invoker = directory.clone().join().unwrap();
    assert_eq!(hello(&invoker, "p").await, "sdr-provided-by: Hello, p");
    assert_eq!(fake.watches(), 1, "only the instances are watched");

    directory.shutdown().await;
    registry.destroy().await;
    assert_eq!(fake.watches(), 0);
    dubbo.destroy().await;
    provider.stop().await;
}

#[tokio::test]
async fn unsubscribe_and_destroy_leave_nothing() {
    const I: &str = "com.example.sdr.Lifecycle";
    let provider = AppProvider::start("sdr-lifecycle", &[I]).await;
    let fake = FakeDiscovery::new("memory://127.0.0.1");
    fake.set_mapping(I, &["sdr-lifecycle"]).await;
    fake.set_instances("sdr-lifecycle", vec![provider.instance()])
        .await;
    let (dubbo, protocols) = consumer_protocols();
    let registry = ServiceDiscoveryRegistry::new(fake.clone(), protocols);
    let url = consumer_url(&reference(I, "")).with_param("category", "providers,routers");

    let recorder = Arc::new(Recorder::default());
    let listener: Arc<dyn NotifyListener> = recorder.clone();
    registry
        .subscribe(&url, Arc::clone(&listener))
        .await
        .unwrap();
    // APPLICATION_FIRST (the default): the interface level has nothing, so the
    // application level's provider is delivered.
    let providers: Vec<Url> = recorder
        .calls
        .lock()
        .unwrap()
        .iter()
        .flatten()
        .filter(|u| u.port() == provider.port)
        .cloned()
        .collect();
    assert_eq!(providers.len(), 1, "{:?}", recorder.calls.lock().unwrap());
    let counts = registry.counts();
    assert_eq!(counts.subscriptions, 2, "{counts:?}");
    assert_eq!(fake.watches(), 2);

    registry.unsubscribe(&url, &listener).await.unwrap();
    assert!(registry.counts().is_empty(), "{:?}", registry.counts());
    assert_eq!(fake.watches(), 0);
    assert_eq!(Arc::strong_count(&listener), 2, "only the test holds it");

    // Destroy stops what unsubscribe was not asked to stop.
    registry
        .subscribe(&url, Arc::clone(&listener))
        .await
        .unwrap();
    assert_eq!(fake.watches(), 2);
    registry.destroy().await;
    assert!(registry.counts().is_empty(), "{:?}", registry.counts());
    assert_eq!(fake.watches(), 0);
    assert_eq!(registry.cached_metadata(), 0);
    assert_eq!(Arc::strong_count(&listener), 2, "only the test holds it");
    let again = registry.subscribe(&url, Arc::clone(&listener)).await;
    assert!(again.is_err());
    dubbo.destroy().await;
    provider.stop().await;
}

#[tokio::test]
async fn the_registry_protocol_reads_the_migration_step_of_every_reference() {
    // The memory registry has no application level, so the step only decides whether
    // the reference is valid; a bad one is a configuration error, not a silent default.
    let protocol = RegistryProtocol::with_protocols(consumer_protocols().1);
    let registry = Url::parse("memory://127.0.0.1").unwrap();
    let bad = reference(
        "com.example.sdr.BadStep",
        "migration.step=SOMETIMES&check=false",
    );
    let Err(err) = protocol.refer_from(&registry, &bad).await else {
        panic!("a bad migration.step was accepted");
    };
    assert!(
        matches!(&err, RpcError::Config(m) if m.contains("SOMETIMES")),
        "{err}"
    );
    let good = reference("com.example.sdr.BadStep", "check=false");
    let invoker = protocol.refer_from(&registry, &good).await.unwrap();
    invoker.destroy();
    protocol.destroy().await;
    assert!(protocol.counts().is_empty());
}

#[tokio::test]
async fn an_empty_application_level_is_delivered_as_empty() {
    const I: &str = "com.example.sdr.Nobody";
    let fake = FakeDiscovery::new("memory://127.0.0.1");
    let registry = ServiceDiscoveryRegistry::new(fake.clone(), consumer_protocols().1);
    let url = consumer_url(&reference(I, "migration.step=FORCE_APPLICATION"));
    let recorder = Arc::new(Recorder::default());
    let listener: Arc<dyn NotifyListener> = recorder.clone();
    registry
        .subscribe(&url, Arc::clone(&listener))
        .await
        .unwrap();
    let last = recorder.last();
    assert!(last.len() == 1 && is_empty_url(&last[0]), "{last:?}");
    registry.destroy().await;
}

#[tokio::test]
async fn the_mapping_is_followed() {
    const I: &str = "com.example.sdr.Mapping";
    let one = AppProvider::start("sdr-mapping-one", &[I]).await;
    let two = AppProvider::start("sdr-mapping-two", &[I]).await;
    let fake = FakeDiscovery::new("memory://127.0.0.1");
    fake.set_instances("sdr-mapping-one", vec![one.instance()])
        .await;
    fake.set_instances("sdr-mapping-two", vec![two.instance()])
        .await;
    fake.set_mapping(I, &["sdr-mapping-one"]).await;
    let (dubbo, protocols) = consumer_protocols();
    let registry = Arc::new(ServiceDiscoveryRegistry::new(
        fake.clone(),
        protocols.clone(),
    ));
    let consumer = consumer_url(&reference(I, "migration.step=FORCE_APPLICATION"));
    let directory = Arc::new(RegistryDirectory::new(
        registry.clone(),
        consumer,
        protocols,
    ));
    directory.subscribe().await.unwrap();
    assert_eq!(directory.invokers().len(), 1);
    assert_eq!(fake.watches(), 2);

    // A second application is mapped: followed.
    fake.set_mapping(I, &["sdr-mapping-one", "sdr-mapping-two"])
        .await;
    assert!(eventually(LIMIT, || directory.invokers().len() == 2).await);
    assert_eq!(fake.watches(), 3);

    // The first leaves the mapping: no longer watched, its invoker destroyed.
    let first = directory
        .invokers()
        .into_iter()
        .find(|i| i.url().is_some_and(|u| u.port() == one.port))
        .unwrap();
    fake.set_mapping(I, &["sdr-mapping-two"]).await;
    assert!(eventually(LIMIT, || directory.invokers().len() == 1).await);
    assert!(first.is_destroyed());
    assert!(eventually(LIMIT, || fake.watches() == 2).await);
    let invoker = directory.clone().join().unwrap();
    assert_eq!(hello(&invoker, "m").await, "sdr-mapping-two: Hello, m");

    directory.shutdown().await;
    assert_eq!(fake.watches(), 0);
    registry.destroy().await;
    dubbo.destroy().await;
    one.stop().await;
    two.stop().await;
}
