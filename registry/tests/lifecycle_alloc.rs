//! Live heap stays flat over 1,000 refer → invoke → destroy cycles through the registry
//! protocol (embedded registry, dubbo protocol), measured by a counting global allocator;
//! and every cycle leaves no listener, subscription, invoker or connection behind.

mod support;

use oxidubbo_integration_tests::counting_alloc::{CountingAllocator, live_bytes};

use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_protocol::{DubboProtocol, Protocol};
use oxidubbo_registry::{MemoryRegistry, Protocols, RegistryProtocol, StoreCounts};
use support::{greeter, say_hello};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn live_heap_is_flat_over_1000_registry_refer_destroy_cycles() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let i = "test.alloc.Greeter";
        let port = oxidubbo_integration_tests::free_port();
        let provider_url = Url::parse(&format!(
            "dubbo://127.0.0.1:{port}/{i}?interface={i}&version=1.0.0&timestamp=1"
        ))
        .unwrap();
        let registry = Url::parse("memory://127.0.0.1").unwrap();
        let reference = Url::parse(&format!(
            "consumer://127.0.0.1/{i}?interface={i}&version=1.0.0&timestamp=1"
        ))
        .unwrap();

        let provider_dubbo = Arc::new(DubboProtocol::new());
        let provider = RegistryProtocol::with_protocols(
            Protocols::empty().with("dubbo", provider_dubbo.clone()),
        );
        provider
            .export_to(&registry, greeter(provider_url))
            .await
            .unwrap();

        let consumer_dubbo = Arc::new(DubboProtocol::new());
        let consumer = RegistryProtocol::with_protocols(
            Protocols::empty().with("dubbo", consumer_dubbo.clone()),
        );
        let only_provider = StoreCounts {
            registered: 1,
            subscriptions: 0,
            instances: 0,
        };

        let mut after_200 = 0;
        for cycle in 1..=1_000 {
            let invoker = consumer.refer_from(&registry, &reference).await.unwrap();
            let r = invoker.invoke(say_hello("w")).await.unwrap();
            assert_eq!(r.value.as_str(), Some("Hello, w"));
            drop(r);
            consumer.destroy().await;
            drop(invoker);
            assert!(
                consumer.counts().is_empty(),
                "cycle {cycle}: {:?}",
                consumer.counts()
            );
            assert!(
                consumer_dubbo.counts().is_empty(),
                "cycle {cycle}: {:?}",
                consumer_dubbo.counts()
            );
            assert_eq!(
                MemoryRegistry::store_counts(),
                only_provider,
                "cycle {cycle}"
            );
            if cycle == 200 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                after_200 = live_bytes();
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let after_1000 = live_bytes();
        println!(
            "live heap after cycle 200: {after_200} bytes; after cycle 1,000: {after_1000} bytes"
        );
        let growth = after_1000 - after_200;
        assert!(
            growth.abs() < 16 * 1024,
            "live heap grew by {growth} bytes over 800 cycles"
        );

        provider.destroy().await;
        assert_eq!(MemoryRegistry::store_counts(), StoreCounts::default());
        assert!(
            provider_dubbo.counts().is_empty(),
            "{:?}",
            provider_dubbo.counts()
        );
    });
}
