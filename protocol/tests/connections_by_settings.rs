//! Consumers share a connection to an address only when they ask the same of it: other
//! settings (payload, heartbeat, serialization, connection count…) get a connection of their
//! own, and each closes with its last invoker.

mod support;

use std::sync::Arc;

use oxidubbo_protocol::Protocol;
use support::{greeter_server, greeter_url, say_hello};

#[tokio::test]
async fn connections_are_shared_only_by_equal_settings() {
    let (provider, port, _e) = greeter_server().await;
    let consumer = oxidubbo_protocol::DubboProtocol::new();
    let plain = greeter_url("dubbo", port);
    let with = |key: &str, value: &str| Arc::new(plain.with_param(key, value));
    let a = consumer.refer(Arc::clone(&plain)).await.unwrap();
    let b = consumer.refer(Arc::clone(&plain)).await.unwrap();
    assert_eq!(consumer.counts().connections, 1, "equal settings share");
    let others = [
        with("payload", "1024"),
        with("heartbeat", "1000"),
        with("heartbeat.timeout", "9000"),
        with("connect.timeout", "500"),
        with("serialization", "fastjson2"),
        with("connections", "2"),
    ];
    let mut invokers = Vec::new();
    for (n, url) in others.iter().enumerate() {
        invokers.push(consumer.refer(Arc::clone(url)).await.unwrap());
        assert_eq!(
            consumer.counts().connections,
            n + 2,
            "{url:?} shares a connection"
        );
    }
    // Each one works on its own connection.
    for invoker in invokers.iter().chain([&a, &b]) {
        assert_eq!(
            invoker.invoke(say_hello("s")).await.unwrap().value.as_str(),
            Some("Hello, s")
        );
    }
    for invoker in &invokers {
        invoker.destroy();
    }
    assert_eq!(consumer.counts().connections, 1);
    a.destroy();
    assert_eq!(consumer.counts().connections, 1, "b still uses it");
    b.destroy();
    assert!(consumer.counts().is_empty(), "{:?}", consumer.counts());
    provider.destroy().await;
}
