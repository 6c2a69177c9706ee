//! A destroyed invoker or unexported exporter leaves the protocol at once (rule 4).

mod support;

use oxidubbo_protocol::{DubboProtocol, InjvmProtocol, Protocol};
use support::{free_port, greeter, greeter_url};

#[tokio::test]
async fn injvm_invoker_and_exporter_leave_at_once() {
    let protocol = InjvmProtocol::new();
    let exporter = protocol
        .export(greeter(greeter_url("injvm", 0)))
        .await
        .unwrap();
    let a = protocol.refer(greeter_url("injvm", 0)).await.unwrap();
    let b = protocol.refer(greeter_url("injvm", 0)).await.unwrap();
    assert_eq!(protocol.counts().invokers, 2);
    a.destroy();
    assert_eq!(protocol.counts().invokers, 1);
    a.destroy(); // idempotent
    assert_eq!(protocol.counts().invokers, 1);
    exporter.unexport().await;
    assert_eq!(protocol.counts().exporters, 0);
    assert!(exporter.invoker().is_none());
    b.destroy();
    assert!(protocol.counts().is_empty());
}

#[tokio::test]
async fn dubbo_connection_is_shared_and_closed_by_the_last_invoker() {
    let protocol = DubboProtocol::new();
    let port = free_port();
    let exporter = protocol
        .export(greeter(greeter_url("dubbo", port)))
        .await
        .unwrap();
    let a = protocol.refer(greeter_url("dubbo", port)).await.unwrap();
    let b = protocol.refer(greeter_url("dubbo", port)).await.unwrap();
    let c = protocol.counts();
    assert_eq!(
        (c.invokers, c.connections, c.servers),
        (2, 1, 1),
        "one connection per address"
    );
    a.destroy();
    assert_eq!(
        (protocol.counts().invokers, protocol.counts().connections),
        (1, 1)
    );
    b.destroy();
    assert_eq!(
        (protocol.counts().invokers, protocol.counts().connections),
        (0, 0)
    );
    exporter.unexport().await;
    assert!(protocol.counts().is_empty(), "{:?}", protocol.counts());
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the last unexport closes the server");
}
