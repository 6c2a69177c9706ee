//! `failover`: on failure, retry on another provider.

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_common::{defaults, keys};
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult};

use crate::support::{ClusterCore, delegate_lifecycle};
use crate::{Cluster, Directory};

/// Most attempts a call makes, whatever `retries` says (a bound on every loop).
const MAX_ATTEMPTS: i64 = 64;

/// Dubbo's `failover` strategy (the default): a failed call is retried up to `retries`
/// times (method-level first, default 2, so 3 attempts), each retry on a provider not yet
/// tried when one is left. Business exceptions ([`RpcError::is_business`]) are returned
/// at once, never retried.
#[derive(Debug, Default, Clone, Copy)]
pub struct FailoverCluster;

impl FailoverCluster {
    /// Its name in the `cluster` parameter.
    pub const NAME: &'static str = "failover";
}

impl Cluster for FailoverCluster {
    fn join(&self, directory: Arc<dyn Directory>) -> Arc<dyn Invoker> {
        Arc::new(FailoverClusterInvoker::new(directory))
    }
}

/// The invoker [`FailoverCluster`] makes.
pub struct FailoverClusterInvoker {
    core: ClusterCore,
}

impl FailoverClusterInvoker {
    /// A failover invoker over `directory`.
    pub fn new(directory: Arc<dyn Directory>) -> Self {
        FailoverClusterInvoker {
            core: ClusterCore::new(directory),
        }
    }
}

#[async_trait]
impl Invoker for FailoverClusterInvoker {
    async fn invoke(&self, mut invocation: Invocation) -> Result<RpcResult, RpcError> {
        let url = self.core.start(&mut invocation)?;
        let method = invocation.method().clone();
        let lb = self.core.balancer(&url, &method)?;
        let retries = url.method_int_param(&method, keys::RETRIES, defaults::RETRIES);
        let attempts = retries.clamp(0, MAX_ATTEMPTS - 1) + 1;
        let mut invokers = self.core.list(&invocation, &url)?;
        let mut tried: Vec<Arc<dyn Invoker>> = Vec::new();
        let mut last_error = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                // The cluster may have been destroyed while the last attempt ran: read
                // nothing it released, report it plainly (dubbo-go #2981).
                if self.core.is_destroyed() {
                    return Err(self.core.destroyed_error(&method));
                }
                invokers = match self.core.list(&invocation, &url) {
                    Ok(list) => list,
                    Err(e) => {
                        last_error = Some(e);
                        break;
                    }
                };
            }
            let Some(invoker) = self
                .core
                .select(lb.as_ref(), &invokers, &tried, &url, &invocation)
            else {
                break;
            };
            tried.push(Arc::clone(&invoker));
            match self
                .core
                .invoke(lb.as_ref(), &invoker, invocation.clone())
                .await
            {
                Ok(result) => {
                    if attempt > 0 {
                        tracing::warn!(
                            service = self.core.service(),
                            method = %method,
                            attempt = attempt + 1,
                            "call succeeded after failing over"
                        );
                    }
                    return Ok(result);
                }
                Err(e) if e.is_business() => return Err(e),
                Err(e) => {
                    tracing::debug!(
                        service = self.core.service(),
                        method = %method,
                        attempt = attempt + 1,
                        of = attempts,
                        error = %e,
                        "attempt failed"
                    );
                    last_error = Some(e);
                }
            }
        }
        if self.core.is_destroyed() {
            return Err(self.core.destroyed_error(&method));
        }
        let error = last_error.unwrap_or_else(|| {
            RpcError::Unavailable(format!(
                "no available provider for method {method} of service {}",
                self.core.service()
            ))
        });
        tracing::warn!(
            service = self.core.service(),
            method = %method,
            tried = tried.len(),
            error = %error,
            "call failed on every provider tried"
        );
        Err(error)
    }

    delegate_lifecycle!();
}
