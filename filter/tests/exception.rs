//! `exception`: unexpected errors from the service become business RuntimeExceptions;
//! business errors, gRPC statuses, NotFound and Destroyed pass through.

mod support;

use oxidubbo_filter::{Side, build_chain};
use oxidubbo_invoker::{Invocation, RpcError, Value};
use support::{recording_service, url};

async fn fail(kind: &str) -> RpcError {
    let (service, _) = recording_service(url(""));
    let chain = build_chain(&url(""), Side::Provider, service).unwrap();
    let call = Invocation::new("fail", "Ljava/lang/String;", vec![Value::from(kind)]);
    chain.invoke(call).await.unwrap_err()
}

#[tokio::test]
async fn an_unexpected_error_becomes_a_runtime_exception_with_its_message() {
    match fail("network").await {
        RpcError::Remote { class, message, .. } => {
            assert_eq!(class, "java.lang.RuntimeException");
            assert!(message.contains("downstream connection reset"), "{message}");
        }
        other => panic!("expected a business error, got {other:?}"),
    }
}

#[tokio::test]
async fn business_not_found_and_destroyed_errors_pass_through() {
    assert_eq!(fail("business").await, RpcError::business("no such user"));
    assert!(matches!(fail("notfound").await, RpcError::NotFound(_)));
    assert!(matches!(fail("destroyed").await, RpcError::Destroyed(_)));
}

#[tokio::test]
async fn a_grpc_status_from_the_service_passes_through_with_its_code() {
    // An IDL service's `Status` is its answer, as a business exception is an interface
    // service's: Triple sends its code and message as they are.
    assert_eq!(
        fail("status").await,
        RpcError::Grpc {
            code: 3,
            message: "bad name".into()
        }
    );
}

#[tokio::test]
async fn a_filters_own_refusal_is_not_mapped() {
    let u = url("token=t");
    let (service, _) = recording_service(u.clone());
    let chain = build_chain(&u, Side::Provider, service).unwrap();
    let call = Invocation::new("fail", "Ljava/lang/String;", vec![Value::from("network")]);
    assert!(matches!(
        chain.invoke(call).await,
        Err(RpcError::Forbidden(_))
    ));
}
