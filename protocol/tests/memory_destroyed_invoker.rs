//! A destroyed dubbo invoker that is still held keeps nothing of its URL: not the URL, not
//! its target, not the provider's token (here 1 MiB, to be seen by the counting allocator).

mod support;

use std::sync::Arc;

use oxidubbo_integration_tests::counting_alloc::{CountingAllocator, live_bytes};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{greeter_server, greeter_url, say_hello};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const TOKEN: usize = 1 << 20;

#[test]
fn a_destroyed_invoker_releases_its_target_and_token() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (provider, port, _e) = greeter_server().await;
        let consumer = DubboProtocol::new();
        // A warm-up invoker keeps the connection and settles one-time allocations.
        let warm = consumer.refer(greeter_url("dubbo", port)).await.unwrap();
        warm.invoke(say_hello("w")).await.unwrap();
        let before = live_bytes();
        let url = Arc::new(greeter_url("dubbo", port).with_param("token", "t".repeat(TOKEN)));
        let weak = url.downgrade();
        let invoker = consumer.refer(url).await.unwrap();
        assert!(
            live_bytes() - before > TOKEN as isize,
            "the token is held while live"
        );
        invoker.destroy();
        assert!(!weak.is_alive(), "the URL outlived destroy");
        let held = live_bytes() - before;
        println!("a destroyed invoker with a {TOKEN}-byte token still held: +{held} bytes");
        assert!(
            held < 64 * 1024,
            "a destroyed invoker still holds {held} bytes (its target and token?)"
        );
        drop(invoker);
        warm.destroy();
        consumer.destroy().await;
        provider.destroy().await;
    });
}
