//! `Protocols`: which protocol refers and exports the URLs of each scheme.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_common::{Url, values};
use oxidubbo_invoker::{Invoker, RpcError};
use oxidubbo_protocol::{DubboProtocol, Exporter, InjvmProtocol, Protocol, TripleProtocol};

/// The protocols a [`RegistryProtocol`](crate::RegistryProtocol) and its directories use,
/// by URL scheme (`dubbo`, `injvm`, …). Cheap to clone.
#[derive(Clone, Default)]
pub struct Protocols {
    map: Arc<HashMap<String, Arc<dyn Protocol>>>,
}

/// A process-wide protocol (`DubboProtocol::global()`), as an `Arc<dyn Protocol>`.
struct Global(&'static dyn Protocol);

#[async_trait]
impl Protocol for Global {
    async fn export(&self, invoker: Arc<dyn Invoker>) -> Result<Arc<dyn Exporter>, RpcError> {
        self.0.export(invoker).await
    }

    async fn refer(&self, url: Arc<Url>) -> Result<Arc<dyn Invoker>, RpcError> {
        self.0.refer(url).await
    }

    async fn destroy(&self) {
        self.0.destroy().await;
    }
}

impl Protocols {
    /// No protocol at all; add some with [`Protocols::with`].
    pub fn empty() -> Self {
        Protocols::default()
    }

    /// The process-wide `dubbo` ([`DubboProtocol::global`]), `tri`
    /// ([`TripleProtocol::global`]) and `injvm` ([`InjvmProtocol::global`]) protocols.
    pub fn global() -> Self {
        Protocols::empty()
            .with_static(values::DUBBO_PROTOCOL, DubboProtocol::global())
            .with_static(values::TRI_PROTOCOL, TripleProtocol::global())
            .with_static(values::INJVM_PROTOCOL, InjvmProtocol::global())
    }

    /// These protocols plus `protocol` for scheme `name` (replacing any before).
    pub fn with(self, name: &str, protocol: Arc<dyn Protocol>) -> Self {
        let mut map = HashMap::clone(&self.map);
        map.insert(name.to_owned(), protocol);
        Protocols { map: Arc::new(map) }
    }

    /// These protocols plus a process-wide `protocol` for scheme `name`.
    pub fn with_static(self, name: &str, protocol: &'static dyn Protocol) -> Self {
        self.with(name, Arc::new(Global(protocol)))
    }

    /// The protocol for scheme `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Protocol>> {
        self.map.get(name).cloned()
    }

    /// The protocol for `url`'s scheme, or a configuration error naming it.
    pub fn for_url(&self, url: &Url) -> Result<Arc<dyn Protocol>, RpcError> {
        self.get(url.protocol()).ok_or_else(|| {
            RpcError::Config(format!(
                "no protocol {:?} (known: {})",
                url.protocol(),
                self.names().join(", ")
            ))
        })
    }

    /// The schemes known, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.map.keys().cloned().collect();
        names.sort();
        names
    }
}

impl std::fmt::Debug for Protocols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protocols")
            .field("names", &self.names())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::Protocols;

    #[test]
    fn the_global_protocols_refer_tri_urls_too() {
        assert_eq!(Protocols::global().names(), ["dubbo", "injvm", "tri"]);
    }
}
