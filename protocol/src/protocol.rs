//! The `Protocol` trait and the counts a protocol exposes.

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_common::Url;
use oxidubbo_invoker::{Invoker, RpcError};

use crate::Exporter;

/// A way of exporting services and referring to them: `injvm`, `dubbo`, later `tri`.
#[async_trait]
pub trait Protocol: Send + Sync {
    /// Exports `invoker` under the service key of its URL, starting whatever the protocol
    /// needs to serve it. The service stays exported until the returned exporter is
    /// unexported or the protocol destroyed.
    async fn export(&self, invoker: Arc<dyn Invoker>) -> Result<Arc<dyn Exporter>, RpcError>;

    /// Makes an invoker that calls the service described by `url`.
    async fn refer(&self, url: Arc<Url>) -> Result<Arc<dyn Invoker>, RpcError>;

    /// Unexports every exporter, destroys every referred invoker and closes every server
    /// and connection. Afterwards the protocol holds nothing and can be used again.
    async fn destroy(&self);
}

/// What a protocol holds right now, for tests and operators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProtocolCounts {
    /// Services exported.
    pub exporters: usize,
    /// Invokers referred and not yet destroyed.
    pub invokers: usize,
    /// Servers listening.
    pub servers: usize,
    /// Client connections open (shared by the invokers of one address).
    pub connections: usize,
}

impl ProtocolCounts {
    /// Whether the protocol holds nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == ProtocolCounts::default()
    }
}
