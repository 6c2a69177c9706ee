//! Shared pieces of the registry tests: a tiny greeter service and a recording listener.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_common::Url;
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, service_fn};
use oxidubbo_protocol::{Exporter, Protocol};
use oxidubbo_registry::NotifyListener;

/// A greeter: `sayHello(name)` → `Hello, name`; `slow(ms)` sleeps then answers `done`.
pub fn greeter(url: Url) -> Arc<dyn Invoker> {
    Arc::new(ServiceInvoker::new(
        Arc::new(url),
        service_fn(|inv: Invocation| async move {
            match inv.method_name() {
                "sayHello" => {
                    let name = inv
                        .arguments()
                        .first()
                        .and_then(Value::as_str)
                        .unwrap_or("?");
                    Ok(RpcResult::new(format!("Hello, {name}")))
                }
                "slow" => {
                    let ms = match inv.arguments().first() {
                        Some(Value::Int(ms)) => *ms as u64,
                        _ => 100,
                    };
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Ok(RpcResult::new("done"))
                }
                other => Err(RpcError::NotFound(other.to_owned())),
            }
        }),
    ))
}

/// `sayHello(name)`.
pub fn say_hello(name: &str) -> Invocation {
    Invocation::new("sayHello", "Ljava/lang/String;", vec![Value::from(name)])
}

/// `slow(ms)`.
pub fn slow(ms: i32) -> Invocation {
    Invocation::new("slow", "I", vec![Value::Int(ms)])
}

/// A listener that records every notification.
#[derive(Default)]
pub struct Recorder {
    pub calls: Mutex<Vec<Vec<Url>>>,
}

#[async_trait]
impl NotifyListener for Recorder {
    async fn notify(&self, urls: Vec<Url>) {
        self.calls.lock().unwrap().push(urls);
    }
}

impl Recorder {
    pub fn last(&self) -> Vec<Url> {
        self.calls
            .lock()
            .unwrap()
            .last()
            .cloned()
            .unwrap_or_default()
    }
    pub fn count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

/// A protocol for scheme `test` whose invokers call [`greeter`] in process and count
/// how many were referred and destroyed.
#[derive(Default)]
pub struct TestProtocol {
    pub referred: AtomicUsize,
    pub made: Mutex<Vec<Arc<dyn Invoker>>>,
}

impl TestProtocol {
    pub fn live(&self) -> usize {
        self.made
            .lock()
            .unwrap()
            .iter()
            .filter(|i| !i.is_destroyed())
            .count()
    }
    pub fn referred(&self) -> usize {
        self.referred.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Protocol for TestProtocol {
    async fn export(&self, _invoker: Arc<dyn Invoker>) -> Result<Arc<dyn Exporter>, RpcError> {
        Err(RpcError::Config("test protocol cannot export".into()))
    }

    async fn refer(&self, url: Arc<Url>) -> Result<Arc<dyn Invoker>, RpcError> {
        self.referred.fetch_add(1, Ordering::SeqCst);
        let invoker = greeter((*url).clone());
        self.made.lock().unwrap().push(Arc::clone(&invoker));
        Ok(invoker)
    }

    async fn destroy(&self) {}
}

/// Waits (at most `limit`) until `cond` holds; returns whether it did.
pub async fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A protocol for scheme `test` whose `refer` the test controls: each refer waits for a
/// permit ([`GatedProtocol::allow`]), then makes a [`greeter`] invoker that the protocol
/// keeps, as a process-wide protocol keeps what it referred until it is destroyed.
pub struct GatedProtocol {
    gate: tokio::sync::Semaphore,
    waiting: AtomicUsize,
    pub made: Mutex<Vec<Arc<dyn Invoker>>>,
}

impl Default for GatedProtocol {
    fn default() -> Self {
        GatedProtocol {
            gate: tokio::sync::Semaphore::new(0),
            waiting: AtomicUsize::new(0),
            made: Mutex::new(Vec::new()),
        }
    }
}

impl GatedProtocol {
    /// Lets `n` more refers through.
    pub fn allow(&self, n: usize) {
        self.gate.add_permits(n);
    }

    /// Refers waiting at the gate now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Invokers made so far.
    pub fn made(&self) -> usize {
        self.made.lock().unwrap().len()
    }

    /// Invokers made and not destroyed.
    pub fn live(&self) -> usize {
        self.made
            .lock()
            .unwrap()
            .iter()
            .filter(|i| !i.is_destroyed())
            .count()
    }
}

#[async_trait]
impl Protocol for GatedProtocol {
    async fn export(&self, _invoker: Arc<dyn Invoker>) -> Result<Arc<dyn Exporter>, RpcError> {
        Err(RpcError::Config("gated protocol cannot export".into()))
    }

    async fn refer(&self, url: Arc<Url>) -> Result<Arc<dyn Invoker>, RpcError> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        struct Leave<'a>(&'a AtomicUsize);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let leave = Leave(&self.waiting);
        let permit = self
            .gate
            .acquire()
            .await
            .map_err(|_| RpcError::Destroyed("gate closed".into()))?;
        permit.forget();
        drop(leave);
        let invoker = greeter((*url).clone());
        self.made.lock().unwrap().push(Arc::clone(&invoker));
        Ok(invoker)
    }

    async fn destroy(&self) {}
}
pub mod discovery;
