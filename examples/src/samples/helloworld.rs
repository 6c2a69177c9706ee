//! dubbo-go-samples' `helloworld`: a Triple server of `greet.GreetService` on port 20000
//! whose `Greet` answers the name it was sent, and a client calling it directly at
//! `tri://127.0.0.1:20000` with the name `hello world` and a one-second timeout.

use std::sync::Arc;

use oxidubbo::config::{ProtocolConfig, ReferenceConfig};
use oxidubbo::triple::{BoxStream, Request, Response, Status, Streaming};
use oxidubbo::{Bootstrap, Running};

use crate::greet::{
    GreetClientStreamRequest, GreetClientStreamResponse, GreetRequest, GreetResponse,
    GreetServerStreamRequest, GreetServerStreamResponse, GreetService, GreetStreamRequest,
    GreetStreamResponse,
};

/// The samples' port.
pub const PORT: u16 = 20000;
/// The name the client sends.
pub const NAME: &str = "hello world";

/// The sample's `GreetService`: `Greet` answers the request's name as the greeting (the
/// sample's proto has only `Greet`; the other rpcs of `examples/proto/greet.proto` answer
/// UNIMPLEMENTED, as a Go server of that proto would).
#[derive(Debug, Default, Clone)]
pub struct GreetTripleServer;

#[oxidubbo::async_trait]
impl GreetService for GreetTripleServer {
    async fn greet(
        &self,
        request: Request<GreetRequest>,
    ) -> Result<Response<GreetResponse>, Status> {
        let name = request.into_inner().name;
        Ok(Response::new(GreetResponse { greeting: name }))
    }

    async fn greet_stream(
        &self,
        _request: Request<Streaming<GreetStreamRequest>>,
    ) -> Result<Response<BoxStream<GreetStreamResponse>>, Status> {
        Err(Status::unimplemented(
            "GreetStream is not part of helloworld",
        ))
    }

    async fn greet_client_stream(
        &self,
        _request: Request<Streaming<GreetClientStreamRequest>>,
    ) -> Result<Response<GreetClientStreamResponse>, Status> {
        Err(Status::unimplemented(
            "GreetClientStream is not part of helloworld",
        ))
    }

    async fn greet_server_stream(
        &self,
        _request: Request<GreetServerStreamRequest>,
    ) -> Result<Response<BoxStream<GreetServerStreamResponse>>, Status> {
        Err(Status::unimplemented(
            "GreetServerStream is not part of helloworld",
        ))
    }
}

/// Starts the server: Triple on `127.0.0.1:port` (0: a free port), `greet.GreetService`.
///
/// # Errors
///
/// When the port cannot be bound.
pub async fn server(port: u16) -> Result<Running, oxidubbo::Error> {
    Bootstrap::new()
        .application("helloworld-server")
        .protocol("tri", ProtocolConfig::tri(port))
        .service::<dyn GreetService>("GreetService", Arc::new(GreetTripleServer))
        .start()
        .await
}

/// Runs the client against `url` (`tri://127.0.0.1:20000` in the sample): one `Greet` of
/// [`NAME`] with a one-second timeout; returns the greeting.
///
/// # Errors
///
/// The call's failure, as a message.
pub async fn client(url: &str) -> Result<String, Box<dyn std::error::Error>> {
    let mut reference = ReferenceConfig::of::<dyn GreetService>().with_url(url);
    reference.protocol = Some("tri".into());
    reference.timeout = Some(1000);
    let running = Bootstrap::new()
        .application("helloworld-client")
        .reference("greet", reference)
        .start()
        .await?;
    let svc = running.client::<dyn GreetService>("greet")?;
    let outcome = svc
        .greet(GreetRequest {
            name: NAME.to_owned(),
        })
        .await;
    running.shutdown().await;
    Ok(outcome?.into_inner().greeting)
}
