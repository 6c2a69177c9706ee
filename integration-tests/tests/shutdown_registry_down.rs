//! A graceful shutdown finishes within `shutdown.timeout` even when the registry is gone:
//! a ZooKeeper or an etcd of the test's own is stopped (connections refused) or frozen
//! (connections open, nothing answers) before an application that registered and
//! subscribed there shuts down. Everything local is released all the same.
//! (Alone in its test binary: the applications use the process-wide protocol.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxidubbo::config::{ProtocolConfig, ReferenceConfig, RegistryConfig};
use oxidubbo::{Bootstrap, DubboProtocol, Running};
use oxidubbo_examples::{Greeter, HelloGreeter};
use oxidubbo_integration_tests::etcd::{OwnEtcd, etcd};
use oxidubbo_integration_tests::{OwnZookeeper, free_port, zookeeper};

/// One ZooKeeper JVM at a time on a small machine.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// An application providing and calling the greeter through the ZooKeeper `zk`.
async fn application(zk: &str, shutdown_timeout: Duration) -> Running {
    application_on(&format!("zookeeper://{zk}"), shutdown_timeout).await
}

/// An application providing and calling the greeter through the registry `registry`.
async fn application_on(registry: &str, shutdown_timeout: Duration) -> Running {
    let running = Bootstrap::new()
        .application("shutdown-registry-down")
        .registry("default", RegistryConfig::new(registry))
        .protocol("dubbo", ProtocolConfig::dubbo(free_port()))
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .reference(
            "greeter",
            ReferenceConfig::of::<dyn Greeter>().with_registry("default"),
        )
        .shutdown_timeout(shutdown_timeout)
        .start()
        .await
        .unwrap();
    let client = running.client::<dyn Greeter>("greeter").unwrap();
    assert_eq!(client.say_hello("zk".into()).await.unwrap(), "Hello, zk");
    running
}

/// Shuts `running` down (a hang guard well past the bound) and checks the bound and that
/// nothing is left in the process-wide protocol.
async fn shut_down_within(running: Running, timeout: Duration, case: &str) {
    let started = Instant::now();
    let guard = timeout + Duration::from_secs(30);
    let report = tokio::time::timeout(guard, running.shutdown())
        .await
        .unwrap_or_else(|_| panic!("{case}: shutdown still running after {guard:?}"));
    let took = started.elapsed();
    println!("{case}: shutdown took {took:?} (shutdown.timeout {timeout:?}): {report:?}");
    assert!(
        took <= timeout + Duration::from_secs(1),
        "{case}: shutdown took {took:?}, over shutdown.timeout {timeout:?}"
    );
    assert!(
        DubboProtocol::global().counts().is_empty(),
        "{case}: {:?}",
        DubboProtocol::global().counts()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_zookeeper_stopped_finishes_within_the_timeout() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(_) = zookeeper() else { return };
    let zk = OwnZookeeper::start("shutdown-stopped");
    let timeout = Duration::from_secs(10); // Dubbo's default
    let running = application(&zk.address(), timeout).await;
    zk.stop_server();
    shut_down_within(running, timeout, "ZooKeeper stopped").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_zookeeper_frozen_finishes_within_the_timeout() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(_) = zookeeper() else { return };
    let zk = OwnZookeeper::start("shutdown-frozen");
    // Shorter than the registry's request timeout (5 s): the shutdown's own bound is
    // what ends the wait for the frozen server.
    let timeout = Duration::from_secs(4);
    let running = application(&zk.address(), timeout).await;
    zk.freeze();
    shut_down_within(running, timeout, "ZooKeeper frozen").await;
    zk.thaw();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_etcd_killed_finishes_within_the_timeout() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(_) = etcd() else { return };
    let etcd = OwnEtcd::start("shutdown-killed");
    let timeout = Duration::from_secs(10);
    let running = application_on(&format!("etcdv3://{}", etcd.address()), timeout).await;
    etcd.kill_server();
    shut_down_within(running, timeout, "etcd killed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_etcd_frozen_finishes_within_the_timeout() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(_) = etcd() else { return };
    let etcd = OwnEtcd::start("shutdown-frozen");
    // Shorter than the registry's request timeout (5 s): the shutdown's own bound is what
    // ends the wait for the frozen server.
    let timeout = Duration::from_secs(4);
    let running = application_on(&format!("etcdv3://{}", etcd.address()), timeout).await;
    etcd.freeze();
    shut_down_within(running, timeout, "etcd frozen").await;
    etcd.thaw();
}
