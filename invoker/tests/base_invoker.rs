//! BaseInvoker's lifecycle rules 1–3 (DESIGN.md).

use std::sync::Arc;

use oxidubbo_invoker::{
    BaseInvoker, Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, Url, service_fn,
};

fn url() -> Arc<Url> {
    Arc::new(Url::parse("dubbo://127.0.0.1:20880/com.example.Greeter?version=1.0.0").unwrap())
}

#[test]
fn destroy_releases_the_url_and_flips_the_flags() {
    let url = url();
    let weak = url.downgrade();
    let base = BaseInvoker::new(url);
    assert!(base.is_available());
    assert!(!base.is_destroyed());
    assert!(base.url().is_some());
    assert!(base.destroy());
    assert!(base.is_destroyed());
    assert!(!base.is_available());
    assert!(base.url().is_none());
    assert!(
        weak.upgrade().is_none(),
        "a destroyed invoker must not keep its URL alive"
    );
}

#[test]
fn destroy_is_idempotent_and_runs_once_across_threads() {
    let base = Arc::new(BaseInvoker::new(url()));
    let firsts: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| usize::from(base.destroy())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(firsts, 1, "exactly one destroy call may win");
    assert!(!base.destroy());
}

#[test]
fn set_available_does_not_resurrect_a_destroyed_invoker() {
    let base = BaseInvoker::new(url());
    base.set_available(false);
    assert!(!base.is_available());
    base.set_available(true);
    assert!(base.is_available());
    base.destroy();
    base.set_available(true);
    assert!(!base.is_available());
}

#[tokio::test]
async fn a_destroyed_invoker_answers_destroyed() {
    let invoker = ServiceInvoker::new(url(), service_fn(|_inv| async { Ok(RpcResult::new("hi")) }));
    let ok = invoker
        .invoke(Invocation::new("sayHello", "", vec![]))
        .await
        .unwrap();
    assert_eq!(ok.value.as_str(), Some("hi"));
    invoker.destroy();
    let err = invoker
        .invoke(Invocation::new("sayHello", "", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, RpcError::Destroyed(_)), "got {err:?}");
    assert!(invoker.url().is_none());
}

#[tokio::test]
async fn the_call_sees_the_url_snapshot_taken_at_its_start() {
    let invoker = ServiceInvoker::new(
        url(),
        service_fn(|inv: Invocation| async move {
            let version = inv.url().and_then(|u| u.version().map(str::to_owned));
            Ok(RpcResult::new(version))
        }),
    );
    let r = invoker
        .invoke(Invocation::new("m", "", vec![]))
        .await
        .unwrap();
    assert_eq!(r.value.as_str(), Some("1.0.0"));
}
