//! oxidubbo: an Apache Dubbo framework for Rust.
//!
//! This crate is what applications import. It re-exports the building blocks (the
//! Hessian 2 codec, the `Url`, invokers, protocols) and provides typed services:
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

use std::sync::Arc;

pub use async_trait::async_trait;
pub use oxidubbo_common::{ServiceKey, Url, UrlError, defaults, keys};
pub use oxidubbo_hessian2 as hessian2;
pub use oxidubbo_hessian2::{Value, from_value, to_value};
pub use oxidubbo_invoker::{
    Attachments, BaseInvoker, Invocation, Invoker, RpcError, RpcResult, RpcStatus, Service,
    ServiceInvoker, Status, service_fn,
};
pub use oxidubbo_macros::service;
pub use oxidubbo_protocol::{DubboProtocol, Exporter, InjvmProtocol, Protocol, ProtocolCounts};

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
    /// The generated client type.
    type Client;

    /// A client calling through `invoker`.
    fn client(invoker: Arc<dyn Invoker>) -> Self::Client;

    /// The provider adapter serving calls with `service`.
    fn provider(service: Arc<Self>) -> Arc<dyn Service>;
}

/// Items the generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::DubboService;
    pub use async_trait::async_trait;
    pub use oxidubbo_hessian2::descriptor::{JavaType, class_name_to_descriptor};
    pub use oxidubbo_hessian2::{from_value, to_value};
    pub use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult, Service};
    pub use std::sync::OnceLock;
}
