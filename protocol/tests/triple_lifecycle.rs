//! Lifecycle: after destroy the protocol holds nothing, no task is left, the port can be
//! bound again and no URL survives — and the protocol serves again afterwards.

mod triple_support;

use std::time::{Duration, Instant};

use oxidubbo_invoker::RpcError;
use oxidubbo_protocol::{Protocol, TripleProtocol};
use triple_support::*;

fn alive() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

async fn round(protocol: &TripleProtocol, port: u16) {
    let baseline = alive();
    let provider_url = greeter_url(port, "");
    let consumer_url = greeter_url(port, "");
    let (provider_data, consumer_data) = (provider_url.downgrade(), consumer_url.downgrade());
    let exporter = protocol.export(greeter(provider_url)).await.unwrap();
    let invoker = protocol.refer(consumer_url).await.unwrap();
    assert_eq!(
        invoker.invoke(say_hello("w")).await.unwrap().value.as_str(),
        Some("Hello, w")
    );
    let counts = protocol.counts();
    assert_eq!(
        (
            counts.exporters,
            counts.invokers,
            counts.servers,
            counts.connections
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(protocol.server_connections().await, 1);
    assert_eq!(protocol.server_addresses().await.len(), 1);

    protocol.destroy().await;
    assert!(protocol.counts().is_empty(), "{:?}", protocol.counts());
    assert!(invoker.url().is_none());
    assert!(matches!(
        invoker.invoke(say_hello("w")).await,
        Err(RpcError::Destroyed(_))
    ));
    assert!(!provider_data.is_alive(), "the provider URL is released");
    assert!(!consumer_data.is_alive(), "the consumer URL is released");
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free again");
    drop((exporter, invoker));
    let started = Instant::now();
    while alive() > baseline {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{} tasks left of {baseline}",
            alive()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn destroy_releases_everything_and_the_protocol_serves_again() {
    let protocol = TripleProtocol::new();
    let port = free_port();
    for _ in 0..3 {
        round(&protocol, port).await;
    }
}

#[tokio::test]
async fn the_global_protocol_is_left_empty() {
    let protocol = TripleProtocol::global();
    round(protocol, free_port()).await;
}

#[tokio::test]
async fn unexport_and_invoker_destroy_release_at_once() {
    let protocol = TripleProtocol::new();
    let port = free_port();
    let exporter = protocol
        .export(greeter(greeter_url(port, "")))
        .await
        .unwrap();
    assert!(
        protocol
            .export(greeter(greeter_url(port, "")))
            .await
            .is_err(),
        "one key per port"
    );
    let invoker = protocol.refer(greeter_url(port, "")).await.unwrap();
    invoker.destroy();
    assert_eq!(protocol.counts().invokers, 0);
    assert_eq!(protocol.counts().connections, 0);
    exporter.unexport().await;
    assert!(protocol.counts().is_empty(), "{:?}", protocol.counts());
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the last unexport closed the server");
}
