//! `forking`: call several providers in parallel, first success wins.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use oxidubbo_common::{defaults, keys};
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult};
use tokio::task::JoinSet;

use crate::support::{ClusterCore, delegate_lifecycle, invoke_counted};
use crate::{Cluster, Directory};

/// URL parameter: how many providers a `forking` call uses. Dubbo default: `2`.
pub const FORKS: &str = "forks";
/// Default of [`FORKS`].
pub const DEFAULT_FORKS: i64 = 2;

/// Dubbo's `forking` strategy: calls `forks` providers (default 2; all of them when
/// `forks` is 0 or at least their number) at the same time and returns the first
/// success; the other calls are then cancelled. Fails with the last error when all fail,
/// or with [`RpcError::Timeout`] when none answers within `timeout` (default 1000 ms).
#[derive(Debug, Default, Clone, Copy)]
pub struct ForkingCluster;

impl ForkingCluster {
    /// Its name in the `cluster` parameter.
    pub const NAME: &'static str = "forking";
}

impl Cluster for ForkingCluster {
    fn join(&self, directory: Arc<dyn Directory>) -> Arc<dyn Invoker> {
        Arc::new(ForkingClusterInvoker {
            core: ClusterCore::new(directory),
        })
    }
}

/// The invoker [`ForkingCluster`] makes.
pub struct ForkingClusterInvoker {
    core: ClusterCore,
}

#[async_trait]
impl Invoker for ForkingClusterInvoker {
    async fn invoke(&self, mut invocation: Invocation) -> Result<RpcResult, RpcError> {
        let url = self.core.start(&mut invocation)?;
        let method = invocation.method().clone();
        let lb = self.core.balancer(&url, &method)?;
        let invokers = self.core.list(&invocation, &url)?;
        let forks = url.method_int_param(&method, FORKS, DEFAULT_FORKS);
        let timeout = url.method_duration_ms_param(
            &method,
            keys::TIMEOUT,
            Duration::from_millis(defaults::TIMEOUT_MS),
        );
        let selected: Vec<Arc<dyn Invoker>> =
            if forks <= 0 || usize::try_from(forks).unwrap_or(usize::MAX) >= invokers.len() {
                invokers
            } else {
                let mut chosen: Vec<Arc<dyn Invoker>> = Vec::new();
                // At most `forks` picks; a pick already chosen is not added twice.
                for _ in 0..forks {
                    if let Some(i) =
                        self.core
                            .select(lb.as_ref(), &invokers, &chosen, &url, &invocation)
                    {
                        if !chosen.iter().any(|c| crate::support::same_invoker(c, &i)) {
                            chosen.push(i);
                        }
                    }
                }
                chosen
            };
        if selected.is_empty() {
            return Err(RpcError::Unavailable(format!(
                "no available provider for method {method} of service {}",
                self.core.service()
            )));
        }
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|_| RpcError::Config("the forking cluster needs a tokio runtime".into()))?;
        let count = lb.uses_rpc_status();
        let mut calls = JoinSet::new();
        for invoker in selected {
            let invocation = invocation.clone();
            calls.spawn_on(
                async move { invoke_counted(count, &invoker, invocation).await },
                &handle,
            );
        }
        let started = Instant::now();
        let first_success = async {
            let mut last_error = None;
            while let Some(joined) = calls.join_next().await {
                match joined {
                    Ok(Ok(result)) => return Ok(result),
                    Ok(Err(e)) => last_error = Some(e),
                    Err(e) => {
                        last_error = Some(RpcError::Network(format!("forked call ended: {e}")))
                    }
                }
            }
            Err(last_error.unwrap_or_else(|| RpcError::Unavailable("no forked call ran".into())))
        };
        let outcome = tokio::time::timeout(timeout, first_success).await;
        // Dropping the set cancels the calls still running.
        drop(calls);
        match outcome {
            Ok(result) => result,
            Err(_) => Err(RpcError::Timeout {
                elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                message: format!(
                    "no forked call of method {method} of service {} answered",
                    self.core.service()
                ),
            }),
        }
    }

    delegate_lifecycle!();
}
