//! The attachments of the call in progress, on each side — Dubbo's `RpcContext`.
//!
//! On the provider, inside a method of an `#[oxidubbo::service]` implementation:
//! [`RpcContext::request_attachment`] reads what the consumer attached (Java's
//! `RpcContext.getServerAttachment()`), [`RpcContext::set_response_attachment`] attaches
//! a value to the response (Java's `RpcContext.getServerContext().setAttachment()`).
//! Response attachments travel in dubbo2's `RESPONSE_VALUE_WITH_ATTACHMENTS` bodies (when the
//! consumer's body version allows them, as Java decides) and as Triple response headers.
//!
//! On the consumer, [`ClientContext`] runs calls of typed clients with attachments to send
//! and gives back the attachments of the last response:
//!
//! ```
//! use std::sync::Arc;
//! use oxidubbo::{ClientContext, DubboService, Protocol, RpcContext, RpcError, ServiceInvoker, Url};
//!
//! #[oxidubbo::service(interface = "com.example.Tenant")]
//! pub trait Tenant {
//!     async fn whoami(&self) -> Result<String, RpcError>;
//! }
//!
//! struct Impl;
//!
//! #[oxidubbo::async_trait]
//! impl Tenant for Impl {
//!     async fn whoami(&self) -> Result<String, RpcError> {
//!         let tenant = RpcContext::request_attachment("tenant").unwrap_or_default();
//!         RpcContext::set_response_attachment("served-by", "node-1");
//!         Ok(tenant)
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let protocol = oxidubbo::InjvmProtocol::new();
//! let url = Arc::new(Url::parse("injvm://127.0.0.1/com.example.Tenant").unwrap());
//! let service = <dyn Tenant as DubboService>::provider(Arc::new(Impl));
//! let _exporter = protocol.export(Arc::new(ServiceInvoker::new(url.clone(), service))).await.unwrap();
//! let client = TenantClient::new(protocol.refer(url).await.unwrap());
//!
//! let (who, response) = ClientContext::new()
//!     .with_attachment("tenant", "acme")
//!     .run(client.whoami())
//!     .await;
//! assert_eq!(who.unwrap(), "acme");
//! assert_eq!(response.get_str("served-by"), Some("node-1"));
//! # protocol.destroy().await;
//! # });
//! ```

use std::borrow::Cow;
use std::cell::RefCell;
use std::future::Future;

use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Attachments, Invocation, RpcError, RpcResult};

struct Served {
    request: Attachments,
    response: Attachments,
}

struct Calling {
    request: Attachments,
    response: Attachments,
}

tokio::task_local! {
    static SERVED: RefCell<Served>;
    static CALLING: RefCell<Calling>;
}

/// The provider side of the call in progress: the functions work inside a method of an
/// `#[oxidubbo::service]` implementation (its task), and do nothing elsewhere.
pub struct RpcContext(());

impl RpcContext {
    /// The request's attachment `key` in its string form (numbers and booleans as text),
    /// `None` when absent or outside a call.
    pub fn request_attachment(key: &str) -> Option<String> {
        SERVED
            .try_with(|s| {
                let s = s.borrow();
                let value = s.request.get(key)?;
                Some(match value {
                    Value::String(text) => text.to_string(),
                    other => scalar_text(other)?,
                })
            })
            .ok()
            .flatten()
    }

    /// All the request's attachments (framework ones such as `path`, `interface`,
    /// `timeout` included), `None` outside a call.
    pub fn request_attachments() -> Option<Attachments> {
        SERVED.try_with(|s| s.borrow().request.clone()).ok()
    }

    /// Attaches `key = value` to the response of the call in progress (it wins over an
    /// earlier value of the same key). Returns false, doing nothing, outside a call.
    pub fn set_response_attachment(
        key: impl Into<Cow<'static, str>>,
        value: impl Into<Value>,
    ) -> bool {
        let (key, value) = (key.into(), value.into());
        SERVED
            .try_with(move |s| s.borrow_mut().response.insert(key, value))
            .is_ok()
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Long(l) => Some(l.to_string()),
        Value::Double(d) => Some(d.to_string()),
        _ => None,
    }
}

/// Calls made with attachments, and the attachments of their response (the consumer side
/// of Dubbo's `RpcContext`). See the [module documentation](self).
#[derive(Debug, Clone, Default)]
pub struct ClientContext {
    attachments: Attachments,
}

impl ClientContext {
    /// A context that attaches nothing.
    pub fn new() -> Self {
        ClientContext::default()
    }

    /// This context, attaching `key = value` to every call it runs.
    pub fn with_attachment(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<Value>,
    ) -> Self {
        self.attachments.insert(key, value);
        self
    }

    /// Runs `calls` (calls of typed clients, `#[oxidubbo::service]` ones) with this
    /// context's attachments added to each request, and returns their output with the
    /// attachments of the last response received (empty when none came).
    pub async fn run<F: Future>(self, calls: F) -> (F::Output, Attachments) {
        let state = RefCell::new(Calling {
            request: self.attachments,
            response: Attachments::new(),
        });
        CALLING
            .scope(state, async move {
                let out = calls.await;
                let response = CALLING
                    .try_with(|c| std::mem::take(&mut c.borrow_mut().response))
                    .unwrap_or_default();
                (out, response)
            })
            .await
    }
}

/// Runs a provider call (`fut`) with `request` as its request attachments, and adds the
/// response attachments it set to its result. Used by `#[oxidubbo::service]`'s providers.
#[doc(hidden)]
pub async fn serve<F>(request: Attachments, fut: F) -> Result<RpcResult, RpcError>
where
    F: Future<Output = Result<RpcResult, RpcError>>,
{
    let state = RefCell::new(Served {
        request,
        response: Attachments::new(),
    });
    SERVED
        .scope(state, async move {
            let mut outcome = fut.await;
            let response = SERVED
                .try_with(|s| std::mem::take(&mut s.borrow_mut().response))
                .unwrap_or_default();
            // A business exception carries them too; other errors carry none.
            let attachments = match &mut outcome {
                Ok(result) => Some(&mut result.attachments),
                Err(error) => error.attachments_mut(),
            };
            if let Some(attachments) = attachments {
                add(attachments, &response);
            }
            outcome
        })
        .await
}

/// Adds the attachments of the [`ClientContext`] in effect, if any, to `invocation`.
/// Used by `#[oxidubbo::service]`'s clients.
#[doc(hidden)]
pub fn attach(invocation: &mut Invocation) {
    let _ = CALLING.try_with(|c| {
        let c = c.borrow();
        for (key, value) in c.request.iter() {
            invocation
                .attachments_mut()
                .insert(key.to_owned(), value.clone());
        }
    });
}

fn add(to: &mut Attachments, from: &Attachments) {
    for (key, value) in from.iter() {
        to.insert(key.to_owned(), value.clone());
    }
}

/// Keeps the attachments of `outcome` (a result's, or a business exception's) as the last
/// response's of the [`ClientContext`] in effect, if any, and returns it. Used by
/// `#[oxidubbo::service]`'s clients.
#[doc(hidden)]
pub fn record(outcome: Result<RpcResult, RpcError>) -> Result<RpcResult, RpcError> {
    let attachments = match &outcome {
        Ok(result) => result.attachments.clone(),
        Err(error) => error.attachments().cloned().unwrap_or_default(),
    };
    let _ = CALLING.try_with(|c| c.borrow_mut().response = attachments);
    outcome
}
