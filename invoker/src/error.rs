//! `RpcError`: everything a call can fail with.

use crate::Status;

/// Why a call failed.
///
/// Framework failures carry the Dubbo [`Status`] they map to (see [`RpcError::status`]);
/// [`RpcError::Remote`] is a *business* exception thrown by the provider's code, which
/// cluster strategies never retry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RpcError {
    /// The invoker (or the protocol that made it) has been destroyed.
    #[error("invoker destroyed: {0}")]
    Destroyed(String),
    /// No response arrived within the call's timeout.
    #[error("call timed out after {elapsed_ms} ms: {message}")]
    Timeout {
        /// How long the call waited, in milliseconds.
        elapsed_ms: u64,
        /// Which call, on which address.
        message: String,
    },
    /// The provider has no such exported service (or method).
    #[error("not found exported service: {0}")]
    NotFound(String),
    /// The provider's code threw: Java class name and message of the exception.
    #[error("remote exception {class}: {message}")]
    Remote {
        /// Java class name of the exception, e.g. `java.lang.RuntimeException`.
        class: String,
        /// Its `detailMessage` (or the cause's, when it has none).
        message: String,
    },
    /// The peer answered with a non-OK status and this message.
    #[error("{status}: {message}")]
    Status {
        /// The status byte of the response.
        status: Status,
        /// The error message that came with it.
        message: String,
    },
    /// The connection could not be made or was lost.
    #[error("network error: {0}")]
    Network(String),
    /// A request or response could not be encoded or decoded.
    #[error("codec error: {0}")]
    Codec(String),
    /// No provider is available to serve the call.
    #[error("no provider available: {0}")]
    Unavailable(String),
    /// A filter refused the call (token, concurrency or rate limit).
    #[error("call rejected: {0}")]
    Forbidden(String),
    /// Invalid configuration (bad URL parameter, unknown extension name, …).
    #[error("configuration error: {0}")]
    Config(String),
}

impl RpcError {
    /// The Dubbo status this error is sent or was received as, where one applies.
    pub fn status(&self) -> Option<Status> {
        match self {
            RpcError::Timeout { .. } => Some(Status::SERVER_TIMEOUT),
            RpcError::NotFound(_) => Some(Status::SERVICE_ERROR),
            RpcError::Status { status, .. } => Some(*status),
            RpcError::Network(_) => Some(Status::CHANNEL_INACTIVE),
            RpcError::Codec(_) => Some(Status::BAD_REQUEST),
            RpcError::Remote { .. } => Some(Status::OK),
            _ => None,
        }
    }

    /// Whether this is a business exception from the provider's code (never retried).
    pub fn is_business(&self) -> bool {
        matches!(self, RpcError::Remote { .. })
    }

    /// A business error as Java peers understand it: a `java.lang.RuntimeException`.
    pub fn business(message: impl Into<String>) -> Self {
        RpcError::Remote {
            class: "java.lang.RuntimeException".to_owned(),
            message: message.into(),
        }
    }
}
