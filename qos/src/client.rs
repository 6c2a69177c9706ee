//! A client of the QoS server's HTTP side, for the CLI: `GET /<command>?<args>`.

use std::net::SocketAddr;
use std::time::Duration;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The longest answer read.
const MAX_ANSWER: u64 = 16 * 1024 * 1024;

/// Runs `command` with `args` on the QoS server at `addr`: the HTTP status and the text.
///
/// # Errors
///
/// A message when the server cannot be reached, does not answer within `timeout`, or
/// answers something that is not HTTP.
pub async fn call(
    addr: SocketAddr,
    command: &str,
    args: &[String],
    timeout: Duration,
) -> Result<(u16, String), String> {
    let mut target = format!("/{}", utf8_percent_encode(command, NON_ALPHANUMERIC));
    for (i, arg) in args.iter().enumerate() {
        target.push(if i == 0 { '?' } else { '&' });
        target.push_str(&format!(
            "arg{i}={}",
            utf8_percent_encode(arg, NON_ALPHANUMERIC)
        ));
    }
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        stream
            .take(MAX_ANSWER)
            .read_to_end(&mut answer)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(answer)
    };
    let answer = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| format!("no answer from {addr} within {timeout:?}"))?
        .map_err(|e| format!("{addr}: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("{addr} answered no HTTP response"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{addr} answered no HTTP status"))?;
    Ok((status, body.to_owned()))
}
