//! `failfast`: one attempt, errors returned at once.

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult};

use crate::support::{ClusterCore, delegate_lifecycle};
use crate::{Cluster, Directory};

/// Dubbo's `failfast` strategy: calls one provider once and returns its error as it is
/// (for non-idempotent writes).
#[derive(Debug, Default, Clone, Copy)]
pub struct FailfastCluster;

impl FailfastCluster {
    /// Its name in the `cluster` parameter.
    pub const NAME: &'static str = "failfast";
}

impl Cluster for FailfastCluster {
    fn join(&self, directory: Arc<dyn Directory>) -> Arc<dyn Invoker> {
        Arc::new(FailfastClusterInvoker {
            core: ClusterCore::new(directory),
        })
    }
}

/// The invoker [`FailfastCluster`] makes.
pub struct FailfastClusterInvoker {
    core: ClusterCore,
}

#[async_trait]
impl Invoker for FailfastClusterInvoker {
    async fn invoke(&self, mut invocation: Invocation) -> Result<RpcResult, RpcError> {
        let url = self.core.start(&mut invocation)?;
        let lb = self.core.balancer(&url, invocation.method_name())?;
        let invokers = self.core.list(&invocation, &url)?;
        let invoker = self
            .core
            .select(lb.as_ref(), &invokers, &[], &url, &invocation)
            .ok_or_else(|| {
                RpcError::Unavailable(format!(
                    "no available provider for service {}",
                    self.core.service()
                ))
            })?;
        self.core.invoke(lb.as_ref(), &invoker, invocation).await
    }

    delegate_lifecycle!();
}
