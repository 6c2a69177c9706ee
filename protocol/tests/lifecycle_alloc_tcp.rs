//! Live heap stays flat over 1,000 export → refer → invoke → destroy cycles of the global
//! DubboProtocol over real loopback TCP, measured by a counting global allocator; after each
//! destroy no server or connection remains and the port can be bound again.
#![allow(unsafe_code)]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{free_port, greeter, greeter_url, say_hello};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; we only count.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
                after_100 = LIVE.load(Ordering::SeqCst);
            }
        }
        let after_1000 = LIVE.load(Ordering::SeqCst);
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
