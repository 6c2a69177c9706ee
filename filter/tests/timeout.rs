//! `timeout`: the provider logs calls slower than their timeout and never cancels them.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_filter::timeout::TimeoutFilter;
use oxidubbo_filter::{Filter, FilteredInvoker};
use oxidubbo_invoker::{Invocation, Invoker, RpcResult, ServiceInvoker, Value, service_fn};
use support::{capture_logs, url};

fn sleepy(ms: i64) -> Invocation {
    Invocation::new("sleep", "J", vec![Value::Long(ms)])
}

#[tokio::test]
async fn a_slow_call_is_logged_and_still_answered() {
    let (_guard, logs) = capture_logs();
    let u = url("timeout=100&fast.timeout=5000");
    // The service "sleeps" by moving the filter's clock.
    let (clock, hands) = quanta::Clock::mock();
    let service = Arc::new(ServiceInvoker::new(
        u.clone(),
        service_fn(move |inv: Invocation| {
            let ms = inv.arguments().first().and_then(Value::as_i64).unwrap_or(0);
            hands.increment(Duration::from_millis(ms as u64));
            async { Ok(RpcResult::new("slept")) }
        }),
    ));
    let timeout = Arc::new(TimeoutFilter::with_clock(clock)) as Arc<dyn Filter>;
    let chain = FilteredInvoker::new(service, [("timeout", timeout)]);

    let r = chain.invoke(sleepy(50)).await.unwrap();
    assert_eq!(r.value.as_str(), Some("slept"));
    assert!(
        !logs.text().contains("longer than its timeout"),
        "{}",
        logs.text()
    );

    let r = chain.invoke(sleepy(2000)).await.unwrap();
    assert_eq!(
        r.value.as_str(),
        Some("slept"),
        "the slow call was not cancelled"
    );
    let text = logs.text();
    assert!(text.contains("longer than its timeout"), "{text}");
    assert!(text.contains("oxidubbo::timeout"), "{text}");
    assert!(
        text.contains("method=sleep") && text.contains("timeout_ms=100"),
        "{text}"
    );

    // A method's own timeout wins over the service's.
    let fast = Invocation::new("fast", "J", vec![Value::Long(2000)]);
    chain.invoke(fast).await.unwrap();
    assert!(!logs.text().contains("method=fast"), "{}", logs.text());
}
