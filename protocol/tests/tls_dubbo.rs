//! TLS and mutual TLS on the dubbo2 TCP protocol: the cases of `tls_cases` (calls over
//! TLS, the pool, every handshake failure with its reason), and many calls in flight on one
//! TLS connection.

mod support;
mod tls_cases;

use std::sync::Arc;

use oxidubbo_integration_tests::tls_certs::TestPki;
use oxidubbo_invoker::{Invoker, Url};
use oxidubbo_protocol::{DubboProtocol, Protocol, ProtocolCounts};
use tls_cases::TlsProtocol;

impl TlsProtocol for DubboProtocol {
    const SCHEME: &'static str = "dubbo";

    fn create() -> Self {
        DubboProtocol::new()
    }

    fn counts_now(&self) -> ProtocolCounts {
        self.counts()
    }

    fn greeter(url: Arc<Url>) -> Arc<dyn Invoker> {
        support::greeter(url)
    }
}

#[tokio::test]
async fn calls_go_over_tls_and_mutual_tls() {
    tls_cases::calls_go_over_tls_and_mutual_tls::<DubboProtocol>().await;
}

#[tokio::test]
async fn the_pool_keeps_tls_and_plaintext_connections_apart() {
    tls_cases::the_pool_keeps_tls_and_plaintext_connections_apart::<DubboProtocol>().await;
}

#[tokio::test]
async fn a_plaintext_client_on_a_tls_port_is_told_to_use_tls() {
    tls_cases::a_plaintext_client_on_a_tls_port_is_told_to_use_tls::<DubboProtocol>().await;
}

#[tokio::test]
async fn a_tls_client_on_a_plaintext_port_fails_at_once() {
    tls_cases::a_tls_client_on_a_plaintext_port_fails_at_once::<DubboProtocol>().await;
}

#[tokio::test]
async fn a_server_certificate_of_an_unknown_ca_is_refused() {
    tls_cases::a_server_certificate_of_an_unknown_ca_is_refused::<DubboProtocol>().await;
}

#[tokio::test]
async fn an_expired_server_certificate_is_refused() {
    tls_cases::an_expired_server_certificate_is_refused::<DubboProtocol>().await;
}

#[tokio::test]
async fn mutual_tls_turns_away_clients_without_a_trusted_certificate() {
    tls_cases::mutual_tls_turns_away_clients_without_a_trusted_certificate::<DubboProtocol>().await;
}

#[tokio::test]
async fn bad_tls_settings_fail_the_export_and_the_refer_with_their_reason() {
    tls_cases::bad_tls_settings_fail_the_export_and_the_refer_with_their_reason::<DubboProtocol>()
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_over_tls_all_get_their_answers() {
    // Many calls in flight on one TLS connection, with answers large enough to fill the
    // socket's buffers: every one is answered (rustls keeps records it could not write at
    // once until flushed; the writers flush after every batch).
    let pki = TestPki::new();
    let (provider, port, _e) = tls_cases::serve::<DubboProtocol>(&pki.server_params(true)).await;
    let consumer = DubboProtocol::new();
    let invoker = consumer
        .refer(tls_cases::url::<DubboProtocol>(
            port,
            &pki.client_params(true),
        ))
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
