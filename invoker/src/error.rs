//! `RpcError`: everything a call can fail with.

use crate::{Attachments, Status};

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
        /// The attachments of the response that carried it: what the provider attached
        /// before it threw (dubbo's `RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS`, Triple's
        /// headers and trailers); empty when none came.
        attachments: Attachments,
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
    /// A Triple (gRPC) status: one a Triple peer answered with, or one a service chose to
    /// answer with. `code` is a gRPC code, 1–16 (see [`RpcError::grpc_code`]).
    #[error("grpc status {code}: {message}")]
    Grpc {
        /// The gRPC status code.
        code: u32,
        /// The status message (`grpc-message`, percent-decoded).
        message: String,
    },
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
            RpcError::Grpc { code: 4, .. } => Some(Status::SERVER_TIMEOUT),
            RpcError::Grpc { code: 12, .. } => Some(Status::SERVICE_ERROR),
            RpcError::Grpc { code: 14, .. } => Some(Status::CHANNEL_INACTIVE),
            RpcError::Grpc { .. } => Some(Status::SERVICE_ERROR),
            _ => None,
        }
    }

    /// The gRPC status code this error is sent as over Triple, as Dubbo Java maps its
    /// errors (`TriRpcStatus.dubboCodeToTriCode`): a timeout is `DEADLINE_EXCEEDED` (4), a
    /// refused call `PERMISSION_DENIED` (7), a missing service `UNIMPLEMENTED` (12), a codec
    /// failure `INTERNAL` (13), a lost connection or no provider `UNAVAILABLE` (14), a
    /// business exception and anything else `UNKNOWN` (2); [`RpcError::Grpc`] keeps its own.
    pub fn grpc_code(&self) -> u32 {
        match self {
            RpcError::Grpc { code, .. } => *code,
            RpcError::Timeout { .. } => 4,
            RpcError::Forbidden(_) => 7,
            RpcError::NotFound(_) => 12,
            RpcError::Codec(_) => 13,
            RpcError::Network(_) | RpcError::Unavailable(_) | RpcError::Destroyed(_) => 14,
            RpcError::Status { status, .. } => match *status {
                Status::CLIENT_TIMEOUT | Status::SERVER_TIMEOUT => 4,
                Status::SERVER_THREADPOOL_EXHAUSTED => 8,
                Status::BAD_REQUEST | Status::BAD_RESPONSE | Status::CLIENT_ERROR => 13,
                Status::SERIALIZATION_ERROR => 13,
                Status::CHANNEL_INACTIVE => 14,
                _ => 2,
            },
            RpcError::Remote { .. } | RpcError::Config(_) => 2,
        }
    }

    /// The error a Triple (gRPC) status stands for on the consumer side, the reverse of
    /// [`RpcError::grpc_code`] as Java maps it (`TriRpcStatus.triCodeToDubboCode`):
    /// `DEADLINE_EXCEEDED` (4) is a [`Timeout`](RpcError::Timeout), `PERMISSION_DENIED` (7)
    /// [`Forbidden`](RpcError::Forbidden), `UNIMPLEMENTED` (12)
    /// [`NotFound`](RpcError::NotFound), `UNAVAILABLE` (14) [`Network`](RpcError::Network)
    /// (so that failover retries it elsewhere); every other code stays a
    /// [`Grpc`](RpcError::Grpc) status, a code outside 1–16 becoming `UNKNOWN` (2).
    pub fn from_grpc(code: u32, message: impl Into<String>) -> Self {
        let message = message.into();
        match code {
            4 => RpcError::Timeout {
                elapsed_ms: 0,
                message,
            },
            7 => RpcError::Forbidden(message),
            12 => RpcError::NotFound(message),
            14 => RpcError::Network(message),
            1..=16 => RpcError::Grpc { code, message },
            _ => RpcError::Grpc { code: 2, message },
        }
    }

    /// Whether this is a business exception from the provider's code (never retried).
    pub fn is_business(&self) -> bool {
        matches!(self, RpcError::Remote { .. })
    }

    /// A business error as Java peers understand it: a `java.lang.RuntimeException`.
    pub fn business(message: impl Into<String>) -> Self {
        RpcError::remote("java.lang.RuntimeException", message)
    }

    /// A business exception of Java class `class`, without attachments.
    pub fn remote(class: impl Into<String>, message: impl Into<String>) -> Self {
        RpcError::Remote {
            class: class.into(),
            message: message.into(),
            attachments: Attachments::new(),
        }
    }

    /// The response attachments a business exception came with (`None` for the other
    /// errors, which carry none).
    pub fn attachments(&self) -> Option<&Attachments> {
        match self {
            RpcError::Remote { attachments, .. } => Some(attachments),
            _ => None,
        }
    }

    /// The attachments of a business exception, to set or add to (`None` for the other
    /// errors).
    pub fn attachments_mut(&mut self) -> Option<&mut Attachments> {
        match self {
            RpcError::Remote { attachments, .. } => Some(attachments),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RpcError;

    #[test]
    fn grpc_codes_map_back_to_errors_failover_understands() {
        assert!(matches!(
            RpcError::from_grpc(4, "late"),
            RpcError::Timeout { .. }
        ));
        assert_eq!(
            RpcError::from_grpc(7, "no"),
            RpcError::Forbidden("no".into())
        );
        assert_eq!(
            RpcError::from_grpc(12, "who"),
            RpcError::NotFound("who".into())
        );
        assert_eq!(
            RpcError::from_grpc(14, "gone"),
            RpcError::Network("gone".into())
        );
        assert_eq!(
            RpcError::from_grpc(8, "full"),
            RpcError::Grpc {
                code: 8,
                message: "full".into()
            }
        );
        assert_eq!(RpcError::from_grpc(99, "odd").grpc_code(), 2);
        // The round trip keeps the code of every error that has a reverse.
        for code in [4, 7, 12, 14, 3, 13] {
            assert_eq!(RpcError::from_grpc(code, "m").grpc_code(), code);
        }
    }
}
