//! Generic calls with an independent peer, sofa-rpc-node (dubbo-remoting, hessian.js):
//!
//! - oxidubbo's `GenericService` calls the sofa provider's `$invoke` (the peer dispatches
//!   it to the named method, arguments as they came): a POJO result (`getUser`) and a POJO
//!   argument sent as a map with a `class` key (`echo`);
//! - the sofa consumer sends `$invoke` with `generic=true` and a POJO map to an oxidubbo
//!   provider (bootstrap filters: its `generic` filter realizes the map as the typed
//!   argument and generalizes the typed result back into a map).
#![allow(missing_docs)]

use std::sync::Arc;

use oxidubbo::config::ReferenceConfig;
use oxidubbo::generic::pojo;
use oxidubbo::{Bootstrap, Config, RpcError, Value};
use oxidubbo_examples::User;
use oxidubbo_integration_tests::{SofaProvider, run_sofa_consumer, sofa_dir};
use serde_json::{Value as Json, json};

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";

fn map_get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Map(m) => m.get(key),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_service_calls_the_sofa_provider() {
    let Some(dir) = sofa_dir() else { return };
    let provider = SofaProvider::start(&dir, &["--port", "0"]).await;
    let reference =
        ReferenceConfig::new(GREETER).with_url(format!("dubbo://127.0.0.1:{}", provider.port));
    let mut reference = reference;
    reference.version = Some("1.0.0".into());
    let running = Bootstrap::new()
        .application("generic-consumer")
        .reference("greeter", reference)
        .start()
        .await
        .unwrap();
    let greeter = running.generic("greeter").unwrap();

    // A POJO result: the peer answers a com.example.User object, which comes back as the
    // map generic consumers get.
    let user = greeter
        .invoke("getUser", &["long"], vec![Value::Long(42)])
        .await
        .unwrap();
    assert_eq!(
        map_get(&user, "class").and_then(Value::as_str),
        Some("com.example.User"),
        "{user:?}"
    );
    assert_eq!(map_get(&user, "id").and_then(Value::as_i64), Some(42));
    assert_eq!(
        map_get(&user, "name").and_then(Value::as_str),
        Some("user-42")
    );

    // A POJO argument as a map with its class: the peer's echo sends it back as received.
    let ann = pojo(
        "com.example.User",
        [("id", Value::Long(7)), ("name", Value::from("Ann"))],
    );
    let echoed = greeter
        .invoke("echo", &["java.lang.Object"], vec![ann])
        .await
        .unwrap();
    assert_eq!(
        map_get(&echoed, "class").and_then(Value::as_str),
        Some("com.example.User"),
        "{echoed:?}"
    );
    assert_eq!(map_get(&echoed, "id").and_then(Value::as_i64), Some(7));
    assert_eq!(
        map_get(&echoed, "name").and_then(Value::as_str),
        Some("Ann")
    );

    // A business exception of the peer reaches the generic consumer.
    let err = greeter
        .invoke("fail", &["java.lang.String"], vec!["boom".into()])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("fail called: boom"), "{err}");
    running.shutdown().await;
}

/// A service with a POJO (`com.example.User`, the examples') argument and result.
#[oxidubbo::service(interface = "org.example.UserService", version = "1.0.0")]
pub trait UserService {
    async fn rename(&self, user: User, name: String) -> Result<User, RpcError>;
    async fn get_user(&self, id: i64) -> Result<User, RpcError>;
}

struct Users;

#[oxidubbo::async_trait]
impl UserService for Users {
    async fn rename(&self, user: User, name: String) -> Result<User, RpcError> {
        Ok(User { name, ..user })
    }

    async fn get_user(&self, id: i64) -> Result<User, RpcError> {
        Ok(User {
            id,
            name: format!("user-{id}"),
            tags: vec!["a".into(), "b".into()],
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sofa_generic_consumer_calls_an_oxidubbo_provider() {
    let Some(dir) = sofa_dir() else { return };
    let config = Config::parse(
        "[protocols.dubbo]\nport = 0\n[services.users]\n",
        "generic-provider.toml",
    )
    .unwrap();
    let running = Bootstrap::from_config(config)
        .application("generic-provider")
        .service::<dyn UserService>("users", Arc::new(Users))
        .start()
        .await
        .unwrap();
    let port = running.provider_urls()["users"].port();
    let target = format!("127.0.0.1:{port}");
    let raw = run_sofa_consumer(
        &dir,
        &[
            "--target",
            &target,
            "--interface",
            "org.example.UserService",
            "--version",
            "1.0.0",
            "--calls",
            "genericRename,genericGetUser",
        ],
    )
    .await;
    let lines: Vec<Json> = raw
        .iter()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{raw:?}");
    assert_eq!(lines[0]["ok"], json!(true), "{}", lines[0]);
    assert_eq!(
        lines[0]["result"],
        json!({"class": "com.example.User", "id": 7, "name": "Bea", "tags": ["t"]}),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1]["ok"], json!(true), "{}", lines[1]);
    assert_eq!(
        lines[1]["result"],
        json!({"class": "com.example.User", "id": 42, "name": "user-42", "tags": ["a", "b"]}),
        "{}",
        lines[1]
    );
    running.shutdown().await;
}
