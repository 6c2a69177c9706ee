//! A provider chain (token + generic) and a consumer chain over real dubbo TCP on
//! 127.0.0.1.

mod support;

use std::sync::Arc;

use oxidubbo_filter::{Side, build_chain};
use oxidubbo_hessian2::List;
use oxidubbo_integration_tests::free_port;
use oxidubbo_invoker::{Invocation, RpcError, Url, Value};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{recording_service, say_hello};

fn greeter(port: u16, params: &str) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "dubbo://127.0.0.1:{port}/org.example.Greeter?version=1.0.0&timeout=3000{params}"
        ))
        .unwrap(),
    )
}

#[tokio::test]
async fn token_and_generic_work_across_the_wire() {
    let port = free_port();
    let protocol = DubboProtocol::new();
    let provider_url = greeter(port, "&application=greeter-provider&token=s3cret");
    let (service, seen) = recording_service(Arc::clone(&provider_url));
    let exported = build_chain(&provider_url, Side::Provider, service).unwrap();
    let _exporter = protocol.export(exported).await.unwrap();

    // A consumer that knows the token (as it would from the registered provider URL).
    let consumer_url = greeter(port, "&application=shop&token=s3cret");
    let remote = protocol.refer(Arc::clone(&consumer_url)).await.unwrap();
    let consumer = build_chain(&consumer_url, Side::Consumer, remote).unwrap();

    let r = consumer
        .invoke(say_hello("wire").with_attachment("trace-id", "t-9"))
        .await
        .unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, wire"));
    let inv = seen.lock().unwrap().take().unwrap();
    let a = inv.attachments();
    assert_eq!(a.get_str("remote.application"), Some("shop"));
    assert_eq!(a.get_str("trace-id"), Some("t-9"));
    assert!(a.get("token").is_none() && a.get("path").is_none(), "{a:?}");
    assert!(a.get_str("remote.address").is_some());

    // A generic call.
    let call = Invocation::new(
        "$invoke",
        "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;",
        vec![
            Value::from("sayHello"),
            Value::List(List::typed(
                "[string",
                vec![Value::from("java.lang.String")],
            )),
            Value::List(List::typed("[object", vec![Value::from("generic")])),
        ],
    )
    .with_attachment("generic", "true");
    let r = consumer.invoke(call).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, generic"));
    let inv = seen.lock().unwrap().take().unwrap();
    assert_eq!(
        (inv.method_name(), inv.parameter_types()),
        ("sayHello", "Ljava/lang/String;")
    );

    // $echo answers without the service.
    let echo = Invocation::new("$echo", "Ljava/lang/Object;", vec![Value::from("ping")]);
    assert_eq!(
        consumer.invoke(echo).await.unwrap().value.as_str(),
        Some("ping")
    );
    assert!(seen.lock().unwrap().is_none());

    // A consumer without the token is refused, with the provider's reason.
    let stranger_url = greeter(port, "&application=stranger");
    let remote = protocol.refer(Arc::clone(&stranger_url)).await.unwrap();
    let stranger = build_chain(&stranger_url, Side::Consumer, remote).unwrap();
    match stranger.invoke(say_hello("x")).await {
        Err(RpcError::Status { message, .. }) => {
            assert!(message.contains("invalid token"), "{message}");
            assert!(message.contains("org.example.Greeter:1.0.0"), "{message}");
        }
        other => panic!("expected the provider's refusal, got {other:?}"),
    }
    assert!(seen.lock().unwrap().is_none());

    consumer.destroy();
    stranger.destroy();
    protocol.destroy().await;
    assert!(protocol.counts().is_empty());
}
