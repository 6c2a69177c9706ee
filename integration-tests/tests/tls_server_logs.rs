//! Each TLS failure leaves a specific log line on the server, which goes on serving:
//! a plaintext client on a TLS port, a TLS client on a plaintext port, a client that does
//! not trust the server's CA, a server certificate that expired, a client without the
//! required certificate and one whose certificate no trusted CA signed. The server's log is
//! captured with a `tracing` subscriber writing into memory.

use std::io::Write;
use std::sync::{Arc, Mutex};

use oxidubbo_integration_tests::free_port;
use oxidubbo_integration_tests::tls_certs::{CertFiles, TestPki};
use oxidubbo_invoker::{Invocation, RpcResult, ServiceInvoker, Url, Value, service_fn};
use oxidubbo_protocol::{DubboProtocol, Exporter, Protocol};

static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log written since the last call.
fn take_log() -> String {
    let bytes = std::mem::take(&mut *LOG.lock().unwrap_or_else(|e| e.into_inner()));
    String::from_utf8_lossy(&bytes).into_owned()
}

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";

fn url(port: u16, params: &str) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "dubbo://127.0.0.1:{port}/{GREETER}?version=1.0.0&timeout=3000&{params}"
        ))
        .unwrap(),
    )
}

fn hello() -> Invocation {
    Invocation::new("sayHello", "Ljava/lang/String;", vec![Value::from("x")])
}

async fn serve(params: &str) -> (DubboProtocol, u16, Arc<dyn Exporter>) {
    let protocol = DubboProtocol::new();
    let port = free_port();
    let service = service_fn(|_inv: Invocation| async move { Ok(RpcResult::new("hi")) });
    let exporter = protocol
        .export(Arc::new(ServiceInvoker::new(url(port, params), service)))
        .await
        .expect("exported");
    (protocol, port, exporter)
}

/// A call from a fresh consumer with `params`: whether it succeeded.
async fn call(port: u16, params: &str) -> bool {
    let consumer = DubboProtocol::new();
    let ok = match consumer.refer(url(port, params)).await {
        Ok(invoker) => {
            let ok = invoker.invoke(hello()).await.is_ok();
            invoker.destroy();
            ok
        }
        Err(_) => false,
    };
    consumer.destroy().await;
    ok
}

/// Waits (at most 2 s) until the log has `text`; returns the log seen.
async fn logged(text: &str) -> String {
    let mut seen = String::new();
    for _ in 0..200 {
        seen.push_str(&take_log());
        if seen.contains(text) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    seen
}

fn server_params(files: &CertFiles, trust: Option<&std::path::Path>) -> String {
    let mut p = format!(
        "ssl-enabled=true&server-key-cert-chain-path={}&server-private-key-path={}",
        files.cert.display(),
        files.key.display()
    );
    if let Some(ca) = trust {
        p.push_str(&format!(
            "&server-trust-cert-collection-path={}",
            ca.display()
        ));
    }
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tls_failure_is_logged_by_the_server_which_goes_on_serving() {
    let subscriber = tracing_subscriber::fmt()
        .with_writer(|| Capture)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    let pki = TestPki::new();
    let good = pki.client_params(true);
    let rogue_client = format!(
        "{}&client-key-cert-chain-path={}&client-private-key-path={}",
        pki.client_params(false),
        pki.rogue_client.cert.display(),
        pki.rogue_client.key.display()
    );
    let mutual = server_params(&pki.server, Some(&pki.ca));
    let trusts_other = format!(
        "ssl-enabled=true&client-trust-cert-collection-path={}&client-key-cert-chain-path={}&client-private-key-path={}",
        pki.other_ca.display(),
        pki.client.cert.display(),
        pki.client.key.display()
    );
    // (case, server parameters, client parameters, expected log line, a client the server
    // still serves afterwards — none for the expired certificate, which no client takes)
    let cases: Vec<(&str, String, String, &str, Option<String>)> = vec![
        (
            "plaintext client on a TLS port",
            mutual.clone(),
            String::new(),
            "a plaintext (not TLS) client connected to a TLS port",
            Some(good.clone()),
        ),
        (
            "TLS client on a plaintext port",
            String::new(),
            good.clone(),
            "a TLS client connected to this plaintext port",
            Some(String::new()),
        ),
        (
            "unknown CA",
            server_params(&pki.rogue_server, Some(&pki.ca)),
            good.clone(),
            "the client does not trust this server's certificate (unknown CA)",
            Some(trusts_other),
        ),
        (
            "expired certificate",
            server_params(&pki.expired_server, Some(&pki.ca)),
            good.clone(),
            "TLS handshake failed",
            None,
        ),
        (
            "missing client certificate",
            mutual.clone(),
            pki.client_params(false),
            "the client presented no certificate, and one is required",
            Some(good.clone()),
        ),
        (
            "untrusted client certificate",
            mutual.clone(),
            rogue_client,
            "the client's certificate is not signed by a trusted CA",
            Some(good.clone()),
        ),
    ];
    for (case, server, client, expected, still) in cases {
        let (provider, port, _exporter) = serve(&server).await;
        take_log();
        assert!(!call(port, &client).await, "{case}: the call must fail");
        let log = logged(expected).await;
        assert!(log.contains(expected), "{case}: server log was:\n{log}");
        // The server goes on serving good clients.
        if let Some(still) = still {
            assert!(call(port, &still).await, "{case}: no longer serving");
        }
        provider.destroy().await;
    }
}
