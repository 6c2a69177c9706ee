//! IDL services: the runtime of the code `oxidubbo-build` generates from `.proto` files,
//! with an API shaped like tonic's.
//!
//! For each `service` of a `.proto` file the generated module holds:
//!
//! * a **server trait** (`GreetService`), one async method per rpc taking a
//!   [`Request`] and answering a [`Response`] or a [`Status`]; streaming requests arrive as
//!   a [`Streaming`], streaming responses are a [`BoxStream`];
//! * a **provider adapter** (`GreetServiceProvider`), the [`Service`](crate::Service) that
//!   serves calls with an implementation of the trait, in-process (injvm) or over Triple;
//! * a **typed client** (`GreetServiceClient`) over any
//!   [`Invoker`](crate::Invoker): a reference from the bootstrap, a cluster, an injvm or a
//!   Triple invoker;
//! * [`DubboService`](crate::DubboService) for `dyn GreetService`, so that
//!   [`Bootstrap::service`](crate::Bootstrap::service) exports it (interface
//!   `greet.GreetService`, methods by their proto names, `serialization=protobuf`) and
//!   [`Running::client`](crate::Running::client) hands out its client;
//! * `FILE_DESCRIPTOR_SET` and [`DESCRIPTORS`](Descriptors) per package, from which the
//!   protobuf JSON mapping ([`PayloadFormat::Json`]) is read: the user's crate needs only
//!   `prost` besides `oxidubbo`.
//!
//! In `build.rs` (with `oxidubbo-build` as a build dependency):
//!
//! ```ignore
//! fn main() -> std::io::Result<()> {
//!     oxidubbo_build::compile_protos(&["proto/greet.proto"], &["proto"])
//! }
//! ```
//!
//! and in the crate:
//!
//! ```ignore
//! pub mod greet {
//!     oxidubbo::include_proto!("greet");
//! }
//!
//! use greet::{GreetRequest, GreetResponse, GreetService};
//! use oxidubbo::triple::{Request, Response, Status};
//!
//! struct Greeter;
//!
//! #[oxidubbo::async_trait]
//! impl GreetService for Greeter {
//!     async fn greet(&self, request: Request<GreetRequest>) -> Result<Response<GreetResponse>, Status> {
//!         let name = request.into_inner().name;
//!         if name.is_empty() {
//!             return Err(Status::invalid_argument("name is empty"));
//!         }
//!         Ok(Response::new(GreetResponse { greeting: format!("Hello, {name}") }))
//!     }
//!     // … the other rpcs
//! }
//!
//! // export: Bootstrap::new().service::<dyn GreetService>("greet", Arc::new(Greeter))
//! // call:   let reply = client.greet(GreetRequest { name: "world".into() }).await?;
//! ```
//!
//! `oxidubbo_examples::greet` is this, runnable: `examples/proto/greet.proto` and its
//! implementation. How calls travel follows the contract of
//! [`oxidubbo_protocol::triple::call`]; a [`Status`] returned by service code reaches the
//! caller with its code and message.

mod client;
mod codec;
mod request;
mod response;
mod server;
mod status;
mod streaming;

pub use codec::{Codec, Descriptors};
pub use oxidubbo_protocol::triple::call::PayloadFormat;
pub use prost_types;
pub use request::{IntoRequest, IntoStreamingRequest, Request};
pub use response::Response;
pub use status::{Code, Status};
pub use streaming::{BoxStream, Streaming};

/// Items the generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use super::client::IdlClient;
    pub use super::server::{
        client_streaming, generic_protobuf_json, generic_protobuf_json_result, resolve_method,
        server_streaming, streaming, unary,
    };
    pub use crate::DubboService;
    pub use async_trait::async_trait;
    pub use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult, Service};

    /// The `serialization` of IDL services' provider URLs.
    pub const PROTOBUF: &str = "protobuf";
}
