//! Shared helpers of the filter tests.
#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use oxidubbo_invoker::{
    Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, Url, Value, service_fn,
};

/// The greeter URL with extra query parameters (`"a=1&b=2"`, or `""`).
pub fn url(params: &str) -> Arc<Url> {
    let sep = if params.is_empty() { "" } else { "&" };
    Arc::new(
        Url::parse(&format!(
            "dubbo://127.0.0.1:20880/org.example.Greeter?version=1.0.0&application=demo-consumer{sep}{params}"
        ))
        .unwrap(),
    )
}

/// What the service saw last.
pub type Seen = Arc<Mutex<Option<Invocation>>>;

/// A service recording every call it gets: `sayHello(name)` answers `"Hello, " + name`,
/// `echo(x)` answers `x`, `fail(kind)` fails, anything else is NotFound.
pub fn recording_service(url: Arc<Url>) -> (Arc<dyn Invoker>, Seen) {
    let seen: Seen = Arc::new(Mutex::new(None));
    let s = Arc::clone(&seen);
    let invoker = ServiceInvoker::new(
        url,
        service_fn(move |inv: Invocation| {
            *s.lock().unwrap() = Some(inv.clone());
            async move {
                let first = inv.arguments().first().cloned().unwrap_or_default();
                match inv.method_name() {
                    "sayHello" => Ok(RpcResult::new(format!(
                        "Hello, {}",
                        first.as_str().unwrap_or("")
                    ))),
                    "echo" => Ok(RpcResult::new(first)),
                    "fail" => Err(match first.as_str().unwrap_or("") {
                        "business" => RpcError::business("no such user"),
                        "network" => RpcError::Network("downstream connection reset".into()),
                        "destroyed" => RpcError::Destroyed("gone".into()),
                        "status" => RpcError::Grpc {
                            code: 3,
                            message: "bad name".into(),
                        },
                        _ => RpcError::NotFound("method fail".into()),
                    }),
                    other => Err(RpcError::NotFound(format!("method {other}"))),
                }
            }
        }),
    );
    (Arc::new(invoker), seen)
}

/// `sayHello(name)`.
pub fn say_hello(name: &str) -> Invocation {
    Invocation::new("sayHello", "Ljava/lang/String;", vec![Value::from(name)])
}

/// A writer collecting `tracing` output.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Collects the `tracing` events of this thread until the guard drops (use a
/// current-thread runtime).
pub fn capture_logs() -> (tracing::subscriber::DefaultGuard, Logs) {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    (tracing::subscriber::set_default(subscriber), logs)
}

/// Controls a [`gated_service`]: each call signals `entered`, then waits for a `release`
/// permit.
#[derive(Clone)]
pub struct Gate {
    entered: Arc<tokio::sync::Semaphore>,
    release: Arc<tokio::sync::Semaphore>,
}

impl Gate {
    /// Waits (at most 5 s) until `n` more calls have entered the service.
    pub async fn entered(&self, n: u32) {
        let permits = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            self.entered.acquire_many(n),
        )
        .await
        .expect("calls did not reach the service in time")
        .unwrap();
        permits.forget();
    }

    /// Lets `n` calls finish.
    pub fn release(&self, n: usize) {
        self.release.add_permits(n);
    }
}

/// A service whose calls wait at a [`Gate`] and then answer `"done"`.
pub fn gated_service(url: Arc<Url>) -> (Arc<dyn Invoker>, Gate) {
    let gate = Gate {
        entered: Arc::new(tokio::sync::Semaphore::new(0)),
        release: Arc::new(tokio::sync::Semaphore::new(0)),
    };
    let g = gate.clone();
    let invoker = ServiceInvoker::new(
        url,
        service_fn(move |_inv: Invocation| {
            let g = g.clone();
            async move {
                g.entered.add_permits(1);
                g.release.acquire().await.unwrap().forget();
                Ok(RpcResult::new("done"))
            }
        }),
    );
    (Arc::new(invoker), gate)
}
