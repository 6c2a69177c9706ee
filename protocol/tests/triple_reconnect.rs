//! A provider that goes away and comes back: the connection is made again (capped
//! backoff), calls in between fail as network errors (so failover retries elsewhere), and
//! nothing stays broken afterwards.

mod triple_support;

use std::time::{Duration, Instant};

use oxidubbo_invoker::RpcError;
use oxidubbo_protocol::{Protocol, TripleProtocol};
use triple_support::*;

#[tokio::test]
async fn the_client_reconnects_after_the_provider_restarts() {
    let (provider, port, _exporter) = greeter_server().await;
    let consumer = TripleProtocol::new();
    let invoker = consumer
        .refer(greeter_url(port, "&timeout=500"))
        .await
        .unwrap();
    assert_eq!(
        invoker.invoke(say_hello("a")).await.unwrap().value.as_str(),
        Some("Hello, a")
    );

    provider.destroy().await;
    let err = invoker.invoke(say_hello("b")).await.unwrap_err();
    assert!(
        matches!(err, RpcError::Network(_) | RpcError::Timeout { .. }),
        "{err:?}"
    );
    assert!(!invoker.is_available());

    let again = TripleProtocol::new();
    again.export(greeter(greeter_url(port, ""))).await.unwrap();
    let started = Instant::now();
    loop {
        match invoker.invoke(say_hello("c")).await {
            Ok(r) => {
                assert_eq!(r.value.as_str(), Some("Hello, c"));
                break;
            }
            Err(e) => assert!(
                started.elapsed() < Duration::from_secs(10),
                "not reconnected: {e:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(invoker.is_available());
    consumer.destroy().await;
    again.destroy().await;
}
