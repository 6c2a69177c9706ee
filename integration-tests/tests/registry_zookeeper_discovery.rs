//! The consumer side of application-level discovery on a real ZooKeeper (`OXIDUBBO_ZK`),
//! through `Registry::discovery` (issue #15): the mapping watch, the instance watch (children
//! and each child's data), their life with the session and with unsubscribe and destroy, and
//! the metadata report (`metadata-type=remote` on the provider side, Java's and dubbo-go's
//! paths on the reading side).
//!
//! Each test uses its own root (`group` of the registry URL: the mapping, the report and,
//! as Dubbo Java reads it, the instances live under it).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_integration_tests::{free_port, unique_name, zk_children, zk_client, zookeeper};
use oxidubbo_invoker::Url;
use oxidubbo_metadata::{MetadataInfo, MetadataStorageType, ServiceInstance};
use oxidubbo_registry::{DiscoveryListener, Registry, RegistryError, ZookeeperRegistry};
use zookeeper_client::{Acls, CreateMode};

const APPLICATION: &str = "greeter-app";
const GREETER: &str = "org.apache.dubbo.samples.api.GreetingsService";
const ECHO: &str = "org.apache.dubbo.samples.api.EchoService";
/// What dubbo-go writes (derived from its source; metadata/tests/fixtures/README.md).
const GO_INSTANCE: &str =
    include_str!("../../metadata/tests/fixtures/dubbo-go-3.3.2-instance.json");
const GO_REPORT: &str =
    include_str!("../../metadata/tests/fixtures/dubbo-go-3.3.2-metadata-report.json");
/// The application and revision of the dubbo-go fixtures.
const GO_APP: &str = "go-app";
const GO_REVISION: &str = "ce0113d046870a93aede5862cd9620cc78f270022adaeb17f9947c27454f8adca7e293d318884af65ffc884f24d6531eebed95c32a734e77b7b3251a508b5f8e";
/// Bound on every step of these tests (a hang guard, not a speed check).
const LIMIT: Duration = Duration::from_secs(20);

async fn registry(zk: &str, root: &str, params: &str) -> ZookeeperRegistry {
    let url = Url::parse(&format!(
        "zookeeper://{zk}?group={root}&session=10000{params}"
    ))
    .expect("URL");
    tokio::time::timeout(LIMIT, ZookeeperRegistry::connect(url))
        .await
        .expect("connect within the limit")
        .expect("connected")
}

/// A provider registry that writes the application instance only.
async fn provider_registry(zk: &str, root: &str) -> ZookeeperRegistry {
    registry(zk, root, "&register-mode=instance").await
}

/// A provider URL as the registry protocol registers it.
fn provider(interface: &str, port: u16) -> Url {
    Url::parse(&format!(
        "dubbo://127.0.0.1:{port}/{interface}?anyhost=true&application={APPLICATION}\
         &interface={interface}&methods=sayHi,sayBye&side=provider&timestamp=1700000000000\
         &release=3.3.0&dubbo=2.0.2"
    ))
    .expect("provider URL")
}

fn expected_revision(urls: &[&Url]) -> String {
    let mut info = MetadataInfo::new(APPLICATION);
    for url in urls {
        info.add_service(url).expect("service");
    }
    info.calculate_revision()
}

/// Every delivery, in order.
#[derive(Default)]
struct Seen {
    mappings: Mutex<Vec<(String, BTreeSet<String>)>>,
    instances: Mutex<Vec<(String, Vec<ServiceInstance>)>>,
}

#[async_trait]
impl DiscoveryListener for Seen {
    async fn on_mapping(&self, interface: &str, applications: BTreeSet<String>) {
        self.mappings
            .lock()
            .expect("lock")
            .push((interface.to_owned(), applications));
    }

    async fn on_instances(&self, application: &str, instances: Vec<ServiceInstance>) {
        self.instances
            .lock()
            .expect("lock")
            .push((application.to_owned(), instances));
    }
}

impl Seen {
    fn mappings(&self) -> Vec<BTreeSet<String>> {
        let seen = self.mappings.lock().expect("lock");
        seen.iter().map(|(_, apps)| apps.clone()).collect()
    }

    fn instances(&self) -> Vec<Vec<ServiceInstance>> {
        let seen = self.instances.lock().expect("lock");
        seen.iter().map(|(_, found)| found.clone()).collect()
    }

    /// The revisions of each instance delivery.
    fn revisions(&self) -> Vec<Vec<String>> {
        self.instances()
            .iter()
            .map(|found| {
                found
                    .iter()
                    .map(|i| i.revision().unwrap_or("none").to_owned())
                    .collect()
            })
            .collect()
    }
}

/// Waits (bounded) until `done`; whether it happened.
async fn eventually(done: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + LIMIT;
    while !done() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

fn apps(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// `runs` without consecutive repeats.
fn distinct_in_order<T: PartialEq>(mut runs: Vec<T>) -> Vec<T> {
    runs.dedup();
    runs
}

async fn create(client: &zookeeper_client::Client, path: &str, data: &[u8]) {
    let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
    if let Some((parent, _)) = path.rsplit_once('/') {
        client.mkdir(parent, &options).await.expect("parents");
    }
    client.create(path, data, &options).await.expect("created");
}

/// Deletes `path` and everything under it (bounded depth).
async fn delete_tree(client: &zookeeper_client::Client, path: &str) {
    let mut stack = vec![(path.to_owned(), false)];
    for _ in 0..10_000 {
        let Some((node, expanded)) = stack.pop() else {
            return;
        };
        if expanded {
            let _ = client.delete(&node, None).await;
            continue;
        }
        stack.push((node.clone(), true));
        for child in zk_children(client, &node).await {
            stack.push((format!("{node}/{child}"), false));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapping_watch_sees_the_node_created_later_and_every_application_added() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-discovery-mapping-");
    let consumer = registry(&zk, &root, "").await;
    let writer = registry(&zk, &root, "").await;
    let seen = Arc::new(Seen::default());
    let discovery = consumer.discovery().expect("ZooKeeper offers discovery");
    discovery
        .subscribe_mapping(GREETER, seen.clone())
        .await
        .expect("subscribed");
    assert_eq!(
        seen.mappings(),
        vec![BTreeSet::new()],
        "told the empty set before subscribe returns, the node being missing"
    );
    assert_eq!(seen.mappings.lock().expect("lock")[0].0, GREETER);

    writer.map_service(GREETER, "app-a").await.expect("mapped");
    assert!(
        eventually(|| seen.mappings().last() == Some(&apps(&["app-a"]))).await,
        "the node created later is seen: {:?}",
        seen.mappings()
    );
    writer.map_service(GREETER, "app-b").await.expect("mapped");
    assert!(
        eventually(|| seen.mappings().last() == Some(&apps(&["app-a", "app-b"]))).await,
        "an application added is seen: {:?}",
        seen.mappings()
    );
    assert_eq!(
        distinct_in_order(seen.mappings()),
        vec![apps(&[]), apps(&["app-a"]), apps(&["app-a", "app-b"])],
        "the complete set each time, in order"
    );

    consumer.destroy().await;
    writer.destroy().await;
    delete_tree(&zk_client(&zk).await, &format!("/{root}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_watch_follows_an_instance_appearing_changing_revision_and_leaving() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-discovery-instances-");
    let consumer = registry(&zk, &root, "").await;
    let provider_side = provider_registry(&zk, &root).await;
    let seen = Arc::new(Seen::default());
    let discovery = consumer.discovery().expect("discovery");
    discovery
        .subscribe_instances(APPLICATION, seen.clone())
        .await
        .expect("subscribed");
    assert_eq!(
        seen.instances(),
        vec![Vec::new()],
        "the empty list before subscribe returns, the folder being missing"
    );

    let port = free_port();
    let greeter = provider(GREETER, port);
    let echo = provider(ECHO, port);
    let both = expected_revision(&[&greeter, &echo]);
    let only_greeter = expected_revision(&[&greeter]);
    let only_echo = expected_revision(&[&echo]);

    provider_side.register(&greeter).await.expect("registered");
    assert!(
        eventually(|| seen.revisions().last() == Some(&vec![only_greeter.clone()])).await,
        "the instance appears: {:?}",
        seen.revisions()
    );
    let appeared = seen.instances().last().cloned().expect("delivered");
    assert_eq!(appeared[0].name, APPLICATION);
    assert_eq!(appeared[0].id, format!("127.0.0.1:{port}"));
    assert_eq!(appeared[0].port, Some(port));

    // A second service: the node's data changes, its folder's children do not.
    provider_side.register(&echo).await.expect("registered");
    assert!(
        eventually(|| seen.revisions().last() == Some(&vec![both.clone()])).await,
        "the new revision is seen: {:?}",
        seen.revisions()
    );
    provider_side
        .unregister(&greeter)
        .await
        .expect("unregistered");
    assert!(
        eventually(|| seen.revisions().last() == Some(&vec![only_echo.clone()])).await,
        "the next revision is seen: {:?}",
        seen.revisions()
    );
    provider_side.unregister(&echo).await.expect("unregistered");
    assert!(
        eventually(|| seen.instances().last().is_some_and(Vec::is_empty)).await,
        "the instance is gone: {:?}",
        seen.revisions()
    );
    assert_eq!(
        distinct_in_order(seen.revisions()),
        vec![
            vec![],
            vec![only_greeter],
            vec![both],
            vec![only_echo],
            vec![],
        ],
        "every state once, in order, never back in time"
    );

    consumer.destroy().await;
    provider_side.destroy().await;
    delete_tree(&zk_client(&zk).await, &format!("/{root}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_node_is_left_out_and_a_dubbo_go_node_is_read() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-discovery-go-");
    let client = zk_client(&zk).await;
    let folder = format!("/{root}/{GO_APP}");
    create(
        &client,
        &format!("{folder}/10.0.0.5:20000"),
        GO_INSTANCE.as_bytes(),
    )
    .await;
    create(
        &client,
        &format!("{folder}/10.0.0.6:20000"),
        b"{not an instance",
    )
    .await;
    let consumer = registry(&zk, &root, "").await;
    let seen = Arc::new(Seen::default());
    let discovery = consumer.discovery().expect("discovery");
    discovery
        .subscribe_instances(GO_APP, seen.clone())
        .await
        .expect("subscribed");
    let first = seen.instances();
    assert_eq!(first.len(), 1, "one delivery before subscribe returns");
    assert_eq!(
        first[0].len(),
        1,
        "the unreadable node is left out: {first:?}"
    );
    let go = &first[0][0];
    assert_eq!(go.name, GO_APP);
    assert_eq!(go.id, "10.0.0.5:20000");
    assert_eq!(go.address, "10.0.0.5");
    assert_eq!(go.port, Some(20000));
    assert_eq!(go.tag.as_deref(), Some("gray"));
    assert_eq!(go.revision(), Some(GO_REVISION));

    // The others are still delivered when the unreadable node changes.
    client
        .set_data(&format!("{folder}/10.0.0.6:20000"), b"still not", None)
        .await
        .expect("rewritten");
    client
        .create(
            &format!("{folder}/10.0.0.7:20000"),
            GO_INSTANCE.replace("10.0.0.5", "10.0.0.7").as_bytes(),
            &CreateMode::Ephemeral.with_acls(Acls::anyone_all()),
        )
        .await
        .expect("created");
    assert!(
        eventually(|| seen.instances().last().is_some_and(|i| i.len() == 2)).await,
        "{:?}",
        seen.instances()
    );
    let ids: Vec<String> = seen
        .instances()
        .last()
        .expect("delivered")
        .iter()
        .map(|i| i.id.clone())
        .collect();
    assert_eq!(ids, ["10.0.0.5:20000", "10.0.0.7:20000"]);

    consumer.destroy().await;
    delete_tree(&client, &format!("/{root}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_session_delivers_again_and_keeps_watching() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-discovery-session-");
    let consumer = registry(&zk, &root, "").await;
    let provider_side = provider_registry(&zk, &root).await;
    let seen = Arc::new(Seen::default());
    let discovery = consumer.discovery().expect("discovery");
    discovery
        .subscribe_instances(APPLICATION, seen.clone())
        .await
        .expect("subscribed");
    discovery
        .subscribe_mapping(GREETER, seen.clone())
        .await
        .expect("subscribed");
    let counts = consumer.counts();
    assert_eq!((counts.subscriptions, counts.watches), (2, 2));
    let (instances, mappings) = (seen.instances().len(), seen.mappings().len());

    consumer.expire_session().await.expect("a new session");
    assert_eq!(consumer.sessions_opened(), 2);
    assert!(
        eventually(|| seen.instances().len() > instances && seen.mappings().len() > mappings).await,
        "both told again after the new session"
    );
    assert!(
        eventually(|| consumer.counts().watches == 2).await,
        "one watch each again: {:?}",
        consumer.counts()
    );

    // The watches of the new session see changes.
    let greeter = provider(GREETER, free_port());
    provider_side.register(&greeter).await.expect("registered");
    let revision = expected_revision(&[&greeter]);
    assert!(
        eventually(|| seen.revisions().last() == Some(&vec![revision.clone()])).await,
        "{:?}",
        seen.revisions()
    );
    assert!(
        eventually(|| seen.mappings().last() == Some(&apps(&[APPLICATION]))).await,
        "{:?}",
        seen.mappings()
    );

    consumer.destroy().await;
    provider_side.destroy().await;
    delete_tree(&zk_client(&zk).await, &format!("/{root}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribe_and_destroy_bring_subscriptions_and_watches_to_zero() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-discovery-stop-");
    let consumer = registry(&zk, &root, "").await;
    let writer = registry(&zk, &root, "").await;
    let kept = Arc::new(Seen::default());
    let dropped = Arc::new(Seen::default());
    let kept_listener: Arc<dyn DiscoveryListener> = kept.clone();
    let dropped_listener: Arc<dyn DiscoveryListener> = dropped.clone();
    let discovery = consumer.discovery().expect("discovery");
    discovery
        .subscribe_mapping(GREETER, dropped_listener.clone())
        .await
        .expect("subscribed");
    discovery
        .subscribe_instances(APPLICATION, dropped_listener.clone())
        .await
        .expect("subscribed");
    discovery
        .subscribe_mapping(GREETER, kept_listener.clone())
        .await
        .expect("subscribed");
    discovery
        .subscribe_instances(APPLICATION, kept_listener.clone())
        .await
        .expect("subscribed");
    let counts = consumer.counts();
    assert_eq!((counts.subscriptions, counts.watches), (4, 4));

    // Another listener, or the right one on another name, stops nothing.
    let stranger: Arc<dyn DiscoveryListener> = Arc::new(Seen::default());
    discovery
        .unsubscribe_mapping(GREETER, &stranger)
        .await
        .expect("nothing to do");
    discovery
        .unsubscribe_mapping(ECHO, &dropped_listener)
        .await
        .expect("nothing to do");
    assert_eq!(consumer.counts().subscriptions, 4);

    discovery
        .unsubscribe_mapping(GREETER, &dropped_listener)
        .await
        .expect("unsubscribed");
    discovery
        .unsubscribe_instances(APPLICATION, &dropped_listener)
        .await
        .expect("unsubscribed");
    let counts = consumer.counts();
    assert_eq!((counts.subscriptions, counts.watches), (2, 2));
    assert_eq!(
        Arc::strong_count(&dropped),
        2,
        "the registry dropped its references to the unsubscribed listener"
    );

    writer.map_service(GREETER, "app-a").await.expect("mapped");
    assert!(
        eventually(|| kept.mappings().last() == Some(&apps(&["app-a"]))).await,
        "the subscription kept still sees changes"
    );
    assert_eq!(
        dropped.mappings(),
        vec![BTreeSet::new()],
        "the unsubscribed one is told nothing more"
    );

    consumer.destroy().await;
    assert!(consumer.counts().is_empty(), "{:?}", consumer.counts());
    assert_eq!(Arc::strong_count(&kept), 2, "destroy dropped the listener");
    assert!(matches!(
        discovery
            .subscribe_mapping(GREETER, kept_listener.clone())
            .await,
        Err(RegistryError::Destroyed(_))
    ));
    writer.destroy().await;
    delete_tree(&zk_client(&zk).await, &format!("/{root}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_registry_stops_its_watches() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-discovery-drop-");
    let consumer = registry(&zk, &root, "").await;
    let seen = Arc::new(Seen::default());
    let discovery = consumer.discovery().expect("discovery");
    discovery
        .subscribe_mapping(GREETER, seen.clone())
        .await
        .expect("subscribed");
    discovery
        .subscribe_instances(APPLICATION, seen.clone())
        .await
        .expect("subscribed");
    assert_eq!(Arc::strong_count(&seen), 3);
    drop(consumer);
    assert!(
        eventually(|| Arc::strong_count(&seen) == 1).await,
        "the watch tasks ended with the registry and released the listener"
    );
    delete_tree(&zk_client(&zk).await, &format!("/{root}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_provider_publishes_its_metadata_and_a_consumer_reads_it() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-discovery-report-");
    let provider_side = registry(&zk, &root, "&register-mode=instance&metadata-type=remote").await;
    let consumer = registry(&zk, &root, "").await;
    let seen = Arc::new(Seen::default());
    let discovery = consumer.discovery().expect("discovery");
    discovery
        .subscribe_instances(APPLICATION, seen.clone())
        .await
        .expect("subscribed");

    let greeter = provider(GREETER, free_port());
    provider_side.register(&greeter).await.expect("registered");
    let revision = expected_revision(&[&greeter]);
    assert!(
        eventually(|| seen.revisions().last() == Some(&vec![revision.clone()])).await,
        "{:?}",
        seen.revisions()
    );
    let instance = seen.instances().last().expect("delivered")[0].clone();
    assert_eq!(instance.storage_type(), MetadataStorageType::Remote);

    let client = zk_client(&zk).await;
    let (_, stat) = client
        .get_data(&format!("/{root}/metadata/{APPLICATION}/{revision}"))
        .await
        .expect("the report is at Java's path");
    assert_eq!(stat.ephemeral_owner, 0, "the report is persistent");
    let report = discovery
        .metadata_report(APPLICATION, &revision)
        .await
        .expect("read")
        .expect("found");
    let mut expected = MetadataInfo::new(APPLICATION);
    expected.add_service(&greeter).expect("service");
    expected.update_revision();
    // What the report holds (the JSON carries no instance parameters).
    assert_eq!(report.app(), APPLICATION);
    assert_eq!(report.revision(), Some(revision.as_str()));
    assert_eq!(report.services(), expected.services());
    assert_eq!(
        discovery
            .metadata_report(APPLICATION, "0123456789abcdef")
            .await
            .expect("read"),
        None,
        "no report at a revision nobody published"
    );

    consumer.destroy().await;
    provider_side.destroy().await;
    delete_tree(&client, &format!("/{root}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_remote_instance_is_written_before_its_report() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-discovery-report-first-");
    let client = zk_client(&zk).await;
    // The report's folder for the application refuses new children.
    let folder = format!("/{root}/metadata/{APPLICATION}");
    client
        .mkdir(
            &format!("/{root}/metadata"),
            &CreateMode::Persistent.with_acls(Acls::anyone_all()),
        )
        .await
        .expect("parents");
    client
        .create(
            &folder,
            &[],
            &CreateMode::Persistent.with_acls(Acls::anyone_read()),
        )
        .await
        .expect("created read-only");
    let provider_side = registry(&zk, &root, "&register-mode=instance&metadata-type=remote").await;
    let port = free_port();
    let failed = provider_side.register(&provider(GREETER, port)).await;
    assert!(failed.is_err(), "the report cannot be written: {failed:?}");
    assert_eq!(
        zk_children(&client, &format!("/{root}/{APPLICATION}")).await,
        Vec::<String>::new(),
        "no instance node points to a report that is not there"
    );

    provider_side.destroy().await;
    delete_tree(&client, &format!("/{root}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_at_dubbo_go_path_is_read() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-discovery-go-report-");
    let client = zk_client(&zk).await;
    create(
        &client,
        &format!("/{root}/{GO_APP}/{GO_REVISION}"),
        GO_REPORT.as_bytes(),
    )
    .await;
    let consumer = registry(&zk, &root, "").await;
    let report = consumer
        .discovery()
        .expect("discovery")
        .metadata_report(GO_APP, GO_REVISION)
        .await
        .expect("read")
        .expect("found at dubbo-go's path");
    assert_eq!(
        report,
        MetadataInfo::from_json(GO_REPORT.as_bytes()).expect("fixture")
    );
    assert_eq!(report.revision(), Some(GO_REVISION));

    consumer.destroy().await;
    delete_tree(&client, &format!("/{root}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_metadata_type_is_refused() {
    let Some(zk) = zookeeper() else { return };
    let url = Url::parse(&format!("zookeeper://{zk}?metadata-type=cloud")).expect("URL");
    let refused = tokio::time::timeout(LIMIT, ZookeeperRegistry::connect(url))
        .await
        .expect("within the limit");
    assert!(matches!(refused, Err(RegistryError::Config(_))));
}
