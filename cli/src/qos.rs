//! `oxidubbo qos <command> [args…] [--addr host:port]`: runs a command of Dubbo's QoS
//! server (Java's, or oxidubbo's `[qos]`) over its HTTP side and prints the answer.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use clap::Args;

use crate::error::{CliError, exit};

/// `oxidubbo qos`.
#[derive(Debug, Args)]
pub struct QosArgs {
    /// The command: help, ls, ps, version, online, offline, live, ready, startup,
    /// getConfig, metrics, invoke…
    pub command: String,
    /// Its arguments (invoke: `Service.method(args)`, one argument).
    pub args: Vec<String>,
    /// The QoS server.
    #[arg(long, default_value = "127.0.0.1:22222")]
    pub addr: String,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
}

/// Runs the command; a status other than 200 (a probe that fails: 503, an unknown
/// command: 404) exits with [`exit::CALL_FAILED`] after printing the answer.
///
/// # Errors
///
/// [`exit::USAGE`] for an address that does not resolve, [`exit::CONNECTION`] when the
/// server cannot be reached or does not answer, [`exit::CALL_FAILED`] as above.
pub async fn qos_command(args: QosArgs) -> Result<(), CliError> {
    let addr: SocketAddr = args
        .addr
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| CliError::new(exit::USAGE, format!("bad --addr {:?}", args.addr)))?;
    let timeout = Duration::from_secs(args.timeout);
    let (status, body) = oxidubbo_qos::client::call(addr, &args.command, &args.args, timeout)
        .await
        .map_err(|e| CliError::new(exit::CONNECTION, e))?;
    println!("{}", body.trim_end());
    if status == 200 {
        Ok(())
    } else {
        Err(CliError::new(
            exit::CALL_FAILED,
            format!("{} answered {status}", args.command),
        ))
    }
}
