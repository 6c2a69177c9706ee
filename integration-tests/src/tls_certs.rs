//! Certificates made at test time (rcgen) for the TLS tests: a CA, a server certificate
//! for `127.0.0.1` and `localhost`, a client certificate, and the bad ones (signed by
//! another CA, expired), written as PEM files into a folder removed on drop.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    date_time_ymd,
};

/// A PEM certificate chain and its private key, as files.
#[derive(Debug, Clone)]
pub struct CertFiles {
    /// The certificate (chain) PEM file.
    pub cert: PathBuf,
    /// The private key PEM file (PKCS#8).
    pub key: PathBuf,
}

/// A folder of test certificates; removed when dropped.
#[derive(Debug)]
pub struct TestPki {
    /// The folder.
    pub dir: PathBuf,
    /// The CA every good certificate is signed by (PEM file).
    pub ca: PathBuf,
    /// Another CA, trusted by nobody (PEM file).
    pub other_ca: PathBuf,
    /// The server's certificate (127.0.0.1, localhost), signed by `ca`.
    pub server: CertFiles,
    /// A client certificate signed by `ca`.
    pub client: CertFiles,
    /// A server certificate signed by `other_ca`.
    pub rogue_server: CertFiles,
    /// A client certificate signed by `other_ca`.
    pub rogue_client: CertFiles,
    /// A server certificate signed by `ca` that expired in 2020.
    pub expired_server: CertFiles,
}

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn make_ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().expect("CA key");
    let cert = params.self_signed(&key).expect("CA certificate");
    Ca { cert, key }
}

fn make_leaf(
    ca: &Ca,
    name: &str,
    purpose: ExtendedKeyUsagePurpose,
    expired: bool,
) -> (String, String) {
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("leaf params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![purpose];
    if expired {
        params.not_before = date_time_ymd(2019, 1, 1);
        params.not_after = date_time_ymd(2020, 1, 1);
    }
    let key = KeyPair::generate().expect("leaf key");
    let cert = params
        .signed_by(&key, &ca.cert, &ca.key)
        .expect("leaf certificate");
    (cert.pem(), key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a test certificate");
    path
}

fn write_pair(dir: &Path, name: &str, (cert, key): (String, String)) -> CertFiles {
    CertFiles {
        cert: write(dir, &format!("{name}.crt"), &cert),
        key: write(dir, &format!("{name}.key"), &key),
    }
}

impl TestPki {
    /// Makes a fresh set of certificates in a new folder under the system's temp dir.
    pub fn new() -> TestPki {
        let dir = std::env::temp_dir().join(crate::unique_name("oxidubbo-tls"));
        std::fs::create_dir_all(&dir).expect("make the certificate folder");
        let ca = make_ca("oxidubbo test CA");
        let other = make_ca("someone else's CA");
        use ExtendedKeyUsagePurpose::{ClientAuth, ServerAuth};
        TestPki {
            ca: write(&dir, "ca.crt", &ca.cert.pem()),
            other_ca: write(&dir, "other-ca.crt", &other.cert.pem()),
            server: write_pair(&dir, "server", make_leaf(&ca, "server", ServerAuth, false)),
            client: write_pair(&dir, "client", make_leaf(&ca, "client", ClientAuth, false)),
            rogue_server: write_pair(
                &dir,
                "rogue-server",
                make_leaf(&other, "rogue", ServerAuth, false),
            ),
            rogue_client: write_pair(
                &dir,
                "rogue-client",
                make_leaf(&other, "rogue", ClientAuth, false),
            ),
            expired_server: write_pair(
                &dir,
                "expired-server",
                make_leaf(&ca, "old", ServerAuth, true),
            ),
            dir,
        }
    }

    /// URL parameters of a TLS provider with this server certificate; with
    /// `client_auth`, client certificates signed by the CA are required.
    pub fn server_params(&self, client_auth: bool) -> String {
        let mut p = format!(
            "ssl-enabled=true&server-key-cert-chain-path={}&server-private-key-path={}",
            self.server.cert.display(),
            self.server.key.display()
        );
        if client_auth {
            p.push_str(&format!(
                "&server-trust-cert-collection-path={}",
                self.ca.display()
            ));
        }
        p
    }

    /// URL parameters of a TLS consumer trusting the CA; with `client_cert`, presenting
    /// the client certificate.
    pub fn client_params(&self, client_cert: bool) -> String {
        let mut p = format!(
            "ssl-enabled=true&client-trust-cert-collection-path={}",
            self.ca.display()
        );
        if client_cert {
            p.push_str(&format!(
                "&client-key-cert-chain-path={}&client-private-key-path={}",
                self.client.cert.display(),
                self.client.key.display()
            ));
        }
        p
    }
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}

impl Drop for TestPki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
