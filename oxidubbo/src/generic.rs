//! Generic calls, consumer side: calling a service without its types, as Dubbo Java's
//! `GenericService` and dubbo-go's generic references do.
//!
//! [`GenericService::invoke`] sends `$invoke(method, parameterTypes, args)` with the
//! attachment `generic=true`; POJO arguments go as maps with their class under `"class"`
//! ([`pojo`]), and the result comes back with every object in it as such a map
//! ([`generalize`]) — what a Java provider's `GenericFilter` sends, and what oxidubbo's
//! providers send too (the `generic` filter, `oxidubbo::filter::generic`).
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use oxidubbo::generic::{GenericService, pojo};
//! use oxidubbo::{Bootstrap, Config, RpcError, Value};
//!
//! #[derive(Debug, serde::Serialize, serde::Deserialize)]
//! #[serde(rename = "com.example.User")]
//! pub struct User { id: i64, name: String }
//! oxidubbo::hessian2::java_type!(User => "com.example.User");
//!
//! #[oxidubbo::service(interface = "com.example.UserService")]
//! pub trait UserService {
//!     async fn rename(&self, user: User, name: String) -> Result<User, RpcError>;
//! }
//!
//! struct Users;
//! #[oxidubbo::async_trait]
//! impl UserService for Users {
//!     async fn rename(&self, user: User, name: String) -> Result<User, RpcError> {
//!         Ok(User { name, ..user })
//!     }
//! }
//!
//! let config = Config::parse(
//!     "[protocols.dubbo]\nport = 0\n[references.users]\ninterface = \"com.example.UserService\"\n",
//!     "generic.toml",
//! ).unwrap();
//! let running = Bootstrap::from_config(config)
//!     .service::<dyn UserService>("users", Arc::new(Users))
//!     .start()
//!     .await
//!     .unwrap();
//! let users: GenericService = running.generic("users").unwrap();
//! let ann = pojo("com.example.User", [("id", Value::Long(7)), ("name", "Ann".into())]);
//! let renamed = users
//!     .invoke("rename", &["com.example.User", "java.lang.String"], vec![ann, "Bea".into()])
//!     .await
//!     .unwrap();
//! assert_eq!(renamed, pojo("com.example.User", [("id", Value::Long(7)), ("name", "Bea".into())]));
//! running.shutdown().await;
//! # });
//! ```

use std::sync::Arc;

use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invoker, RpcError, RpcResult};

pub use oxidubbo_filter::generic::{CLASS_KEY, generalize, invocation, pojo};

/// Calls any method of the service an invoker refers, by name, with Java type names and
/// [`Value`] arguments.
#[derive(Clone)]
pub struct GenericService {
    invoker: Arc<dyn Invoker>,
    generic: String,
}

impl std::fmt::Debug for GenericService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenericService")
            .field("generic", &self.generic)
            .finish_non_exhaustive()
    }
}

impl GenericService {
    /// Generic calls through `invoker` (e.g. [`Running::invoker`](crate::Running::invoker)).
    pub fn new(invoker: Arc<dyn Invoker>) -> GenericService {
        GenericService {
            invoker,
            generic: "true".into(),
        }
    }

    /// The same client sending `generic=<kind>` (Java's reference `generic` values:
    /// `true`, `raw.return`, `gson` — each argument then a JSON string —, `bean` — each
    /// a `JavaBeanDescriptor`, see `oxidubbo::filter::java_bean` —, `protobuf-json` — the
    /// request message of an IDL service in protobuf JSON —, `nativejava`…; oxidubbo's
    /// providers serve all but `nativejava`).
    pub fn with_generic(self, kind: impl Into<String>) -> GenericService {
        GenericService {
            generic: kind.into(),
            ..self
        }
    }

    /// Calls `method(parameter_types…)` with `args` (Java type names as Java writes them:
    /// `java.lang.String`, `long`, `com.example.User`, `int[]`); the result with its
    /// objects generalized.
    ///
    /// # Errors
    ///
    /// The call's failure (a provider's exception is [`RpcError::Remote`]).
    pub async fn invoke(
        &self,
        method: &str,
        parameter_types: &[&str],
        args: Vec<Value>,
    ) -> Result<Value, RpcError> {
        self.invoke_raw(method, parameter_types, args)
            .await
            .map(|r| generalize(r.value))
    }

    /// [`GenericService::invoke`] with the whole result (attachments included) and the
    /// value as it came.
    ///
    /// # Errors
    ///
    /// As [`GenericService::invoke`].
    pub async fn invoke_raw(
        &self,
        method: &str,
        parameter_types: &[&str],
        args: Vec<Value>,
    ) -> Result<RpcResult, RpcError> {
        let call = invocation(method, parameter_types, args)
            .with_attachment(oxidubbo_common::keys::GENERIC, self.generic.clone());
        self.invoker.invoke(call).await
    }
}
