//! The executor hyper spawns a server's or a connection's tasks on: tracked, so that
//! closing waits for every one of them, and cancelled together at shutdown.

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Spawns hyper's tasks on tokio, each ending at the latest when `shutdown` fires.
#[derive(Clone, Default)]
pub(crate) struct Exec {
    pub(crate) tracker: TaskTracker,
    pub(crate) shutdown: CancellationToken,
}

impl Exec {
    /// Spawns `fut`, tracked and cut short by the shutdown.
    pub(crate) fn spawn<F>(&self, fut: F) -> tokio::task::JoinHandle<()>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let shutdown = self.shutdown.clone();
        self.tracker.spawn(async move {
            tokio::select! {
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
