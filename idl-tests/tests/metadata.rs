//! Metadata: a request's metadata reaches the service as the invocation's attachments,
//! and a response's metadata comes back as the result's, for one message and for
//! streams.

use std::sync::Arc;

use futures_util::stream;
use oxidubbo::Attachments;
use oxidubbo::triple::{BoxStream, Request, Response, Status, Streaming};
use oxidubbo_examples::greet::*;
use oxidubbo_idl_tests::in_process;

/// Greets with the request's `who` attachment and answers it as `seen`.
struct Echoing;

fn echo(metadata: &Attachments) -> (Attachments, String) {
    let who = metadata.get_str("who").unwrap_or("nobody").to_owned();
    let mut out = Attachments::new();
    out.insert("seen", who.clone());
    (out, who)
}

#[oxidubbo::async_trait]
impl GreetService for Echoing {
    async fn greet(
        &self,
        request: Request<GreetRequest>,
    ) -> Result<Response<GreetResponse>, Status> {
        let (metadata, greeting) = echo(request.metadata());
        Ok(Response::from_parts(metadata, GreetResponse { greeting }))
    }

    async fn greet_stream(
        &self,
        request: Request<Streaming<GreetStreamRequest>>,
    ) -> Result<Response<BoxStream<GreetStreamResponse>>, Status> {
        let (metadata, greeting) = echo(request.metadata());
        let out = stream::iter([Ok(GreetStreamResponse { greeting })]);
        Ok(Response::from_parts(metadata, Box::pin(out)))
    }

    async fn greet_client_stream(
        &self,
        request: Request<Streaming<GreetClientStreamRequest>>,
    ) -> Result<Response<GreetClientStreamResponse>, Status> {
        let (metadata, greeting) = echo(request.metadata());
        Ok(Response::from_parts(
            metadata,
            GreetClientStreamResponse { greeting },
        ))
    }

    async fn greet_server_stream(
        &self,
        request: Request<GreetServerStreamRequest>,
    ) -> Result<Response<BoxStream<GreetServerStreamResponse>>, Status> {
        let (metadata, greeting) = echo(request.metadata());
        let out = stream::iter([Ok(GreetServerStreamResponse { greeting })]);
        Ok(Response::from_parts(metadata, Box::pin(out)))
    }
}

fn with_who<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("who", "alice");
    request
}

#[tokio::test]
async fn unary_metadata_goes_both_ways() {
    let served = in_process::<dyn GreetService>(Arc::new(Echoing)).await;
    let reply = served
        .client
        .greet(with_who(GreetRequest::default()))
        .await
        .unwrap();
    assert_eq!(reply.metadata().get_str("seen"), Some("alice"));
    assert_eq!(reply.into_inner().greeting, "alice");

    let bare = served.client.greet(GreetRequest::default()).await.unwrap();
    assert_eq!(
        bare.into_inner().greeting,
        "nobody",
        "no metadata, none seen"
    );
}

#[tokio::test]
async fn streaming_metadata_goes_both_ways() {
    let served = in_process::<dyn GreetService>(Arc::new(Echoing)).await;
    let client = &served.client;

    let reply = client
        .greet_server_stream(with_who(GreetServerStreamRequest::default()))
        .await
        .unwrap();
    assert_eq!(reply.metadata().get_str("seen"), Some("alice"));
    let mut messages = reply.into_inner();
    assert_eq!(messages.message().await.unwrap().unwrap().greeting, "alice");

    let requests = stream::iter([GreetClientStreamRequest::default()]);
    let reply = client
        .greet_client_stream(with_who(requests))
        .await
        .unwrap();
    assert_eq!(reply.metadata().get_str("seen"), Some("alice"));
    assert_eq!(reply.into_inner().greeting, "alice");

    let requests = stream::iter([GreetStreamRequest::default()]);
    let reply = client.greet_stream(with_who(requests)).await.unwrap();
    assert_eq!(reply.metadata().get_str("seen"), Some("alice"));
    let mut messages = reply.into_inner();
    assert_eq!(messages.message().await.unwrap().unwrap().greeting, "alice");
}
