//! What a URL asks of TLS, read once per export or refer.
//!
//! The parameters carry Dubbo's names (`SslConfig` in Dubbo Java, kebab-case):
//! `ssl-enabled` switches TLS on for a protocol, `server-*` paths configure the provider
//! side, `client-*` paths the consumer side. Settings are plain data (paths and flags), so
//! they key the connection pool: a TLS reference never shares a plaintext connection, nor
//! one made with other certificates.

use std::path::PathBuf;

use oxidubbo_common::{Url, keys};
use oxidubbo_invoker::RpcError;

/// Whether the server turns away clients that present no certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientAuth {
    /// No client certificate is asked for.
    None,
    /// A client certificate is asked for and verified if given; clients without one are
    /// served too.
    Optional,
    /// A verified client certificate is required (mutual TLS).
    Require,
}

/// The provider side of TLS: what the server presents and whom it trusts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerTlsSettings {
    /// PEM certificate chain presented to clients (`server-key-cert-chain-path`).
    pub cert_chain: PathBuf,
    /// PEM private key of the chain (`server-private-key-path`).
    pub private_key: PathBuf,
    /// Password of an encrypted key (`server-key-password`).
    pub key_password: Option<String>,
    /// PEM CA bundle client certificates are verified against
    /// (`server-trust-cert-collection-path`).
    pub trust: Option<PathBuf>,
    /// Whether a client certificate is required (`ssl-client-auth`).
    pub client_auth: ClientAuth,
}

/// The consumer side of TLS: whom the client trusts and what it presents.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientTlsSettings {
    /// PEM CA bundle the server's certificate is verified against
    /// (`client-trust-cert-collection-path`); `None`: the system's roots.
    pub trust: Option<PathBuf>,
    /// PEM certificate chain presented to servers that ask (`client-key-cert-chain-path`).
    pub cert_chain: Option<PathBuf>,
    /// PEM private key of that chain (`client-private-key-path`).
    pub private_key: Option<PathBuf>,
    /// Password of an encrypted key (`client-key-password`).
    pub key_password: Option<String>,
}

/// Whether `url` has TLS switched on (`ssl-enabled=true`).
pub fn ssl_enabled(url: &Url) -> bool {
    url.bool_param(keys::SSL_ENABLED, false)
}

fn path_param(url: &Url, key: &str) -> Option<PathBuf> {
    url.param(key)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

fn text_param(url: &Url, key: &str) -> Option<String> {
    url.param(key).filter(|p| !p.is_empty()).map(str::to_owned)
}

impl ServerTlsSettings {
    /// The server settings of a provider URL: `None` when `ssl-enabled` is not `true`.
    ///
    /// # Errors
    ///
    /// [`RpcError::Config`] when TLS is on but the certificate chain or key is not given,
    /// or `ssl-client-auth` has an unknown value.
    pub fn from_url(url: &Url) -> Result<Option<ServerTlsSettings>, RpcError> {
        if !ssl_enabled(url) {
            return Ok(None);
        }
        let required = |key: &str| {
            path_param(url, key).ok_or_else(|| {
                RpcError::Config(format!(
                    "ssl-enabled=true on {} needs {key} (the server's PEM {})",
                    url.address(),
                    if key == keys::SSL_SERVER_PRIVATE_KEY_PATH {
                        "private key"
                    } else {
                        "certificate chain"
                    }
                ))
            })
        };
        let trust = path_param(url, keys::SSL_SERVER_TRUST_CERT_COLLECTION_PATH);
        let client_auth = match (url.param(keys::SSL_CLIENT_AUTH).map(str::trim), &trust) {
            (_, None) => ClientAuth::None,
            (None | Some("") | Some("require") | Some("true"), Some(_)) => ClientAuth::Require,
            (Some("optional"), Some(_)) => ClientAuth::Optional,
            (Some(other), Some(_)) => {
                return Err(RpcError::Config(format!(
                    "{}={other}: expected `require` or `optional`",
                    keys::SSL_CLIENT_AUTH
                )));
            }
        };
        Ok(Some(ServerTlsSettings {
            cert_chain: required(keys::SSL_SERVER_KEY_CERT_CHAIN_PATH)?,
            private_key: required(keys::SSL_SERVER_PRIVATE_KEY_PATH)?,
            key_password: text_param(url, keys::SSL_SERVER_KEY_PASSWORD),
            trust,
            client_auth,
        }))
    }
}

impl ClientTlsSettings {
    /// The client settings of a consumer URL: `None` when `ssl-enabled` is not `true`.
    ///
    /// # Errors
    ///
    /// [`RpcError::Config`] when only one of the client certificate chain and key is given.
    pub fn from_url(url: &Url) -> Result<Option<ClientTlsSettings>, RpcError> {
        if !ssl_enabled(url) {
            return Ok(None);
        }
        let cert_chain = path_param(url, keys::SSL_CLIENT_KEY_CERT_CHAIN_PATH);
        let private_key = path_param(url, keys::SSL_CLIENT_PRIVATE_KEY_PATH);
        if cert_chain.is_some() != private_key.is_some() {
            return Err(RpcError::Config(format!(
                "a client certificate needs both {} and {}",
                keys::SSL_CLIENT_KEY_CERT_CHAIN_PATH,
                keys::SSL_CLIENT_PRIVATE_KEY_PATH
            )));
        }
        Ok(Some(ClientTlsSettings {
            trust: path_param(url, keys::SSL_CLIENT_TRUST_CERT_COLLECTION_PATH),
            cert_chain,
            private_key,
            key_password: text_param(url, keys::SSL_CLIENT_KEY_PASSWORD),
        }))
    }
}
