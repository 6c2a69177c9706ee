//! Rust ↔ Rust unary calls of an interface-style service over Triple (wrapper mode).

mod triple_support;

use oxidubbo_hessian2::{Map, Value};
use oxidubbo_invoker::{Invocation, RpcError};
use oxidubbo_protocol::Protocol;
use triple_support::*;

#[tokio::test]
async fn say_hello_and_echo_travel_as_hessian_in_wrappers() {
    let (protocol, port, _exporter) = greeter_server().await;
    let invoker = protocol.refer(greeter_url(port, "")).await.unwrap();
    assert!(invoker.is_available());
    let r = invoker.invoke(say_hello("world")).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, world"));

    let map = Value::Map(Map::untyped(vec![("k".into(), Value::Long(7))]));
    for value in [
        Value::Null,
        Value::Int(-3),
        Value::from("é\n"),
        Value::Binary(vec![0, 255]),
        map,
    ] {
        let inv = Invocation::new("echo", "Ljava/lang/Object;", vec![value.clone()]);
        assert_eq!(invoker.invoke(inv).await.unwrap().value, value);
    }
    assert_eq!(protocol.counts().connections, 1);
    protocol.destroy().await;
}

#[tokio::test]
async fn business_exceptions_come_back_typed_as_java_sends_them() {
    let (protocol, port, _exporter) = greeter_server().await;
    // The raw answer: the exception as the message, tri-exception-code 3, status OK.
    let call = oxidubbo_protocol::triple::wrapper::encode_request(
        "hessian4",
        "Ljava/lang/String;",
        &[Value::from("x")],
    )
    .unwrap();
    let raw = grpc_call(
        port,
        &format!("/{GREETER}/fail"),
        &[("tri-service-version", "1.0.0")],
        oxidubbo_protocol::triple::frame::encode(&call),
    )
    .await;
    assert_eq!(raw.headers.get("tri-exception-code").unwrap(), "3");
    assert_eq!(raw.grpc_status(), Some(0));
    assert!(raw.body.len() > 5);

    let invoker = protocol.refer(greeter_url(port, "")).await.unwrap();
    let err = invoker
        .invoke(Invocation::new(
            "fail",
            "Ljava/lang/String;",
            vec![Value::from("boom")],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RpcError::remote("java.lang.RuntimeException", "failed: boom")
    );
    protocol.destroy().await;
}
