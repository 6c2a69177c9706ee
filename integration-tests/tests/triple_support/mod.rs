//! What the Triple interop tests share: the greet `.proto` the peers compile, an oxidubbo
//! application serving `greet.GreetService` over tri, and a service answering a status.
#![allow(dead_code)] // not every test binary sharing this module uses all of it

use std::path::PathBuf;
use std::sync::Arc;

use oxidubbo::config::{Config, ReferenceConfig};
use oxidubbo::triple::{BoxStream, Request, Response, Status, Streaming};
use oxidubbo::{Bootstrap, Running};
use oxidubbo_examples::greet::*;

/// `examples/proto/greet.proto`, which the peers compile at run time.
pub fn greet_proto() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/proto/greet.proto")
}

/// The name `Greet` answers with a status (here and in the grpcio server).
pub const BOOM: &str = "boom";
/// The message of that status: spaces, `%`, `+` and non-ASCII, which `grpc-message`
/// percent-encodes.
pub const BOOM_MESSAGE: &str = "boom requested: 100% sure + ünïcode";

/// [`HelloGreetService`], but `Greet` answers [`BOOM`] with INVALID_ARGUMENT
/// [`BOOM_MESSAGE`].
pub struct BoomGreetService;

#[oxidubbo::async_trait]
impl GreetService for BoomGreetService {
    async fn greet(
        &self,
        request: Request<GreetRequest>,
    ) -> Result<Response<GreetResponse>, Status> {
        if request.get_ref().name == BOOM {
            return Err(Status::invalid_argument(BOOM_MESSAGE));
        }
        HelloGreetService.greet(request).await
    }

    async fn greet_stream(
        &self,
        request: Request<Streaming<GreetStreamRequest>>,
    ) -> Result<Response<BoxStream<GreetStreamResponse>>, Status> {
        HelloGreetService.greet_stream(request).await
    }

    async fn greet_client_stream(
        &self,
        request: Request<Streaming<GreetClientStreamRequest>>,
    ) -> Result<Response<GreetClientStreamResponse>, Status> {
        HelloGreetService.greet_client_stream(request).await
    }

    async fn greet_server_stream(
        &self,
        request: Request<GreetServerStreamRequest>,
    ) -> Result<Response<BoxStream<GreetServerStreamResponse>>, Status> {
        HelloGreetService.greet_server_stream(request).await
    }
}

/// An application serving [`BoomGreetService`] over tri on a free port of 127.0.0.1,
/// configured as a user would (`[protocols.tri]`, `[services.greet]`).
pub async fn serve_greet() -> (Running, String) {
    let text = "[protocols.tri]\nport = 0\n\n[services.greet]\nregister = false\n";
    let running = Bootstrap::from_config(Config::parse(text, "greet.toml").expect("config"))
        .application("oxidubbo-greet")
        .service::<dyn GreetService>("greet", Arc::new(BoomGreetService))
        .start()
        .await
        .expect("the greet application starts");
    let url = &running.provider_urls()["greet"];
    assert_eq!(url.protocol(), "tri");
    assert_eq!(url.param("serialization"), Some("protobuf"));
    let address = url.address();
    (running, address)
}

/// An application whose reference `greet` calls `greet.GreetService` at `tri://address`;
/// its typed client.
pub async fn refer_greet(address: &str) -> (Running, GreetServiceClient) {
    let reference = ReferenceConfig::of::<dyn GreetService>().with_url(format!("tri://{address}"));
    let running = Bootstrap::new()
        .application("oxidubbo-greet-consumer")
        .reference("greet", reference)
        .start()
        .await
        .expect("the consumer application starts");
    let client = running
        .client::<dyn GreetService>("greet")
        .expect("a greet client");
    (running, client)
}
