//! RpcStatus counts calls against the URL snapshot they began with and forgets destroyed URLs.

use std::sync::Arc;

use oxidubbo_invoker::{BaseInvoker, RpcStatus, Url};

fn url(port: u16) -> Arc<Url> {
    Arc::new(Url::parse(&format!("dubbo://127.0.0.1:{port}/com.example.S")).unwrap())
}

#[test]
fn begin_and_end_count_per_method_and_per_invoker() {
    let u = url(1);
    let a = RpcStatus::begin(&u, "m");
    let b = RpcStatus::begin(&u, "n");
    assert_eq!(RpcStatus::get(&u, "m").active(), 1);
    assert_eq!(RpcStatus::get(&u, "").active(), 2);
    a.end(true);
    drop(b); // cancelled: counts as failed
    let all = RpcStatus::get(&u, "");
    assert_eq!((all.active(), all.total(), all.failed()), (0, 2, 1));
}

#[test]
fn the_count_is_released_on_the_snapshot_even_after_destroy() {
    let u = url(2);
    let base = BaseInvoker::new(Arc::clone(&u));
    let snapshot = base.url().unwrap();
    drop(u);
    let guard = RpcStatus::begin(&snapshot, "m");
    let status = RpcStatus::get(&snapshot, "m");
    base.destroy(); // mid-call
    assert_eq!(status.active(), 1);
    guard.end(true);
    assert_eq!(
        status.active(),
        0,
        "released against the status it was taken on"
    );
}

#[test]
fn statistics_of_released_urls_are_pruned() {
    let before = RpcStatus::tracked();
    let urls: Vec<_> = (100..200).map(url).collect();
    for u in &urls {
        RpcStatus::begin(u, "m").end(true);
    }
    assert!(RpcStatus::tracked() >= before + 200);
    drop(urls);
    assert!(
        RpcStatus::tracked() <= before,
        "statistics outlived their URLs"
    );
}

#[test]
fn distinct_urls_with_equal_text_have_distinct_statistics() {
    let (a, b) = (url(3), url(3));
    let _g = RpcStatus::begin(&a, "m");
    assert_eq!(RpcStatus::get(&a, "m").active(), 1);
    assert_eq!(RpcStatus::get(&b, "m").active(), 0);
}
