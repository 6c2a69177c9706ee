//! `failsafe`: errors are logged and swallowed.

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult};

use crate::support::{ClusterCore, delegate_lifecycle};
use crate::{Cluster, Directory};

/// Dubbo's `failsafe` strategy: calls one provider once; any failure (including no
/// provider, and business exceptions) is logged and an empty [`RpcResult`] returned (for
/// audit logging and the like). A destroyed cluster invoker still answers
/// [`RpcError::Destroyed`].
#[derive(Debug, Default, Clone, Copy)]
pub struct FailsafeCluster;

impl FailsafeCluster {
    /// Its name in the `cluster` parameter.
    pub const NAME: &'static str = "failsafe";
}

impl Cluster for FailsafeCluster {
    fn join(&self, directory: Arc<dyn Directory>) -> Arc<dyn Invoker> {
        Arc::new(FailsafeClusterInvoker {
            core: ClusterCore::new(directory),
        })
    }
}

/// The invoker [`FailsafeCluster`] makes.
pub struct FailsafeClusterInvoker {
    core: ClusterCore,
}

impl FailsafeClusterInvoker {
    async fn try_invoke(&self, invocation: Invocation) -> Result<RpcResult, RpcError> {
        let url = invocation
            .url()
            .cloned()
            .ok_or_else(|| self.core.destroyed_error(invocation.method_name()))?;
        let lb = self.core.balancer(&url, invocation.method_name())?;
        let invokers = self.core.list(&invocation, &url)?;
        let invoker = self
            .core
            .select(lb.as_ref(), &invokers, &[], &url, &invocation)
            .ok_or_else(|| RpcError::Unavailable("no available provider".into()))?;
        self.core.invoke(lb.as_ref(), &invoker, invocation).await
    }
}

#[async_trait]
impl Invoker for FailsafeClusterInvoker {
    async fn invoke(&self, mut invocation: Invocation) -> Result<RpcResult, RpcError> {
        self.core.start(&mut invocation)?;
        let method = invocation.method().clone();
        match self.try_invoke(invocation).await {
            Ok(result) => Ok(result),
            Err(e) => {
                tracing::error!(
                    service = self.core.service(),
                    method = %method,
                    error = %e,
                    "failsafe ignored an error"
                );
                Ok(RpcResult::default())
            }
        }
    }

    delegate_lifecycle!();
}
