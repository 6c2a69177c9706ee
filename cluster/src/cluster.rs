//! The `Cluster` trait and the strategies by name.

use std::sync::Arc;

use oxidubbo_common::{defaults, keys};
use oxidubbo_invoker::{Invoker, RpcError};

use crate::Directory;
use crate::available::AvailableCluster;
use crate::broadcast::BroadcastCluster;
use crate::failback::FailbackCluster;
use crate::failfast::FailfastCluster;
use crate::failover::FailoverCluster;
use crate::failsafe::FailsafeCluster;
use crate::forking::ForkingCluster;

/// A fault-tolerance strategy: joins the invokers of a [`Directory`] into one invoker.
///
/// The invoker returned owns the directory: destroying it destroys the directory (and so
/// every invoker the directory holds).
pub trait Cluster: Send + Sync + 'static {
    /// The cluster invoker over `directory`.
    fn join(&self, directory: Arc<dyn Directory>) -> Arc<dyn Invoker>;
}

/// The strategy registered under `name` (Dubbo's names): `failover`, `failfast`,
/// `failsafe`, `failback`, `forking`, `broadcast`, `available`.
///
/// Errors with [`RpcError::Config`] for an unknown name.
pub fn cluster_for(name: &str) -> Result<Arc<dyn Cluster>, RpcError> {
    Ok(match name {
        FailoverCluster::NAME => Arc::new(FailoverCluster),
        FailfastCluster::NAME => Arc::new(FailfastCluster),
        FailsafeCluster::NAME => Arc::new(FailsafeCluster),
        FailbackCluster::NAME => Arc::new(FailbackCluster),
        ForkingCluster::NAME => Arc::new(ForkingCluster),
        BroadcastCluster::NAME => Arc::new(BroadcastCluster),
        AvailableCluster::NAME => Arc::new(AvailableCluster),
        other => {
            return Err(RpcError::Config(format!(
                "unknown cluster {other:?} (known: failover, failfast, failsafe, failback, \
                 forking, broadcast, available)"
            )));
        }
    })
}

/// Joins `directory` with the strategy its consumer URL names in `cluster`
/// (default `failover`).
pub fn join(directory: Arc<dyn Directory>) -> Result<Arc<dyn Invoker>, RpcError> {
    let name = directory
        .url()
        .map(|url| url.param_or(keys::CLUSTER, defaults::CLUSTER).to_owned())
        .unwrap_or_else(|| defaults::CLUSTER.to_owned());
    Ok(cluster_for(&name)?.join(directory))
}
