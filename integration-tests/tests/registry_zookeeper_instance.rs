//! The application instance a provider registers on a real ZooKeeper (`OXIDUBBO_ZK`) in
//! `register-mode` `instance` or `all` (issue #15, provider side): the ephemeral node
//! `<root>/<application>/<host>:<port>` with Curator's `ServiceInstance` JSON, its revision
//! following the exported services, the interface → application mapping, the node written
//! again after a session loss and deleted on unregister and destroy.
//!
//! Each test uses its own root (`group` of the registry URL, which is also the instances root
//! as Dubbo Java reads it).

use std::time::Duration;

use oxidubbo_integration_tests::{free_port, zookeeper};
use oxidubbo_integration_tests::{unique_name, zk_client};
use oxidubbo_invoker::Url;
use oxidubbo_metadata::{Endpoint, MetadataInfo, ServiceInstance, keys};
use oxidubbo_registry::{Registry, ZookeeperRegistry};

const APPLICATION: &str = "greeter-app";
const GREETER: &str = "org.apache.dubbo.samples.api.GreetingsService";
const ECHO: &str = "org.apache.dubbo.samples.api.EchoService";
/// Bound on every step of these tests (a hang guard, not a speed check).
const LIMIT: Duration = Duration::from_secs(20);

async fn registry(zk: &str, root: &str, mode: Option<&str>) -> ZookeeperRegistry {
    let mode = mode.map_or(String::new(), |m| format!("&register-mode={m}"));
    let url = Url::parse(&format!(
        "zookeeper://{zk}?group={root}&session=10000{mode}"
    ))
    .expect("URL");
    tokio::time::timeout(LIMIT, ZookeeperRegistry::connect(url))
        .await
        .expect("connect within the limit")
        .expect("connected")
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

/// The revision the instance must carry for `urls`, computed here from the URLs alone.
fn expected_revision(urls: &[&Url]) -> String {
    let mut info = MetadataInfo::new(APPLICATION);
    for url in urls {
        info.add_service(url).expect("service");
    }
    info.calculate_revision()
}

/// The instance node's content, parsed, and whether it is ephemeral; `None` when absent.
async fn read_instance(
    client: &zookeeper_client::Client,
    path: &str,
) -> Option<(ServiceInstance, bool)> {
    match client.get_data(path).await {
        Ok((data, stat)) => Some((
            ServiceInstance::from_curator_json(&data).expect("instance JSON"),
            stat.ephemeral_owner != 0,
        )),
        Err(zookeeper_client::Error::NoNode) => None,
        Err(e) => panic!("reading {path}: {e}"),
    }
}

/// Waits (bounded) until the node at `path` is what `done` wants.
async fn wait_for(
    client: &zookeeper_client::Client,
    path: &str,
    done: impl Fn(&Option<(ServiceInstance, bool)>) -> bool,
) -> Option<(ServiceInstance, bool)> {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let seen = read_instance(client, path).await;
        if done(&seen) || tokio::time::Instant::now() >= deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn delete_tree(client: &zookeeper_client::Client, root: &str) {
    for path in [
        format!("/{root}/mapping/{GREETER}"),
        format!("/{root}/mapping/{ECHO}"),
        format!("/{root}/mapping"),
        format!("/{root}/{APPLICATION}"),
        format!("/{root}/{GREETER}/providers"),
        format!("/{root}/{GREETER}"),
        format!("/{root}"),
    ] {
        let _ = client.delete(&path, None).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_the_instance_node_with_the_exported_services() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-instance-node-");
    let port = free_port();
    let registry = registry(&zk, &root, Some("instance")).await;
    let url = provider(GREETER, port);
    registry.register(&url).await.expect("registered");

    let path = format!("/{root}/{APPLICATION}/127.0.0.1:{port}");
    assert_eq!(registry.instance_path().as_deref(), Some(path.as_str()));
    let client = zk_client(&zk).await;
    let (instance, ephemeral) = read_instance(&client, &path).await.expect("instance node");
    assert!(ephemeral, "the instance node is ephemeral");
    assert_eq!(instance.name, APPLICATION);
    assert_eq!(instance.id, format!("127.0.0.1:{port}"));
    assert_eq!(instance.address, "127.0.0.1");
    assert_eq!(instance.port, Some(port));
    assert_eq!(instance.service_type, "DYNAMIC");
    assert!(instance.registration_time_utc > 0, "registration time set");
    let revision = expected_revision(&[&url]);
    assert_eq!(revision.len(), 32, "an MD5 revision, not the empty one");
    assert_eq!(instance.revision(), Some(revision.as_str()));
    assert_eq!(
        instance
            .metadata
            .get(keys::STORAGE_TYPE)
            .map(String::as_str),
        Some("local")
    );
    assert_eq!(
        instance.endpoints().expect("dubbo.endpoints"),
        vec![Endpoint {
            port,
            protocol: "dubbo".to_owned(),
        }]
    );
    assert_eq!(
        instance.metadata.get("timestamp").map(String::as_str),
        Some("1700000000000"),
        "instance parameters from the exported URL"
    );
    assert_eq!(
        registry
            .mapped_applications(GREETER)
            .await
            .expect("mapping"),
        [APPLICATION.to_owned()].into(),
        "the interface is mapped to the application"
    );
    // `instance` mode writes no interface-level node.
    assert!(
        client
            .check_stat(&format!("/{root}/{GREETER}/providers"))
            .await
            .expect("stat")
            .is_none(),
        "no interface-level node in instance mode"
    );

    registry.destroy().await;
    assert!(
        read_instance(&client, &path).await.is_none(),
        "deleted on destroy"
    );
    delete_tree(&client, &root).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revision_follows_the_exported_services() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-instance-revision-");
    let port = free_port();
    let registry = registry(&zk, &root, Some("all")).await;
    let greeter = provider(GREETER, port);
    let echo = provider(ECHO, port);
    registry.register(&greeter).await.expect("greeter");
    let path = format!("/{root}/{APPLICATION}/127.0.0.1:{port}");
    let client = zk_client(&zk).await;
    let first = expected_revision(&[&greeter]);
    let (instance, _) = read_instance(&client, &path).await.expect("instance node");
    assert_eq!(instance.revision(), Some(first.as_str()));
    // `all` writes the interface-level node too.
    assert!(
        client
            .check_stat(&registry.node_path(&greeter))
            .await
            .expect("stat")
            .is_some(),
        "interface-level node in all mode"
    );

    registry.register(&echo).await.expect("echo");
    let both = expected_revision(&[&greeter, &echo]);
    assert_ne!(both, first);
    let (instance, _) = read_instance(&client, &path).await.expect("instance node");
    assert_eq!(
        instance.revision(),
        Some(both.as_str()),
        "revision of both services"
    );
    assert_eq!(
        registry.mapped_applications(ECHO).await.expect("mapping"),
        [APPLICATION.to_owned()].into()
    );

    registry.unregister(&echo).await.expect("echo withdrawn");
    let (instance, _) = read_instance(&client, &path).await.expect("instance node");
    assert_eq!(
        instance.revision(),
        Some(first.as_str()),
        "back to one service"
    );

    registry
        .unregister(&greeter)
        .await
        .expect("greeter withdrawn");
    assert!(
        read_instance(&client, &path).await.is_none(),
        "the last service withdrawn deletes the instance"
    );
    assert_eq!(registry.instance_path(), None);

    registry.destroy().await;
    delete_tree(&client, &root).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_node_comes_back_after_a_session_loss() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-instance-session-");
    let port = free_port();
    let registry = registry(&zk, &root, Some("instance")).await;
    let greeter = provider(GREETER, port);
    registry.register(&greeter).await.expect("greeter");
    let path = format!("/{root}/{APPLICATION}/127.0.0.1:{port}");
    let client = zk_client(&zk).await;
    let (before, _) = read_instance(&client, &path).await.expect("instance node");

    registry.expire_session().await.expect("new session");
    assert_eq!(registry.sessions_opened(), 2);
    let revision = expected_revision(&[&greeter]);
    let after = wait_for(&client, &path, |seen| seen.is_some()).await;
    let (after, ephemeral) = after.expect("the instance node is written again");
    assert!(ephemeral);
    assert_eq!(after, before, "the same instance, field for field");
    assert_eq!(after.revision(), Some(revision.as_str()));

    registry.destroy().await;
    assert!(
        read_instance(&client, &path).await.is_none(),
        "deleted on destroy"
    );
    delete_tree(&client, &root).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interface_mode_writes_no_instance() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-instance-none-");
    let port = free_port();
    let registry = registry(&zk, &root, Some("interface")).await;
    let greeter = provider(GREETER, port);
    registry.register(&greeter).await.expect("greeter");
    let client = zk_client(&zk).await;
    assert_eq!(registry.instance_path(), None);
    assert!(
        client
            .check_stat(&format!("/{root}/{APPLICATION}"))
            .await
            .expect("stat")
            .is_none(),
        "no application folder in interface mode"
    );
    assert!(
        registry
            .mapped_applications(GREETER)
            .await
            .expect("mapping")
            .is_empty()
    );
    registry.destroy().await;
    delete_tree(&client, &root).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_mode_registers_both_levels_as_java() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-instance-default-");
    let port = free_port();
    let registry = registry(&zk, &root, None).await;
    let greeter = provider(GREETER, port);
    registry.register(&greeter).await.expect("greeter");
    let client = zk_client(&zk).await;
    let path = registry.instance_path().expect("an instance by default");
    assert!(read_instance(&client, &path).await.is_some(), "{path}");
    assert!(
        client
            .check_stat(&registry.node_path(&greeter))
            .await
            .expect("stat")
            .is_some(),
        "and the interface-level node"
    );
    registry.destroy().await;
    delete_tree(&client, &root).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_register_mode_is_refused() {
    let Some(zk) = zookeeper() else { return };
    let url = Url::parse(&format!("zookeeper://{zk}?register-mode=instanse")).expect("URL");
    let refused = tokio::time::timeout(LIMIT, ZookeeperRegistry::connect(url))
        .await
        .expect("within the limit");
    let Err(e) = refused else {
        panic!("a misspelt register-mode is accepted")
    };
    assert!(e.to_string().contains("register-mode"), "{e}");
}
