//! oxidubbo: an Apache Dubbo framework for Rust.
//!
//! This crate is what applications import:
//!
//! - **typed services**: `#[oxidubbo::service]` turns an async trait into a Dubbo service
//!   (a client, a provider adapter, and [`DubboService`] for `dyn Trait`);
//! - **IDL services** ([`triple`]): code generated from `.proto` files by `oxidubbo-build`,
//!   with a tonic-like API (server traits, typed clients, [`triple::Status`]) for all four
//!   gRPC call kinds;
//! - **configuration** ([`config`]): TOML with `[application]`, `[registries.<name>]`,
//!   `[protocols.<name>]` (dubbo, tri, injvm), `[services.<name>]` (served on one protocol
//!   or several), `[references.<name>]` and `[shutdown]`,
//!   under Dubbo's parameter names and defaults, overridable by `OXIDUBBO_…` environment
//!   variables, with errors that name the file, line and key; dubbo-go 3's YAML
//!   (`dubbogo.yml`, [`config::dubbogo`]) read into the same model;
//! - **generic calls** ([`generic`]): [`generic::GenericService`] calls any method by name
//!   with Java type names and [`Value`]s (`$invoke`, POJOs as maps), as Java's and
//!   dubbo-go's generic references do;
//! - **call context** ([`context`]): [`RpcContext`] (request and response attachments on
//!   the provider) and [`ClientContext`] (attachments sent, and those of the response);
//! - **bootstrap** ([`Bootstrap`]): exports every service (filters wrapped, registered),
//!   refers every reference, hands out typed clients ([`Running::client`]);
//! - **graceful shutdown** ([`Running::shutdown`], [`Running::run_until_signal`]):
//!   unregister, send the read-only event, refuse new calls, wait for the calls in flight
//!   (bounded), destroy;
//! - **observability**: `[metrics]` (Prometheus), `[tracing]` (a span per call, W3C trace
//!   context) and `[qos]` (Dubbo's operator commands); with the `otlp` cargo feature,
//!   `oxidubbo::otlp` exports the call spans to an OpenTelemetry collector;
//! - re-exports of the building blocks: the Hessian 2 codec, the `Url`, invokers,
//!   protocols, and the [`filter`], [`cluster`] and [`registry`] crates.
//!
//! An application that provides a service and calls it, over dubbo on loopback, found
//! through the embedded registry:
//!
//! ```
//! use std::sync::Arc;
//! use oxidubbo::{Bootstrap, Config, RpcError};
//!
//! #[oxidubbo::service(interface = "org.apache.dubbo.samples.api.GreeterService", version = "1.0.0")]
//! pub trait Greeter {
//!     async fn say_hello(&self, name: String) -> Result<String, RpcError>;
//! }
//!
//! struct MyGreeter;
//!
//! #[oxidubbo::async_trait]
//! impl Greeter for MyGreeter {
//!     async fn say_hello(&self, name: String) -> Result<String, RpcError> {
//!         Ok(format!("Hello, {name}"))
//!     }
//! }
//!
//! const CONFIG: &str = r#"
//! [application]
//! name = "demo"
//!
//! [protocols.dubbo]
//! port = 0                   # a free port
//!
//! [services.greeter]         # interface and version from the trait
//!
//! [references.greeter]
//! interface = "org.apache.dubbo.samples.api.GreeterService"
//! version = "1.0.0"
//! "#;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let config = Config::parse(CONFIG, "demo.toml").unwrap();
//! let running = Bootstrap::from_config(config)
//!     .service::<dyn Greeter>("greeter", Arc::new(MyGreeter))
//!     .start()
//!     .await
//!     .unwrap();
//! let greeter = running.client::<dyn Greeter>("greeter").unwrap();
//! assert_eq!(greeter.say_hello("world".into()).await.unwrap(), "Hello, world");
//! running.shutdown().await;
//! assert!(oxidubbo::DubboProtocol::global().counts().is_empty());
//! # });
//! ```
//!
//! The macro on its own, with a protocol and no bootstrap:
//!
//! ```
//! use std::sync::Arc;
//! use oxidubbo::{DubboProtocol, DubboService, Protocol, RpcError, ServiceInvoker, Url};
//!
//! #[oxidubbo::service(interface = "org.apache.dubbo.samples.api.GreeterService", version = "1.0.0")]
//! pub trait Greeter {
//!     async fn say_hello(&self, name: String) -> Result<String, RpcError>;
//!     #[oxidubbo(name = "add")]
//!     async fn sum(&self, a: i32, b: i32) -> Result<i32, RpcError>;
//! }
//!
//! struct MyGreeter;
//!
//! #[oxidubbo::async_trait]
//! impl Greeter for MyGreeter {
//!     async fn say_hello(&self, name: String) -> Result<String, RpcError> {
//!         Ok(format!("Hello, {name}"))
//!     }
//!     async fn sum(&self, a: i32, b: i32) -> Result<i32, RpcError> {
//!         Ok(a + b)
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let protocol = oxidubbo::InjvmProtocol::new();
//! let url = Arc::new(Url::parse("injvm://127.0.0.1/org.apache.dubbo.samples.api.GreeterService?version=1.0.0").unwrap());
//! let service = <dyn Greeter as DubboService>::provider(Arc::new(MyGreeter));
//! let _exporter = protocol.export(Arc::new(ServiceInvoker::new(url.clone(), service))).await.unwrap();
//! let client = GreeterClient::new(protocol.refer(url).await.unwrap());
//! assert_eq!(client.say_hello("world".into()).await.unwrap(), "Hello, world");
//! assert_eq!(client.sum(2, 3).await.unwrap(), 5);
//! # protocol.destroy().await;
//! # });
//! ```

mod bootstrap;
pub mod config;
pub mod context;
mod error;
pub mod generic;
#[cfg(feature = "otlp")]
pub mod otlp;
pub mod triple;

use std::sync::Arc;

pub use async_trait::async_trait;
pub use oxidubbo_cluster as cluster;
pub use oxidubbo_common::{ServiceKey, Url, UrlError, defaults, keys};
pub use oxidubbo_filter as filter;
pub use oxidubbo_hessian2 as hessian2;
pub use oxidubbo_hessian2::{Value, from_value, to_value};
pub use oxidubbo_invoker::{
    Attachments, BaseInvoker, Invocation, Invoker, RpcError, RpcResult, RpcStatus, Service,
    ServiceInvoker, Status, service_fn,
};
pub use oxidubbo_macros::service;
pub use oxidubbo_metrics as metrics;
pub use oxidubbo_protocol::{
    DubboProtocol, Exporter, InjvmProtocol, Protocol, ProtocolCounts, TripleProtocol,
};
pub use oxidubbo_qos as qos;
pub use oxidubbo_registry as registry;

pub use bootstrap::{Bootstrap, Running, ShutdownReport};
pub use config::{Config, ConfigError};
pub use context::{ClientContext, RpcContext};
pub use error::Error;

/// What `#[oxidubbo::service]` implements for `dyn Trait`: the service's Dubbo identity and
/// how to make its client and its provider adapter.
pub trait DubboService {
    /// The Java interface name.
    const INTERFACE: &'static str;
    /// The service version, if the trait declares one.
    const VERSION: Option<&'static str>;
    /// The service group, if the trait declares one.
    const GROUP: Option<&'static str>;
    /// The Java method names.
    const METHODS: &'static [&'static str];
    /// The serialization the service's provider URLs carry: `protobuf` for IDL services
    /// generated from `.proto` files (see [`triple`]), none (the protocol's default, Hessian
    /// 2) for `#[oxidubbo::service]` traits.
    const SERIALIZATION: Option<&'static str> = None;
    /// The generated client type.
    type Client;

    /// A client calling through `invoker`.
    fn client(invoker: Arc<dyn Invoker>) -> Self::Client;

    /// The provider adapter serving calls with `service`.
    fn provider(service: Arc<Self>) -> Arc<dyn Service>;
}

/// Includes the code `oxidubbo-build` generated for the protobuf package `package` (its
/// messages and services) from `OUT_DIR`.
///
/// ```ignore
/// pub mod greet {
///     oxidubbo::include_proto!("greet");
/// }
/// ```
#[macro_export]
macro_rules! include_proto {
    ($package:tt) => {
        include!(concat!(env!("OUT_DIR"), concat!("/", $package, ".rs")));
    };
}

/// Items the generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::DubboService;
    pub use crate::context::{
        attach as attach_context, record as record_context, serve as serve_context,
    };
    pub use async_trait::async_trait;
    pub use oxidubbo_hessian2::descriptor::{JavaType, class_name_to_descriptor};
    pub use oxidubbo_hessian2::{Values, from_value, to_value};
    pub use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult, Service};
    pub use std::sync::OnceLock;
}
