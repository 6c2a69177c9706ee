//! Routing: version and group headers (exact, then Java's fallbacks), the method's first
//! letter in either case, context paths, unknown services and methods, one table per port.

mod triple_support;

use bytes::Bytes;
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invocation, RpcError};
use oxidubbo_protocol::triple::{frame, wrapper};
use oxidubbo_protocol::{Protocol, TripleProtocol};
use triple_support::*;

fn hello(name: &str) -> Bytes {
    frame::encode(
        &wrapper::encode_request("hessian2", "Ljava/lang/String;", &[Value::from(name)]).unwrap(),
    )
}

fn answer(raw: &RawAnswer) -> Value {
    assert_eq!(raw.grpc_status(), Some(0), "{}", raw.grpc_message());
    wrapper::decode_response(&raw.body[5..]).unwrap()
}

/// Two versions of the greeter (answering with their version) and a grouped one.
async fn versions() -> (TripleProtocol, u16) {
    let protocol = TripleProtocol::new();
    let port = free_port();
    for (params, tag) in [
        ("&version=1.0.0", "v1"),
        ("&version=2.0.0", "v2"),
        ("&version=2.0.0&group=g", "g2"),
    ] {
        let url = greeter_url(port, params);
        let url = std::sync::Arc::new(
            url.with_param("version", if tag == "v1" { "1.0.0" } else { "2.0.0" }),
        );
        let tag = tag.to_owned();
        let service = oxidubbo_invoker::service_fn(move |_inv: Invocation| {
            let tag = tag.clone();
            async move { Ok(oxidubbo_invoker::RpcResult::new(tag)) }
        });
        protocol
            .export(std::sync::Arc::new(oxidubbo_invoker::ServiceInvoker::new(
                url, service,
            )))
            .await
            .unwrap();
    }
    (protocol, port)
}

#[tokio::test]
async fn version_and_group_select_the_service_exactly_then_fall_back() {
    let (protocol, port) = versions().await;
    let path = format!("/{GREETER}/sayHello");
    let call = |h: &'static [(&'static str, &'static str)]| grpc_call(port, &path, h, hello("x"));
    assert_eq!(
        answer(&call(&[("tri-service-version", "1.0.0")]).await),
        Value::from("v1")
    );
    assert_eq!(
        answer(&call(&[("tri-service-version", "2.0.0")]).await),
        Value::from("v2")
    );
    assert_eq!(
        answer(&call(&[("tri-service-version", "2.0.0"), ("tri-service-group", "g")]).await),
        Value::from("g2")
    );
    // Java's fallback: an unknown version reaches 1.0.0 of the same group …
    assert_eq!(
        answer(&call(&[("tri-service-version", "9.9.9")]).await),
        Value::from("v1")
    );
    // … and no version at all (an empty header is no header) too.
    assert_eq!(
        answer(&call(&[("tri-service-version", ""), ("tri-service-group", "")]).await),
        Value::from("v1")
    );
    // An unknown group falls back to a service of the interface.
    let other = answer(&call(&[("tri-service-group", "nope")]).await);
    assert!(["v1", "v2", "g2"].contains(&other.as_str().unwrap()));
    protocol.destroy().await;
}

#[tokio::test]
async fn unknown_services_are_unimplemented_and_methods_resolve_in_either_case() {
    let protocol = TripleProtocol::new();
    let port = free_port();
    protocol
        .export(greeter(greeter_url(port, "&methods=sayHello,echo")))
        .await
        .unwrap();
    let raw = grpc_call(port, "/com.example.Nope/sayHello", &[], hello("x")).await;
    assert_eq!(raw.grpc_status(), Some(12));
    assert_eq!(
        raw.headers.get("content-type").unwrap(),
        "application/grpc",
        "Trailers-Only with content-type"
    );
    assert!(raw.trailers.is_none() && raw.body.is_empty());
    let raw = grpc_call(port, &format!("/{GREETER}/nope"), &[], hello("x")).await;
    assert_eq!(raw.grpc_status(), Some(12));
    // `SayHello` reaches `sayHello` (§1), and a context path is skipped.
    for path in [
        format!("/{GREETER}/SayHello"),
        format!("/ctx/app/{GREETER}/sayHello"),
    ] {
        let raw = grpc_call(port, &path, &[], hello("case")).await;
        assert_eq!(answer(&raw), Value::from("Hello, case"), "{path}");
    }
    // Through the client: UNIMPLEMENTED is NotFound.
    let invoker = protocol.refer(greeter_url(port, "")).await.unwrap();
    let err = invoker
        .invoke(Invocation::new("nope", "", vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, RpcError::NotFound(_)), "{err:?}");
    protocol.destroy().await;
}

#[tokio::test]
async fn a_service_exported_on_one_port_does_not_answer_on_another() {
    let protocol = TripleProtocol::new();
    let (a, b) = (free_port(), free_port());
    protocol.export(greeter(greeter_url(a, ""))).await.unwrap();
    protocol.export(echo(echo_url(b))).await.unwrap();
    assert_eq!(protocol.counts().servers, 2);
    let raw = grpc_call(b, &format!("/{GREETER}/sayHello"), &[], hello("x")).await;
    assert_eq!(
        raw.grpc_status(),
        Some(12),
        "the greeter is not exported on {b}"
    );
    let raw = grpc_call(a, &format!("/{GREETER}/sayHello"), &[], hello("x")).await;
    assert_eq!(answer(&raw), Value::from("Hello, x"));
    protocol.destroy().await;
}
