//! Calls in the protobuf JSON format: a client set to JSON sends JSON messages, and the
//! provider answers in the format of the request (as it will for `curl` and
//! `application/grpc+json` over Triple).

use std::sync::Arc;

use futures_util::{StreamExt, stream};
use oxidubbo::triple::PayloadFormat;
use oxidubbo::{Invocation, Value};
use oxidubbo_examples::greet::*;
use oxidubbo_idl_tests::in_process;
use oxidubbo_protocol::triple::call::{CallKind, IdlCall};

#[tokio::test]
async fn a_json_client_makes_every_kind_of_call() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;
    let client = served.client.clone().with_format(PayloadFormat::Json);

    let reply = client
        .greet(GreetRequest {
            name: "json".into(),
        })
        .await
        .unwrap();
    assert_eq!(reply.into_inner().greeting, "Hello, json");

    let greetings: Vec<String> = client
        .greet_server_stream(GreetServerStreamRequest { name: "j".into() })
        .await
        .unwrap()
        .into_inner()
        .map(|r| r.unwrap().greeting)
        .collect()
        .await;
    assert_eq!(greetings, ["Hello, j #1", "Hello, j #2", "Hello, j #3"]);

    let names = ["x", "y"].map(|n| GreetClientStreamRequest { name: n.into() });
    let reply = client
        .greet_client_stream(stream::iter(names))
        .await
        .unwrap();
    assert_eq!(reply.into_inner().greeting, "x,y");

    let names = ["p", "q"].map(|n| GreetStreamRequest { name: n.into() });
    let greetings: Vec<String> = client
        .greet_stream(stream::iter(names))
        .await
        .unwrap()
        .into_inner()
        .map(|r| r.unwrap().greeting)
        .collect()
        .await;
    assert_eq!(greetings, ["Hello, p", "Hello, q"]);
}

#[tokio::test]
async fn the_provider_answers_in_the_requests_format() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;

    let json = Invocation::new(
        "Greet",
        "",
        vec![Value::Binary(br#"{"name":"curl"}"#.to_vec())],
    )
    .with_attribute(IdlCall::unary(PayloadFormat::Json));
    let result = served.invoker.invoke(json).await.unwrap();
    assert_eq!(
        result.value,
        Value::Binary(br#"{"greeting":"Hello, curl"}"#.to_vec())
    );

    let binary = Invocation::new("Greet", "", vec![Value::Binary(b"\x0a\x04grpc".to_vec())])
        .with_attribute(IdlCall::unary(PayloadFormat::Protobuf));
    let result = served.invoker.invoke(binary).await.unwrap();
    assert_eq!(result.value, Value::Binary(b"\x0a\x0bHello, grpc".to_vec()));

    let requests = stream::iter([Ok(bytes::Bytes::from_static(br#"{"name":"s"}"#))]);
    let call = Arc::new(IdlCall::streaming(
        CallKind::ServerStream,
        PayloadFormat::Json,
        Box::pin(requests),
    ));
    let mut invocation = Invocation::new("GreetServerStream", "", vec![]);
    invocation.attributes_mut().insert_arc(Arc::clone(&call));
    let result = served.invoker.invoke(invocation).await.unwrap();
    assert_eq!(
        result.value,
        Value::Null,
        "a stream is answered in the call"
    );
    let responses: Vec<_> = call
        .take_responses()
        .unwrap()
        .map(|m| String::from_utf8(m.unwrap().to_vec()).unwrap())
        .collect()
        .await;
    assert_eq!(
        responses,
        [
            r#"{"greeting":"Hello, s #1"}"#,
            r#"{"greeting":"Hello, s #2"}"#,
            r#"{"greeting":"Hello, s #3"}"#
        ]
    );
}

#[tokio::test]
async fn a_json_request_that_does_not_parse_is_an_invalid_argument() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;
    for bad in [&br#"{"name": 1}"#[..], b"{", br#"{"nom":"x"}"#] {
        let invocation = Invocation::new("Greet", "", vec![Value::Binary(bad.to_vec())])
            .with_attribute(IdlCall::unary(PayloadFormat::Json));
        let err = served.invoker.invoke(invocation).await.unwrap_err();
        assert_eq!(err.grpc_code(), 3, "{err}");
        assert!(err.to_string().contains("greet.GreetRequest"), "{err}");
    }
}
