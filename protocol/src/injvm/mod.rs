//! `injvm`: Dubbo's in-process protocol. Export and refer inside one process, with no
//! network and no serialization: the deterministic path for tests and local calls.
//!
//! A call crosses from the consumer's side to the provider's as over the network: the
//! exported invoker (and the provider's filters around it) gets the call with the
//! provider's URL as its snapshot, never the consumer's, so provider-side filters such as
//! `token` and `executes` apply to in-process calls as they do to remote ones. As in Dubbo
//! Java, a call that carries no token is given the provider's (a wrong one is refused).

use std::sync::{Arc, Weak};

use async_trait::async_trait;
use once_cell::sync::Lazy;
use oxidubbo_common::{ServiceKey, Url, keys};
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{BaseInvoker, Invocation, Invoker, RpcError, RpcResult};

use crate::exporter::{ExportOwner, ExporterTable, ServiceExporter};
use crate::referred::ReferredInvokers;
use crate::{Exporter, Protocol, ProtocolCounts};

static GLOBAL: Lazy<InjvmProtocol> = Lazy::new(InjvmProtocol::new);

/// The in-process protocol (`injvm://`).
pub struct InjvmProtocol {
    state: Arc<InjvmState>,
}

#[derive(Default)]
struct InjvmState {
    exporters: ExporterTable,
    invokers: ReferredInvokers,
}

impl ExportOwner for InjvmState {
    async fn release_export(&self, key: &ServiceKey, invoker: &Arc<dyn Invoker>, _address: &str) {
        self.exporters.remove(key, invoker);
    }
}

impl InjvmProtocol {
    /// A private instance (tests use one each to stay independent).
    pub fn new() -> Self {
        InjvmProtocol {
            state: Arc::new(InjvmState::default()),
        }
    }

    /// The process-wide instance.
    pub fn global() -> &'static InjvmProtocol {
        &GLOBAL
    }

    /// What the protocol holds now.
    pub fn counts(&self) -> ProtocolCounts {
        ProtocolCounts {
            exporters: self.state.exporters.len(),
            invokers: self.state.invokers.len(),
            servers: 0,
            connections: 0,
        }
    }
}

impl Default for InjvmProtocol {
    fn default() -> Self {
        InjvmProtocol::new()
    }
}

#[async_trait]
impl Protocol for InjvmProtocol {
    async fn export(&self, invoker: Arc<dyn Invoker>) -> Result<Arc<dyn Exporter>, RpcError> {
        let url = invoker
            .url()
            .ok_or_else(|| RpcError::Destroyed("cannot export a destroyed invoker".into()))?;
        let key = url.service_key();
        self.state
            .exporters
            .insert(key.clone(), Arc::clone(&invoker))?;
        tracing::debug!(%key, "exported over injvm");
        Ok(Arc::new(ServiceExporter::new(
            key,
            String::new(),
            invoker,
            Arc::downgrade(&self.state),
        )))
    }

    async fn refer(&self, url: Arc<Url>) -> Result<Arc<dyn Invoker>, RpcError> {
        let id = self.state.invokers.next_id();
        let key = url.service_key();
        let invoker: Arc<dyn Invoker> = Arc::new(InjvmInvoker {
            base: BaseInvoker::new(url),
            key,
            id,
            state: Arc::downgrade(&self.state),
        });
        self.state.invokers.insert(id, Arc::clone(&invoker));
        Ok(invoker)
    }

    async fn destroy(&self) {
        for invoker in self.state.invokers.drain() {
            invoker.destroy();
        }
        for (_, invoker) in self.state.exporters.drain() {
            invoker.destroy();
        }
    }
}

/// An invoker that calls a service exported in this process.
struct InjvmInvoker {
    base: BaseInvoker,
    key: ServiceKey,
    id: u64,
    state: Weak<InjvmState>,
}

impl InjvmInvoker {
    /// A failure of a call during which this invoker was destroyed is reported as such.
    fn destroyed_or(&self, e: RpcError) -> RpcError {
        if self.base.is_destroyed() && !e.is_business() {
            RpcError::Destroyed(format!("{} was destroyed during the call ({e})", self.key))
        } else {
            e
        }
    }
}

#[async_trait]
impl Invoker for InjvmInvoker {
    async fn invoke(&self, mut invocation: Invocation) -> Result<RpcResult, RpcError> {
        self.base.url_or_destroyed()?;
        let state = self
            .state
            .upgrade()
            .ok_or_else(|| RpcError::Destroyed("the injvm protocol is gone".into()))?;
        let target = state.exporters.get(&self.key);
        drop(state);
        let not_found = || self.destroyed_or(RpcError::NotFound(format!("{} in injvm", self.key)));
        let Some(target) = target else {
            return Err(not_found());
        };
        // The provider's side of the call (its filters: token, executes, tps, accesslog…,
        // and its service) sees the provider's URL, as a call from another process does:
        // the consumer's snapshot stays on the consumer's side.
        let Some(provider_url) = target.url() else {
            return Err(not_found());
        };
        // Java's rule for local exposure: a call that carries no token gets the
        // provider's, so a service guarded by a token can still be called in-process by
        // a reference that was not given it; a wrong token is still refused.
        if let Some(token) = provider_url.param(keys::TOKEN).filter(|t| !t.is_empty()) {
            if invocation.attachments().get_str(keys::TOKEN).is_none() {
                invocation
                    .attachments_mut()
                    .insert(keys::TOKEN, Value::from(token));
            }
        }
        invocation.set_url(provider_url);
        target
            .invoke(invocation)
            .await
            .map_err(|e| self.destroyed_or(e))
    }

    fn url(&self) -> Option<Arc<Url>> {
        self.base.url()
    }

    fn is_available(&self) -> bool {
        self.base.is_available()
            && self
                .state
                .upgrade()
                .is_some_and(|s| s.exporters.get(&self.key).is_some())
    }

    fn is_destroyed(&self) -> bool {
        self.base.is_destroyed()
    }

    fn destroy(&self) {
        if self.base.destroy() {
            if let Some(state) = self.state.upgrade() {
                state.invokers.remove(self.id);
            }
        }
    }
}
