//! dubbo-go #2031: memory climbed because every call merged the provider URL with the
//! consumer's (`MergeURL` in `GetURL()`); the fix was to merge once, when the invoker is
//! made.
//!
//! Here a registry directory merges a provider's URL once, when it refers it: every call
//! (10,000) and every repeated notification of the same providers use that invoker and
//! that very URL data, and the live heap (counting allocator) stays flat.

mod support;

use oxidubbo_integration_tests::counting_alloc::{CountingAllocator, live_bytes};

use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_registry::{MemoryRegistry, Protocols, Registry, RegistryDirectory};
use support::{TestProtocol, say_hello};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const GREETER: &str = "test.dubbogo2031.Greeter";
const CALLS: usize = 10_000;

#[test]
fn dubbogo_2031_calls_use_the_url_merged_once_per_invoker() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let memory = Url::parse("memory://127.0.0.1").unwrap();
        let provider = Url::parse(&format!(
            "test://10.0.0.1:20880/{GREETER}?interface={GREETER}&timeout=1000&weight=100&category=providers"
        ))
        .unwrap();
        let admin = MemoryRegistry::new(memory.clone());
        admin.register(&provider).await.unwrap();

        let protocol = Arc::new(TestProtocol::default());
        let dir = Arc::new(RegistryDirectory::new(
            Arc::new(MemoryRegistry::new(memory)),
            Url::parse(&format!(
                "consumer://127.0.0.1/{GREETER}?interface={GREETER}&timeout=3000&retries=0"
            ))
            .unwrap(),
            Protocols::empty().with("test", Arc::clone(&protocol) as _),
        ));
        dir.subscribe().await.unwrap();
        let cluster = Arc::clone(&dir).join().unwrap();

        let merged = dir.invokers()[0].url().unwrap();
        assert_eq!(merged.param("timeout"), Some("3000"), "merged: the consumer's wins");
        assert_eq!(merged.param("weight"), Some("100"), "merged: the provider's kept");
        let merged_once = merged.downgrade();
        drop(merged);

        let mut after_100 = 0;
        for call in 1..=CALLS {
            let r = cluster.invoke(say_hello("m")).await.unwrap();
            assert_eq!(r.value.as_str(), Some("Hello, m"));
            drop(r);
            if call % 100 == 0 {
                // The same providers again (a re-read after a reconnect, say).
                dir.notify(vec![provider.clone()]).await;
            }
            if call == 100 {
                after_100 = live_bytes();
            }
            assert!(
                merged_once.is_alive(),
                "call {call}: the URL merged when the invoker was made is no longer the one used"
            );
        }
        let after_all = live_bytes();
        println!("live heap after 100 calls: {after_100} bytes; after {CALLS}: {after_all} bytes");
        assert_eq!(protocol.referred(), 1, "one refer, one merge, for one provider");
        assert_eq!(dir.invokers()[0].url().unwrap().downgrade().upgrade(), merged_once.upgrade());
        let growth = after_all - after_100;
        assert!(
            growth.abs() < 64 * 1024,
            "live heap grew by {growth} bytes over {} calls",
            CALLS - 100
        );

        cluster.destroy();
        dir.shutdown().await;
        assert!(!merged_once.is_alive(), "released with its invoker");
        admin.destroy().await;
    });
}
