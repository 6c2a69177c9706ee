//! Protocols: how services are exported and referred.
//!
//! - [`Protocol`] and [`Exporter`], the traits every protocol implements;
//! - [`InjvmProtocol`], Dubbo's in-process protocol (`injvm://`);
//! - [`DubboProtocol`], the dubbo2 TCP protocol, one process-wide instance;
//! - [`TripleProtocol`], Triple (gRPC over HTTP/2), one process-wide instance.
//!
//! Every protocol keeps the lifecycle rules of oxidubbo's design: an exporter or invoker
//! that is destroyed leaves the protocol's tables at once, and destroying the protocol
//! destroys everything it made, after which it holds nothing and can be used again.
//!
//! ```
//! use std::sync::Arc;
//! use oxidubbo_protocol::{InjvmProtocol, Protocol};
//! # use oxidubbo_invoker::*;
//! # struct Hello(BaseInvoker);
//! # #[async_trait::async_trait]
//! # impl Invoker for Hello {
//! #     async fn invoke(&self, _: Invocation) -> Result<RpcResult, RpcError> { Ok(RpcResult::new("hi")) }
//! #     fn url(&self) -> Option<Arc<Url>> { self.0.url() }
//! #     fn is_available(&self) -> bool { self.0.is_available() }
//! #     fn is_destroyed(&self) -> bool { self.0.is_destroyed() }
//! #     fn destroy(&self) { self.0.destroy(); }
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let protocol = InjvmProtocol::new();
//! let url = Arc::new(Url::parse("injvm://127.0.0.1/com.example.Greeter").unwrap());
//! let exporter = protocol.export(Arc::new(Hello(BaseInvoker::new(url.clone())))).await.unwrap();
//! let invoker = protocol.refer(url).await.unwrap();
//! let result = invoker.invoke(Invocation::new("sayHello", "", vec![])).await.unwrap();
//! assert_eq!(result.value.as_str(), Some("hi"));
//! protocol.destroy().await;
//! assert!(protocol.counts().is_empty());
//! # drop(exporter);
//! # });
//! ```

pub mod dubbo;
mod exporter;
mod injvm;
mod peer_span;
mod protocol;
mod referred;
mod reserve;
pub mod tls;
pub mod triple;

pub use dubbo::DubboProtocol;
pub use exporter::Exporter;
pub use injvm::InjvmProtocol;
pub use protocol::{Protocol, ProtocolCounts};
pub use reserve::ReservedPort;
pub use triple::TripleProtocol;
