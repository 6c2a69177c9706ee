//! Timeouts: the client's is sent as `grpc-timeout` and enforced; the server's deadline
//! reaches the invoker (as the `timeout` attachment) and bounds the call.

mod triple_support;

use std::time::{Duration, Instant};

use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invocation, RpcError};
use oxidubbo_protocol::Protocol;
use oxidubbo_protocol::triple::{frame, wrapper};
use triple_support::*;

fn sleep(ms: i64) -> Invocation {
    Invocation::new("sleep", "J", vec![Value::Long(ms)])
}

#[tokio::test]
async fn a_slow_call_times_out_on_the_client_and_the_connection_goes_on() {
    let (protocol, port, _exporter) = greeter_server().await;
    let invoker = protocol
        .refer(greeter_url(port, "&timeout=200"))
        .await
        .unwrap();
    let started = Instant::now();
    let err = invoker.invoke(sleep(5_000)).await.unwrap_err();
    assert!(matches!(err, RpcError::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "bounded by the call's timeout"
    );
    assert_eq!(
        invoker.invoke(sleep(1)).await.unwrap().value,
        Value::Long(1)
    );
    protocol.destroy().await;
}

#[tokio::test]
async fn the_servers_deadline_reaches_the_invoker_and_bounds_the_call() {
    let (protocol, port, _exporter) = greeter_server().await;
    let path = format!("/{GREETER}/attachment");
    let body = frame::encode(
        &wrapper::encode_request("hessian2", "Ljava/lang/String;", &[Value::from("timeout")])
            .unwrap(),
    );
    let raw = grpc_call(port, &path, &[("grpc-timeout", "2S")], body).await;
    assert_eq!(raw.grpc_status(), Some(0));
    assert_eq!(
        wrapper::decode_response(&raw.body[5..]).unwrap(),
        Value::from("2000")
    );

    let body =
        frame::encode(&wrapper::encode_request("hessian2", "J", &[Value::Long(5_000)]).unwrap());
    let started = Instant::now();
    let raw = grpc_call(
        port,
        &format!("/{GREETER}/sleep"),
        &[("grpc-timeout", "150000u")],
        body,
    )
    .await;
    assert_eq!(
        raw.grpc_status(),
        Some(4),
        "DEADLINE_EXCEEDED: {}",
        raw.grpc_message()
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    protocol.destroy().await;
}
