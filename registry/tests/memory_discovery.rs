//! The embedded registry's application level: the instance a provider handle registers with
//! `register-mode` `instance` or `all`, its revision, the mapping, the metadata report and
//! the discovery subscriptions, and that nothing is left once the handles are gone.
//!
//! The tests share the process-wide store, so they run one at a time (`SERIAL`) and each
//! checks that the store is empty at its end.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use oxidubbo_common::Url;
use oxidubbo_metadata::{MetadataInfo, MetadataStorageType, ServiceInstance};
use oxidubbo_registry::{
    DiscoveryListener, MemoryRegistry, Registry, RegistryError, ServiceDiscovery, StoreCounts,
    connect_registry,
};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn registry(mode: &str) -> MemoryRegistry {
    MemoryRegistry::new(Url::parse(&format!("memory://127.0.0.1?register-mode={mode}")).unwrap())
}

fn provider(application: &str, interface: &str, port: u16) -> Url {
    Url::parse(&format!(
        "dubbo://127.0.0.1:{port}/{interface}?interface={interface}&version=1.0.0\
         &side=provider&application={application}&methods=sayHello"
    ))
    .unwrap()
}

fn consumer(interface: &str) -> Url {
    Url::parse(&format!(
        "consumer://127.0.0.1/{interface}?interface={interface}&version=1.0.0"
    ))
    .unwrap()
}

/// The `MetadataInfo` a provider of `urls` must publish, built independently.
fn expected(application: &str, urls: &[&Url]) -> MetadataInfo {
    let mut info = MetadataInfo::new(application);
    for url in urls {
        info.add_service(url).unwrap();
    }
    info.update_revision();
    info
}

fn discovery(r: &MemoryRegistry) -> &dyn ServiceDiscovery {
    r.discovery()
        .expect("the embedded registry has an application level")
}

/// Records every mapping and instance delivery.
#[derive(Default)]
struct Seen {
    mappings: Mutex<Vec<BTreeSet<String>>>,
    instances: Mutex<Vec<Vec<ServiceInstance>>>,
}

impl Seen {
    fn mapping(&self) -> (usize, BTreeSet<String>) {
        let m = self.mappings.lock().unwrap();
        (m.len(), m.last().cloned().unwrap_or_default())
    }

    fn instances(&self) -> (usize, Vec<ServiceInstance>) {
        let i = self.instances.lock().unwrap();
        (i.len(), i.last().cloned().unwrap_or_default())
    }
}

#[async_trait]
impl DiscoveryListener for Seen {
    async fn on_mapping(&self, _interface: &str, applications: BTreeSet<String>) {
        self.mappings.lock().unwrap().push(applications);
    }

    async fn on_instances(&self, _application: &str, instances: Vec<ServiceInstance>) {
        self.instances.lock().unwrap().push(instances);
    }
}

fn apps(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[tokio::test]
async fn instance_follows_the_services_and_their_revision() {
    let _serial = SERIAL.lock().await;
    let app = "mem-disc-follow";
    let first = provider(app, "test.memdisc.First", 20880);
    let second = provider(app, "test.memdisc.Second", 20880);
    let provider_side = registry("instance");
    let consumer_side = registry("instance");
    let seen = Arc::new(Seen::default());
    discovery(&consumer_side)
        .subscribe_instances(app, seen.clone())
        .await
        .unwrap();
    assert_eq!(seen.instances(), (1, vec![]), "told the empty list at once");

    provider_side.register(&first).await.unwrap();
    let one = provider_side.instance().expect("an instance");
    assert_eq!(
        (one.name.as_str(), one.id.as_str()),
        (app, "127.0.0.1:20880")
    );
    let rev1 = expected(app, &[&first]).calculate_revision();
    assert_eq!(one.revision(), Some(rev1.as_str()));
    assert_eq!(one.storage_type(), MetadataStorageType::Remote);
    assert_eq!(seen.instances(), (2, vec![one.clone()]));
    // `instance` mode: no interface-level entry.
    assert!(
        consumer_side
            .lookup(&consumer("test.memdisc.First"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(provider_side.counts().instances, 1);
    assert_eq!(provider_side.counts().registered, 0);

    provider_side.register(&second).await.unwrap();
    let two = provider_side.instance().expect("an instance");
    let rev2 = expected(app, &[&first, &second]).calculate_revision();
    assert_ne!(rev1, rev2);
    assert_eq!(two.revision(), Some(rev2.as_str()));
    assert_eq!(seen.instances(), (3, vec![two]));

    // The same service again changes nothing and tells nobody.
    provider_side.register(&second).await.unwrap();
    assert_eq!(seen.instances().0, 3);

    provider_side.unregister(&second).await.unwrap();
    let back = provider_side.instance().expect("an instance");
    assert_eq!(back.revision(), Some(rev1.as_str()));
    assert_eq!(seen.instances(), (4, vec![back]));

    provider_side.unregister(&first).await.unwrap();
    assert_eq!(provider_side.instance(), None, "the last service takes it");
    assert_eq!(seen.instances(), (5, vec![]));
    assert!(provider_side.counts().is_empty());

    consumer_side.destroy().await;
    provider_side.destroy().await;
    assert_eq!(MemoryRegistry::store_counts(), StoreCounts::default());
}

#[tokio::test]
async fn instance_goes_with_a_destroyed_or_dropped_handle() {
    let _serial = SERIAL.lock().await;
    let app = "mem-disc-gone";
    let consumer_side = registry("interface");
    let seen = Arc::new(Seen::default());
    discovery(&consumer_side)
        .subscribe_instances(app, seen.clone())
        .await
        .unwrap();

    let destroyed = registry("all");
    destroyed
        .register(&provider(app, "test.memdisc.Gone", 20881))
        .await
        .unwrap();
    let dropped = registry("all");
    dropped
        .register(&provider(app, "test.memdisc.Gone", 20882))
        .await
        .unwrap();
    let (_, both) = seen.instances();
    assert_eq!(
        both.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["127.0.0.1:20881", "127.0.0.1:20882"]
    );
    assert_eq!(MemoryRegistry::store_counts().instances, 2);

    destroyed.destroy().await;
    let (_, left) = seen.instances();
    assert_eq!(
        left.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["127.0.0.1:20882"]
    );

    drop(dropped);
    assert_eq!(MemoryRegistry::store_counts().instances, 0);
    let after_drop = Arc::new(Seen::default());
    discovery(&consumer_side)
        .subscribe_instances(app, after_drop.clone())
        .await
        .unwrap();
    assert_eq!(after_drop.instances(), (1, vec![]));

    consumer_side.destroy().await;
    assert_eq!(MemoryRegistry::store_counts(), StoreCounts::default());
}

#[tokio::test]
async fn mapping_lists_every_application_of_an_interface() {
    let _serial = SERIAL.lock().await;
    let interface = "test.memdisc.Shared";
    let consumer_side = registry("interface");
    let seen = Arc::new(Seen::default());
    discovery(&consumer_side)
        .subscribe_mapping(interface, seen.clone())
        .await
        .unwrap();
    assert_eq!(seen.mapping(), (1, apps(&[])));

    let a = registry("instance");
    a.register(&provider("mem-disc-a", interface, 20883))
        .await
        .unwrap();
    assert_eq!(seen.mapping(), (2, apps(&["mem-disc-a"])));
    let b = registry("all");
    b.register(&provider("mem-disc-b", interface, 20884))
        .await
        .unwrap();
    assert_eq!(seen.mapping(), (3, apps(&["mem-disc-a", "mem-disc-b"])));

    // Another service of b's does not change this mapping: nobody is told.
    b.register(&provider("mem-disc-b", "test.memdisc.Other", 20884))
        .await
        .unwrap();
    assert_eq!(seen.mapping().0, 3);

    b.destroy().await;
    assert_eq!(seen.mapping(), (4, apps(&["mem-disc-a"])));
    a.destroy().await;
    assert_eq!(seen.mapping(), (5, apps(&[])));

    consumer_side.destroy().await;
    assert_eq!(MemoryRegistry::store_counts(), StoreCounts::default());
}

#[tokio::test]
async fn metadata_report_answers_the_live_revision_only() {
    let _serial = SERIAL.lock().await;
    let app = "mem-disc-report";
    let first = provider(app, "test.memdisc.ReportA", 20885);
    let second = provider(app, "test.memdisc.ReportB", 20885);
    let provider_side = registry("instance");

    provider_side.register(&first).await.unwrap();
    let one = expected(app, &[&first]);
    let rev1 = one.revision().unwrap().to_owned();
    let report = discovery(&provider_side);
    assert_eq!(report.metadata_report(app, &rev1).await.unwrap(), Some(one));

    provider_side.register(&second).await.unwrap();
    let two = expected(app, &[&first, &second]);
    let rev2 = two.revision().unwrap().to_owned();
    assert_eq!(report.metadata_report(app, &rev1).await.unwrap(), None);
    assert_eq!(report.metadata_report(app, &rev2).await.unwrap(), Some(two));
    assert_eq!(
        report
            .metadata_report("mem-disc-other", &rev2)
            .await
            .unwrap(),
        None
    );

    provider_side.destroy().await;
    let reader = registry("interface");
    assert_eq!(
        discovery(&reader)
            .metadata_report(app, &rev2)
            .await
            .unwrap(),
        None
    );
    reader.destroy().await;
    assert_eq!(MemoryRegistry::store_counts(), StoreCounts::default());
}

#[tokio::test]
async fn interface_mode_and_provider_without_application_write_no_instance() {
    let _serial = SERIAL.lock().await;
    let interface = "test.memdisc.Plain";
    let url = provider("mem-disc-plain", interface, 20886);
    // Without register-mode: both levels, Dubbo Java's default `all`.
    let r = MemoryRegistry::new(Url::parse("memory://127.0.0.1").unwrap());
    r.register(&url).await.unwrap();
    assert!(r.instance().is_some(), "the default registers the instance");
    assert_eq!(
        r.lookup(&consumer(interface)).await.unwrap(),
        vec![url.clone()]
    );
    r.destroy().await;
    for registry_url in ["memory://127.0.0.1?register-mode=interface"] {
        let r = MemoryRegistry::new(Url::parse(registry_url).unwrap());
        r.register(&url).await.unwrap();
        assert_eq!(r.instance(), None, "{registry_url}");
        assert_eq!(
            r.lookup(&consumer(interface)).await.unwrap(),
            vec![url.clone()]
        );
        r.destroy().await;
    }

    // `instance` mode, but no application: interface level only.
    let r = registry("instance");
    let anonymous = Url::parse(&format!(
        "dubbo://127.0.0.1:20887/{interface}?interface={interface}&version=1.0.0&side=provider"
    ))
    .unwrap();
    r.register(&anonymous).await.unwrap();
    assert_eq!(r.instance(), None);
    assert_eq!(
        r.lookup(&consumer(interface)).await.unwrap(),
        vec![anonymous]
    );
    r.destroy().await;
    assert_eq!(MemoryRegistry::store_counts(), StoreCounts::default());
}

#[tokio::test]
async fn unknown_register_mode_is_refused() {
    let _serial = SERIAL.lock().await;
    let url = Url::parse("memory://127.0.0.1?register-mode=everything").unwrap();
    assert!(matches!(
        connect_registry(&url).await.err(),
        Some(RegistryError::Config(_))
    ));
    let r = MemoryRegistry::new(url);
    let err = r
        .register(&provider("mem-disc-bad", "test.memdisc.Bad", 20888))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::Config(_)), "{err}");
    r.destroy().await;
    assert_eq!(MemoryRegistry::store_counts(), StoreCounts::default());
}

#[tokio::test]
async fn discovery_subscriptions_end_with_unsubscribe_destroy_and_drop() {
    let _serial = SERIAL.lock().await;
    let app = "mem-disc-subs";
    let interface = "test.memdisc.Subs";
    let seen = Arc::new(Seen::default());
    let listener: Arc<dyn DiscoveryListener> = seen.clone();
    let r = registry("interface");
    let d = discovery(&r);
    d.subscribe_mapping(interface, listener.clone())
        .await
        .unwrap();
    d.subscribe_instances(app, listener.clone()).await.unwrap();
    assert_eq!(r.counts().subscriptions, 2);
    assert_eq!(MemoryRegistry::store_counts().subscriptions, 2);

    // Another listener or key is not this subscription.
    let other: Arc<dyn DiscoveryListener> = Arc::new(Seen::default());
    d.unsubscribe_mapping(interface, &other).await.unwrap();
    d.unsubscribe_instances("mem-disc-none", &listener)
        .await
        .unwrap();
    assert_eq!(r.counts().subscriptions, 2);

    d.unsubscribe_mapping(interface, &listener).await.unwrap();
    d.unsubscribe_instances(app, &listener).await.unwrap();
    assert_eq!(r.counts().subscriptions, 0);
    assert_eq!(
        Arc::strong_count(&listener),
        2,
        "only `listener` and `seen`"
    );

    // Unsubscribed: changes are not told any more.
    let provider_side = registry("instance");
    provider_side
        .register(&provider(app, interface, 20889))
        .await
        .unwrap();
    assert_eq!((seen.mapping().0, seen.instances().0), (1, 1));

    d.subscribe_mapping(interface, listener.clone())
        .await
        .unwrap();
    assert_eq!(seen.mapping(), (2, apps(&[app])));
    r.destroy().await;
    assert!(d.subscribe_instances(app, listener.clone()).await.is_err());
    assert_eq!(Arc::strong_count(&listener), 2, "destroy drops it");

    let dropped = registry("interface");
    discovery(&dropped)
        .subscribe_instances(app, listener.clone())
        .await
        .unwrap();
    assert_eq!(MemoryRegistry::store_counts().subscriptions, 1);
    drop(dropped);
    assert_eq!(Arc::strong_count(&listener), 2, "drop drops it");

    provider_side.destroy().await;
    assert_eq!(MemoryRegistry::store_counts(), StoreCounts::default());
}
