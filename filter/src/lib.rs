//! Filters: code that sees every call on its way to an invoker and the result on its way
//! back — Dubbo's `Filter` SPI.
//!
//! * [`Filter`] is the trait (object-safe); a filter gets the call and a [`Next`] handle
//!   for the rest of the chain.
//! * [`Observer`] is a filter made of two synchronous hooks, one when a call reaches it
//!   (to change, answer or watch it) and one when the answer comes back (to look at or
//!   change it): the chain runs a row of them in one hop, without a future of their own.
//!   Most built-in filters of the default chains are observers.
//! * [`FilteredInvoker`] wraps an `Arc<dyn Invoker>` in a list of filters and is an
//!   [`Invoker`] itself; it takes the call's URL snapshot when the call starts.
//! * [`build_chain`] / [`ChainBuilder`] build the chain from the URL's `service.filter`
//!   (provider) or `reference.filter` (consumer), looking names up in a
//!   [`FilterRegistry`], where custom filters are registered with
//!   [`FilterRegistry::register_filter`].
//! * The built-in filters, one module each, under Dubbo's names: [`echo`], [`token`],
//!   [`accesslog`], [`actives`], [`executes`], [`tps`], [`timeout`], [`context`],
//!   [`generic`], [`exception`] and [`graceful`]; [`trace`] (`tracing`, W3C trace context
//!   over [`trace_context`]) is registered by the bootstrap when `[tracing]` is enabled.
//!
//! Filters are applied where services are exported and referred (the bootstrap), so the
//! protocols do not depend on this crate.
//!
//! # The default chains
//!
//! Outermost (first to see the call) first. A filter whose URL parameter is missing is
//! left out of the chain when it is built, so it costs nothing per call.
//!
//! | side | filters |
//! |---|---|
//! | provider | `graceful`, `echo`, `accesslog`¹, `token`¹, `tps`¹, `executes`¹, `timeout`, `generic`, `context`, `exception` |
//! | consumer | `graceful`, `context`², `token`¹, `actives`¹ |
//!
//! ¹ only when the URL sets `accesslog`, `token`, `tps`, `executes` or `actives`
//! (service- or method-level). ² only when the URL names an `application`.
//! `accesslog` also works on the consumer when listed (`reference.filter=accesslog`).
//!
//! The order: `graceful` counts (and at shutdown refuses) every call; `$echo` health checks
//! are answered before the token check, as in Dubbo; rejections by `token`, `tps` and
//! `executes` are access-logged; `generic` rewrites `$invoke` before `context` strips the
//! framework's attachment keys; `exception` sits next to the service so it only maps
//! errors that came from the service, never a filter's own refusal.
//!
//! # Configuration syntax
//!
//! `service.filter=audit,-tps,default` — a comma list: `default` places the side's
//! defaults, which otherwise come first; `-name` removes a filter; `-default` removes all
//! defaults; an unknown name is an [`RpcError::Config`] naming it.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use oxidubbo_filter::{Side, build_chain};
//! use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, Url, Value, service_fn};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let url: Url = "dubbo://127.0.0.1:20880/com.example.Greeter?token=s3cret".parse().unwrap();
//! let url = Arc::new(url);
//! let service = ServiceInvoker::new(
//!     url.clone(),
//!     service_fn(|inv: Invocation| async move {
//!         let name = inv.arguments().first().and_then(Value::as_str).unwrap_or("");
//!         Ok(RpcResult::new(format!("Hello, {name}")))
//!     }),
//! );
//! let provider = build_chain(&url, Side::Provider, Arc::new(service)).unwrap();
//!
//! // No token: refused by the token filter.
//! let call = Invocation::new("sayHello", "Ljava/lang/String;", vec!["Ann".into()]);
//! assert!(matches!(provider.invoke(call).await, Err(RpcError::Forbidden(_))));
//!
//! // A generic call with the right token reaches the service as `sayHello`.
//! let args = |items| Value::List(oxidubbo_hessian2::List::untyped(items));
//! let call = Invocation::new(
//!     "$invoke",
//!     "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;",
//!     vec!["sayHello".into(), args(vec!["java.lang.String".into()]), args(vec!["Ann".into()])],
//! )
//! .with_attachment("token", "s3cret");
//! let result = provider.invoke(call).await.unwrap();
//! assert_eq!(result.value.as_str(), Some("Hello, Ann"));
//! # });
//! ```
//!
//! [`Invoker`]: oxidubbo_invoker::Invoker
//! [`RpcError::Config`]: oxidubbo_invoker::RpcError::Config

mod chain;
mod filter;
mod observer;
mod registry;
mod util;

pub mod accesslog;
pub mod actives;
pub mod context;
pub mod echo;
pub mod exception;
pub mod executes;
pub mod generic;
pub mod graceful;
pub mod java_bean;
pub mod timeout;
pub mod token;
pub mod tps;
pub mod trace;
pub mod trace_context;

pub use chain::FilteredInvoker;
pub use filter::{Filter, Next, Side};
pub use graceful::Graceful;
pub use observer::{Begin, Called, Observation, Observer, observe};
pub use registry::{
    CONSUMER_DEFAULTS, ChainBuilder, FactoryResult, FilterContext, FilterFactory, FilterRegistry,
    NamedFilter, PROVIDER_DEFAULTS, build_chain,
};
