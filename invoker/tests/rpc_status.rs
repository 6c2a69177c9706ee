//! RpcStatus counts calls against the URL snapshot they began with and forgets destroyed URLs.

use std::sync::Arc;

use oxidubbo_invoker::{BaseInvoker, RpcStatus, UNDECLARED_METHOD_SLOTS, Url};

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
fn statistics_go_with_their_url() {
    let urls: Vec<_> = (100..200).map(url).collect();
    let statuses: Vec<_> = urls
        .iter()
        .flat_map(|u| {
            RpcStatus::begin(u, "m").end(true);
            [RpcStatus::get(u, ""), RpcStatus::get(u, "m")]
        })
        .map(|s| Arc::downgrade(&s))
        .collect();
    assert!(statuses.iter().all(|s| s.upgrade().is_some()));
    let clone = (*urls[0]).clone();
    drop(urls);
    assert!(
        statuses[2..].iter().all(|s| s.upgrade().is_none()),
        "statistics outlived their URLs"
    );
    assert_eq!(
        statuses[..2]
            .iter()
            .filter(|s| s.upgrade().is_some())
            .count(),
        2,
        "a clone of a URL holds its data, and its statistics"
    );
    assert_eq!(RpcStatus::get(&clone, "m").total(), 1);
}

#[test]
fn declared_methods_are_counted_apart_and_unknown_ones_together() {
    let u = Url::parse("dubbo://127.0.0.1:4/com.example.S?methods=sayHello,add").unwrap();
    let hello = RpcStatus::begin(&u, "sayHello");
    let add = RpcStatus::begin(&u, "add");
    let x = RpcStatus::begin(&u, "x");
    let y = RpcStatus::begin(&u, "y");
    assert_eq!(RpcStatus::get(&u, "sayHello").active(), 1);
    assert_eq!(RpcStatus::get(&u, "add").active(), 1);
    assert_eq!(
        RpcStatus::get(&u, "x").active(),
        2,
        "unknown names share one status"
    );
    assert_eq!(RpcStatus::get(&u, "").active(), 4);
    assert_eq!(RpcStatus::methods_counted(&u), 2);
    for g in [hello, add, x, y] {
        g.end(true);
    }
}

#[test]
fn undeclared_methods_take_a_bounded_number_of_slots() {
    let u = url(5);
    for i in 0..1000 {
        RpcStatus::begin(&u, &format!("m{i}")).end(true);
    }
    assert_eq!(RpcStatus::methods_counted(&u), UNDECLARED_METHOD_SLOTS);
    assert_eq!(
        RpcStatus::get(&u, "m0").total(),
        1,
        "the first names are counted apart"
    );
    let rest = 1000 - UNDECLARED_METHOD_SLOTS as u64;
    assert_eq!(
        RpcStatus::get(&u, "m999").total(),
        rest,
        "the rest together"
    );
    assert_eq!(RpcStatus::get(&u, "").total(), 1000);
}

#[test]
fn distinct_urls_with_equal_text_have_distinct_statistics() {
    let (a, b) = (url(3), url(3));
    let _g = RpcStatus::begin(&a, "m");
    assert_eq!(RpcStatus::get(&a, "m").active(), 1);
    assert_eq!(RpcStatus::get(&b, "m").active(), 0);
}
