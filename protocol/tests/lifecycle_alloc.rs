//! Live heap stays flat over 10,000 export → refer → invoke → destroy cycles through the
//! global injvm protocol, measured by a counting global allocator.
#![allow(unsafe_code)]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use oxidubbo_protocol::{InjvmProtocol, Protocol};
use support::{greeter, greeter_url, say_hello};

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
                after_1000 = LIVE.load(Ordering::SeqCst);
            }
        }
        let after_10000 = LIVE.load(Ordering::SeqCst);
        println!("live heap after cycle 1,000: {after_1000} bytes; after cycle 10,000: {after_10000} bytes");
        let growth = after_10000 - after_1000;
        assert!(growth.abs() < 4096, "live heap grew by {growth} bytes over 9,000 cycles");
    });
}
