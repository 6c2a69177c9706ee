//! `RegistryError`: what a registry operation can fail with.

use oxidubbo_common::UrlError;
use oxidubbo_invoker::RpcError;

/// Why a registry operation failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry (or the directory or protocol that owns it) has been destroyed.
    #[error("registry destroyed: {0}")]
    Destroyed(String),
    /// Invalid configuration: unknown registry protocol, missing `export`/`refer`, bad address.
    #[error("registry configuration error: {0}")]
    Config(String),
    /// A URL could not be parsed (a registry node name, an `export` parameter, …).
    #[error("bad URL: {0}")]
    Url(#[from] UrlError),
    /// The backend (ZooKeeper, …) could not be reached or refused the operation.
    #[error("registry backend error: {0}")]
    Backend(String),
    /// The protocol behind the registry failed to export or refer.
    #[error(transparent)]
    Rpc(#[from] RpcError),
}

impl From<RegistryError> for RpcError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Rpc(e) => e,
            RegistryError::Destroyed(m) => RpcError::Destroyed(m),
            RegistryError::Backend(m) => RpcError::Network(format!("registry: {m}")),
            other => RpcError::Config(other.to_string()),
        }
    }
}
