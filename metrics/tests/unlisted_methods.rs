//! A chain whose URL lists no methods (a consumer's) records the methods its own code
//! calls, up to `MAX_UNLISTED_METHODS`, and never `$`-names such as `$echo`.
#![allow(missing_docs)]

use std::sync::Arc;

use oxidubbo_filter::{ChainBuilder, FilterRegistry, Side};
use oxidubbo_invoker::{Invocation, Invoker, RpcResult, ServiceInvoker, Url, service_fn};
use oxidubbo_metrics::filter::{self, MAX_UNLISTED_METHODS};
use oxidubbo_metrics::{RpcMetrics, encode};

#[tokio::test]
async fn unlisted_methods_are_capped() {
    let metrics = Arc::new(RpcMetrics::with_hostname("app", "127.0.0.1", "h"));
    let mut filters = FilterRegistry::with_builtins();
    filters
        .register_filter(filter::NAME, filter::factory(Arc::clone(&metrics)))
        .unwrap();
    let url: Url = "consumer://127.0.0.1/com.example.Greeter?interface=com.example.Greeter&side=consumer&reference.filter=metrics"
        .parse()
        .unwrap();
    let url = Arc::new(url);
    let target = ServiceInvoker::new(
        Arc::clone(&url),
        service_fn(|_inv: Invocation| async { Ok(RpcResult::new("ok")) }),
    );
    let chain = ChainBuilder::new(Side::Consumer)
        .registry(Arc::new(filters))
        .build(&url, Arc::new(target))
        .unwrap();
    assert_eq!(metrics.series_count(), 0);
    for i in 0..MAX_UNLISTED_METHODS + 36 {
        for _ in 0..2 {
            chain
                .invoke(Invocation::new(format!("m{i}"), "", vec![]))
                .await
                .unwrap();
        }
    }
    chain
        .invoke(Invocation::new(
            "$echo",
            "Ljava/lang/Object;",
            vec!["x".into()],
        ))
        .await
        .unwrap();
    assert_eq!(metrics.series_count(), MAX_UNLISTED_METHODS);
    let text = encode(&metrics.registry());
    assert!(text.contains("method=\"m0\""), "{text}");
    assert!(text.contains("dubbo_consumer_requests_total{application_name=\"app\",interface=\"com.example.Greeter\",method=\"m0\",group=\"\",version=\"\",ip=\"127.0.0.1\",hostname=\"h\"} 2\n"), "{text}");
    assert!(
        !text.contains(&format!("method=\"m{MAX_UNLISTED_METHODS}\"")),
        "{text}"
    );
    assert!(!text.contains("$echo"), "{text}");
    assert!(!text.contains("dubbo_provider_"), "{text}");
}
