//! The provider adapter driven as the Triple server drives it (the contract of
//! `oxidubbo_protocol::triple::call`): no arguments and an `IdlCall::served` request
//! stream; one answer as a `Binary` result, a stream left in the call; method names with
//! the first letter's case changed found; malformed calls refused with a status, never a
//! panic.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use oxidubbo::triple::{BoxStream, PayloadFormat, Request, Response, Status, Streaming};
use oxidubbo::{Invocation, RpcError, RpcResult, Service, Value};
use oxidubbo_examples::greet::*;
use oxidubbo_protocol::triple::call::IdlCall;

fn provider() -> GreetServiceProvider<HelloGreetService> {
    GreetServiceProvider::new(Arc::new(HelloGreetService))
}

/// An invocation as the Triple server makes it: `messages` as the served request stream.
fn served(
    method: &'static str,
    messages: Vec<Result<Bytes, RpcError>>,
) -> (Invocation, Arc<IdlCall>) {
    let call = Arc::new(IdlCall::served(
        PayloadFormat::Protobuf,
        Box::pin(stream::iter(messages)),
    ));
    let mut invocation = Invocation::new(method, "", vec![]);
    invocation.attributes_mut().insert_arc(Arc::clone(&call));
    (invocation, call)
}

fn message(name: &str) -> Result<Bytes, RpcError> {
    Ok(Bytes::from(prost::Message::encode_to_vec(&GreetRequest {
        name: name.into(),
    })))
}

fn greeting(bytes: &[u8]) -> String {
    <GreetResponse as prost::Message>::decode(bytes)
        .unwrap()
        .greeting
}

fn one(result: RpcResult) -> String {
    match result.value {
        Value::Binary(bytes) => greeting(&bytes),
        other => panic!("not one message: {other:?}"),
    }
}

async fn streamed(result: RpcResult, call: &IdlCall) -> Vec<String> {
    assert_eq!(result.value, Value::Null);
    call.take_responses()
        .expect("a stream left in the call")
        .map(|m| greeting(&m.unwrap()))
        .collect()
        .await
}

#[tokio::test]
async fn each_kind_is_served_from_the_request_stream() {
    let (invocation, _) = served("Greet", vec![message("u")]);
    assert_eq!(one(provider().call(invocation).await.unwrap()), "Hello, u");

    let (invocation, call) = served("GreetServerStream", vec![message("s")]);
    let result = provider().call(invocation).await.unwrap();
    assert_eq!(
        streamed(result, &call).await,
        ["Hello, s #1", "Hello, s #2", "Hello, s #3"]
    );

    let (invocation, _) = served("GreetClientStream", vec![message("a"), message("b")]);
    assert_eq!(one(provider().call(invocation).await.unwrap()), "a,b");

    let (invocation, call) = served("GreetStream", vec![message("x"), message("y")]);
    let result = provider().call(invocation).await.unwrap();
    assert_eq!(streamed(result, &call).await, ["Hello, x", "Hello, y"]);
}

#[tokio::test]
async fn a_unary_call_reads_its_first_message_only() {
    // dubbo-python ends every request stream with an empty message.
    let (invocation, _) = served("Greet", vec![message("first"), Ok(Bytes::new())]);
    assert_eq!(
        one(provider().call(invocation).await.unwrap()),
        "Hello, first"
    );
}

#[tokio::test]
async fn binary_arguments_are_the_request_messages() {
    let arguments = |names: &[&str]| {
        names
            .iter()
            .map(|n| Value::Binary(message(n).unwrap().to_vec()))
            .collect::<Vec<_>>()
    };
    let invocation = Invocation::new("Greet", "", arguments(&["arg"]));
    assert_eq!(
        one(provider().call(invocation).await.unwrap()),
        "Hello, arg"
    );
    let invocation = Invocation::new("GreetClientStream", "", arguments(&["p", "q", "r"]));
    assert_eq!(one(provider().call(invocation).await.unwrap()), "p,q,r");
}

#[tokio::test]
async fn method_names_are_found_with_either_first_letter_case() {
    for name in ["greet", "Greet"] {
        let (invocation, _) = served(name, vec![message("c")]);
        assert_eq!(one(provider().call(invocation).await.unwrap()), "Hello, c");
    }
    let (invocation, call) = served("greetServerStream", vec![message("c")]);
    let result = provider().call(invocation).await.unwrap();
    assert_eq!(streamed(result, &call).await.len(), 3);

    for unknown in ["Gree", "GREET", "greet.GreetService/Greet", ""] {
        let (invocation, _) = served(unknown, vec![message("c")]);
        let err = provider().call(invocation).await.unwrap_err();
        assert!(matches!(err, RpcError::NotFound(_)), "{err}");
        assert_eq!(err.grpc_code(), 12, "UNIMPLEMENTED: {err}");
    }
}

#[tokio::test]
async fn malformed_calls_are_refused_with_a_status() {
    // No request message at all.
    let (invocation, _) = served("Greet", vec![]);
    let err = provider().call(invocation).await.unwrap_err();
    assert_eq!(err.grpc_code(), 3, "{err}");
    assert!(err.to_string().contains("missing request message"), "{err}");

    // Bytes that are no GreetRequest.
    let (invocation, _) = served("Greet", vec![Ok(Bytes::from_static(b"\x0a\xff"))]);
    let err = provider().call(invocation).await.unwrap_err();
    assert_eq!(err.grpc_code(), 3, "{err}");

    // The request stream failed (the peer reset it, a frame over the limit, …).
    let failed = Err(RpcError::Grpc {
        code: 8,
        message: "message over the limit".into(),
    });
    let (invocation, _) = served("GreetServerStream", vec![failed]);
    let err = provider().call(invocation).await.unwrap_err();
    assert_eq!(
        err,
        RpcError::Grpc {
            code: 8,
            message: "message over the limit".into()
        }
    );

    // An argument that is not an encoded message.
    let invocation = Invocation::new("Greet", "", vec![Value::from("hessian string")]);
    let err = provider().call(invocation).await.unwrap_err();
    assert_eq!(err.grpc_code(), 13, "{err}");

    // Neither arguments nor an IdlCall.
    let err = provider()
        .call(Invocation::new("GreetClientStream", "", vec![]))
        .await
        .unwrap_err();
    assert_eq!(err.grpc_code(), 13, "{err}");

    // A stream cannot be answered without an IdlCall to leave it in.
    let invocation = Invocation::new(
        "GreetServerStream",
        "",
        vec![Value::Binary(message("x").unwrap().to_vec())],
    );
    let err = provider().call(invocation).await.unwrap_err();
    assert_eq!(err.grpc_code(), 13, "{err}");
    assert!(err.to_string().contains("IdlCall"), "{err}");
}

/// Refuses every call with ALREADY_EXISTS "dup".
struct Duplicate;

fn dup<T>() -> Result<T, Status> {
    Err(Status::already_exists("dup"))
}

#[oxidubbo::async_trait]
impl GreetService for Duplicate {
    async fn greet(&self, _: Request<GreetRequest>) -> Result<Response<GreetResponse>, Status> {
        dup()
    }
    async fn greet_stream(
        &self,
        _: Request<Streaming<GreetStreamRequest>>,
    ) -> Result<Response<BoxStream<GreetStreamResponse>>, Status> {
        dup()
    }
    async fn greet_client_stream(
        &self,
        _: Request<Streaming<GreetClientStreamRequest>>,
    ) -> Result<Response<GreetClientStreamResponse>, Status> {
        dup()
    }
    async fn greet_server_stream(
        &self,
        _: Request<GreetServerStreamRequest>,
    ) -> Result<Response<BoxStream<GreetServerStreamResponse>>, Status> {
        dup()
    }
}

#[tokio::test]
async fn a_status_from_service_code_is_a_grpc_error() {
    let provider = GreetServiceProvider::new(Arc::new(Duplicate));
    for method in [
        "Greet",
        "GreetStream",
        "GreetClientStream",
        "GreetServerStream",
    ] {
        let (invocation, call) = served(method, vec![message("d")]);
        let err = provider.call(invocation).await.unwrap_err();
        assert_eq!(
            err,
            RpcError::Grpc {
                code: 6,
                message: "dup".into()
            },
            "{method}"
        );
        assert!(call.take_responses().is_none(), "{method}: no stream left");
    }
}
