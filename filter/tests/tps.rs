//! `tps`: a fixed-window rate limit per service.

mod support;

use std::time::Duration;

use oxidubbo_filter::{Side, build_chain};
use oxidubbo_invoker::RpcError;
use support::{recording_service, say_hello, url};

#[tokio::test(start_paused = true)]
async fn calls_over_the_rate_are_refused_until_the_next_window() {
    let u = url("tps=2&tps.interval=1000");
    let (service, _) = recording_service(u.clone());
    let chain = build_chain(&u, Side::Provider, service).unwrap();
    assert!(chain.invoke(say_hello("a")).await.is_ok());
    assert!(chain.invoke(say_hello("b")).await.is_ok());
    match chain.invoke(say_hello("c")).await {
        Err(RpcError::Forbidden(msg)) => {
            assert!(msg.contains("tps=2") && msg.contains("1000 ms"), "{msg}");
            assert!(msg.contains("org.example.Greeter:1.0.0"), "{msg}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(chain.invoke(say_hello("d")).await.is_ok());
}

#[tokio::test]
async fn bad_parameters_are_config_errors() {
    for params in ["tps=abc", "tps=5&tps.interval=0", "tps=5&tps.interval=-3"] {
        let u = url(params);
        let (service, _) = recording_service(u.clone());
        assert!(
            matches!(
                build_chain(&u, Side::Provider, service),
                Err(RpcError::Config(_))
            ),
            "{params}"
        );
    }
}
