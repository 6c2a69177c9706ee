//! Live heap stays flat over 10,000 export → refer → invoke → destroy cycles through the
//! global injvm protocol, measured by a counting global allocator.

mod support;

use oxidubbo_integration_tests::counting_alloc::{CountingAllocator, live_bytes};

use oxidubbo_protocol::{InjvmProtocol, Protocol};
use support::{greeter, greeter_url, say_hello};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn live_heap_is_flat_over_10000_cycles() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let protocol = InjvmProtocol::global();
        let mut after_1000 = 0;
        for cycle in 1..=10_000 {
            let exporter = protocol.export(greeter(greeter_url("injvm", 0))).await.unwrap();
            let invoker = protocol.refer(greeter_url("injvm", 0)).await.unwrap();
            let r = invoker.invoke(say_hello("w")).await.unwrap();
            assert_eq!(r.value.as_str(), Some("Hello, w"));
            drop(r);
            protocol.destroy().await;
            drop((exporter, invoker));
            assert!(protocol.counts().is_empty());
            if cycle == 1_000 {
                after_1000 = live_bytes();
            }
        }
        let after_10000 = live_bytes();
        println!("live heap after cycle 1,000: {after_1000} bytes; after cycle 10,000: {after_10000} bytes");
        let growth = after_10000 - after_1000;
        assert!(growth.abs() < 4096, "live heap grew by {growth} bytes over 9,000 cycles");
    });
}
