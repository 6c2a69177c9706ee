//! Runtimes shut down under others: helpers of the tests of clients whose background tasks
//! live on the runtime that made them.

use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// A runtime of its own with one worker (these tests make several, and shut some down).
pub fn one_worker() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Starts `call` on `b`, lets it reach the provider (300 ms), then shuts `a` down under
/// it; returns the call, still pending if nothing ended it.
pub fn shut_down_under<T: Send + 'static>(
    a: Runtime,
    b: &Runtime,
    call: impl Future<Output = T> + Send + 'static,
) -> JoinHandle<T> {
    let pending = b.spawn(call);
    std::thread::sleep(Duration::from_millis(300));
    a.shutdown_timeout(Duration::from_secs(2));
    pending
}
