//! Reading PEM files into rustls configurations, and reading them again when they change.
//!
//! A [`Reloading`] config keeps the modification times of the files it was built from and,
//! at most once a second when a connection is made, looks at them again: a renewed
//! certificate is used by the next handshake, with no restart and no task of its own.
//! [`Reloading::reload`] rebuilds at once (the QoS/CLI path).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use oxidubbo_invoker::RpcError;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use super::settings::{ClientAuth, ClientTlsSettings, ServerTlsSettings};

/// How often a connection looks whether the files changed.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// The ALPN protocols a Triple server offers: HTTP/2 (gRPC) and HTTP/1.1 on one port.
pub(crate) const ALPN_TRIPLE_SERVER: &[&[u8]] = &[b"h2", b"http/1.1"];
/// The ALPN protocol a Triple client asks for.
pub(crate) const ALPN_TRIPLE_CLIENT: &[&[u8]] = &[b"h2"];

/// rustls with the ring provider, TLS 1.3 and 1.2. (rustls nudges towards aws-lc-rs for
/// post-quantum key exchange; ring builds without cmake or a C++ toolchain.)
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

fn config_error(what: &str, path: &Path, e: impl std::fmt::Display) -> RpcError {
    RpcError::Config(format!("TLS {what} {}: {e}", path.display()))
}

fn read_certs(what: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, RpcError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| config_error(what, path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| config_error(what, path, e))?;
    if certs.is_empty() {
        return Err(config_error(what, path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

fn read_key(
    path: &Path,
    password: Option<&str>,
    password_key: &str,
) -> Result<PrivateKeyDer<'static>, RpcError> {
    let text = std::fs::read(path).map_err(|e| config_error("private key", path, e))?;
    if text
        .windows(b"ENCRYPTED PRIVATE KEY".len())
        .any(|w| w == b"ENCRYPTED PRIVATE KEY")
    {
        let why = if password.is_some() {
            format!(
                "encrypted keys are not supported ({password_key} is ignored): decrypt it to a PKCS#8 PEM key"
            )
        } else {
            "the key is encrypted: decrypt it to a PKCS#8 PEM key".to_owned()
        };
        return Err(config_error("private key", path, why));
    }
    PrivateKeyDer::from_pem_slice(&text).map_err(|e| config_error("private key", path, e))
}

fn read_roots(what: &str, path: &Path) -> Result<Arc<RootCertStore>, RpcError> {
    let mut roots = RootCertStore::empty();
    for cert in read_certs(what, path)? {
        roots.add(cert).map_err(|e| config_error(what, path, e))?;
    }
    Ok(Arc::new(roots))
}

fn system_roots() -> Result<Arc<RootCertStore>, RpcError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(RpcError::Config(format!(
            "TLS: no system root certificate could be loaded ({} errors); set client-trust-cert-collection-path",
            found.errors.len()
        )));
    }
    Ok(Arc::new(roots))
}

/// Builds the rustls server config of `settings`, offering `alpn`.
pub(crate) fn server_config(
    settings: &ServerTlsSettings,
    alpn: &[&[u8]],
) -> Result<ServerConfig, RpcError> {
    let certs = read_certs("certificate chain", &settings.cert_chain)?;
    let key = read_key(
        &settings.private_key,
        settings.key_password.as_deref(),
        "server-key-password",
    )?;
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)
        .map_err(|e| RpcError::Config(format!("TLS: {e}")))?;
    let builder = match (&settings.trust, settings.client_auth) {
        (Some(trust), auth @ (ClientAuth::Require | ClientAuth::Optional)) => {
            let roots = read_roots("trust cert collection", trust)?;
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider());
            let verifier = if auth == ClientAuth::Optional {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            let verifier = verifier
                .build()
                .map_err(|e| config_error("trust cert collection", trust, e))?;
            builder.with_client_cert_verifier(verifier)
        }
        _ => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| config_error("certificate chain", &settings.cert_chain, e))?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    // No TLS 1.3 session tickets: dubbo and Triple connections are long-lived and
    // multiplexed, so resumption saves little, while every ticket sent is a session kept in
    // the server's cache (up to 256) for clients that mostly never come back with it.
    config.send_tls13_tickets = 0;
    Ok(config)
}

/// Builds the rustls client config of `settings`, asking for `alpn`.
pub(crate) fn client_config(
    settings: &ClientTlsSettings,
    alpn: &[&[u8]],
) -> Result<ClientConfig, RpcError> {
    let roots = match &settings.trust {
        Some(trust) => read_roots("trust cert collection", trust)?,
        None => system_roots()?,
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)
        .map_err(|e| RpcError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots);
    let mut config = match (&settings.cert_chain, &settings.private_key) {
        (Some(chain), Some(key)) => {
            let certs = read_certs("client certificate chain", chain)?;
            let key = read_key(key, settings.key_password.as_deref(), "client-key-password")?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| config_error("client certificate chain", chain, e))?
        }
        _ => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// A rustls config built from files, rebuilt when they change.
pub(crate) struct Reloading<T> {
    current: ArcSwap<T>,
    files: Vec<PathBuf>,
    build: Box<dyn Fn() -> Result<T, RpcError> + Send + Sync>,
    /// When the files were last looked at, and their modification times then.
    checked: Mutex<(Instant, Vec<Option<SystemTime>>)>,
}

impl<T> Reloading<T> {
    /// Builds the config now (failing if the files are bad) and keeps `build` to build it
    /// again when one of `files` changes.
    pub(crate) fn new(
        files: Vec<PathBuf>,
        build: impl Fn() -> Result<T, RpcError> + Send + Sync + 'static,
    ) -> Result<Self, RpcError> {
        let stamps = files.iter().map(|f| modified(f)).collect();
        let first = build()?;
        Ok(Reloading {
            current: ArcSwap::from_pointee(first),
            files,
            build: Box::new(build),
            checked: Mutex::new((Instant::now(), stamps)),
        })
    }

    /// The config to use for a new connection: rebuilt first if a file changed since the
    /// last look (at most one look a second). A file that changed into something unusable
    /// is logged and the config in use is kept.
    pub(crate) fn get(&self) -> Arc<T> {
        let changed = {
            let Ok(mut checked) = self.checked.try_lock() else {
                return self.current.load_full();
            };
            if checked.0.elapsed() < CHECK_EVERY {
                return self.current.load_full();
            }
            checked.0 = Instant::now();
            let stamps: Vec<_> = self.files.iter().map(|f| modified(f)).collect();
            let changed = stamps != checked.1;
            checked.1 = stamps;
            changed
        };
        if changed {
            self.rebuild();
        }
        self.current.load_full()
    }

    /// Reads the files again now. Returns whether the new config is in use.
    pub(crate) fn rebuild(&self) -> bool {
        match (self.build)() {
            Ok(fresh) => {
                self.current.store(Arc::new(fresh));
                tracing::info!(files = ?self.files, "TLS certificates reloaded");
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "TLS certificates changed but cannot be used; keeping the previous ones");
                false
            }
        }
    }
}

/// A server config that follows its files.
pub(crate) fn reloading_server(
    settings: &ServerTlsSettings,
    alpn: &'static [&'static [u8]],
) -> Result<Reloading<ServerConfig>, RpcError> {
    let mut files = vec![settings.cert_chain.clone(), settings.private_key.clone()];
    files.extend(settings.trust.clone());
    let settings = settings.clone();
    Reloading::new(files, move || server_config(&settings, alpn))
}

/// A client config that follows its files.
pub(crate) fn reloading_client(
    settings: &ClientTlsSettings,
    alpn: &'static [&'static [u8]],
) -> Result<Reloading<ClientConfig>, RpcError> {
    let mut files = Vec::new();
    files.extend(settings.trust.clone());
    files.extend(settings.cert_chain.clone());
    files.extend(settings.private_key.clone());
    let settings = settings.clone();
    Reloading::new(files, move || client_config(&settings, alpn))
}
