//! TLS and mutual TLS on Triple (HTTP/2 over TLS, ALPN h2): the cases of `tls_cases`
//! (calls over TLS, the pool, every handshake failure with its reason).

mod tls_cases;
mod triple_support;

use std::sync::Arc;

use oxidubbo_invoker::{Invoker, Url};
use oxidubbo_protocol::{ProtocolCounts, TripleProtocol};
use tls_cases::TlsProtocol;

impl TlsProtocol for TripleProtocol {
    const SCHEME: &'static str = "tri";

    fn create() -> Self {
        TripleProtocol::new()
    }

    fn counts_now(&self) -> ProtocolCounts {
        self.counts()
    }

    fn greeter(url: Arc<Url>) -> Arc<dyn Invoker> {
        triple_support::greeter(url)
    }
}

#[tokio::test]
async fn calls_go_over_tls_and_mutual_tls() {
    tls_cases::calls_go_over_tls_and_mutual_tls::<TripleProtocol>().await;
}

#[tokio::test]
async fn the_pool_keeps_tls_and_plaintext_connections_apart() {
    tls_cases::the_pool_keeps_tls_and_plaintext_connections_apart::<TripleProtocol>().await;
}

#[tokio::test]
async fn a_plaintext_client_on_a_tls_port_is_told_to_use_tls() {
    tls_cases::a_plaintext_client_on_a_tls_port_is_told_to_use_tls::<TripleProtocol>().await;
}

#[tokio::test]
async fn a_tls_client_on_a_plaintext_port_fails_at_once() {
    tls_cases::a_tls_client_on_a_plaintext_port_fails_at_once::<TripleProtocol>().await;
}

#[tokio::test]
async fn a_server_certificate_of_an_unknown_ca_is_refused() {
    tls_cases::a_server_certificate_of_an_unknown_ca_is_refused::<TripleProtocol>().await;
}

#[tokio::test]
async fn an_expired_server_certificate_is_refused() {
    tls_cases::an_expired_server_certificate_is_refused::<TripleProtocol>().await;
}

#[tokio::test]
async fn mutual_tls_turns_away_clients_without_a_trusted_certificate() {
    tls_cases::mutual_tls_turns_away_clients_without_a_trusted_certificate::<TripleProtocol>()
        .await;
}

#[tokio::test]
async fn bad_tls_settings_fail_the_export_and_the_refer_with_their_reason() {
    tls_cases::bad_tls_settings_fail_the_export_and_the_refer_with_their_reason::<TripleProtocol>()
        .await;
}
