//! `actives`: the consumer's per-method concurrency limit, and its count released against
//! the call's URL snapshot even when the invoker is destroyed mid-call.

mod support;

use std::sync::Arc;

use oxidubbo_filter::{Side, build_chain};
use oxidubbo_invoker::{RpcError, RpcStatus};
use support::{gated_service, say_hello, url};

#[tokio::test]
async fn actives_released_against_snapshot_when_destroyed_mid_call() {
    let u = url("actives=2");
    let (service, gate) = gated_service(Arc::clone(&u));
    let chain = build_chain(&u, Side::Consumer, Arc::clone(&service)).unwrap();
    let snapshot = service.url().unwrap();
    drop(u);

    let c = Arc::clone(&chain);
    let call = tokio::spawn(async move { c.invoke(say_hello("a")).await });
    gate.entered(1).await;
    assert_eq!(RpcStatus::get(&snapshot, "sayHello").active(), 1);

    // Destroyed while the call is in flight: the invoker lets its URL go.
    chain.destroy();
    assert!(service.url().is_none() && chain.url().is_none());

    gate.release(1);
    let _ = call.await.unwrap();
    let method = RpcStatus::get(&snapshot, "sayHello");
    assert_eq!(
        method.active(),
        0,
        "the count came back down on the snapshot"
    );
    assert_eq!(method.total(), 1);
    assert_eq!(RpcStatus::get(&snapshot, "").active(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_call_over_the_limit_waits_for_a_slot() {
    let u = url("actives=1&timeout=500");
    let (service, gate) = gated_service(Arc::clone(&u));
    let chain = build_chain(&u, Side::Consumer, service).unwrap();
    let c = Arc::clone(&chain);
    let first = tokio::spawn(async move { c.invoke(say_hello("a")).await });
    gate.entered(1).await;
    let c = Arc::clone(&chain);
    let second = tokio::spawn(async move { c.invoke(say_hello("b")).await });
    tokio::task::yield_now().await;
    assert_eq!(
        RpcStatus::get(&u, "sayHello").active(),
        1,
        "the second call waits"
    );
    gate.release(1);
    assert!(first.await.unwrap().is_ok());
    gate.entered(1).await;
    gate.release(1);
    assert_eq!(second.await.unwrap().unwrap().value.as_str(), Some("done"));
}

#[tokio::test(start_paused = true)]
async fn a_call_that_waits_past_its_timeout_fails() {
    let u = url("sayHello.actives=1&timeout=500");
    let (service, gate) = gated_service(Arc::clone(&u));
    let chain = build_chain(&u, Side::Consumer, service).unwrap();
    let c = Arc::clone(&chain);
    let first = tokio::spawn(async move { c.invoke(say_hello("a")).await });
    gate.entered(1).await;
    match chain.invoke(say_hello("b")).await {
        Err(RpcError::Timeout {
            elapsed_ms,
            message,
        }) => {
            assert!(elapsed_ms >= 500, "{elapsed_ms}");
            assert!(
                message.contains("actives=1") && message.contains("sayHello"),
                "{message}"
            );
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    gate.release(1);
    assert!(first.await.unwrap().is_ok());
    assert_eq!(RpcStatus::get(&u, "sayHello").active(), 0);
}
