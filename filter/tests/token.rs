//! `token`: the provider refuses a wrong or missing token; the consumer attaches its own.

mod support;

use oxidubbo_filter::{Side, build_chain};
use oxidubbo_invoker::RpcError;
use support::{recording_service, say_hello, url};

fn provider() -> std::sync::Arc<dyn oxidubbo_invoker::Invoker> {
    let u = url("token=s3cret");
    let (service, _) = recording_service(u.clone());
    build_chain(&u, Side::Provider, service).unwrap()
}

fn assert_forbidden(result: Result<oxidubbo_invoker::RpcResult, RpcError>, problem: &str) {
    match result {
        Err(RpcError::Forbidden(msg)) => {
            assert!(
                msg.contains("org.example.Greeter:1.0.0"),
                "names the service: {msg}"
            );
            assert!(msg.contains("sayHello"), "names the method: {msg}");
            assert!(msg.contains(problem), "{msg}");
            assert!(!msg.contains("s3cret"), "never echoes the token: {msg}");
        }
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_token_is_refused() {
    assert_forbidden(provider().invoke(say_hello("a")).await, "no token");
}

#[tokio::test]
async fn a_wrong_token_is_refused() {
    let call = say_hello("a").with_attachment("token", "guess");
    assert_forbidden(provider().invoke(call).await, "a wrong token");
}

#[tokio::test]
async fn the_right_token_passes() {
    let call = say_hello("a").with_attachment("token", "s3cret");
    assert_eq!(
        provider().invoke(call).await.unwrap().value.as_str(),
        Some("Hello, a")
    );
}

#[tokio::test]
async fn without_a_token_on_the_url_nothing_is_checked() {
    for params in ["", "token=false", "token="] {
        let u = url(params);
        let (service, _) = recording_service(u.clone());
        let chain = build_chain(&u, Side::Provider, service).unwrap();
        assert!(chain.invoke(say_hello("a")).await.is_ok(), "{params}");
    }
}

#[tokio::test]
async fn the_consumer_attaches_the_token_of_its_url() {
    let u = url("token=s3cret");
    let (service, seen) = recording_service(u.clone());
    let consumer = build_chain(&u, Side::Consumer, service).unwrap();
    consumer.invoke(say_hello("a")).await.unwrap();
    let inv = seen.lock().unwrap().take().unwrap();
    assert_eq!(inv.attachments().get_str("token"), Some("s3cret"));
}
