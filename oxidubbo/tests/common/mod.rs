//! The greeter as the example programs declare it (the tests cannot use the examples
//! crate, which depends on this one), and helpers.
#![allow(dead_code, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxidubbo::{RpcError, Value};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.User")]
pub struct User {
    pub id: i64,
    pub name: String,
    pub tags: Vec<String>,
}
oxidubbo::hessian2::java_type!(User => "com.example.User");

#[oxidubbo::service(
    interface = "org.apache.dubbo.samples.api.GreeterService",
    version = "1.0.0"
)]
pub trait Greeter {
    async fn say_hello(&self, name: String) -> Result<String, RpcError>;
    async fn add(&self, a: i32, b: i32) -> Result<i32, RpcError>;
    async fn echo(
        &self,
        #[oxidubbo(java_type = "java.lang.Object")] value: Value,
    ) -> Result<Value, RpcError>;
    async fn get_user(&self, id: i64) -> Result<User, RpcError>;
    async fn fail(&self, message: String) -> Result<Value, RpcError>;
}

/// A greeter that counts the calls it started and finished, optionally taking `delay`
/// per call, and says which provider answered.
#[derive(Default)]
pub struct CountingGreeter {
    pub label: String,
    pub delay: Duration,
    pub started: AtomicUsize,
    pub finished: AtomicUsize,
}

impl CountingGreeter {
    pub fn new(label: &str, delay: Duration) -> Arc<Self> {
        Arc::new(CountingGreeter {
            label: label.to_owned(),
            delay,
            ..CountingGreeter::default()
        })
    }

    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    pub fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }
}

#[oxidubbo::async_trait]
impl Greeter for CountingGreeter {
    async fn say_hello(&self, name: String) -> Result<String, RpcError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.finished.fetch_add(1, Ordering::SeqCst);
        Ok(format!("Hello, {name} from {}", self.label))
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

/// A free port on 127.0.0.1 (outside the ephemeral range; see the helper).
#[allow(unused_imports)] // not every test binary sharing this module binds a port
pub use oxidubbo_integration_tests::free_port;

/// The path of a file in the examples' config folder.
pub fn example_config(name: &str) -> String {
    format!("{}/../examples/config/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn env(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}
