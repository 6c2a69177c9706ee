//! Generic calls oxidubbo ↔ oxidubbo: `GenericService` (`$invoke`, POJOs as maps with a
//! `class` key) calling a typed provider over dubbo and Triple, with a POJO argument and a
//! POJO result; the provider's `gson` form (JSON string arguments) and `bean` form
//! (`JavaBeanDescriptor` arguments and result); generic kinds the
//! provider does not serve refused with a clear error; business exceptions kept.
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use oxidubbo::generic::{GenericService, pojo};
use oxidubbo::{Bootstrap, Config, RpcError, Running, Value};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.User")]
pub struct User {
    pub id: i64,
    pub name: String,
    pub tags: Vec<String>,
}
oxidubbo::hessian2::java_type!(User => "com.example.User");

#[oxidubbo::service(interface = "com.example.UserService", version = "1.0.0")]
pub trait UserService {
    async fn rename(&self, user: User, name: String) -> Result<User, RpcError>;
    async fn get_user(&self, id: i64) -> Result<User, RpcError>;
    async fn fail(&self, message: String) -> Result<String, RpcError>;
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
            tags: vec!["a".into()],
        })
    }

    async fn fail(&self, message: String) -> Result<String, RpcError> {
        Err(RpcError::business(format!("fail called: {message}")))
    }
}

/// One application serving the service on `protocol` (a free port) and referring it.
///
/// The tests of this file run at once in one process, whose embedded registry they all
/// share: each application's service gets a group of its own, so that its reference finds
/// its own provider and not one another test is shutting down.
async fn app(protocol: &str) -> Running {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let group = format!("generic-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let toml = format!(
        "[protocols.{protocol}]\nport = 0\n\
         [services.users]\nprotocol = \"{protocol}\"\ngroup = \"{group}\"\n\
         [references.users]\ninterface = \"com.example.UserService\"\nversion = \"1.0.0\"\nprotocol = \"{protocol}\"\ngroup = \"{group}\"\n"
    );
    Bootstrap::from_config(Config::parse(&toml, "generic.toml").unwrap())
        .service::<dyn UserService>("users", Arc::new(Users))
        .start()
        .await
        .unwrap()
}

fn user_map(id: i64, name: &str, tags: &[&str]) -> Value {
    let tags = tags.iter().map(|t| Value::from(*t)).collect();
    pojo(
        "com.example.User",
        [
            ("id", Value::Long(id)),
            ("name", Value::from(name)),
            ("tags", Value::List(oxidubbo::hessian2::List::untyped(tags))),
        ],
    )
}

/// The map a generalized `User` comes back as: `class` first, then the fields.
fn is_user(value: &Value, id: i64, name: &str) -> bool {
    let Value::Map(m) = value else { return false };
    m.entries.first().map(|(k, v)| (k.as_str(), v.as_str()))
        == Some((Some("class"), Some("com.example.User")))
        && m.get("id").and_then(Value::as_i64) == Some(id)
        && m.get("name").and_then(Value::as_str) == Some(name)
}

async fn pojo_argument_and_result(protocol: &str) {
    let running = app(protocol).await;
    let users: GenericService = running.generic("users").unwrap();
    let renamed = users
        .invoke(
            "rename",
            &["com.example.User", "java.lang.String"],
            vec![user_map(7, "Ann", &["x"]), "Bea".into()],
        )
        .await
        .unwrap();
    assert!(is_user(&renamed, 7, "Bea"), "{protocol}: {renamed:?}");
    let user = users
        .invoke("getUser", &["long"], vec![Value::Long(42)])
        .await
        .unwrap();
    assert!(is_user(&user, 42, "user-42"), "{protocol}: {user:?}");
    // The typed client of the same reference still gets its struct.
    let typed = running.client::<dyn UserService>("users").unwrap();
    assert_eq!(typed.get_user(1).await.unwrap().name, "user-1");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_call_with_pojo_argument_and_result_over_dubbo() {
    pojo_argument_and_result("dubbo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_call_with_pojo_argument_and_result_over_triple() {
    pojo_argument_and_result("tri").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_return_sends_the_result_as_it_is() {
    let running = app("dubbo").await;
    let users = running.generic("users").unwrap().with_generic("raw.return");
    let result = users
        .invoke_raw("getUser", &["long"], vec![Value::Long(3)])
        .await
        .unwrap();
    let Value::Object(o) = &result.value else {
        panic!("{:?}", result.value)
    };
    assert_eq!(o.class_name, "com.example.User");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gson_arguments_are_json_strings_read_for_their_declared_types() {
    let running = app("dubbo").await;
    let users = running.generic("users").unwrap().with_generic("gson");
    let renamed = users
        .invoke(
            "rename",
            &["com.example.User", "java.lang.String"],
            vec![
                r#"{"id": 9, "name": "Ann", "tags": ["t"]}"#.into(),
                r#""Cy""#.into(),
            ],
        )
        .await
        .unwrap();
    assert!(is_user(&renamed, 9, "Cy"), "{renamed:?}");
    let user = users
        .invoke("getUser", &["long"], vec!["5".into()])
        .await
        .unwrap();
    assert!(is_user(&user, 5, "user-5"), "{user:?}");

    // Not JSON, or not a string: the provider says why.
    let err = users
        .invoke("getUser", &["long"], vec!["five".into()])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not JSON"), "{err}");
    let err = users
        .invoke("getUser", &["long"], vec![Value::Long(5)])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("JSON strings"), "{err}");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_generic_kinds_are_refused_clearly() {
    let running = app("dubbo").await;
    for kind in ["nativejava", "kryo"] {
        let users = running.generic("users").unwrap().with_generic(kind);
        let err = users
            .invoke("getUser", &["long"], vec![Value::Long(1)])
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(kind) && text.contains("not supported"),
            "{kind}: {text}"
        );
    }
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn business_exceptions_reach_the_generic_consumer() {
    let running = app("dubbo").await;
    let users = running.generic("users").unwrap();
    let err = users
        .invoke("fail", &["java.lang.String"], vec!["boom".into()])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RpcError::Remote { message, .. } if message == "fail called: boom"),
        "{err:?}"
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bean_arguments_and_result_are_java_bean_descriptors() {
    use oxidubbo::filter::java_bean::{CLASS, TYPE_BEAN, describe, realize};
    use oxidubbo::hessian2::{List, Object};

    let running = app("dubbo").await;
    let users = running.generic("users").unwrap().with_generic("bean");
    let ann = Value::Object(Object::new(
        "com.example.User",
        vec![
            ("id".into(), Value::Long(9)),
            ("name".into(), Value::from("Ann")),
            ("tags".into(), Value::List(List::untyped(vec!["t".into()]))),
        ],
    ));
    let args = vec![describe(&ann).unwrap(), describe(&"Cy".into()).unwrap()];
    let result = users
        .invoke_raw("rename", &["com.example.User", "java.lang.String"], args)
        .await
        .unwrap();
    let Value::Object(d) = &result.value else {
        panic!("{:?}", result.value)
    };
    assert_eq!(d.class_name, CLASS);
    assert_eq!(d.get("type"), Some(&Value::Int(TYPE_BEAN)));
    assert_eq!(d.get("className"), Some(&Value::from("com.example.User")));
    let Value::Object(user) = realize(result.value).unwrap() else {
        panic!("not an object")
    };
    assert_eq!(user.get("name"), Some(&Value::from("Cy")));
    assert_eq!(user.get("id"), Some(&Value::Long(9)));

    // An argument that is not a descriptor is refused, saying so.
    let err = users
        .invoke("getUser", &["long"], vec![Value::Long(1)])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("JavaBeanDescriptor"), "{err}");
    running.shutdown().await;
}
