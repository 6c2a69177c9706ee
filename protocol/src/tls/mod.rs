//! TLS and mutual TLS for the dubbo2 and Triple transports, with rustls (ring provider,
//! TLS 1.3 and 1.2; no OpenSSL).
//!
//! - [`settings`]: what a URL asks for, under Dubbo's names (`ssl-enabled`,
//!   `server-key-cert-chain-path`, `client-trust-cert-collection-path`, …).
//! - `loader`: PEM files into rustls configs, read again when they change.
//! - `handshake`: the acceptor (which tells a plaintext client on a TLS port apart) and
//!   the connector, and what a failed handshake means in words.
//! - `stream`: a plain-or-TLS connection, so the plaintext paths stay as they were.
//!
//! ```
//! use oxidubbo_common::Url;
//! use oxidubbo_protocol::tls::ClientTlsSettings;
//!
//! let url: Url = "dubbo://127.0.0.1:20880/Greeter?ssl-enabled=true&client-trust-cert-collection-path=/etc/ca.pem"
//!     .parse()
//!     .unwrap();
//! let tls = ClientTlsSettings::from_url(&url).unwrap().unwrap();
//! assert_eq!(tls.trust.unwrap().to_str(), Some("/etc/ca.pem"));
//! ```

pub mod settings;

pub(crate) mod handshake;
pub(crate) mod loader;
pub(crate) mod stream;

pub use settings::{ClientAuth, ClientTlsSettings, ServerTlsSettings, ssl_enabled};

use oxidubbo_invoker::RpcError;

use self::handshake::{TlsAcceptor, TlsConnector};

/// The message a TLS port answers a plaintext client with.
pub(crate) const PLAINTEXT_ON_TLS_PORT: &str =
    "this port serves TLS only (ssl-enabled=true on the provider): connect with TLS";

/// The acceptor of a server's TLS settings, with `alpn` offered.
pub(crate) fn acceptor(
    settings: &ServerTlsSettings,
    alpn: &'static [&'static [u8]],
) -> Result<TlsAcceptor, RpcError> {
    Ok(TlsAcceptor::new(loader::reloading_server(settings, alpn)?))
}

/// The connector of a client's TLS settings, asking for `alpn`.
pub(crate) fn connector(
    settings: &ClientTlsSettings,
    alpn: &'static [&'static [u8]],
) -> Result<TlsConnector, RpcError> {
    Ok(TlsConnector::new(loader::reloading_client(settings, alpn)?))
}
