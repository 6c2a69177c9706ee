//! Shared helpers of the protocol tests.
#![allow(dead_code)]

use std::sync::Arc;

use oxidubbo_protocol::{DubboProtocol, Exporter, Protocol};

use oxidubbo_invoker::{
    Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, Url, Value, service_fn,
};

/// A service answering `sayHello(name)` with `"Hello, " + name`, `echo(x)` with `x`,
/// `fail(msg)` with a business exception, and anything else with NotFound.
pub fn greeter(url: Arc<Url>) -> Arc<dyn Invoker> {
    Arc::new(ServiceInvoker::new(
        url,
        service_fn(|inv: Invocation| async move {
            match inv.method_name() {
                "sayHello" => {
                    let name = inv
                        .arguments()
                        .first()
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    Ok(RpcResult::new(format!("Hello, {name}")))
                }
                "echo" => Ok(RpcResult::new(
                    inv.arguments().first().cloned().unwrap_or_default(),
                )),
                "sleep" => {
                    let ms = inv.arguments().first().and_then(Value::as_i64).unwrap_or(0);
                    tokio::time::sleep(std::time::Duration::from_millis(ms as u64)).await;
                    Ok(RpcResult::new(ms))
                }
                "fail" => {
                    let msg = inv
                        .arguments()
                        .first()
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    Err(RpcError::business(format!("failed: {msg}")))
                }
                other => Err(RpcError::NotFound(format!("method {other}"))),
            }
        }),
    ))
}

/// A protocol serving [`greeter`] over dubbo on a free port: the protocol, the port and
/// the exporter (kept for as long as the service should stay exported).
pub async fn greeter_server() -> (DubboProtocol, u16, Arc<dyn Exporter>) {
    let protocol = DubboProtocol::new();
    let port = free_port();
    let exporter = protocol
        .export(greeter(greeter_url("dubbo", port)))
        .await
        .expect("the greeter exports");
    (protocol, port, exporter)
}

/// `sayHello(name)`.
pub fn say_hello(name: &str) -> Invocation {
    Invocation::new("sayHello", "Ljava/lang/String;", vec![Value::from(name)])
}

/// A free port on 127.0.0.1 (outside the ephemeral range; see the helper).
#[allow(unused_imports)] // not every test binary sharing this module binds a port
pub use oxidubbo_integration_tests::free_port;

/// A URL for the greeter service on `proto` at `127.0.0.1:port`.
pub fn greeter_url(proto: &str, port: u16) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "{proto}://127.0.0.1:{port}/org.apache.dubbo.samples.api.GreeterService?version=1.0.0&timeout=3000"
        ))
        .unwrap(),
    )
}
