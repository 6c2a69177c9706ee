//! Destroy racing with calls: every call returns Ok or Destroyed; no panic, no hang.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use oxidubbo_invoker::{Invoker, RpcError};
use oxidubbo_protocol::{DubboProtocol, InjvmProtocol, Protocol};
use support::{free_port, greeter, greeter_url, say_hello};

/// 8 tasks call in a loop (each at most 1,000,000 calls and 20 s) while `destroy` runs once
/// 2,000 calls have succeeded; returns (calls ok, calls that saw Destroyed).
async fn hammer(
    invoker: Arc<dyn Invoker>,
    destroy: impl std::future::Future<Output = ()>,
) -> (usize, usize) {
    let succeeded = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let invoker = Arc::clone(&invoker);
        let succeeded = Arc::clone(&succeeded);
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut destroyed) = (0usize, 0usize);
            for _ in 0..1_000_000 {
                if Instant::now() > deadline {
                    break;
                }
                match invoker.invoke(say_hello("r")).await {
                    Ok(r) => {
                        assert_eq!(r.value.as_str(), Some("Hello, r"));
                        ok += 1;
                        succeeded.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(RpcError::Destroyed(_)) => {
                        destroyed += 1;
                        if destroyed > 3 {
                            break;
                        }
                    }
                    Err(other) => {
                        panic!("a call racing destroy must end Ok or Destroyed, got {other:?}")
                    }
                }
                // An injvm call may complete without ever yielding: give the runtime its
                // turn, or 8 such loops keep both workers busy until the deadline and the
                // timer that starts the destroy never fires.
                tokio::task::yield_now().await;
            }
            (ok, destroyed)
        }));
    }
    for _ in 0..10_000 {
        if succeeded.load(Ordering::Relaxed) >= 2_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    destroy.await;
    let mut totals = (0, 0);
    for t in tasks {
        let (ok, destroyed) = t.await.expect("a calling task panicked");
        totals.0 += ok;
        totals.1 += destroyed;
    }
    totals
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injvm_destroy_races_calls() {
    let protocol = Arc::new(InjvmProtocol::new());
    let _exporter = protocol
        .export(greeter(greeter_url("injvm", 0)))
        .await
        .unwrap();
    let invoker = protocol.refer(greeter_url("injvm", 0)).await.unwrap();
    let p = Arc::clone(&protocol);
    let run = hammer(invoker, async move { p.destroy().await });
    let (ok, destroyed) = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("hang");
    println!("injvm: {ok} calls ok, {destroyed} destroyed");
    assert!(
        ok > 0 && destroyed > 0,
        "the race did not happen: {ok} ok, {destroyed} destroyed"
    );
    assert!(protocol.counts().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dubbo_destroy_races_calls() {
    let protocol = Arc::new(DubboProtocol::new());
    let port = free_port();
    let _exporter = protocol
        .export(greeter(greeter_url("dubbo", port)))
        .await
        .unwrap();
    let invoker = protocol.refer(greeter_url("dubbo", port)).await.unwrap();
    let p = Arc::clone(&protocol);
    let run = hammer(invoker, async move { p.destroy().await });
    let (ok, destroyed) = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("hang");
    println!("dubbo: {ok} calls ok, {destroyed} destroyed");
    assert!(
        ok > 0 && destroyed > 0,
        "the race did not happen: {ok} ok, {destroyed} destroyed"
    );
    assert!(protocol.counts().is_empty());
}
