//! The greeter service the examples, the quickstart and the interop tests share:
//! `org.apache.dubbo.samples.api.GreeterService`, version `1.0.0`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), oxidubbo_invoker::RpcError> {
//! use std::sync::Arc;
//! use oxidubbo_examples::{GreeterClient, greeter_provider_url, serve_greeter};
//! use oxidubbo_protocol::{DubboProtocol, Protocol};
//!
//! let protocol = DubboProtocol::global();
//! let _exporter = serve_greeter(protocol, greeter_provider_url(20880)).await?;
//! let invoker = protocol.refer(greeter_provider_url(20880)).await?;
//! let client = GreeterClient::new(invoker);
//! assert_eq!(client.say_hello("world").await?, "Hello, world");
//! # Ok(()) }
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_hessian2::{Value, from_value, to_value};
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult, Service, ServiceInvoker, Url};
use oxidubbo_protocol::{Exporter, Protocol};
use serde::{Deserialize, Serialize};

/// The service's Java interface name.
pub const INTERFACE: &str = "org.apache.dubbo.samples.api.GreeterService";
/// The service's version.
pub const VERSION: &str = "1.0.0";

/// `com.example.User`, as Java declares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.User")]
pub struct User {
    /// Java `long id`.
    pub id: i64,
    /// Java `String name`.
    pub name: String,
    /// Java `List<String> tags`.
    pub tags: Vec<String>,
}

/// The provider URL of the greeter on `127.0.0.1:port`.
pub fn greeter_provider_url(port: u16) -> Arc<Url> {
    let url = Url::builder("dubbo")
        .host("127.0.0.1")
        .port(port)
        .path(INTERFACE)
        .param("interface", INTERFACE)
        .param("version", VERSION)
        .param("methods", "add,echo,fail,getUser,sayHello")
        .param("side", "provider")
        .build();
    Arc::new(url)
}

/// The greeter's implementation.
#[derive(Debug, Default, Clone)]
pub struct Greeter;

fn arg(inv: &Invocation, i: usize) -> Result<&Value, RpcError> {
    inv.arguments()
        .get(i)
        .ok_or_else(|| RpcError::Codec(format!("{} expects argument {i}", inv.method_name())))
}

fn typed<T: serde::de::DeserializeOwned>(inv: &Invocation, i: usize) -> Result<T, RpcError> {
    from_value(arg(inv, i)?.clone())
        .map_err(|e| RpcError::Codec(format!("argument {i} of {}: {e}", inv.method_name())))
}

#[async_trait]
impl Service for Greeter {
    async fn call(&self, inv: Invocation) -> Result<RpcResult, RpcError> {
        match inv.method_name() {
            "sayHello" => {
                let name: String = typed(&inv, 0)?;
                Ok(RpcResult::new(format!("Hello, {name}")))
            }
            "add" => {
                let (a, b): (i32, i32) = (typed(&inv, 0)?, typed(&inv, 1)?);
                Ok(RpcResult::new(a.wrapping_add(b)))
            }
            "echo" => Ok(RpcResult::new(arg(&inv, 0)?.clone())),
            "getUser" => {
                let id: i64 = typed(&inv, 0)?;
                let user = User {
                    id,
                    name: format!("user-{id}"),
                    tags: vec!["a".into(), "b".into()],
                };
                to_value(&user)
                    .map(RpcResult::new)
                    .map_err(|e| RpcError::Codec(e.to_string()))
            }
            "fail" => {
                let msg: String = typed(&inv, 0)?;
                Err(RpcError::business(format!("fail called: {msg}")))
            }
            other => Err(RpcError::NotFound(format!("method {other} of {INTERFACE}"))),
        }
    }
}

/// Exports the greeter at `url` over `protocol`.
pub async fn serve_greeter(
    protocol: &dyn Protocol,
    url: Arc<Url>,
) -> Result<Arc<dyn Exporter>, RpcError> {
    protocol
        .export(Arc::new(ServiceInvoker::new(url, Greeter)))
        .await
}

/// A typed client of the greeter over any invoker.
#[derive(Clone)]
pub struct GreeterClient {
    invoker: Arc<dyn Invoker>,
}

impl GreeterClient {
    /// A client calling through `invoker`.
    pub fn new(invoker: Arc<dyn Invoker>) -> Self {
        GreeterClient { invoker }
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        desc: &str,
        args: Vec<Value>,
    ) -> Result<T, RpcError> {
        let result = self
            .invoker
            .invoke(Invocation::new(method, desc, args))
            .await?;
        from_value(result.value).map_err(|e| RpcError::Codec(format!("result of {method}: {e}")))
    }

    /// `String sayHello(String name)`.
    pub async fn say_hello(&self, name: &str) -> Result<String, RpcError> {
        self.call("sayHello", "Ljava/lang/String;", vec![Value::from(name)])
            .await
    }

    /// `int add(int a, int b)`.
    pub async fn add(&self, a: i32, b: i32) -> Result<i32, RpcError> {
        self.call("add", "II", vec![Value::Int(a), Value::Int(b)])
            .await
    }

    /// `Object echo(Object value)`.
    pub async fn echo(&self, value: Value) -> Result<Value, RpcError> {
        self.call("echo", "Ljava/lang/Object;", vec![value]).await
    }

    /// `com.example.User getUser(long id)`.
    pub async fn get_user(&self, id: i64) -> Result<User, RpcError> {
        self.call("getUser", "J", vec![Value::Long(id)]).await
    }

    /// `void fail(String message)`: always throws.
    pub async fn fail(&self, message: &str) -> Result<Value, RpcError> {
        self.call("fail", "Ljava/lang/String;", vec![Value::from(message)])
            .await
    }
}

/// Calls every greeter method once and prints what came back; returns the number of
/// unexpected outcomes (`fail` is expected to fail).
pub async fn call_each_method(client: &GreeterClient) -> usize {
    let mut problems = 0;
    let mut report = |what: &str, outcome: Result<String, RpcError>, expect_err: bool| match (
        &outcome, expect_err,
    ) {
        (Ok(v), false) => println!("{what} -> {v}"),
        (Err(e), true) => println!("{what} -> error (as expected): {e}"),
        (Ok(v), true) => {
            problems += 1;
            println!("{what} -> {v} (expected an error)");
        }
        (Err(e), false) => {
            problems += 1;
            println!("{what} -> ERROR {e}");
        }
    };
    report(
        "sayHello(\"world\")",
        client.say_hello("world").await,
        false,
    );
    report(
        "add(2, 3)",
        client.add(2, 3).await.map(|v| v.to_string()),
        false,
    );
    let list = Value::List(oxidubbo_hessian2::List::untyped(vec![
        "a".into(),
        "b".into(),
        "c".into(),
    ]));
    report(
        "echo([a, b, c])",
        client.echo(list).await.map(|v| format!("{v:?}")),
        false,
    );
    report(
        "getUser(42)",
        client.get_user(42).await.map(|u| format!("{u:?}")),
        false,
    );
    report(
        "fail(\"boom\")",
        client.fail("boom").await.map(|v| format!("{v:?}")),
        true,
    );
    problems
}

/// Reads `--name value` from the command line.
pub fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
