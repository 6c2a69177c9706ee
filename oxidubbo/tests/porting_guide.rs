//! What `docs/porting-from-dubbo-go.md` shows and no other test covers: a custom filter
//! (dubbo-go's `extension.SetFilter`) registered in a `FilterRegistry` given to the
//! bootstrap and listed by a service of a dubbo-go YAML file (`filter: stamp`).
#![allow(missing_docs)]

use std::sync::Arc;

use oxidubbo::filter::{Filter, FilterContext, FilterRegistry, Next};
use oxidubbo::{Bootstrap, ClientContext, Config, Invocation, RpcError, RpcResult};

#[oxidubbo::service(interface = "org.example.Greeter")]
pub trait Greeter {
    async fn say_hello(&self, name: String) -> Result<String, RpcError>;
}

struct MyGreeter;

#[oxidubbo::async_trait]
impl Greeter for MyGreeter {
    async fn say_hello(&self, name: String) -> Result<String, RpcError> {
        Ok(format!("Hello, {name}"))
    }
}

struct Stamp;

#[oxidubbo::async_trait]
impl Filter for Stamp {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        let mut result = next.invoke(invocation).await?;
        result.attachments.insert("stamped", "yes");
        Ok(result)
    }
}

const YAML: &str = "\
dubbo:
  protocols:
    dubbo:
      name: dubbo
      port: 0
  provider:
    services:
      X:
        interface: org.example.Greeter
        filter: stamp
  consumer:
    references:
      X:
        interface: org.example.Greeter
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_filter_listed_in_dubbogo_yml_runs_on_the_provider() {
    let dir = std::env::temp_dir().join(oxidubbo_integration_tests::unique_name("guide"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dubbogo.yml");
    std::fs::write(&path, YAML).unwrap();

    let mut filters = FilterRegistry::with_builtins();
    filters
        .register_filter("stamp", |_: &FilterContext<'_>| {
            Ok(Some(Arc::new(Stamp) as Arc<dyn Filter>))
        })
        .unwrap();
    let config = Config::from_file(&path).unwrap();
    assert!(config.warnings().is_empty(), "{:?}", config.warnings());
    let running = Bootstrap::from_config(config)
        .filter_registry(Arc::new(filters))
        .service::<dyn Greeter>("X", Arc::new(MyGreeter))
        .start()
        .await
        .unwrap();
    let client = running.client::<dyn Greeter>("X").unwrap();
    let (reply, response) = ClientContext::new()
        .run(client.say_hello("go".into()))
        .await;
    assert_eq!(reply.unwrap(), "Hello, go");
    assert_eq!(response.get_str("stamped"), Some("yes"));
    running.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
