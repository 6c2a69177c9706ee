//! The filter, run by the chain as an observer, counts a call in progress as
//! `processing`, its outcome when it ends, and only leaves `processing` when the call is
//! dropped before it ends — on a provider's chain (methods listed) and a consumer's.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_filter::{ChainBuilder, FilterRegistry, Side};
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, Url, service_fn};
use oxidubbo_metrics::filter;
use oxidubbo_metrics::{MethodKey, RpcMetrics};

/// `slow` sleeps 30 s, `fail` fails, anything else answers.
fn chain_for(metrics: &Arc<RpcMetrics>, url: &str, side: Side) -> Arc<dyn Invoker> {
    let mut filters = FilterRegistry::with_builtins();
    filters
        .register_filter(filter::NAME, filter::factory(Arc::clone(metrics)))
        .unwrap();
    let url: Arc<Url> = Arc::new(url.parse().unwrap());
    let target = ServiceInvoker::new(
        Arc::clone(&url),
        service_fn(|inv: Invocation| async move {
            match inv.method_name() {
                "slow" => {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    Ok(RpcResult::new("late"))
                }
                "fail" => Err(RpcError::business("no")),
                _ => Ok(RpcResult::new("ok")),
            }
        }),
    );
    ChainBuilder::new(side)
        .registry(Arc::new(filters))
        .build(&url, Arc::new(target))
        .unwrap()
}

async fn check(side: Side, url: &str) {
    let metrics = Arc::new(RpcMetrics::new("app", "127.0.0.1"));
    let chain = chain_for(&metrics, url, side);
    let stats = |method: &str| {
        metrics
            .stats(MethodKey::new(side, "com.example.Greeter", "", "", method))
            .snapshot()
    };
    chain
        .invoke(Invocation::new("fast", "", vec![]))
        .await
        .unwrap();
    chain
        .invoke(Invocation::new("fail", "", vec![]))
        .await
        .unwrap_err();
    let s = stats("fast");
    assert_eq!((s.total, s.succeed, s.failed, s.processing), (1, 1, 0, 0));
    let s = stats("fail");
    assert_eq!((s.total, s.succeed, s.failed, s.processing), (1, 0, 1, 0));

    let slow = chain.invoke(Invocation::new("slow", "", vec![]));
    let mut slow = Box::pin(slow);
    let polled = tokio::time::timeout(Duration::from_millis(20), &mut slow).await;
    assert!(polled.is_err(), "the slow call is still running");
    let s = stats("slow");
    assert_eq!((s.total, s.processing), (1, 1), "{side}");
    drop(slow);
    let s = stats("slow");
    assert_eq!(
        (s.total, s.succeed, s.failed, s.processing),
        (1, 0, 0, 0),
        "{side}: a dropped call only leaves processing"
    );
}

#[tokio::test]
async fn a_providers_listed_methods() {
    check(
        Side::Provider,
        "dubbo://127.0.0.1:20880/com.example.Greeter?interface=com.example.Greeter&methods=fast,fail,slow&service.filter=metrics",
    )
    .await;
}

#[tokio::test]
async fn a_consumers_methods_as_seen() {
    check(
        Side::Consumer,
        "consumer://127.0.0.1/com.example.Greeter?interface=com.example.Greeter&side=consumer&reference.filter=metrics",
    )
    .await;
}
