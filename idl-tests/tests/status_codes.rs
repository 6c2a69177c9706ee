//! A status returned by service code reaches the caller with its code and message, in
//! every call kind, before or in the middle of a stream; errors of the framework reach it
//! with the gRPC code Dubbo maps them to.

use std::sync::Arc;

use futures_util::stream;
use oxidubbo::triple::{BoxStream, Code, Request, Response, Status, Streaming};
use oxidubbo::{InjvmProtocol, Protocol, Url};
use oxidubbo_examples::greet::*;
use oxidubbo_idl_tests::in_process;

/// Refuses with the code its request names (a number), after `GOOD` messages on streams.
struct Refusing;

const GOOD: usize = 2;

fn refusal(name: &str) -> Status {
    let code = Code::from_u32(name.parse().unwrap_or(2));
    Status::new(
        code,
        format!("refused {name}: ünïcode, \"quotes\"\nand a newline"),
    )
}

#[oxidubbo::async_trait]
impl GreetService for Refusing {
    async fn greet(
        &self,
        request: Request<GreetRequest>,
    ) -> Result<Response<GreetResponse>, Status> {
        Err(refusal(&request.into_inner().name))
    }

    async fn greet_stream(
        &self,
        request: Request<Streaming<GreetStreamRequest>>,
    ) -> Result<Response<BoxStream<GreetStreamResponse>>, Status> {
        let mut requests = request.into_inner();
        let first = requests.message().await?.unwrap_or_default();
        let mut out: Vec<Result<GreetStreamResponse, Status>> = (0..GOOD)
            .map(|i| {
                Ok(GreetStreamResponse {
                    greeting: i.to_string(),
                })
            })
            .collect();
        out.push(Err(refusal(&first.name)));
        out.push(Ok(GreetStreamResponse {
            greeting: "never".into(),
        }));
        Ok(Response::new(Box::pin(stream::iter(out))))
    }

    async fn greet_client_stream(
        &self,
        request: Request<Streaming<GreetClientStreamRequest>>,
    ) -> Result<Response<GreetClientStreamResponse>, Status> {
        let mut requests = request.into_inner();
        let mut last = String::new();
        while let Some(r) = requests.message().await? {
            last = r.name;
        }
        Err(refusal(&last))
    }

    async fn greet_server_stream(
        &self,
        request: Request<GreetServerStreamRequest>,
    ) -> Result<Response<BoxStream<GreetServerStreamResponse>>, Status> {
        let name = request.into_inner().name;
        if let Some(code) = name.strip_prefix("early ") {
            return Err(refusal(code));
        }
        let mut out: Vec<Result<GreetServerStreamResponse, Status>> = (0..GOOD)
            .map(|i| {
                Ok(GreetServerStreamResponse {
                    greeting: i.to_string(),
                })
            })
            .collect();
        out.push(Err(refusal(&name)));
        Ok(Response::new(Box::pin(stream::iter(out))))
    }
}

fn assert_refused(status: &Status, n: u32) {
    assert_eq!(status.code(), Code::from_u32(n), "{status}");
    assert_eq!(status.code().as_u32(), n, "{status}");
    assert_eq!(
        status.message(),
        format!("refused {n}: ünïcode, \"quotes\"\nand a newline")
    );
}

#[tokio::test]
async fn every_code_survives_a_unary_call() {
    let served = in_process::<dyn GreetService>(Arc::new(Refusing)).await;
    for n in 1..=16 {
        let status = served
            .client
            .greet(GreetRequest {
                name: n.to_string(),
            })
            .await
            .unwrap_err();
        assert_refused(&status, n);
    }
}

#[tokio::test]
async fn a_server_stream_fails_before_or_after_its_messages() {
    let served = in_process::<dyn GreetService>(Arc::new(Refusing)).await;
    let early = served
        .client
        .greet_server_stream(GreetServerStreamRequest {
            name: "early 7".into(),
        })
        .await
        .unwrap_err();
    assert_refused(&early, 7);

    let mut late = served
        .client
        .greet_server_stream(GreetServerStreamRequest { name: "8".into() })
        .await
        .unwrap()
        .into_inner();
    for i in 0..GOOD {
        assert_eq!(
            late.message().await.unwrap().unwrap().greeting,
            i.to_string()
        );
    }
    assert_refused(&late.message().await.unwrap_err(), 8);
    assert_eq!(
        late.message().await.unwrap(),
        None,
        "the error ends the stream"
    );
}

#[tokio::test]
async fn a_client_stream_fails_with_its_status() {
    let served = in_process::<dyn GreetService>(Arc::new(Refusing)).await;
    let names = ["x", "9"].map(|n| GreetClientStreamRequest { name: n.into() });
    let status = served
        .client
        .greet_client_stream(stream::iter(names))
        .await
        .unwrap_err();
    assert_refused(&status, 9);
}

#[tokio::test]
async fn a_bidi_stream_fails_after_its_messages_and_ends() {
    let served = in_process::<dyn GreetService>(Arc::new(Refusing)).await;
    let requests = [GreetStreamRequest { name: "10".into() }];
    let mut responses = served
        .client
        .greet_stream(stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    for i in 0..GOOD {
        assert_eq!(
            responses.message().await.unwrap().unwrap().greeting,
            i.to_string()
        );
    }
    assert_refused(&responses.message().await.unwrap_err(), 10);
    assert_eq!(
        responses.message().await.unwrap(),
        None,
        "\"never\" is not sent"
    );
}

#[tokio::test]
async fn framework_errors_take_dubbos_grpc_codes() {
    let served = in_process::<dyn GreetService>(Arc::new(Refusing)).await;
    // Nothing is exported at this URL: the provider is not found (UNIMPLEMENTED).
    let protocol = InjvmProtocol::new();
    let url =
        Url::parse("injvm://127.0.0.1/greet.GreetService?interface=greet.GreetService").unwrap();
    let client = oxidubbo_examples::greet::GreetServiceClient::new(
        protocol.refer(Arc::new(url)).await.unwrap(),
    );
    let status = client.greet(GreetRequest::default()).await.unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented, "{status}");

    // A destroyed protocol's invokers refuse calls (UNAVAILABLE).
    served.protocol.destroy().await;
    let status = served
        .client
        .greet(GreetRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status}");
}
