//! `offline` withdraws the provider's interface-level node from a real ZooKeeper
//! (`OXIDUBBO_ZK`, `register-mode = "interface"`) while the service keeps serving; `online`
//! registers it again; over telnet and HTTP, for all services or the one named. With the
//! default `register-mode` (`all`) the application instance goes and comes back with it.

mod qos_support;

use std::time::Duration;

use oxidubbo_integration_tests::{
    free_port, http_get, unique_name, zk_children, zk_client, zookeeper,
};
use qos_support::{INTERFACE, Telnet, provider_config, start};

/// Hang guard for every ZooKeeper step (not a speed check).
const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_drops_the_provider_node_and_online_restores_it() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-qos-");
    let registry = format!(
        "[registries.zk]\naddress = \"zookeeper://{zk}\"\ngroup = \"{root}\"\nregister-mode = \"interface\"\n"
    );
    let running = start(provider_config(free_port(), 0, &registry)).await;
    let addr = running.qos_addr().expect("qos enabled");
    let client = zk_client(&zk).await;
    let providers = format!("/{root}/{INTERFACE}/providers");
    let nodes = || async { zk_children(&client, &providers).await.len() };
    assert_eq!(nodes().await, 1, "registered at start");

    let mut telnet = Telnet::connect(addr).await;
    assert_eq!(telnet.command("offline").await, "OK");
    assert_eq!(nodes().await, 0, "offline withdrew the provider node");
    assert!(telnet.command("ls").await.contains(":1.0.0 | N   |"));
    // Still served: withdrawn, not stopped.
    let answer = telnet.command("invoke sayHello(\"still\")").await;
    assert!(answer.starts_with("result: \"Hello, still\""), "{answer}");

    assert_eq!(telnet.command(&format!("online {INTERFACE}")).await, "OK");
    assert_eq!(nodes().await, 1, "online registered it again");
    assert_eq!(
        telnet.command("online com.nosuch.Svc").await,
        "service not found"
    );

    assert_eq!(
        http_get(addr, "/offline?service=*").await.expect("offline"),
        (200, "OK".to_owned())
    );
    assert_eq!(nodes().await, 0);
    assert_eq!(
        http_get(addr, "/online").await.expect("online"),
        (200, "OK".to_owned())
    );
    assert_eq!(nodes().await, 1);

    let report = tokio::time::timeout(LIMIT, running.shutdown())
        .await
        .expect("shut down");
    assert_eq!(report.unregistered, 1);
    assert_eq!(nodes().await, 0, "the shutdown unregistered it");
}

/// With `register-mode = "all"` (the default), `offline` withdraws the application instance
/// too — its last service is gone, so is the instance node — and `online` brings both back,
/// as Java's `offline` does for both levels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_also_withdraws_the_application_instance() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-qos-app-");
    let registry = format!("[registries.zk]\naddress = \"zookeeper://{zk}\"\ngroup = \"{root}\"\n");
    let running = start(provider_config(free_port(), 0, &registry)).await;
    let addr = running.qos_addr().expect("qos enabled");
    let client = zk_client(&zk).await;
    let providers = format!("/{root}/{INTERFACE}/providers");
    // The instances root is `/` + group when a group is set (Java's rule).
    let instances = format!("/{root}/qos-provider");
    let counts = || async {
        (
            zk_children(&client, &providers).await.len(),
            zk_children(&client, &instances).await.len(),
        )
    };
    assert_eq!(counts().await, (1, 1), "both levels registered at start");

    assert_eq!(
        http_get(addr, "/offline").await.expect("offline"),
        (200, "OK".to_owned())
    );
    assert_eq!(counts().await, (0, 0), "offline withdrew both levels");
    assert_eq!(
        http_get(addr, "/online").await.expect("online"),
        (200, "OK".to_owned())
    );
    assert_eq!(counts().await, (1, 1), "online restored both levels");

    let report = tokio::time::timeout(LIMIT, running.shutdown())
        .await
        .expect("shut down");
    assert_eq!(report.unregistered, 1);
    assert_eq!(counts().await, (0, 0), "the shutdown unregistered both");
}
