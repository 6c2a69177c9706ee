//! `available`: the first available provider, no load balancing.

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult};

use crate::support::{ClusterCore, delegate_lifecycle};
use crate::{Cluster, Directory};

/// Dubbo's `available` strategy: calls the first provider (in directory order) that is
/// available, once; [`RpcError::Unavailable`] when none is.
#[derive(Debug, Default, Clone, Copy)]
pub struct AvailableCluster;

impl AvailableCluster {
    /// Its name in the `cluster` parameter.
    pub const NAME: &'static str = "available";
}

impl Cluster for AvailableCluster {
    fn join(&self, directory: Arc<dyn Directory>) -> Arc<dyn Invoker> {
        Arc::new(AvailableClusterInvoker {
            core: ClusterCore::new(directory),
        })
    }
}

/// The invoker [`AvailableCluster`] makes.
pub struct AvailableClusterInvoker {
    core: ClusterCore,
}

#[async_trait]
impl Invoker for AvailableClusterInvoker {
    async fn invoke(&self, mut invocation: Invocation) -> Result<RpcResult, RpcError> {
        let url = self.core.start(&mut invocation)?;
        let invokers = self.core.list(&invocation, &url)?;
        let invoker = invokers.iter().find(|i| i.is_available()).ok_or_else(|| {
            RpcError::Unavailable(format!(
                "no available provider for method {} of service {}",
                invocation.method_name(),
                self.core.service()
            ))
        })?;
        invoker.invoke(invocation).await
    }

    delegate_lifecycle!();
}
