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

/// Other traffic on a protocol: a task calling `sayHello` in a loop (at most 10,000,000
/// calls and 600 s) until stopped; [`Background::stop`] returns how many calls succeeded.
pub struct Background {
    stop: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<usize>,
}

impl Background {
    /// Starts calling `invoker` until stopped. Every call must succeed.
    pub fn start(invoker: Arc<dyn Invoker>) -> Background {
        use std::sync::atomic::Ordering;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
            let mut calls = 0;
            for _ in 0..10_000_000 {
                if flag.load(Ordering::Relaxed) || std::time::Instant::now() > deadline {
                    break;
                }
                let r = invoker
                    .invoke(say_hello("bg"))
                    .await
                    .expect("background call");
                assert_eq!(r.value.as_str(), Some("Hello, bg"));
                calls += 1;
            }
            calls
        });
        Background { stop, task }
    }

    /// Stops the calls; the number that succeeded.
    pub async fn stop(self) -> usize {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.task.await.expect("the background task panicked")
    }
}

/// File descriptors open in this process (sockets among them).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// The live heap while other traffic runs: the lowest of 20 readings 1 ms apart (a call in
/// flight at one reading is not a leak).
pub async fn settled_live_bytes() -> isize {
    let mut lowest = isize::MAX;
    for _ in 0..20 {
        lowest = lowest.min(oxidubbo_integration_tests::counting_alloc::live_bytes());
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    lowest
}
