//! Shared helpers of the cluster tests: scripted provider invokers and URLs.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_cluster::{Directory, StaticDirectory};
use oxidubbo_invoker::{BaseInvoker, Invocation, Invoker, RpcError, RpcResult, Url, Value};
use tokio::sync::Notify;

/// What a scripted provider does on each call.
#[derive(Clone)]
pub enum Script {
    /// Answers with its name.
    Ok,
    /// Fails with a network error the first `n` calls, then answers.
    FailTimes(usize),
    /// Always fails with this error.
    Fail(RpcError),
    /// Never answers (until the test gives up).
    Hang,
    /// Waits for `gate`, then fails with a network error.
    FailAfter(Arc<Notify>),
    /// Waits for `gate`, then answers.
    OkAfter(Arc<Notify>),
    /// Answers after a delay.
    Delay(Duration),
}

/// A provider invoker that follows a script and counts its calls.
pub struct Scripted {
    base: BaseInvoker,
    name: String,
    script: Mutex<Script>,
    calls: AtomicUsize,
}

impl Scripted {
    /// Calls received so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// The provider's name (what it answers).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Replaces the script.
    pub fn set_script(&self, script: Script) {
        *self.script.lock().unwrap() = script;
    }

    /// Marks the provider available or not.
    pub fn set_available(&self, available: bool) {
        self.base.set_available(available);
    }
}

#[async_trait]
impl Invoker for Scripted {
    async fn invoke(&self, _invocation: Invocation) -> Result<RpcResult, RpcError> {
        let url = self.base.url_or_destroyed()?;
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let script = self.script.lock().unwrap().clone();
        let address = url.address();
        drop(url);
        match script {
            Script::Ok => Ok(RpcResult::new(self.name.clone())),
            Script::FailTimes(k) if n < k => Err(RpcError::Network(format!("{address} reset"))),
            Script::FailTimes(_) => Ok(RpcResult::new(self.name.clone())),
            Script::Fail(e) => Err(e),
            Script::Hang => {
                std::future::pending::<()>().await;
                unreachable!()
            }
            Script::FailAfter(gate) => {
                gate.notified().await;
                Err(RpcError::Network(format!("{address} reset")))
            }
            Script::OkAfter(gate) => {
                gate.notified().await;
                Ok(RpcResult::new(self.name.clone()))
            }
            Script::Delay(d) => {
                tokio::time::sleep(d).await;
                Ok(RpcResult::new(self.name.clone()))
            }
        }
    }

    fn url(&self) -> Option<Arc<Url>> {
        self.base.url()
    }

    fn is_available(&self) -> bool {
        self.base.is_available()
    }

    fn is_destroyed(&self) -> bool {
        self.base.is_destroyed()
    }

    fn destroy(&self) {
        self.base.destroy();
    }
}

/// A provider URL for the test service on `10.0.0.<host>:20880` with extra `params`
/// (`"weight=5&dubbo.tag=gray"`).
pub fn provider_url(host: u8, params: &str) -> Arc<Url> {
    let sep = if params.is_empty() { "" } else { "&" };
    Arc::new(
        Url::parse(&format!(
            "dubbo://10.0.0.{host}:20880/com.example.Greeter?interface=com.example.Greeter{sep}{params}"
        ))
        .unwrap(),
    )
}

/// A scripted provider named `name` at `10.0.0.<host>`.
pub fn scripted(name: &str, host: u8, params: &str, script: Script) -> Arc<Scripted> {
    Arc::new(Scripted {
        base: BaseInvoker::new(provider_url(host, params)),
        name: name.to_owned(),
        script: Mutex::new(script),
        calls: AtomicUsize::new(0),
    })
}

/// The consumer URL of the test service with `params`.
pub fn consumer(params: &str) -> Arc<Url> {
    let sep = if params.is_empty() { "" } else { "&" };
    Arc::new(
        Url::parse(&format!(
            "consumer://10.0.0.99/com.example.Greeter?interface=com.example.Greeter{sep}{params}"
        ))
        .unwrap(),
    )
}

/// Upcasts scripted providers.
pub fn dyns(providers: &[Arc<Scripted>]) -> Vec<Arc<dyn Invoker>> {
    providers
        .iter()
        .map(|p| Arc::clone(p) as Arc<dyn Invoker>)
        .collect()
}

/// A static directory over `providers` for the consumer URL with `params`.
pub fn directory(params: &str, providers: &[Arc<Scripted>]) -> Arc<dyn Directory> {
    Arc::new(StaticDirectory::with_url(
        Some(consumer(params)),
        dyns(providers),
    ))
}

/// A call of `sayHello(name)`.
pub fn call(name: &str) -> Invocation {
    Invocation::new("sayHello", "Ljava/lang/String;", vec![Value::from(name)])
}

/// The string value of a result.
pub fn answer(result: &RpcResult) -> &str {
    result.value.as_str().unwrap_or("<not a string>")
}
