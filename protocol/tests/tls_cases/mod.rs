//! The TLS cases both protocols pass, oxidubbo on both sides, with certificates made at
//! test time: calls over TLS and mutual TLS, the pool keeping TLS and plaintext connections
//! apart, and each failure (plaintext client on a TLS port, TLS client on a plaintext port,
//! unknown CA, expired certificate, missing or untrusted client certificate) failing at once
//! with its reason while the server keeps serving. `tls_dubbo.rs` and `tls_triple.rs` run
//! them for their protocol.

use std::sync::Arc;

use oxidubbo_hessian2::Value;
use oxidubbo_integration_tests::free_port;
use oxidubbo_integration_tests::tls_certs::TestPki;
use oxidubbo_invoker::{Invocation, Invoker, RpcError, Url};
use oxidubbo_protocol::{Exporter, Protocol, ProtocolCounts};

/// A protocol the cases run on.
pub trait TlsProtocol: Protocol + Sized + 'static {
    /// Its URL scheme.
    const SCHEME: &'static str;
    /// A new instance.
    fn create() -> Self;
    /// Its counts (connections, exporters, invokers).
    fn counts_now(&self) -> ProtocolCounts;
    /// The greeter service (`sayHello`, `echo`) at `url`.
    fn greeter(url: Arc<Url>) -> Arc<dyn Invoker>;
}

fn say_hello(name: &str) -> Invocation {
    Invocation::new("sayHello", "Ljava/lang/String;", vec![Value::from(name)])
}

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";

/// The greeter's URL on `port` with the protocol's scheme and `params`.
pub fn url<P: TlsProtocol>(port: u16, params: &str) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "{}://127.0.0.1:{port}/{GREETER}?version=1.0.0&timeout=3000&connect.timeout=3000&{params}",
            P::SCHEME
        ))
        .unwrap(),
    )
}

/// A provider of the greeter with `params`, on a free port.
pub async fn serve<P: TlsProtocol>(params: &str) -> (P, u16, Arc<dyn Exporter>) {
    let protocol = P::create();
    let port = free_port();
    let exporter = protocol
        .export(P::greeter(url::<P>(port, params)))
        .await
        .expect("the greeter exports");
    (protocol, port, exporter)
}

/// `sayHello(name)`'s answer.
pub async fn hello(invoker: &Arc<dyn Invoker>, name: &str) -> String {
    invoker
        .invoke(say_hello(name))
        .await
        .expect("the call succeeds")
        .value
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A TLS consumer with the right trust (and client certificate) still gets served.
async fn still_serves<P: TlsProtocol>(pki: &TestPki, port: u16, client_cert: bool) {
    let consumer = P::create();
    let invoker = consumer
        .refer(url::<P>(port, &pki.client_params(client_cert)))
        .await
        .expect("a good client still connects");
    assert_eq!(hello(&invoker, "again").await, "Hello, again");
    invoker.destroy();
    consumer.destroy().await;
}

async fn refer_error<P: TlsProtocol>(port: u16, params: &str) -> String {
    let consumer = P::create();
    let outcome = consumer.refer(url::<P>(port, params)).await;
    let text = match outcome {
        Ok(invoker) => {
            let e = invoker
                .invoke(say_hello("x"))
                .await
                .expect_err("the call must fail");
            invoker.destroy();
            e.to_string()
        }
        Err(e) => e.to_string(),
    };
    consumer.destroy().await;
    eprintln!("client error: {text}");
    text
}

pub async fn calls_go_over_tls_and_mutual_tls<P: TlsProtocol>() {
    let pki = TestPki::new();
    for client_auth in [false, true] {
        let (provider, port, _exporter) = serve::<P>(&pki.server_params(client_auth)).await;
        let consumer = P::create();
        let invoker = consumer
            .refer(url::<P>(port, &pki.client_params(client_auth)))
            .await
            .expect("the TLS consumer connects");
        for n in 0..20 {
            assert_eq!(
                hello(&invoker, &format!("tls{n}")).await,
                format!("Hello, tls{n}")
            );
        }
        // A large body crosses many TLS records.
        let big = "x".repeat(300_000);
        let echoed = invoker
            .invoke(oxidubbo_invoker::Invocation::new(
                "echo",
                "Ljava/lang/String;",
                vec![big.clone().into()],
            ))
            .await
            .unwrap();
        assert_eq!(echoed.value.as_str(), Some(big.as_str()));
        invoker.destroy();
        consumer.destroy().await;
        provider.destroy().await;
    }
}

pub async fn the_pool_keeps_tls_and_plaintext_connections_apart<P: TlsProtocol>() {
    let pki = TestPki::new();
    let (tls_provider, tls_port, _a) = serve::<P>(&pki.server_params(false)).await;
    let (plain_provider, plain_port, _b) = serve::<P>("").await;
    let consumer = P::create();
    let tls = consumer
        .refer(url::<P>(tls_port, &pki.client_params(false)))
        .await
        .unwrap();
    let tls_again = consumer
        .refer(url::<P>(tls_port, &pki.client_params(false)))
        .await
        .unwrap();
    assert_eq!(
        consumer.counts_now().connections,
        1,
        "equal TLS settings share"
    );
    let with_cert = consumer
        .refer(url::<P>(tls_port, &pki.client_params(true)))
        .await
        .unwrap();
    assert_eq!(
        consumer.counts_now().connections,
        2,
        "other TLS settings do not"
    );
    let plain = consumer.refer(url::<P>(plain_port, "")).await.unwrap();
    assert_eq!(consumer.counts_now().connections, 3);
    // The plaintext address referred with TLS gets its own connection, which fails.
    let tls_on_plain = consumer
        .refer(url::<P>(plain_port, &pki.client_params(false)))
        .await;
    assert!(tls_on_plain.is_err(), "TLS to a plaintext port must fail");
    assert_eq!(consumer.counts_now().connections, 3);
    for invoker in [&tls, &tls_again, &with_cert, &plain] {
        assert_eq!(hello(invoker, "pool").await, "Hello, pool");
    }
    for invoker in [tls, tls_again, with_cert, plain] {
        invoker.destroy();
    }
    assert!(
        consumer.counts_now().is_empty(),
        "{:?}",
        consumer.counts_now()
    );
    consumer.destroy().await;
    tls_provider.destroy().await;
    plain_provider.destroy().await;
}

pub async fn a_plaintext_client_on_a_tls_port_is_told_to_use_tls<P: TlsProtocol>() {
    let pki = TestPki::new();
    let (provider, port, _e) = serve::<P>(&pki.server_params(false)).await;
    let error = refer_error::<P>(port, "").await;
    assert!(
        error.contains("this port serves TLS only"),
        "unexpected error: {error}"
    );
    still_serves::<P>(&pki, port, false).await;
    provider.destroy().await;
}

pub async fn a_tls_client_on_a_plaintext_port_fails_at_once<P: TlsProtocol>() {
    let pki = TestPki::new();
    let (provider, port, _e) = serve::<P>("").await;
    let error = refer_error::<P>(port, &pki.client_params(false)).await;
    assert!(
        error.contains("TLS handshake with") && error.contains("plaintext port"),
        "unexpected error: {error}"
    );
    // The plaintext server keeps serving plaintext consumers.
    let consumer = P::create();
    let invoker = consumer.refer(url::<P>(port, "")).await.unwrap();
    assert_eq!(hello(&invoker, "plain").await, "Hello, plain");
    invoker.destroy();
    consumer.destroy().await;
    provider.destroy().await;
}

pub async fn a_server_certificate_of_an_unknown_ca_is_refused<P: TlsProtocol>() {
    let pki = TestPki::new();
    let rogue = format!(
        "ssl-enabled=true&server-key-cert-chain-path={}&server-private-key-path={}",
        pki.rogue_server.cert.display(),
        pki.rogue_server.key.display()
    );
    let (provider, port, _e) = serve::<P>(&rogue).await;
    let error = refer_error::<P>(port, &pki.client_params(false)).await;
    assert!(error.contains("unknown CA"), "unexpected error: {error}");
    // A client that trusts the other CA is served.
    let consumer = P::create();
    let invoker = consumer
        .refer(url::<P>(
            port,
            &format!(
                "ssl-enabled=true&client-trust-cert-collection-path={}",
                pki.other_ca.display()
            ),
        ))
        .await
        .unwrap();
    assert_eq!(hello(&invoker, "rogue").await, "Hello, rogue");
    invoker.destroy();
    consumer.destroy().await;
    provider.destroy().await;
}

pub async fn an_expired_server_certificate_is_refused<P: TlsProtocol>() {
    let pki = TestPki::new();
    let expired = format!(
        "ssl-enabled=true&server-key-cert-chain-path={}&server-private-key-path={}",
        pki.expired_server.cert.display(),
        pki.expired_server.key.display()
    );
    let (provider, port, _e) = serve::<P>(&expired).await;
    let error = refer_error::<P>(port, &pki.client_params(false)).await;
    assert!(
        error.contains("certificate has expired"),
        "unexpected error: {error}"
    );
    provider.destroy().await;
}

pub async fn mutual_tls_turns_away_clients_without_a_trusted_certificate<P: TlsProtocol>() {
    let pki = TestPki::new();
    let (provider, port, _e) = serve::<P>(&pki.server_params(true)).await;
    let error = refer_error::<P>(port, &pki.client_params(false)).await;
    assert!(
        error.contains("requires a client certificate"),
        "unexpected error: {error}"
    );
    let rogue = format!(
        "{}&client-key-cert-chain-path={}&client-private-key-path={}",
        pki.client_params(false),
        pki.rogue_client.cert.display(),
        pki.rogue_client.key.display()
    );
    let error = refer_error::<P>(port, &rogue).await;
    assert!(
        error.contains("does not trust this client's certificate"),
        "unexpected error: {error}"
    );
    still_serves::<P>(&pki, port, true).await;
    provider.destroy().await;
}

pub async fn bad_tls_settings_fail_the_export_and_the_refer_with_their_reason<P: TlsProtocol>() {
    let pki = TestPki::new();
    let protocol = P::create();
    let port = free_port();
    let missing = protocol
        .export(P::greeter(url::<P>(port, "ssl-enabled=true")))
        .await
        .err()
        .map(|e: RpcError| e.to_string())
        .unwrap_or_default();
    assert!(missing.contains("server-key-cert-chain-path"), "{missing}");
    let no_file = protocol
        .export(P::greeter(url::<P>(
            port,
            "ssl-enabled=true&server-key-cert-chain-path=/nonexistent.pem&server-private-key-path=/nonexistent.key",
        )))
        .await
        .err()
        .map(|e: RpcError| e.to_string())
        .unwrap_or_default();
    assert!(no_file.contains("/nonexistent.pem"), "{no_file}");
    let half = protocol
        .refer(url::<P>(
            port,
            &format!(
                "{}&client-key-cert-chain-path={}",
                pki.client_params(false),
                pki.client.cert.display()
            ),
        ))
        .await
        .err()
        .map(|e: RpcError| e.to_string())
        .unwrap_or_default();
    assert!(half.contains("client-private-key-path"), "{half}");
    protocol.destroy().await;
}
