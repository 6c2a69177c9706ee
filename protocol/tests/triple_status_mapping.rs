//! Status mapping both ways: service errors become gRPC statuses (`grpc_code`), and the
//! client turns them back into the errors failover understands (`from_grpc`).

mod triple_support;

use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invocation, RpcError};
use oxidubbo_protocol::Protocol;
use triple_support::*;

fn status(code: i64) -> Invocation {
    Invocation::new("status", "J", vec![Value::Long(code)])
}

#[tokio::test]
async fn grpc_statuses_come_back_as_rpc_errors() {
    let (protocol, port, _exporter) = greeter_server().await;
    let invoker = protocol.refer(greeter_url(port, "")).await.unwrap();
    let message = |code| format!("status {code} requested\nsecond line");
    assert_eq!(
        invoker.invoke(status(8)).await.unwrap_err(),
        RpcError::Grpc {
            code: 8,
            message: message(8)
        },
        "the message survives its newline (percent-encoded)"
    );
    assert!(matches!(
        invoker.invoke(status(4)).await.unwrap_err(),
        RpcError::Timeout { .. }
    ));
    assert_eq!(
        invoker.invoke(status(7)).await.unwrap_err(),
        RpcError::Forbidden(message(7))
    );
    assert_eq!(
        invoker.invoke(status(14)).await.unwrap_err(),
        RpcError::Network(message(14))
    );
    assert_eq!(
        invoker.invoke(status(12)).await.unwrap_err(),
        RpcError::NotFound(message(12))
    );
    // A framework error keeps Java's mapping: a missing method is UNIMPLEMENTED → NotFound.
    assert!(matches!(
        invoker
            .invoke(Invocation::new("missing", "", vec![]))
            .await
            .unwrap_err(),
        RpcError::NotFound(_)
    ));
    protocol.destroy().await;
}

#[tokio::test]
async fn the_wire_carries_the_code_and_an_escaped_message() {
    let (protocol, port, _exporter) = greeter_server().await;
    let body = oxidubbo_protocol::triple::frame::encode(
        &oxidubbo_protocol::triple::wrapper::encode_request("hessian2", "J", &[Value::Long(9)])
            .unwrap(),
    );
    let raw = grpc_call(port, &format!("/{GREETER}/status"), &[], body).await;
    assert_eq!(raw.grpc_status(), Some(9));
    assert_eq!(raw.grpc_message(), "status 9 requested%0Asecond line");
    protocol.destroy().await;
}
