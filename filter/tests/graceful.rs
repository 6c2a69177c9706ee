//! `graceful`: in-flight counting, refusing new calls at shutdown, and `wait_idle`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_filter::{ChainBuilder, Graceful, Side};
use oxidubbo_invoker::{Invoker, RpcError, RpcResult};
use support::{Gate, gated_service, say_hello, url};
use tokio::task::JoinHandle;

/// A provider chain counting in `graceful` in front of a gated service, and `n` calls
/// through it, held in the service until the gate is released.
async fn calls_in_flight(
    graceful: &Graceful,
    n: u32,
) -> (
    Arc<dyn Invoker>,
    Gate,
    Vec<JoinHandle<Result<RpcResult, RpcError>>>,
) {
    let u = url("");
    let (service, gate) = gated_service(u.clone());
    let chain = ChainBuilder::new(Side::Provider)
        .graceful(graceful.clone())
        .build(&u, service)
        .unwrap();
    let calls = (0..n)
        .map(|i| {
            let c = Arc::clone(&chain);
            tokio::spawn(async move { c.invoke(say_hello(&i.to_string())).await })
        })
        .collect();
    gate.entered(n).await;
    (chain, gate, calls)
}

#[tokio::test]
async fn wait_idle_returns_when_the_calls_in_flight_finish() {
    let graceful = Graceful::new();
    let (chain, gate, calls) = calls_in_flight(&graceful, 3).await;
    assert_eq!(graceful.in_flight(), 3);

    graceful.shutdown();
    match chain.invoke(say_hello("late")).await {
        Err(RpcError::Unavailable(msg)) => assert!(msg.contains("shutting down"), "{msg}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(graceful.in_flight(), 3);

    let g = graceful.clone();
    let waiter = tokio::spawn(async move { g.wait_idle(Duration::from_secs(10)).await });
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished());
    gate.release(3);
    assert!(
        tokio::time::timeout(Duration::from_secs(10), waiter)
            .await
            .expect("wait_idle is bounded")
            .unwrap(),
        "idle once the calls finished"
    );
    assert_eq!(graceful.in_flight(), 0);
    for c in calls {
        assert!(c.await.unwrap().is_ok());
    }
}

#[tokio::test(start_paused = true)]
async fn wait_idle_gives_up_after_its_timeout_and_cancelled_calls_are_uncounted() {
    let graceful = Graceful::new();
    let u = url("");
    let (service, gate) = gated_service(u.clone());
    let chain = ChainBuilder::new(Side::Consumer)
        .graceful(graceful.clone())
        .build(&u, service)
        .unwrap();
    let c = Arc::clone(&chain);
    let stuck = tokio::spawn(async move { c.invoke(say_hello("a")).await });
    gate.entered(1).await;
    assert!(!graceful.wait_idle(Duration::from_millis(300)).await);
    stuck.abort();
    let _ = stuck.await;
    assert_eq!(graceful.in_flight(), 0);
    assert!(graceful.wait_idle(Duration::from_millis(300)).await);
    graceful.resume();
    gate.release(1);
    assert!(chain.invoke(say_hello("b")).await.is_ok());
}

#[tokio::test]
async fn wait_idle_without_a_shutdown_is_woken_by_the_last_call_out() {
    let graceful = Graceful::new();
    let (chain, gate, calls) = calls_in_flight(&graceful, 2).await;
    let g = graceful.clone();
    let waiter = tokio::spawn(async move { g.wait_idle(Duration::from_secs(30)).await });
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished());
    gate.release(2);
    // Woken by the last call out, long before its 30 s run out.
    let idle = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("woken when the calls finished")
        .unwrap();
    assert!(idle);
    for c in calls {
        assert!(c.await.unwrap().is_ok());
    }
    // Calls are still taken: nothing was shut down.
    gate.release(1);
    assert!(chain.invoke(say_hello("after")).await.is_ok());
}
