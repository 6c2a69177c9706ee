//! `#[oxidubbo::service]`: a typed client calling a typed provider over dubbo and injvm,
//! with the Java names and descriptors Dubbo peers expect.
#![allow(missing_docs)]

use std::sync::{Arc, Mutex};

use oxidubbo::{
    BaseInvoker, DubboProtocol, DubboService, InjvmProtocol, Invocation, Invoker, Protocol,
    RpcError, RpcResult, ServiceInvoker, Url, Value,
};
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
    async fn save_user(&self, user: User, notify: bool) -> Result<Option<String>, RpcError>;
    #[oxidubbo(name = "fail")]
    async fn always_fails(&self, message: String) -> Result<(), RpcError>;
}

struct Impl;

#[oxidubbo::async_trait]
impl Greeter for Impl {
    async fn say_hello(&self, name: String) -> Result<String, RpcError> {
        Ok(format!("Hello, {name}"))
    }
    async fn add(&self, a: i32, b: i32) -> Result<i32, RpcError> {
        Ok(a + b)
    }
    async fn echo(&self, value: Value) -> Result<Value, RpcError> {
        Ok(value)
    }
    async fn get_user(&self, id: i64) -> Result<User, RpcError> {
        Ok(User {
            id,
            name: format!("user-{id}"),
            tags: vec!["a".into()],
        })
    }
    async fn save_user(&self, user: User, notify: bool) -> Result<Option<String>, RpcError> {
        Ok(notify.then(|| format!("saved {}", user.name)))
    }
    async fn always_fails(&self, message: String) -> Result<(), RpcError> {
        Err(RpcError::business(format!("fail called: {message}")))
    }
}

fn url(proto: &str, port: u16) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "{proto}://127.0.0.1:{port}/{}?version=1.0.0",
            <dyn Greeter as DubboService>::INTERFACE
        ))
        .unwrap(),
    )
}

async fn exercise(client: &GreeterClient) {
    assert_eq!(
        client.say_hello("world".into()).await.unwrap(),
        "Hello, world"
    );
    assert_eq!(client.add(2, 3).await.unwrap(), 5);
    assert_eq!(client.echo(Value::Long(9)).await.unwrap(), Value::Long(9));
    let user = client.get_user(42).await.unwrap();
    assert_eq!(
        user,
        User {
            id: 42,
            name: "user-42".into(),
            tags: vec!["a".into()]
        }
    );
    assert_eq!(
        client
            .save_user(user.clone(), true)
            .await
            .unwrap()
            .as_deref(),
        Some("saved user-42")
    );
    assert_eq!(client.save_user(user, false).await.unwrap(), None);
    let err = client.always_fails("boom".into()).await.unwrap_err();
    assert!(
        err.is_business() && err.to_string().contains("fail called: boom"),
        "{err:?}"
    );
}

#[tokio::test]
async fn typed_client_calls_typed_provider_over_injvm() {
    let protocol = InjvmProtocol::new();
    let service = <dyn Greeter as DubboService>::provider(Arc::new(Impl));
    let _e = protocol
        .export(Arc::new(ServiceInvoker::new(url("injvm", 0), service)))
        .await
        .unwrap();
    let client =
        <dyn Greeter as DubboService>::client(protocol.refer(url("injvm", 0)).await.unwrap());
    exercise(&client).await;
    protocol.destroy().await;
}

#[tokio::test]
async fn typed_client_calls_typed_provider_over_dubbo() {
    let port = oxidubbo_integration_tests::free_port();
    let protocol = DubboProtocol::new();
    let service = GreeterProvider::new(Arc::new(Impl));
    let _e = protocol
        .export(Arc::new(ServiceInvoker::new(url("dubbo", port), service)))
        .await
        .unwrap();
    let client = GreeterClient::new(protocol.refer(url("dubbo", port)).await.unwrap());
    exercise(&client).await;
    protocol.destroy().await;
}

/// Records every invocation it receives and answers `Null`.
struct Recorder {
    base: BaseInvoker,
    seen: Mutex<Vec<(String, String, usize)>>,
}

#[oxidubbo::async_trait]
impl Invoker for Recorder {
    async fn invoke(&self, inv: Invocation) -> Result<RpcResult, RpcError> {
        let entry = (
            inv.method_name().to_owned(),
            inv.parameter_types().to_owned(),
            inv.arguments().len(),
        );
        self.seen.lock().unwrap().push(entry);
        Ok(RpcResult::new(Value::Null))
    }
    fn url(&self) -> Option<Arc<Url>> {
        self.base.url()
    }
    fn is_available(&self) -> bool {
        true
    }
    fn is_destroyed(&self) -> bool {
        false
    }
    fn destroy(&self) {}
}

#[tokio::test]
async fn java_names_and_descriptors() {
    let recorder = Arc::new(Recorder {
        base: BaseInvoker::new(url("injvm", 0)),
        seen: Mutex::new(vec![]),
    });
    let client = GreeterClient::new(recorder.clone());
    let _ = client.say_hello("x".into()).await;
    let _ = client.add(1, 2).await;
    let _ = client.echo(Value::Null).await;
    let _ = client.get_user(1).await;
    let _ = client
        .save_user(
            User {
                id: 1,
                name: "n".into(),
                tags: vec![],
            },
            true,
        )
        .await;
    let _ = client.always_fails("x".into()).await;
    let seen = recorder.seen.lock().unwrap().clone();
    let expected = [
        ("sayHello", "Ljava/lang/String;", 1),
        ("add", "II", 2),
        ("echo", "Ljava/lang/Object;", 1),
        ("getUser", "J", 1),
        ("saveUser", "Lcom/example/User;Z", 2),
        ("fail", "Ljava/lang/String;", 1),
    ];
    let seen: Vec<(&str, &str, usize)> = seen
        .iter()
        .map(|(m, d, n)| (m.as_str(), d.as_str(), *n))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(
        <dyn Greeter as DubboService>::METHODS,
        &["sayHello", "add", "echo", "getUser", "saveUser", "fail"]
    );
    assert_eq!(<dyn Greeter as DubboService>::VERSION, Some("1.0.0"));
    assert_eq!(<dyn Greeter as DubboService>::GROUP, None);
}

#[tokio::test]
async fn the_provider_rejects_unknown_methods_and_bad_arguments() {
    let provider = GreeterProvider::new(Arc::new(Impl));
    use oxidubbo::Service;
    let err = provider
        .call(Invocation::new("nope", "", vec![]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RpcError::NotFound(ref m) if m.contains("nope")),
        "{err:?}"
    );
    let err = provider
        .call(Invocation::new("add", "II", vec![Value::Int(1)]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RpcError::Codec(ref m) if m.contains("takes 2 argument(s), got 1")),
        "{err:?}"
    );
    let err = provider
        .call(Invocation::new(
            "add",
            "II",
            vec!["x".into(), Value::Int(1)],
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RpcError::Codec(ref m) if m.contains("argument 0 of")),
        "{err:?}"
    );
    // A long where an int is declared converts when it fits (Java peers mix them).
    let ok = provider
        .call(Invocation::new(
            "add",
            "II",
            vec![Value::Long(40), Value::Int(2)],
        ))
        .await
        .unwrap();
    assert_eq!(ok.value, Value::Int(42));
}

#[test]
fn compile_errors_are_clear() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
