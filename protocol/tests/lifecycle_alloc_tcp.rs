//! Live heap stays flat over 1,000 export → refer → invoke → destroy cycles of the global
//! DubboProtocol over real loopback TCP, measured by a counting global allocator; after each
//! destroy no server or connection remains and the port can be bound again.

mod support;

use oxidubbo_integration_tests::counting_alloc::{CountingAllocator, live_bytes};

use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{free_port, greeter, greeter_url, say_hello};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn live_heap_is_flat_over_1000_tcp_cycles() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let protocol = DubboProtocol::global();
        let port = free_port();
        let mut after_100 = 0;
        for cycle in 1..=1_000 {
            let exporter = protocol
                .export(greeter(greeter_url("dubbo", port)))
                .await
                .unwrap();
            let invoker = protocol.refer(greeter_url("dubbo", port)).await.unwrap();
            let r = invoker.invoke(say_hello("w")).await.unwrap();
            assert_eq!(r.value.as_str(), Some("Hello, w"));
            drop(r);
            protocol.destroy().await;
            drop((exporter, invoker));
            assert!(
                protocol.counts().is_empty(),
                "cycle {cycle}: {:?}",
                protocol.counts()
            );
            if cycle % 250 == 0 {
                // The port is free again (checked now and then: binding costs time).
                drop(std::net::TcpListener::bind(("127.0.0.1", port)).expect("port still bound"));
            }
            if cycle == 100 {
                after_100 = live_bytes();
            }
        }
        let after_1000 = live_bytes();
        println!(
            "live heap after cycle 100: {after_100} bytes; after cycle 1,000: {after_1000} bytes"
        );
        let growth = after_1000 - after_100;
        assert!(
            growth.abs() < 4096,
            "live heap grew by {growth} bytes over 900 TCP cycles"
        );
    });
}
