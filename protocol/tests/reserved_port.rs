//! Port 0: the port found is the port served. `reserve_port` (dubbo and tri alike) binds
//! once and keeps the listener, and the export on that port serves on it, so no other
//! socket can take the port between finding it and serving it (as it could when port 0 was
//! bound, read, dropped and bound again).

mod support;

use oxidubbo_invoker::RpcError;
use oxidubbo_protocol::{DubboProtocol, Protocol, ReservedPort, TripleProtocol};
use support::{greeter, greeter_url, say_hello};

/// A protocol's `reserve_port`.
type Reserve<'a> = dyn Fn(&str) -> Result<ReservedPort, RpcError> + 'a;

fn bindable(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

async fn served_on_the_reserved_port(
    protocol: &dyn Protocol,
    scheme: &str,
    reserve: impl Fn(&str) -> Result<ReservedPort, RpcError>,
) {
    let reserved = reserve("127.0.0.1").unwrap();
    let port = reserved.port();
    assert_ne!(port, 0);
    assert!(
        !bindable(port),
        "{scheme}: the reserved port can be taken by another socket"
    );
    let exporter = protocol
        .export(greeter(greeter_url(scheme, port)))
        .await
        .unwrap();
    drop(reserved); // the export holds the listener now
    assert!(
        !bindable(port),
        "{scheme}: the export let go of the reserved listener"
    );
    let invoker = protocol.refer(greeter_url(scheme, port)).await.unwrap();
    let r = invoker.invoke(say_hello("r")).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, r"));
    invoker.destroy();
    exporter.unexport().await;
    assert!(
        bindable(port),
        "{scheme}: the port stays bound after unexport"
    );
}

#[tokio::test]
async fn a_reserved_port_stays_bound_until_its_export_serves_on_it() {
    let protocol = DubboProtocol::new();
    served_on_the_reserved_port(&protocol, "dubbo", |h| protocol.reserve_port(h)).await;
    assert!(protocol.counts().is_empty());
}

#[tokio::test]
async fn a_reserved_tri_port_stays_bound_until_its_export_serves_on_it() {
    let protocol = TripleProtocol::new();
    served_on_the_reserved_port(&protocol, "tri", |h| protocol.reserve_port(h)).await;
    assert!(protocol.counts().is_empty(), "{:?}", protocol.counts());
}

#[tokio::test]
async fn an_unused_reservation_frees_its_port_when_dropped_or_destroyed() {
    let dubbo = DubboProtocol::new();
    let triple = TripleProtocol::new();
    let protocols: [(&dyn Protocol, &Reserve<'_>); 2] = [
        (&dubbo, &|h| dubbo.reserve_port(h)),
        (&triple, &|h| triple.reserve_port(h)),
    ];
    for (protocol, reserve) in protocols {
        let dropped = reserve("127.0.0.1").unwrap();
        let port = dropped.port();
        drop(dropped);
        assert!(bindable(port), "a dropped reservation keeps its port");
        let kept = reserve("127.0.0.1").unwrap();
        protocol.destroy().await;
        assert!(
            bindable(kept.port()),
            "destroy leaves a reserved port bound"
        );
    }
}
