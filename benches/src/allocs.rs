//! Counting allocations: a global allocator that counts calls to `alloc` (and `realloc`,
//! which may move) while counting is on, so a benchmark can report allocations per call.
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: oxidubbo_benches::allocs::Counting = oxidubbo_benches::allocs::Counting;
//! ```
//!
//! Counting is off until [`start`]: then each allocation adds one to a shared counter,
//! an atomic that every thread touches, so QPS measured while counting is not the
//! program's own.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static ON: AtomicBool = AtomicBool::new(false);
static COUNT: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting while [`start`] is in effect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.load(Ordering::Relaxed) {
            COUNT.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if ON.load(Ordering::Relaxed) {
            COUNT.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ON.load(Ordering::Relaxed) {
            COUNT.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: `ptr` came from `System` through this allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Starts counting (from wherever the count stands).
pub fn start() {
    ON.store(true, Ordering::Relaxed);
}

/// Stops counting (the count stays).
pub fn stop() {
    ON.store(false, Ordering::Relaxed);
}

/// Whether counting is on ([`start`] was called, and no [`stop`] since).
pub fn counting() -> bool {
    ON.load(Ordering::Relaxed)
}

/// The allocations counted so far.
pub fn count() -> u64 {
    COUNT.load(Ordering::Relaxed)
}
