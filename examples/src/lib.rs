//! The greeter service the examples, the quickstart and the interop tests share:
//! `org.apache.dubbo.samples.api.GreeterService`, version `1.0.0`, declared once as a
//! typed service with `#[oxidubbo::service]`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), oxidubbo::RpcError> {
//! use oxidubbo::{DubboProtocol, Protocol};
//! use oxidubbo_examples::{Greeter, GreeterClient, greeter_provider_url, serve_greeter};
//!
//! let protocol = DubboProtocol::global();
//! let _exporter = serve_greeter(protocol, greeter_provider_url(20880)).await?;
//! let invoker = protocol.refer(greeter_provider_url(20880)).await?;
//! let client = GreeterClient::new(invoker);
//! assert_eq!(client.say_hello("world".into()).await?, "Hello, world");
//! # Ok(()) }
//! ```

pub mod greet;
pub mod samples;

use std::sync::Arc;

use oxidubbo::{DubboService, Exporter, Protocol, RpcError, Service, ServiceInvoker, Url, Value};
use serde::{Deserialize, Serialize};

/// The service's Java interface name.
pub const INTERFACE: &str = <dyn Greeter as DubboService>::INTERFACE;
/// The service's version.
pub const VERSION: &str = match <dyn Greeter as DubboService>::VERSION {
    Some(v) => v,
    None => "",
};

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
oxidubbo::hessian2::java_type!(User => "com.example.User");

/// `org.apache.dubbo.samples.api.GreeterService`, as Java declares it. The macro makes
/// [`GreeterClient`] (calls it over any invoker) and [`GreeterProvider`] (serves it).
#[oxidubbo::service(
    interface = "org.apache.dubbo.samples.api.GreeterService",
    version = "1.0.0"
)]
pub trait Greeter {
    /// `String sayHello(String name)`.
    async fn say_hello(&self, name: String) -> Result<String, RpcError>;
    /// `int add(int a, int b)`.
    async fn add(&self, a: i32, b: i32) -> Result<i32, RpcError>;
    /// `Object echo(Object value)`.
    async fn echo(
        &self,
        #[oxidubbo(java_type = "java.lang.Object")] value: Value,
    ) -> Result<Value, RpcError>;
    /// `com.example.User getUser(long id)`.
    async fn get_user(&self, id: i64) -> Result<User, RpcError>;
    /// `void fail(String message)`: always throws a `java.lang.RuntimeException`.
    async fn fail(&self, message: String) -> Result<Value, RpcError>;
}

/// The greeter's implementation.
#[derive(Debug, Default, Clone)]
pub struct HelloGreeter;

#[oxidubbo::async_trait]
impl Greeter for HelloGreeter {
    async fn say_hello(&self, name: String) -> Result<String, RpcError> {
        Ok(format!("Hello, {name}"))
    }

    async fn add(&self, a: i32, b: i32) -> Result<i32, RpcError> {
        Ok(a.wrapping_add(b))
    }

    async fn echo(&self, value: Value) -> Result<Value, RpcError> {
        Ok(value)
    }

    async fn get_user(&self, id: i64) -> Result<User, RpcError> {
        Ok(User {
            id,
            name: format!("user-{id}"),
            tags: vec!["a".into(), "b".into()],
        })
    }

    async fn fail(&self, message: String) -> Result<Value, RpcError> {
        Err(RpcError::business(format!("fail called: {message}")))
    }
}

/// The greeter as a provider-side [`Service`] (for hand-made exports).
pub fn greeter_service() -> Arc<dyn Service> {
    <dyn Greeter as DubboService>::provider(Arc::new(HelloGreeter))
}

/// The provider URL of the greeter on `127.0.0.1:port`.
pub fn greeter_provider_url(port: u16) -> Arc<Url> {
    let mut methods = <dyn Greeter as DubboService>::METHODS.to_vec();
    methods.sort_unstable();
    let url = Url::builder("dubbo")
        .host("127.0.0.1")
        .port(port)
        .path(INTERFACE)
        .param("interface", INTERFACE)
        .param("version", VERSION)
        .param("methods", methods.join(","))
        .param("side", "provider")
        .build();
    Arc::new(url)
}

/// Exports the greeter at `url` over `protocol` (without filters or registry; the
/// binaries use [`oxidubbo::Bootstrap`]).
pub async fn serve_greeter(
    protocol: &dyn Protocol,
    url: Arc<Url>,
) -> Result<Arc<dyn Exporter>, RpcError> {
    protocol
        .export(Arc::new(ServiceInvoker::new(url, greeter_service())))
        .await
}

/// A value to echo: a list of three strings.
fn sample_list() -> Value {
    Value::List(oxidubbo::hessian2::List::untyped(vec![
        "a".into(),
        "b".into(),
        "c".into(),
    ]))
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
        client.say_hello("world".into()).await,
        false,
    );
    report(
        "add(2, 3)",
        client.add(2, 3).await.map(|v| v.to_string()),
        false,
    );
    report(
        "echo([a, b, c])",
        client.echo(sample_list()).await.map(|v| format!("{v:?}")),
        false,
    );
    report(
        "getUser(42)",
        client.get_user(42).await.map(|u| format!("{u:?}")),
        false,
    );
    report(
        "fail(\"boom\")",
        client.fail("boom".into()).await.map(|v| format!("{v:?}")),
        true,
    );
    problems
}

/// The `[ssl]` the TLS flags ask for, or `None` without any: `--tls-cert PEM --tls-key PEM`
/// (this side's certificate), `--tls-ca PEM` (trust for the other side) and, on a provider,
/// `--tls-client-auth` (require client certificates; with `--tls-ca` alone they are
/// optional). A consumer without `--tls-ca` trusts the system's roots.
///
/// # Errors
///
/// A message when only one of `--tls-cert` and `--tls-key` is given.
pub fn tls_flags(
    args: &[String],
    provider: bool,
) -> Result<Option<oxidubbo::config::SslConfig>, String> {
    let cert = flag(args, "--tls-cert");
    let key = flag(args, "--tls-key");
    let ca = flag(args, "--tls-ca");
    let client_auth = args.iter().any(|a| a == "--tls-client-auth");
    if cert.is_some() != key.is_some() {
        return Err("--tls-cert and --tls-key go together".into());
    }
    if cert.is_none() && ca.is_none() && !client_auth {
        return Ok(None);
    }
    let mut ssl = oxidubbo::config::SslConfig::default();
    if provider {
        if cert.is_none() {
            return Err("a TLS provider needs --tls-cert and --tls-key".into());
        }
        if client_auth && ca.is_none() {
            return Err("--tls-client-auth needs --tls-ca (the CA of client certificates)".into());
        }
        ssl.server_key_cert_chain_path = cert;
        ssl.server_private_key_path = key;
        ssl.client_auth = Some(if client_auth { "require" } else { "optional" }.into());
        ssl.server_trust_cert_collection_path = ca;
    } else {
        ssl.client_key_cert_chain_path = cert;
        ssl.client_private_key_path = key;
        ssl.client_trust_cert_collection_path = ca;
    }
    Ok(Some(ssl))
}

/// `url` (one or several `;`-separated addresses) with `ssl-enabled=true` on each.
pub fn with_ssl_enabled(url: &str) -> String {
    url.split(';')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| {
            let sep = if u.contains('?') { '&' } else { '?' };
            format!("{u}{sep}ssl-enabled=true")
        })
        .collect::<Vec<_>>()
        .join(";")
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
