//! [`Status`] and [`Code`]: how an IDL call fails, as gRPC says it.

use std::fmt;

use oxidubbo_invoker::RpcError;

/// A gRPC status code (0–16, the same numbers on every gRPC and Triple peer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Code {
    /// Not an error.
    Ok = 0,
    /// The call was cancelled, usually by the caller.
    Cancelled = 1,
    /// An unknown error (also: an error with no better code).
    Unknown = 2,
    /// The client sent an invalid argument.
    InvalidArgument = 3,
    /// The deadline passed before the call completed.
    DeadlineExceeded = 4,
    /// Some requested entity was not found.
    NotFound = 5,
    /// The entity the client tried to create already exists.
    AlreadyExists = 6,
    /// The caller may not execute the call.
    PermissionDenied = 7,
    /// Some resource (a quota, the disk) is exhausted.
    ResourceExhausted = 8,
    /// The system is not in a state the call needs.
    FailedPrecondition = 9,
    /// The call was aborted (a concurrency conflict, for example).
    Aborted = 10,
    /// The call went past the valid range.
    OutOfRange = 11,
    /// The call is not implemented or not supported.
    Unimplemented = 12,
    /// An internal error: some invariant is broken.
    Internal = 13,
    /// The service is unavailable for now; a retry may succeed.
    Unavailable = 14,
    /// Data was lost or corrupted beyond recovery.
    DataLoss = 15,
    /// The caller has no valid authentication credentials.
    Unauthenticated = 16,
}

impl Code {
    const ALL: [Code; 17] = [
        Code::Ok,
        Code::Cancelled,
        Code::Unknown,
        Code::InvalidArgument,
        Code::DeadlineExceeded,
        Code::NotFound,
        Code::AlreadyExists,
        Code::PermissionDenied,
        Code::ResourceExhausted,
        Code::FailedPrecondition,
        Code::Aborted,
        Code::OutOfRange,
        Code::Unimplemented,
        Code::Internal,
        Code::Unavailable,
        Code::DataLoss,
        Code::Unauthenticated,
    ];

    /// The code of number `code`; a number outside 0–16 is [`Code::Unknown`], as gRPC
    /// says a receiver must read it.
    pub fn from_u32(code: u32) -> Code {
        usize::try_from(code)
            .ok()
            .and_then(|i| Code::ALL.get(i).copied())
            .unwrap_or(Code::Unknown)
    }

    /// The code's number.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// What the code means, in gRPC's words.
    pub fn description(self) -> &'static str {
        match self {
            Code::Ok => "The operation completed successfully",
            Code::Cancelled => "The operation was cancelled",
            Code::Unknown => "Unknown error",
            Code::InvalidArgument => "Client specified an invalid argument",
            Code::DeadlineExceeded => "Deadline expired before operation could complete",
            Code::NotFound => "Some requested entity was not found",
            Code::AlreadyExists => "Some entity that we attempted to create already exists",
            Code::PermissionDenied => {
                "The caller does not have permission to execute the specified operation"
            }
            Code::ResourceExhausted => "Some resource has been exhausted",
            Code::FailedPrecondition => {
                "The system is not in a state required for the operation's execution"
            }
            Code::Aborted => "The operation was aborted",
            Code::OutOfRange => "Operation was attempted past the valid range",
            Code::Unimplemented => "Operation is not implemented or not supported",
            Code::Internal => "Internal error",
            Code::Unavailable => "The service is currently unavailable",
            Code::DataLoss => "Unrecoverable data loss or corruption",
            Code::Unauthenticated => "The request does not have valid authentication credentials",
        }
    }
}

impl From<u32> for Code {
    fn from(code: u32) -> Code {
        Code::from_u32(code)
    }
}

impl From<Code> for u32 {
    fn from(code: Code) -> u32 {
        code.as_u32()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// How an IDL call failed: a gRPC [`Code`] and a message.
///
/// Service code returns one (`Err(Status::invalid_argument("name is empty"))`) and the
/// caller receives it with the same code and message, in-process or over Triple. It
/// travels inside oxidubbo as [`RpcError::Grpc`]; any other [`RpcError`] (a timeout, no
/// provider, …) reaches a generated client as the gRPC code Dubbo maps it to
/// ([`RpcError::grpc_code`]).
///
/// ```
/// use oxidubbo::triple::{Code, Status};
/// use oxidubbo::RpcError;
///
/// let status = Status::not_found("no user 42");
/// let error = RpcError::from(status.clone());
/// assert_eq!(error, RpcError::Grpc { code: 5, message: "no user 42".into() });
/// assert_eq!(Status::from(error), status);
///
/// let timeout = RpcError::Timeout { elapsed_ms: 3000, message: "greet".into() };
/// assert_eq!(Status::from(timeout).code(), Code::DeadlineExceeded);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Status {
    code: Code,
    message: String,
}

macro_rules! constructors {
    ($($(#[$doc:meta])* $name:ident => $code:ident,)*) => {
        $(
            $(#[$doc])*
            pub fn $name(message: impl Into<String>) -> Status {
                Status::new(Code::$code, message)
            }
        )*
    };
}

impl Status {
    /// A status of `code` with `message`.
    pub fn new(code: Code, message: impl Into<String>) -> Status {
        Status {
            code,
            message: message.into(),
        }
    }

    constructors! {
        /// [`Code::Ok`]: not an error.
        ok => Ok,
        /// [`Code::Cancelled`].
        cancelled => Cancelled,
        /// [`Code::Unknown`].
        unknown => Unknown,
        /// [`Code::InvalidArgument`].
        invalid_argument => InvalidArgument,
        /// [`Code::DeadlineExceeded`].
        deadline_exceeded => DeadlineExceeded,
        /// [`Code::NotFound`].
        not_found => NotFound,
        /// [`Code::AlreadyExists`].
        already_exists => AlreadyExists,
        /// [`Code::PermissionDenied`].
        permission_denied => PermissionDenied,
        /// [`Code::ResourceExhausted`].
        resource_exhausted => ResourceExhausted,
        /// [`Code::FailedPrecondition`].
        failed_precondition => FailedPrecondition,
        /// [`Code::Aborted`].
        aborted => Aborted,
        /// [`Code::OutOfRange`].
        out_of_range => OutOfRange,
        /// [`Code::Unimplemented`].
        unimplemented => Unimplemented,
        /// [`Code::Internal`].
        internal => Internal,
        /// [`Code::Unavailable`].
        unavailable => Unavailable,
        /// [`Code::DataLoss`].
        data_loss => DataLoss,
        /// [`Code::Unauthenticated`].
        unauthenticated => Unauthenticated,
    }

    /// The status code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The status message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Status")
            .field("code", &self.code)
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({}): {}", self.code, self.code as u8, self.message)
    }
}

impl std::error::Error for Status {}

/// A status as an error inside oxidubbo: [`RpcError::Grpc`] with the same code and message
/// ([`Code::Ok`], which is no error, as [`Code::Unknown`]).
impl From<Status> for RpcError {
    fn from(status: Status) -> RpcError {
        let code = match status.code {
            Code::Ok => Code::Unknown,
            code => code,
        };
        RpcError::Grpc {
            code: code.as_u32(),
            message: status.message,
        }
    }
}

/// An error as a status: [`RpcError::Grpc`] keeps its code and message, any other error
/// takes the gRPC code Dubbo maps it to ([`RpcError::grpc_code`]) and its text.
impl From<RpcError> for Status {
    fn from(error: RpcError) -> Status {
        match error {
            RpcError::Grpc { code, message } => Status::new(Code::from_u32(code), message),
            other => Status::new(Code::from_u32(other.grpc_code()), other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grpc_numbers_and_unknown_numbers_are_unknown() {
        for (n, code) in Code::ALL.iter().enumerate() {
            assert_eq!(code.as_u32() as usize, n);
            assert_eq!(Code::from_u32(n as u32), *code);
        }
        assert_eq!(Code::from_u32(17), Code::Unknown);
        assert_eq!(Code::from_u32(u32::MAX), Code::Unknown);
    }

    #[test]
    fn constructors_set_their_code() {
        assert_eq!(Status::invalid_argument("x").code(), Code::InvalidArgument);
        assert_eq!(Status::unauthenticated("x").code(), Code::Unauthenticated);
        assert_eq!(Status::data_loss("y").message(), "y");
    }

    #[test]
    fn a_status_is_a_grpc_error_and_back() {
        let status = Status::permission_denied("no");
        let error = RpcError::from(status.clone());
        assert_eq!(
            error,
            RpcError::Grpc {
                code: 7,
                message: "no".into()
            }
        );
        assert_eq!(Status::from(error), status);
        assert_eq!(
            RpcError::from(Status::ok("odd")),
            RpcError::Grpc {
                code: 2,
                message: "odd".into()
            }
        );
    }

    #[test]
    fn other_errors_take_dubbos_grpc_mapping() {
        let status = Status::from(RpcError::NotFound("greet.GreetService".into()));
        assert_eq!(status.code(), Code::Unimplemented);
        assert!(status.message().contains("greet.GreetService"), "{status}");
        assert_eq!(
            Status::from(RpcError::Network("reset".into())).code(),
            Code::Unavailable
        );
        assert_eq!(
            Status::from(RpcError::business("boom")).code(),
            Code::Unknown
        );
    }
}
