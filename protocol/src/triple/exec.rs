//! The executor hyper spawns a server's or a connection's tasks on: tracked, so that
//! closing waits for every one of them, and cancelled together at shutdown.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Spawns hyper's tasks on tokio, each ending at the latest when `shutdown` fires.
///
/// hyper spawns a task per HTTP/2 stream, so this is on every call's path: the token is
/// shared behind an `Arc` (cloning a `CancellationToken` takes its tree's lock), and a task
/// polls its own future first, so that one finishing at its first poll never registers as
/// a waiter of the token.
#[derive(Clone, Default)]
pub(crate) struct Exec {
    pub(crate) tracker: TaskTracker,
    pub(crate) shutdown: Arc<CancellationToken>,
}

impl Exec {
    /// Spawns `fut`, tracked and cut short by the shutdown.
    pub(crate) fn spawn<F>(&self, fut: F) -> tokio::task::JoinHandle<()>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let shutdown = Arc::clone(&self.shutdown);
        self.tracker.spawn(async move {
            tokio::select! {
                biased;
                _ = fut => {}
                () = shutdown.cancelled() => {}
            }
        })
    }

    /// Cancels every task and waits until all have ended.
    pub(crate) async fn shut_down(&self) {
        self.shutdown.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

impl<F> hyper::rt::Executor<F> for Exec
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        self.spawn(fut);
    }
}
