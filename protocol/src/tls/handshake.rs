//! The handshakes of both sides, and what their failures mean in words.

use std::io;
use std::time::Duration;

use oxidubbo_invoker::RpcError;
use rustls::pki_types::ServerName;
use rustls::{AlertDescription, CertificateError, ClientConfig, ServerConfig};
use tokio::net::TcpStream;

use super::loader::Reloading;
use super::stream::Stream;

/// The first byte of a TLS handshake record (a ClientHello starts with it).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// How long a server waits for a client to finish its handshake.
pub(crate) const SERVER_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a TLS server port found on a fresh connection.
pub(crate) enum Accepted {
    /// A finished TLS handshake.
    Tls(Stream),
    /// A client that does not speak TLS; the transport answers it in its own protocol
    /// (`first` is its first byte) and closes.
    Plaintext {
        /// The connection, nothing read from it yet.
        tcp: TcpStream,
        /// The first byte the client sent.
        first: u8,
    },
    /// The handshake failed (logged) or the client left.
    Failed,
}

/// The server side: accepts TLS connections with a config that follows its files.
pub(crate) struct TlsAcceptor {
    config: Reloading<ServerConfig>,
}

impl TlsAcceptor {
    pub(crate) fn new(config: Reloading<ServerConfig>) -> Self {
        TlsAcceptor { config }
    }

    /// Runs the handshake of a fresh connection. A client whose first byte is not a TLS
    /// handshake record is handed back as plaintext; a failed handshake is logged with what
    /// it means, and the server goes on serving.
    pub(crate) async fn accept(&self, tcp: TcpStream, peer: &str) -> Accepted {
        let mut first = [0u8; 1];
        let peeked = tokio::time::timeout(SERVER_HANDSHAKE_TIMEOUT, tcp.peek(&mut first)).await;
        match peeked {
            Ok(Ok(1)) => {}
            Ok(Ok(_)) | Ok(Err(_)) => return Accepted::Failed,
            Err(_) => {
                tracing::warn!(%peer, "TLS client sent nothing within the handshake timeout; closing");
                return Accepted::Failed;
            }
        }
        if first[0] != TLS_HANDSHAKE_RECORD {
            tracing::warn!(
                %peer,
                first_byte = format_args!("{:#04x}", first[0]),
                "a plaintext (not TLS) client connected to a TLS port; answering with an error and closing"
            );
            return Accepted::Plaintext {
                tcp,
                first: first[0],
            };
        }
        let acceptor = tokio_rustls::TlsAcceptor::from(self.config.get());
        let handshake = acceptor.accept(tcp).into_fallible();
        match tokio::time::timeout(SERVER_HANDSHAKE_TIMEOUT, handshake).await {
            Ok(Ok(tls)) => Accepted::Tls(Stream::Server(Box::new(tls))),
            Ok(Err((e, tcp))) => {
                tracing::warn!(%peer, error = %e, "TLS handshake failed: {}", server_side(&e));
                linger(tcp).await;
                Accepted::Failed
            }
            Err(_) => {
                tracing::warn!(%peer, "TLS handshake timed out; closing");
                Accepted::Failed
            }
        }
    }
}

/// How long a connection whose handshake failed is read (and what comes dropped) before it
/// is closed.
const LINGER: Duration = Duration::from_millis(500);

/// Closes a connection whose handshake failed without losing the alert already sent: with
/// TLS 1.3 the client may have finished its side and sent a request, and closing a socket
/// with unread bytes makes the kernel send a reset, which can discard the alert at the
/// client before it reads it. So: shut the writing side (the alert goes out, then FIN),
/// read what the client still sends until it closes, at most [`LINGER`], then close.
async fn linger(mut tcp: TcpStream) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let _ = tcp.shutdown().await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(LINGER, async {
        while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// The client side: connects with a config that follows its files.
pub(crate) struct TlsConnector {
    config: Reloading<ClientConfig>,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConnector")
    }
}

/// The host part of `host:port` (brackets of an IPv6 address taken off).
fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

impl TlsConnector {
    pub(crate) fn new(config: Reloading<ClientConfig>) -> Self {
        TlsConnector { config }
    }

    /// Runs the client handshake on `tcp`, connected to `addr`, within `timeout`.
    ///
    /// # Errors
    ///
    /// [`RpcError::Network`] saying why the handshake failed (the server's certificate is
    /// not trusted or expired, the port does not speak TLS, the server wants a client
    /// certificate…).
    pub(crate) async fn connect(
        &self,
        tcp: TcpStream,
        addr: &str,
        timeout: Duration,
    ) -> Result<Stream, RpcError> {
        let host = host_of(addr);
        let name = ServerName::try_from(host.to_owned()).map_err(|e| {
            RpcError::Config(format!("TLS: {host} is not a valid server name: {e}"))
        })?;
        let connector = tokio_rustls::TlsConnector::from(self.config.get());
        match tokio::time::timeout(timeout, connector.connect(name, tcp)).await {
            Ok(Ok(tls)) => Ok(Stream::Client(Box::new(tls))),
            Ok(Err(e)) => Err(RpcError::Network(format!(
                "TLS handshake with {addr} failed: {}: {e}",
                client_side(&e)
            ))),
            Err(_) => Err(RpcError::Network(format!(
                "TLS handshake with {addr} timed out (does the port speak TLS?)"
            ))),
        }
    }
}

fn rustls_error(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref()?.downcast_ref::<rustls::Error>()
}

/// What a failed handshake means, told from the client's side.
pub(crate) fn client_side(e: &io::Error) -> &'static str {
    client_side_of(rustls_error(e), e.kind())
}

fn client_side_of(tls: Option<&rustls::Error>, kind: io::ErrorKind) -> &'static str {
    match tls {
        Some(rustls::Error::InvalidCertificate(cert)) => match cert {
            CertificateError::UnknownIssuer => {
                "the server's certificate is not signed by a CA this client trusts (unknown CA; see client-trust-cert-collection-path)"
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "the server's certificate has expired"
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet"
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "the server's certificate is not valid for the address connected to"
            }
            _ => "the server's certificate was rejected",
        },
        Some(rustls::Error::AlertReceived(alert)) => match alert {
            AlertDescription::CertificateRequired => {
                "the server requires a client certificate (set client-key-cert-chain-path and client-private-key-path)"
            }
            AlertDescription::UnknownCA => {
                "the server does not trust this client's certificate (unknown CA)"
            }
            AlertDescription::CertificateExpired => {
                "the server rejected this client's certificate as expired"
            }
            AlertDescription::BadCertificate | AlertDescription::CertificateUnknown => {
                "the server rejected this client's certificate"
            }
            AlertDescription::HandshakeFailure => {
                "the server refused the handshake (no common protocol version or cipher suite, or a client certificate is required)"
            }
            _ => "the server sent a TLS alert",
        },
        Some(rustls::Error::InvalidMessage(_))
        | Some(rustls::Error::InappropriateMessage { .. })
        | Some(rustls::Error::InappropriateHandshakeMessage { .. }) => {
            "the server does not speak TLS (a plaintext port?)"
        }
        Some(_) => "TLS error",
        None => match kind {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => {
                "the server closed the connection during the handshake (a plaintext port?)"
            }
            _ => "I/O error during the handshake",
        },
    }
}

/// What a TLS failure somewhere in `e`'s chain of sources means, from the client's side
/// (a TLS 1.3 server refuses a client certificate after the client's handshake ended, so
/// the reason comes with the first call).
pub(crate) fn client_side_in_chain(e: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let mut next = Some(e);
    while let Some(current) = next {
        if let Some(io) = current.downcast_ref::<io::Error>() {
            if rustls_error(io).is_some() {
                return Some(client_side(io));
            }
        }
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(client_side_of(Some(tls), io::ErrorKind::Other));
        }
        next = current.source();
    }
    // h2 keeps only the text of an I/O error: read the alert's name from it.
    let text = e.to_string();
    let alert = text.split("received fatal alert: ").nth(1)?;
    let known = [
        AlertDescription::CertificateRequired,
        AlertDescription::UnknownCA,
        AlertDescription::CertificateExpired,
        AlertDescription::BadCertificate,
        AlertDescription::CertificateUnknown,
        AlertDescription::HandshakeFailure,
    ];
    let found = known
        .into_iter()
        .find(|a| alert.starts_with(&format!("{a:?}")))?;
    Some(client_side_of(
        Some(&rustls::Error::AlertReceived(found)),
        io::ErrorKind::Other,
    ))
}

/// What a failed handshake means, told from the server's side (for its log).
pub(crate) fn server_side(e: &io::Error) -> &'static str {
    match rustls_error(e) {
        Some(rustls::Error::NoCertificatesPresented) => {
            "the client presented no certificate, and one is required"
        }
        Some(rustls::Error::InvalidCertificate(cert)) => match cert {
            CertificateError::UnknownIssuer => {
                "the client's certificate is not signed by a trusted CA (unknown CA)"
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "the client's certificate has expired"
            }
            _ => "the client's certificate was rejected",
        },
        Some(rustls::Error::AlertReceived(alert)) => match alert {
            AlertDescription::UnknownCA => {
                "the client does not trust this server's certificate (unknown CA)"
            }
            AlertDescription::CertificateExpired => {
                "the client rejected this server's certificate as expired"
            }
            AlertDescription::BadCertificate | AlertDescription::CertificateUnknown => {
                "the client rejected this server's certificate"
            }
            _ => "the client sent a TLS alert",
        },
        Some(_) => "TLS error",
        None => "the client left during the handshake",
    }
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn hosts_come_off_their_ports() {
        assert_eq!(host_of("127.0.0.1:20880"), "127.0.0.1");
        assert_eq!(host_of("[::1]:20880"), "::1");
        assert_eq!(host_of("localhost:1"), "localhost");
    }
}
