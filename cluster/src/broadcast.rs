//! `broadcast`: call every provider.

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult};

use crate::support::{ClusterCore, delegate_lifecycle};
use crate::{Cluster, Directory};

/// Dubbo's `broadcast` strategy: calls every routed provider, one after another (for
/// cache refreshes and the like). Fails with the last error if any call failed (business
/// exceptions included); otherwise returns the last provider's result.
#[derive(Debug, Default, Clone, Copy)]
pub struct BroadcastCluster;

impl BroadcastCluster {
    /// Its name in the `cluster` parameter.
    pub const NAME: &'static str = "broadcast";
}

impl Cluster for BroadcastCluster {
    fn join(&self, directory: Arc<dyn Directory>) -> Arc<dyn Invoker> {
        Arc::new(BroadcastClusterInvoker {
            core: ClusterCore::new(directory),
        })
    }
}

/// The invoker [`BroadcastCluster`] makes.
pub struct BroadcastClusterInvoker {
    core: ClusterCore,
}

#[async_trait]
impl Invoker for BroadcastClusterInvoker {
    async fn invoke(&self, mut invocation: Invocation) -> Result<RpcResult, RpcError> {
        let url = self.core.start(&mut invocation)?;
        let lb = self.core.balancer(&url, invocation.method_name())?;
        let invokers = self.core.list(&invocation, &url)?;
        let mut last_result = None;
        let mut last_error = None;
        for invoker in &invokers {
            match self
                .core
                .invoke(lb.as_ref(), invoker, invocation.clone())
                .await
            {
                Ok(result) => last_result = Some(result),
                Err(e) => {
                    tracing::warn!(
                        service = self.core.service(),
                        method = invocation.method_name(),
                        error = %e,
                        "broadcast call failed on one provider"
                    );
                    last_error = Some(e);
                }
            }
        }
        match (last_error, last_result) {
            (Some(e), _) => Err(e),
            (None, Some(result)) => Ok(result),
            (None, None) => Ok(RpcResult::default()),
        }
    }

    delegate_lifecycle!();
}
