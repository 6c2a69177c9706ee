//! TLS and mutual TLS on the dubbo2 TCP protocol, oxidubbo on both sides, with
//! certificates made at test time: calls over TLS, the pool keeping TLS and plaintext
//! connections apart, and each failure (plaintext client on a TLS port, TLS client on a
//! plaintext port, unknown CA, expired certificate, missing or untrusted client
//! certificate) failing at once with its reason while the server keeps serving.

mod support;

use std::sync::Arc;

use oxidubbo_integration_tests::tls_certs::TestPki;
use oxidubbo_invoker::{Invoker, RpcError, Url};
use oxidubbo_protocol::{DubboProtocol, Exporter, Protocol};
use support::{free_port, greeter, say_hello};

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";

fn url(port: u16, params: &str) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "dubbo://127.0.0.1:{port}/{GREETER}?version=1.0.0&timeout=3000&connect.timeout=3000&{params}"
        ))
        .unwrap(),
    )
}

async fn serve(params: &str) -> (DubboProtocol, u16, Arc<dyn Exporter>) {
    let protocol = DubboProtocol::new();
    let port = free_port();
    let exporter = protocol
        .export(greeter(url(port, params)))
        .await
        .expect("the greeter exports");
    (protocol, port, exporter)
}

async fn hello(invoker: &Arc<dyn Invoker>, name: &str) -> String {
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
async fn still_serves(pki: &TestPki, port: u16, client_cert: bool) {
    let consumer = DubboProtocol::new();
    let invoker = consumer
        .refer(url(port, &pki.client_params(client_cert)))
        .await
        .expect("a good client still connects");
    assert_eq!(hello(&invoker, "again").await, "Hello, again");
    invoker.destroy();
    consumer.destroy().await;
}

async fn refer_error(port: u16, params: &str) -> String {
    let consumer = DubboProtocol::new();
    let outcome = consumer.refer(url(port, params)).await;
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

#[tokio::test]
async fn calls_go_over_tls_and_mutual_tls() {
    let pki = TestPki::new();
    for client_auth in [false, true] {
        let (provider, port, _exporter) = serve(&pki.server_params(client_auth)).await;
        let consumer = DubboProtocol::new();
        let invoker = consumer
            .refer(url(port, &pki.client_params(client_auth)))
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
                "Ljava/lang/Object;",
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

#[tokio::test]
async fn the_pool_keeps_tls_and_plaintext_connections_apart() {
    let pki = TestPki::new();
    let (tls_provider, tls_port, _a) = serve(&pki.server_params(false)).await;
    let (plain_provider, plain_port, _b) = serve("").await;
    let consumer = DubboProtocol::new();
    let tls = consumer
        .refer(url(tls_port, &pki.client_params(false)))
        .await
        .unwrap();
    let tls_again = consumer
        .refer(url(tls_port, &pki.client_params(false)))
        .await
        .unwrap();
    assert_eq!(consumer.counts().connections, 1, "equal TLS settings share");
    let with_cert = consumer
        .refer(url(tls_port, &pki.client_params(true)))
        .await
        .unwrap();
    assert_eq!(
        consumer.counts().connections,
        2,
        "other TLS settings do not"
    );
    let plain = consumer.refer(url(plain_port, "")).await.unwrap();
    assert_eq!(consumer.counts().connections, 3);
    // The plaintext address referred with TLS gets its own connection, which fails.
    let tls_on_plain = consumer
        .refer(url(plain_port, &pki.client_params(false)))
        .await;
    assert!(tls_on_plain.is_err(), "TLS to a plaintext port must fail");
    assert_eq!(consumer.counts().connections, 3);
    for invoker in [&tls, &tls_again, &with_cert, &plain] {
        assert_eq!(hello(invoker, "pool").await, "Hello, pool");
    }
    for invoker in [tls, tls_again, with_cert, plain] {
        invoker.destroy();
    }
    assert!(consumer.counts().is_empty(), "{:?}", consumer.counts());
    consumer.destroy().await;
    tls_provider.destroy().await;
    plain_provider.destroy().await;
}

#[tokio::test]
async fn a_plaintext_client_on_a_tls_port_is_told_to_use_tls() {
    let pki = TestPki::new();
    let (provider, port, _e) = serve(&pki.server_params(false)).await;
    let error = refer_error(port, "").await;
    assert!(
        error.contains("this port serves TLS only"),
        "unexpected error: {error}"
    );
    still_serves(&pki, port, false).await;
    provider.destroy().await;
}

#[tokio::test]
async fn a_tls_client_on_a_plaintext_port_fails_at_once() {
    let pki = TestPki::new();
    let (provider, port, _e) = serve("").await;
    let error = refer_error(port, &pki.client_params(false)).await;
    assert!(
        error.contains("TLS handshake with") && error.contains("plaintext port"),
        "unexpected error: {error}"
    );
    // The plaintext server keeps serving plaintext consumers.
    let consumer = DubboProtocol::new();
    let invoker = consumer.refer(url(port, "")).await.unwrap();
    assert_eq!(hello(&invoker, "plain").await, "Hello, plain");
    invoker.destroy();
    consumer.destroy().await;
    provider.destroy().await;
}

#[tokio::test]
async fn a_server_certificate_of_an_unknown_ca_is_refused() {
    let pki = TestPki::new();
    let rogue = format!(
        "ssl-enabled=true&server-key-cert-chain-path={}&server-private-key-path={}",
        pki.rogue_server.cert.display(),
        pki.rogue_server.key.display()
    );
    let (provider, port, _e) = serve(&rogue).await;
    let error = refer_error(port, &pki.client_params(false)).await;
    assert!(error.contains("unknown CA"), "unexpected error: {error}");
    // A client that trusts the other CA is served.
    let consumer = DubboProtocol::new();
    let invoker = consumer
        .refer(url(
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

#[tokio::test]
async fn an_expired_server_certificate_is_refused() {
    let pki = TestPki::new();
    let expired = format!(
        "ssl-enabled=true&server-key-cert-chain-path={}&server-private-key-path={}",
        pki.expired_server.cert.display(),
        pki.expired_server.key.display()
    );
    let (provider, port, _e) = serve(&expired).await;
    let error = refer_error(port, &pki.client_params(false)).await;
    assert!(
        error.contains("certificate has expired"),
        "unexpected error: {error}"
    );
    provider.destroy().await;
}

#[tokio::test]
async fn mutual_tls_turns_away_clients_without_a_trusted_certificate() {
    let pki = TestPki::new();
    let (provider, port, _e) = serve(&pki.server_params(true)).await;
    let error = refer_error(port, &pki.client_params(false)).await;
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
    let error = refer_error(port, &rogue).await;
    assert!(
        error.contains("does not trust this client's certificate"),
        "unexpected error: {error}"
    );
    still_serves(&pki, port, true).await;
    provider.destroy().await;
}

#[tokio::test]
async fn bad_tls_settings_fail_the_export_and_the_refer_with_their_reason() {
    let pki = TestPki::new();
    let protocol = DubboProtocol::new();
    let port = free_port();
    let missing = protocol
        .export(greeter(url(port, "ssl-enabled=true")))
        .await
        .err()
        .map(|e: RpcError| e.to_string())
        .unwrap_or_default();
    assert!(missing.contains("server-key-cert-chain-path"), "{missing}");
    let no_file = protocol
        .export(greeter(url(
            port,
            "ssl-enabled=true&server-key-cert-chain-path=/nonexistent.pem&server-private-key-path=/nonexistent.key",
        )))
        .await
        .err()
        .map(|e: RpcError| e.to_string())
        .unwrap_or_default();
    assert!(no_file.contains("/nonexistent.pem"), "{no_file}");
    let half = protocol
        .refer(url(
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_over_tls_all_get_their_answers() {
    // Many calls in flight on one TLS connection, with answers large enough to fill the
    // socket's buffers: every one is answered (rustls keeps records it could not write at
    // once until flushed; the writers flush after every batch).
    let pki = TestPki::new();
    let (provider, port, _e) = serve(&pki.server_params(true)).await;
    let consumer = DubboProtocol::new();
    let invoker = consumer
        .refer(url(port, &pki.client_params(true)))
        .await
        .unwrap();
    // Large answers fill the socket's buffers, so that writes find it full.
    let body = "y".repeat(256 * 1024);
    let mut tasks = Vec::new();
    for t in 0..16 {
        let (invoker, body) = (Arc::clone(&invoker), body.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..20 {
                let echoed = invoker
                    .invoke(oxidubbo_invoker::Invocation::new(
                        "echo",
                        "Ljava/lang/Object;",
                        vec![body.clone().into()],
                    ))
                    .await
                    .unwrap_or_else(|e| panic!("task {t} call {n}: {e}"));
                assert_eq!(echoed.value.as_str().map(str::len), Some(256 * 1024));
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    invoker.destroy();
    consumer.destroy().await;
    provider.destroy().await;
}
