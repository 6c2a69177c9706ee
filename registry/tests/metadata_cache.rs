//! How a `ServiceDiscoveryRegistry` reads instances' `MetadataInfo`: once per
//! (application, revision), shared by its subscriptions and bounded; a revision change is
//! read once; an unreachable `MetadataService` holds up no other application; an
//! unanswered revision is read again later; `storage-type=remote` reads the metadata report.

mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use oxidubbo_common::Url;
use oxidubbo_metadata::{MetadataInfo, MetadataStorageType, ServiceInstance};
use oxidubbo_protocol::Protocol;
use oxidubbo_registry::{
    MetadataServiceDelegation, NotifyListener, Registry, RegistryDirectory,
    ServiceDiscoveryRegistry, consumer_url, is_empty_url,
};
use support::discovery::{AppProvider, FakeDiscovery, consumer_protocols, hello, service_url};
use support::{Recorder, eventually};

const LIMIT: Duration = Duration::from_secs(10);

fn reference(interface: &str, extra: &str) -> Url {
    Url::parse(&format!(
        "consumer://127.0.0.1/{interface}?migration.step=FORCE_APPLICATION&{extra}"
    ))
    .unwrap()
}

/// Subscribes a new recorder to `url`.
async fn subscribe(registry: &ServiceDiscoveryRegistry, url: &Url) -> Arc<Recorder> {
    let recorder = Arc::new(Recorder::default());
    let listener: Arc<dyn NotifyListener> = recorder.clone();
    registry.subscribe(url, listener).await.unwrap();
    recorder
}

fn providers(recorder: &Recorder) -> Vec<Url> {
    recorder
        .last()
        .into_iter()
        .filter(|u| !is_empty_url(u))
        .collect()
}

#[tokio::test]
async fn a_revision_is_read_once_and_a_new_one_once_more() {
    const I: &str = "com.example.cache.Revision";
    let mut app = AppProvider::start("cache-revision", &[I]).await;
    let fake = FakeDiscovery::new("memory://127.0.0.1");
    fake.set_mapping(I, &["cache-revision"]).await;
    fake.set_instances("cache-revision", vec![app.instance()])
        .await;
    let registry = ServiceDiscoveryRegistry::new(fake.clone(), consumer_protocols().1);
    let url = consumer_url(&reference(I, "group=*"));

    let first = subscribe(&registry, &url).await;
    assert_eq!(providers(&first).len(), 1);
    assert_eq!(app.metadata_calls(), 1);
    // A second subscription to the same revision uses the cache.
    let second = subscribe(&registry, &url).await;
    assert_eq!(providers(&second).len(), 1);
    assert_eq!(app.metadata_calls(), 1);

    // The provider exports another group of the interface: a new revision.
    app.add(service_url("cache-revision", I, app.port).with_param("group", "blue"))
        .await;
    fake.set_instances("cache-revision", vec![app.instance()])
        .await;
    fake.set_instances("cache-revision", vec![app.instance()])
        .await;
    assert!(
        eventually(LIMIT, || providers(&first).len() == 2
            && providers(&second).len() == 2)
        .await
    );
    // The same instances again, then none: once that is seen, every earlier event was.
    fake.set_instances("cache-revision", vec![app.instance()])
        .await;
    fake.set_instances("cache-revision", vec![]).await;
    assert!(eventually(LIMIT, || providers(&first).is_empty()).await);
    assert_eq!(app.metadata_calls(), 2, "the new revision is read once");

    registry.destroy().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_metadata_service_does_not_hold_up_another_application() {
    const I: &str = "com.example.cache.Unreachable";
    // A MetadataService that accepts connections and never answers, with a long timeout.
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hole_port = hole.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        for _ in 0..16 {
            match hole.accept().await {
                Ok((socket, _)) => sockets.push(socket),
                Err(_) => break,
            }
        }
        std::future::pending::<()>().await;
    });
    let mut dead_info = MetadataInfo::new("cache-dead");
    dead_info
        .add_service(&service_url("cache-dead", I, hole_port))
        .unwrap();
    dead_info.update_revision();
    let dead_export = MetadataServiceDelegation::new("cache-dead")
        .export_url("dubbo", "127.0.0.1", hole_port)
        .with_param("timeout", "60000");
    let mut dead = ServiceInstance::new("cache-dead", "127.0.0.1", hole_port);
    dead.set_provider_metadata(&dead_info, MetadataStorageType::Local, Some(&dead_export));

    let alive = AppProvider::start("cache-alive", &[I]).await;
    let late = AppProvider::start("cache-late", &[I]).await;
    let fake = FakeDiscovery::new("memory://127.0.0.1");
    fake.set_instances("cache-dead", vec![dead]).await;
    fake.set_instances("cache-alive", vec![alive.instance()])
        .await;
    fake.set_instances("cache-late", vec![late.instance()])
        .await;
    fake.set_mapping(I, &["cache-alive", "cache-dead"]).await;

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
    // The first list waits a little for the unreachable one, then goes without it.
    directory.subscribe().await.unwrap();
    let invoker = directory.clone().join().unwrap();
    assert_eq!(directory.invokers().len(), 1);
    assert_eq!(hello(&invoker, "x").await, "cache-alive: Hello, x");

    // Another application joins while the unreachable one is still being asked (its
    // 60 s timeout is far away): it is not held up.
    fake.set_mapping(I, &["cache-alive", "cache-dead", "cache-late"])
        .await;
    assert!(eventually(LIMIT, || directory.invokers().len() == 2).await);

    // Shutting down does not wait for the call in flight.
    directory.shutdown().await;
    assert!(registry.counts().is_empty(), "{:?}", registry.counts());
    assert_eq!(fake.watches(), 0);
    registry.destroy().await;
    dubbo.destroy().await;
    held.abort();
    alive.stop().await;
    late.stop().await;
}

#[tokio::test]
async fn the_cache_stays_bounded() {
    const I: &str = "com.example.cache.Bounded";
    let apps = [
        AppProvider::start("cache-bounded-a", &[I]).await,
        AppProvider::start("cache-bounded-b", &[I]).await,
        AppProvider::start("cache-bounded-c", &[I]).await,
    ];
    let fake = FakeDiscovery::new("memory://127.0.0.1?metadata.cache.size=2");
    for app in &apps {
        fake.set_instances(&app.app, vec![app.instance()]).await;
    }
    let registry = ServiceDiscoveryRegistry::new(fake.clone(), consumer_protocols().1);
    let url = consumer_url(&reference(
        I,
        "provided-by=cache-bounded-a,cache-bounded-b,cache-bounded-c",
    ));
    let calls = || apps.iter().map(AppProvider::metadata_calls).sum::<usize>();

    let first = subscribe(&registry, &url).await;
    assert_eq!(
        providers(&first).len(),
        3,
        "a subscription keeps what it uses"
    );
    assert_eq!(calls(), 3);
    assert_eq!(registry.cached_metadata(), 2);

    // A new subscription finds two in the cache and reads the evicted one again.
    let second = subscribe(&registry, &url).await;
    assert_eq!(providers(&second).len(), 3);
    assert_eq!(calls(), 4);
    assert_eq!(registry.cached_metadata(), 2);

    registry.destroy().await;
    assert_eq!(registry.cached_metadata(), 0);
    for app in &apps {
        app.stop().await;
    }
}

#[tokio::test]
async fn an_unanswered_revision_is_read_again_later() {
    const I: &str = "com.example.cache.Retry";
    let app = AppProvider::start("cache-retry", &[I]).await;
    // The MetadataService does not know the revision yet: it answers null.
    app.metadata.withdraw("fake");
    let fake = FakeDiscovery::new("memory://127.0.0.1");
    fake.set_instances("cache-retry", vec![app.instance()])
        .await;
    let registry = ServiceDiscoveryRegistry::new(fake.clone(), consumer_protocols().1);
    let url = consumer_url(&reference(I, "provided-by=cache-retry"));
    let recorder = subscribe(&registry, &url).await;
    assert!(providers(&recorder).is_empty());
    assert_eq!(app.metadata_calls(), 1);

    app.metadata.publish("fake", app.info.clone());
    assert!(eventually(LIMIT, || providers(&recorder).len() == 1).await);
    assert!(app.metadata_calls() >= 2);

    registry.destroy().await;
    app.stop().await;
}

#[tokio::test]
async fn remote_metadata_is_read_from_the_report() {
    const I: &str = "com.example.cache.Remote";
    let app = AppProvider::start("cache-remote", &[I]).await;
    let fake = FakeDiscovery::new("memory://127.0.0.1");
    fake.report(app.info.clone());
    fake.set_instances(
        "cache-remote",
        vec![app.instance_stored(MetadataStorageType::Remote)],
    )
    .await;
    let (dubbo, protocols) = consumer_protocols();
    let registry = Arc::new(ServiceDiscoveryRegistry::new(
        fake.clone(),
        protocols.clone(),
    ));
    let directory = Arc::new(RegistryDirectory::new(
        registry.clone(),
        consumer_url(&reference(I, "provided-by=cache-remote")),
        protocols,
    ));
    directory.subscribe().await.unwrap();
    let invoker = directory.clone().join().unwrap();
    assert_eq!(hello(&invoker, "r").await, "cache-remote: Hello, r");
    assert_eq!(fake.report_reads.load(Ordering::SeqCst), 1);
    assert_eq!(app.metadata_calls(), 0);

    directory.shutdown().await;
    registry.destroy().await;
    dubbo.destroy().await;
    app.stop().await;
}
