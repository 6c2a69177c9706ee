//! Port 0: the port found is the port served. `reserve_port` binds once and keeps the
//! listener, and the export on that port serves on it, so no other socket can take the port
//! between finding it and serving it (as it could when port 0 was bound, read, dropped and
//! bound again).

mod support;

use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{greeter, greeter_url, say_hello};

fn bindable(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

#[tokio::test]
async fn a_reserved_port_stays_bound_until_its_export_serves_on_it() {
    let protocol = DubboProtocol::new();
    let reserved = protocol.reserve_port("127.0.0.1").unwrap();
    let port = reserved.port();
    assert_ne!(port, 0);
    assert!(
        !bindable(port),
        "the reserved port can be taken by another socket"
    );
    let exporter = protocol
        .export(greeter(greeter_url("dubbo", port)))
        .await
        .unwrap();
    drop(reserved); // the export holds the listener now
    assert!(
        !bindable(port),
        "the export let go of the reserved listener"
    );
    let invoker = protocol.refer(greeter_url("dubbo", port)).await.unwrap();
    let r = invoker.invoke(say_hello("r")).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, r"));
    invoker.destroy();
    exporter.unexport().await;
    assert!(bindable(port), "the port stays bound after unexport");
    assert!(protocol.counts().is_empty());
}

#[tokio::test]
async fn an_unused_reservation_frees_its_port_when_dropped_or_destroyed() {
    let protocol = DubboProtocol::new();
    let dropped = protocol.reserve_port("127.0.0.1").unwrap();
    let port = dropped.port();
    drop(dropped);
    assert!(bindable(port), "a dropped reservation keeps its port");
    let kept = protocol.reserve_port("127.0.0.1").unwrap();
    protocol.destroy().await;
    assert!(
        bindable(kept.port()),
        "destroy leaves a reserved port bound"
    );
}
