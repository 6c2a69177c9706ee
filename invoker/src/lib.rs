//! The call model of oxidubbo: [`Invocation`], [`RpcResult`], [`RpcError`], the
//! [`Invoker`] trait and [`BaseInvoker`], which every invoker embeds for its lifecycle.
//!
//! ```
//! use std::sync::Arc;
//! use oxidubbo_common::Url;
//! use oxidubbo_invoker::BaseInvoker;
//!
//! let url = Arc::new(Url::parse("dubbo://127.0.0.1:20880/com.example.Greeter").unwrap());
//! let weak = url.downgrade(); // watches the URL's data, which any clone would keep
//! let base = BaseInvoker::new(url);
//! assert!(base.is_available());
//! assert!(base.destroy());
//! assert!(base.url().is_none());
//! assert!(weak.upgrade().is_none()); // nothing keeps the URL alive
//! ```

mod attachments;
mod attributes;
mod error;
mod invocation;
mod invoker;
mod method_name;
mod rpc_status;
mod service;
mod status;

pub use attachments::{Attachments, StaticMap, intern_key};
pub use attributes::Attributes;
pub use error::RpcError;
pub use invocation::{Invocation, RpcResult};
pub use invoker::{BaseInvoker, CallFuture, Invoker, ready_call};
pub use method_name::MethodName;
pub use oxidubbo_common::Url;
pub use oxidubbo_hessian2::Value;
pub use rpc_status::{ActiveGuard, RpcStatus, UNDECLARED_METHOD_SLOTS};
pub use service::{Service, ServiceFn, ServiceInvoker, service_fn};
pub use status::Status;
