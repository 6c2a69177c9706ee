//! Directories: where a cluster invoker finds the invokers that may serve a call.

mod static_directory;

use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker, RpcError};

pub use static_directory::StaticDirectory;

/// A changing set of invokers for one service, already routed for a given call.
///
/// [`StaticDirectory`] holds a fixed list; the registry crate's `RegistryDirectory`
/// follows a registry. A cluster invoker owns its directory: destroying the cluster
/// invoker destroys the directory, which destroys every invoker it made or holds.
pub trait Directory: Send + Sync + 'static {
    /// The consumer URL this directory serves.
    fn url(&self) -> Option<Arc<Url>>;
    /// The invokers that may serve `invocation`, after routing.
    fn list(&self, invocation: &Invocation) -> Result<Vec<Arc<dyn Invoker>>, RpcError>;
    /// Whether at least one invoker can take calls now.
    fn is_available(&self) -> bool;
    /// Whether [`Directory::destroy`] has been called.
    fn is_destroyed(&self) -> bool;
    /// Destroys the directory and every invoker it made/holds. Idempotent.
    fn destroy(&self);
}
