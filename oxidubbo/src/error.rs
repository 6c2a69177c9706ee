//! [`Error`]: what starting, using or stopping a bootstrap can fail with.

use oxidubbo_invoker::RpcError;

use crate::config::ConfigError;

/// Why a bootstrap could not start, or a client could not be handed out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid (located in its file, or naming the variable).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Exporting, registering or referring failed.
    #[error("{context}: {source}")]
    Rpc {
        /// What was being done (`exporting services.greeter`, …).
        context: String,
        /// The failure.
        #[source]
        source: RpcError,
    },
    /// The program asked for something the bootstrap does not have: a reference that is
    /// not configured, a client of another interface, a service without implementation.
    #[error("{0}")]
    Usage(String),
    /// Waiting for a signal failed.
    #[error("signal handling: {0}")]
    Signal(#[from] std::io::Error),
}

impl Error {
    pub(crate) fn rpc(context: impl Into<String>, source: RpcError) -> Self {
        Error::Rpc {
            context: context.into(),
            source,
        }
    }
}
