//! `timeout`: the provider logs calls slower than their timeout and never cancels them.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_filter::{Side, build_chain};
use oxidubbo_invoker::{Invocation, RpcResult, ServiceInvoker, Value, service_fn};
use support::{capture_logs, url};

fn sleepy(ms: i64) -> Invocation {
    Invocation::new("sleep", "J", vec![Value::Long(ms)])
}

#[tokio::test(start_paused = true)]
async fn a_slow_call_is_logged_and_still_answered() {
    let (_guard, logs) = capture_logs();
    let u = url("timeout=100");
    let service = Arc::new(ServiceInvoker::new(
        u.clone(),
        service_fn(|inv: Invocation| async move {
            let ms = inv.arguments().first().and_then(Value::as_i64).unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            Ok(RpcResult::new("slept"))
        }),
    ));
    let chain = build_chain(&u, Side::Provider, service).unwrap();

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
}
