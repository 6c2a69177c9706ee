//! `context`: the consumer adds `remote.application`; the provider strips framework keys
//! from what the service sees; response attachments come back.

mod support;

use std::sync::Arc;

use oxidubbo_filter::context::FRAMEWORK_KEYS;
use oxidubbo_filter::{Side, build_chain};
use oxidubbo_invoker::{Invocation, RpcResult, ServiceInvoker, service_fn};
use support::{recording_service, say_hello, url};

#[tokio::test]
async fn the_consumer_adds_its_application() {
    let (service, seen) = recording_service(url(""));
    let consumer = build_chain(&url(""), Side::Consumer, service).unwrap();
    consumer.invoke(say_hello("a")).await.unwrap();
    let inv = seen.lock().unwrap().take().unwrap();
    assert_eq!(
        inv.attachments().get_str("remote.application"),
        Some("demo-consumer")
    );

    // One set by the caller is kept.
    let call = say_hello("a").with_attachment("remote.application", "mine");
    consumer.invoke(call).await.unwrap();
    let inv = seen.lock().unwrap().take().unwrap();
    assert_eq!(
        inv.attachments().get_str("remote.application"),
        Some("mine")
    );
}

#[tokio::test]
async fn the_provider_hides_framework_keys_and_keeps_the_consumers() {
    let (service, seen) = recording_service(url(""));
    let provider = build_chain(&url(""), Side::Provider, service).unwrap();
    let mut call = say_hello("a")
        .with_attachment("trace-id", "t-1")
        .with_attachment("remote.application", "shop")
        .with_attachment("remote.address", "10.0.0.9:5000");
    for key in FRAMEWORK_KEYS {
        call = call.with_attachment(*key, "x");
    }
    provider.invoke(call).await.unwrap();
    let inv = seen.lock().unwrap().take().unwrap();
    let a = inv.attachments();
    for key in FRAMEWORK_KEYS {
        assert!(a.get(key).is_none(), "{key} is hidden");
    }
    assert_eq!(a.get_str("trace-id"), Some("t-1"));
    assert_eq!(a.get_str("remote.application"), Some("shop"));
    assert_eq!(a.get_str("remote.address"), Some("10.0.0.9:5000"));
}

#[tokio::test]
async fn response_attachments_flow_back_through_both_chains() {
    let u = url("");
    let service = Arc::new(ServiceInvoker::new(
        u.clone(),
        service_fn(|_inv: Invocation| async {
            let mut r = RpcResult::new("ok");
            r.attachments.insert("server-time", "42");
            Ok(r)
        }),
    ));
    let provider = build_chain(&u, Side::Provider, service).unwrap();
    let consumer = build_chain(&u, Side::Consumer, provider).unwrap();
    let r = consumer.invoke(say_hello("a")).await.unwrap();
    assert_eq!(r.attachments.get_str("server-time"), Some("42"));
}
