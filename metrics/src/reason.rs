//! [`FailureReason`]: which of Dubbo Java's failure counters a failed call goes to.

use oxidubbo_invoker::{RpcError, Status};

/// Why a call failed, as Dubbo Java splits its failed requests
/// (`dubbo_<side>_requests_<reason>_total`). Every failed call is counted in
/// `…_requests_failed_total` and in exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// No answer in time: [`RpcError::Timeout`], a timeout status, gRPC
    /// `DEADLINE_EXCEEDED`.
    Timeout,
    /// Refused by a limit: [`RpcError::Forbidden`] (the `tps`, `executes`, `actives` and
    /// `token` filters) and the provider's `SERVER_THREADPOOL_EXHAUSTED`.
    Limit,
    /// Nothing could serve the call: no provider ([`RpcError::Unavailable`]), a destroyed
    /// invoker, no such service or method, gRPC `UNAVAILABLE` or `UNIMPLEMENTED`.
    ServiceUnavailable,
    /// The service itself failed: a business exception ([`RpcError::Remote`]) or a gRPC
    /// status an IDL service answered with.
    Business,
    /// A request or response could not be encoded or decoded.
    Codec,
    /// The connection could not be made or was lost.
    Network,
    /// Anything else (a configuration error, an unexpected status).
    Unknown,
}

impl FailureReason {
    /// Every reason, in the order the families are exposed.
    pub const ALL: [FailureReason; 7] = [
        FailureReason::Timeout,
        FailureReason::Limit,
        FailureReason::ServiceUnavailable,
        FailureReason::Business,
        FailureReason::Codec,
        FailureReason::Network,
        FailureReason::Unknown,
    ];

    /// The reason `error` is counted under.
    pub fn of(error: &RpcError) -> FailureReason {
        match error {
            RpcError::Timeout { .. } => FailureReason::Timeout,
            RpcError::Forbidden(_) => FailureReason::Limit,
            RpcError::Unavailable(_) | RpcError::Destroyed(_) | RpcError::NotFound(_) => {
                FailureReason::ServiceUnavailable
            }
            RpcError::Remote { .. } => FailureReason::Business,
            RpcError::Codec(_) => FailureReason::Codec,
            RpcError::Network(_) => FailureReason::Network,
            RpcError::Config(_) => FailureReason::Unknown,
            RpcError::Grpc { code, .. } => match code {
                4 => FailureReason::Timeout,
                12 | 14 => FailureReason::ServiceUnavailable,
                _ => FailureReason::Business,
            },
            RpcError::Status { status, .. } => Self::of_status(*status),
            _ => FailureReason::Unknown,
        }
    }

    fn of_status(status: Status) -> FailureReason {
        match status {
            Status::CLIENT_TIMEOUT | Status::SERVER_TIMEOUT => FailureReason::Timeout,
            Status::SERVER_THREADPOOL_EXHAUSTED => FailureReason::Limit,
            Status::SERVICE_NOT_FOUND => FailureReason::ServiceUnavailable,
            Status::SERIALIZATION_ERROR | Status::BAD_REQUEST | Status::BAD_RESPONSE => {
                FailureReason::Codec
            }
            Status::CHANNEL_INACTIVE => FailureReason::Network,
            _ => FailureReason::Unknown,
        }
    }

    /// The position of the reason in [`FailureReason::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The counter family of the reason, without the side and `_total` (added by the
    /// exposition): Dubbo Java's names.
    pub(crate) fn family(self) -> (&'static str, &'static str) {
        match self {
            FailureReason::Timeout => ("requests_timeout", "Total Timeout Failed Requests"),
            FailureReason::Limit => ("requests_limit", "Total Limit Failed Requests"),
            FailureReason::ServiceUnavailable => (
                "requests_failed_service_unavailable",
                "Total Service Unavailable Failed Requests",
            ),
            FailureReason::Business => {
                ("requests_business_failed", "Total Failed Business Requests")
            }
            FailureReason::Codec => ("requests_failed_codec", "Total Codec Failed Requests"),
            FailureReason::Network => ("requests_failed_network", "Total Network Failed Requests"),
            FailureReason::Unknown => ("requests_unknown_failed", "Total Unknown Failed Requests"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_javas_reasons() {
        let cases = [
            (
                RpcError::Timeout {
                    elapsed_ms: 5,
                    message: String::new(),
                },
                FailureReason::Timeout,
            ),
            (RpcError::Forbidden("tps".into()), FailureReason::Limit),
            (
                RpcError::Unavailable("none".into()),
                FailureReason::ServiceUnavailable,
            ),
            (RpcError::business("boom"), FailureReason::Business),
            (RpcError::Codec("bad".into()), FailureReason::Codec),
            (RpcError::Network("reset".into()), FailureReason::Network),
            (RpcError::Config("x".into()), FailureReason::Unknown),
            (
                RpcError::Grpc {
                    code: 4,
                    message: String::new(),
                },
                FailureReason::Timeout,
            ),
            (
                RpcError::Status {
                    status: Status::SERVER_THREADPOOL_EXHAUSTED,
                    message: String::new(),
                },
                FailureReason::Limit,
            ),
            (
                RpcError::Status {
                    status: Status::BAD_RESPONSE,
                    message: String::new(),
                },
                FailureReason::Codec,
            ),
        ];
        for (error, reason) in cases {
            assert_eq!(FailureReason::of(&error), reason, "{error}");
        }
        for (i, reason) in FailureReason::ALL.iter().enumerate() {
            assert_eq!(reason.index(), i);
        }
    }
}
