//! An exported invoker destroyed directly — not through its exporter — leaves the
//! protocol's tables: it is not counted, not served, not kept alive, and a server left with
//! no service closes.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{free_port, greeter, greeter_url, say_hello};

#[tokio::test]
async fn a_destroyed_exported_invoker_leaves_the_table_and_frees_its_port() {
    let provider = DubboProtocol::new();
    let consumer = DubboProtocol::new();
    let port = free_port();
    let service = greeter(greeter_url("dubbo", port));
    let weak = Arc::downgrade(&service);
    let exporter = provider.export(Arc::clone(&service)).await.unwrap();
    let invoker = consumer.refer(greeter_url("dubbo", port)).await.unwrap();
    invoker.invoke(say_hello("a")).await.unwrap();

    service.destroy();
    drop(service);
    let err = invoker.invoke(say_hello("b")).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.0), Some(70), "{err:?}");
    assert_eq!(provider.counts().exporters, 0, "{:?}", provider.counts());
    assert_eq!(
        provider.counts().servers,
        0,
        "a server with no service stays open"
    );
    // Only the exporter handle still holds the invoker: the protocol does not.
    drop(exporter);
    assert!(
        weak.upgrade().is_none(),
        "the protocol keeps the destroyed invoker"
    );
    // The server closes: its port is free again.
    let mut freed = false;
    for _ in 0..250 {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(freed, "the port stays bound");
    // The same service can be exported there again.
    invoker.destroy(); // its connection went with the server
    let again = provider
        .export(greeter(greeter_url("dubbo", port)))
        .await
        .unwrap();
    let fresh = consumer.refer(greeter_url("dubbo", port)).await.unwrap();
    assert_eq!(
        fresh.invoke(say_hello("c")).await.unwrap().value.as_str(),
        Some("Hello, c")
    );
    again.unexport().await;
    consumer.destroy().await;
    provider.destroy().await;
    assert!(provider.counts().is_empty());
}

#[tokio::test]
async fn counting_alone_drops_a_destroyed_exported_invoker() {
    let provider = DubboProtocol::new();
    let port = free_port();
    let service = greeter(greeter_url("dubbo", port));
    let weak = Arc::downgrade(&service);
    let exporter = provider.export(Arc::clone(&service)).await.unwrap();
    drop(exporter);
    service.destroy();
    drop(service);
    assert!(provider.counts().is_empty(), "{:?}", provider.counts());
    assert!(
        weak.upgrade().is_none(),
        "the protocol keeps the destroyed invoker"
    );
    provider.destroy().await;
}
