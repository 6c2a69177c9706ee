//! Certificate files are read again when they change, without a restart: a server whose
//! certificate files are replaced serves the new certificate to the next connections (and
//! keeps the old one while the new files are unusable).

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_integration_tests::tls_certs::TestPki;
use oxidubbo_invoker::Url;
use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{free_port, greeter, say_hello};

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";

fn url(port: u16, params: &str) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "dubbo://127.0.0.1:{port}/{GREETER}?version=1.0.0&timeout=3000&{params}"
        ))
        .unwrap(),
    )
}

/// Whether a fresh consumer with `params` can call the server at `port`.
async fn calls(port: u16, params: &str) -> Result<(), String> {
    let consumer = DubboProtocol::new();
    let outcome = match consumer.refer(url(port, params)).await {
        Ok(invoker) => {
            let r = invoker.invoke(say_hello("r")).await.map(|_| ());
            invoker.destroy();
            r.map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    consumer.destroy().await;
    outcome
}

/// Tries `check` every 100 ms, at most 50 times, until it holds.
async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..50 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_replaced_server_certificate_is_served_without_a_restart() {
    let pki = TestPki::new();
    // The server's files are copies, replaced below.
    let cert = pki.dir.join("live.crt");
    let key = pki.dir.join("live.key");
    std::fs::copy(&pki.server.cert, &cert).unwrap();
    std::fs::copy(&pki.server.key, &key).unwrap();
    let provider = DubboProtocol::new();
    let port = free_port();
    let _exporter = provider
        .export(greeter(url(
            port,
            &format!(
                "ssl-enabled=true&server-key-cert-chain-path={}&server-private-key-path={}",
                cert.display(),
                key.display()
            ),
        )))
        .await
        .unwrap();
    let trusts_ours = pki.client_params(false);
    let trusts_other = format!(
        "ssl-enabled=true&client-trust-cert-collection-path={}",
        pki.other_ca.display()
    );
    calls(port, &trusts_ours).await.unwrap();
    assert!(calls(port, &trusts_other).await.is_err());

    // Renewed by someone else's CA: the next connections get the new certificate.
    std::fs::copy(&pki.rogue_server.cert, &cert).unwrap();
    std::fs::copy(&pki.rogue_server.key, &key).unwrap();
    assert!(
        eventually(|| async { calls(port, &trusts_other).await.is_ok() }).await,
        "the new certificate is never served"
    );
    let error = calls(port, &trusts_ours).await.unwrap_err();
    assert!(error.contains("unknown CA"), "{error}");

    // Broken files: the server keeps the certificate it has.
    std::fs::write(&cert, "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    calls(port, &trusts_other).await.unwrap();
    provider.destroy().await;
}
