//! Exit codes and the error every command returns.

use oxidubbo_invoker::RpcError;

/// The process exit codes of `oxidubbo` (also listed in `--help`).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// The call failed: remote exception, error status, timeout; `ls`: no such service;
    /// `bench`: no call succeeded.
    pub const CALL_FAILED: u8 = 1;
    /// Usage error: bad flags, bad JSON arguments, bad URL or Java types.
    pub const USAGE: u8 = 2;
    /// Connection or registry failure: the provider or the registry cannot be reached, or the
    /// registry lists no matching provider.
    pub const CONNECTION: u8 = 3;
    /// Decode error: `decode` met bytes that are not a valid frame or Hessian stream.
    pub const DECODE: u8 = 4;
}

/// The exit-code table printed at the end of `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  the call failed: remote exception, error status or timeout (ls: no such service;
     bench: no call succeeded)
  2  usage error: bad flags, JSON arguments, URL or Java types
  3  connection or registry failure: provider or registry unreachable, no provider found
  4  decode error: the input is not a valid Dubbo frame or Hessian stream";

/// An error ending a command: what to print and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// One of the [`exit`] codes.
    pub code: u8,
    /// The message printed on stderr.
    pub message: String,
}

impl CliError {
    /// An error with `code`.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
        }
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(exit::USAGE, message)
    }

    /// A connection or registry failure (exit 3).
    pub fn connection(message: impl Into<String>) -> Self {
        Self::new(exit::CONNECTION, message)
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The exit code of a failed call.
pub fn rpc_exit_code(e: &RpcError) -> u8 {
    match e {
        RpcError::Network(_) | RpcError::Unavailable(_) | RpcError::Destroyed(_) => {
            exit::CONNECTION
        }
        RpcError::Config(_) => exit::USAGE,
        _ => exit::CALL_FAILED,
    }
}

/// A short name of the kind of a failed call (for `bench`'s error counts).
pub fn rpc_error_kind(e: &RpcError) -> &'static str {
    match e {
        RpcError::Destroyed(_) => "destroyed",
        RpcError::Timeout { .. } => "timeout",
        RpcError::NotFound(_) => "not_found",
        RpcError::Remote { .. } => "remote_exception",
        RpcError::Status { .. } => "status",
        RpcError::Network(_) => "network",
        RpcError::Codec(_) => "codec",
        RpcError::Unavailable(_) => "unavailable",
        RpcError::Forbidden(_) => "forbidden",
        RpcError::Config(_) => "config",
        _ => "other",
    }
}

impl From<RpcError> for CliError {
    fn from(e: RpcError) -> Self {
        let message = match &e {
            RpcError::Remote { class, message, .. } => {
                format!("remote exception {class}: {message}")
            }
            other => other.to_string(),
        };
        CliError::new(rpc_exit_code(&e), message)
    }
}
