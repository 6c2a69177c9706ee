//! The interface → application mapping on a real ZooKeeper (`OXIDUBBO_ZK`): providers of
//! several applications mapping one interface at the same time all end up in it (the node is
//! written with compare-and-set), what Dubbo Java wrote is extended the way Java extends it,
//! and a listed application writes nothing.
//!
//! Each test uses its own root (`group` of the registry URL).

use std::collections::BTreeSet;
use std::time::Duration;

use oxidubbo_integration_tests::zookeeper;
use oxidubbo_integration_tests::{unique_name, zk_client};
use oxidubbo_invoker::Url;
use oxidubbo_registry::{Registry, RegistryError, ZookeeperRegistry};

const INTERFACE: &str = "org.apache.dubbo.demo.DemoService";
/// Observed: the mapping Dubbo Java 3.0 providers of three applications wrote
/// (apache/dubbo-website, metadata-center/zookeeper.md; metadata/tests/fixtures/README.md).
const JAVA_MAPPING: &str = "demo-provider,two-demo-provider,dubbo-demo-annotation-provider";
/// Bound on every step of these tests (a hang guard, not a speed check).
const LIMIT: Duration = Duration::from_secs(20);

async fn registry(zk: &str, root: &str) -> ZookeeperRegistry {
    let url = Url::parse(&format!("zookeeper://{zk}?group={root}&session=10000")).expect("URL");
    tokio::time::timeout(LIMIT, ZookeeperRegistry::connect(url))
        .await
        .expect("connect within the limit")
        .expect("connected")
}

/// The mapping node's content and version, read directly.
async fn node(client: &zookeeper_client::Client, path: &str) -> (String, i32) {
    let (data, stat) = client.get_data(path).await.expect("mapping node");
    (String::from_utf8(data).expect("UTF-8"), stat.version)
}

async fn delete_tree(client: &zookeeper_client::Client, root: &str) {
    for path in [
        format!("/{root}/mapping/{INTERFACE}"),
        format!("/{root}/mapping"),
        format!("/{root}"),
    ] {
        let _ = client.delete(&path, None).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_providers_of_several_applications_are_all_mapped() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-mapping-concurrent-");
    const WRITERS: usize = 8;
    const NAMES_EACH: usize = 4;
    let mut registries = Vec::new();
    for _ in 0..WRITERS {
        registries.push(std::sync::Arc::new(registry(&zk, &root).await));
    }
    // All of them map at once, each with its own session and several applications in turn,
    // so their writes race.
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(WRITERS));
    let tasks: Vec<_> = registries
        .iter()
        .enumerate()
        .map(|(i, registry)| {
            let registry = std::sync::Arc::clone(registry);
            let start = std::sync::Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                for n in 0..NAMES_EACH {
                    registry
                        .map_service(INTERFACE, &format!("app-{i}-{n}"))
                        .await?;
                }
                Ok::<(), RegistryError>(())
            })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(LIMIT, task)
            .await
            .expect("mapped within the limit")
            .expect("task")
            .expect("mapped");
    }

    let expected: BTreeSet<String> = (0..WRITERS)
        .flat_map(|i| (0..NAMES_EACH).map(move |n| format!("app-{i}-{n}")))
        .collect();
    let mapped = registries[0]
        .mapped_applications(INTERFACE)
        .await
        .expect("read");
    assert_eq!(mapped, expected, "no application lost");
    let client = zk_client(&zk).await;
    let (content, _) = node(&client, &format!("/{root}/mapping/{INTERFACE}")).await;
    assert_eq!(
        content.split(',').count(),
        WRITERS * NAMES_EACH,
        "each name written once: {content}"
    );

    for registry in &registries {
        registry.destroy().await;
    }
    delete_tree(&client, &root).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extends_what_java_wrote_and_writes_nothing_for_a_listed_application() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-mapping-java-");
    let client = zk_client(&zk).await;
    let options =
        zookeeper_client::CreateMode::Persistent.with_acls(zookeeper_client::Acls::anyone_all());
    client
        .mkdir(&format!("/{root}/mapping"), &options)
        .await
        .expect("parents");
    let path = format!("/{root}/mapping/{INTERFACE}");
    client
        .create(&path, JAVA_MAPPING.as_bytes(), &options)
        .await
        .expect("Java's node");

    let registry = registry(&zk, &root).await;
    registry
        .map_service(INTERFACE, "rust-provider")
        .await
        .expect("mapped");
    let (content, version) = node(&client, &path).await;
    assert_eq!(content, format!("{JAVA_MAPPING},rust-provider"));

    registry
        .map_service(INTERFACE, "two-demo-provider")
        .await
        .expect("already listed");
    assert_eq!(
        node(&client, &path).await,
        (content, version),
        "a listed application writes nothing"
    );
    let mapped = registry.mapped_applications(INTERFACE).await.expect("read");
    assert_eq!(
        mapped.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "demo-provider",
            "dubbo-demo-annotation-provider",
            "rust-provider",
            "two-demo-provider"
        ]
    );

    registry.destroy().await;
    delete_tree(&client, &root).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_node_no_applications_and_bad_names_or_a_destroyed_registry_are_errors() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-mapping-errors-");
    let registry = registry(&zk, &root).await;
    assert!(
        registry
            .mapped_applications(INTERFACE)
            .await
            .expect("read")
            .is_empty()
    );
    for bad in ["", "a,b", " spaced"] {
        let err = registry
            .map_service(INTERFACE, bad)
            .await
            .expect_err("refused");
        assert!(matches!(err, RegistryError::Config(_)), "{bad:?}: {err}");
    }
    let err = registry
        .map_service("a/b", "app")
        .await
        .expect_err("not one node");
    assert!(matches!(err, RegistryError::Config(_)), "{err}");
    let client = zk_client(&zk).await;
    assert!(
        client
            .check_stat(&format!("/{root}/mapping"))
            .await
            .expect("stat")
            .is_none(),
        "nothing written for refused input"
    );

    registry.destroy().await;
    let err = registry
        .map_service(INTERFACE, "app")
        .await
        .expect_err("destroyed");
    assert!(matches!(err, RegistryError::Destroyed(_)), "{err}");
    delete_tree(&client, &root).await;
}
