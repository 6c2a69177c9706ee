//! The bootstrap's contract: what it refuses at start (located), typed clients, cleanup
//! after a failed start, and an idempotent shutdown. Each test runs on its own
//! `DubboProtocol`.
#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use common::{CountingGreeter, Greeter, free_port};
use oxidubbo::config::{Config, ProtocolConfig, ReferenceConfig};
use oxidubbo::{Bootstrap, DubboProtocol, Error, Invocation, RpcError};

#[oxidubbo::service(interface = "com.example.Other")]
pub trait Other {
    async fn ping(&self) -> Result<String, RpcError>;
}

fn private() -> Arc<DubboProtocol> {
    Arc::new(DubboProtocol::new())
}

#[tokio::test]
async fn a_configured_service_without_implementation_is_refused() {
    let config = Config::parse("[services.greeter]\nversion = \"1.0.0\"\n", "app.toml").unwrap();
    let err = Bootstrap::from_config(config)
        .dubbo_protocol(private())
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err}");
    assert!(
        err.to_string()
            .contains("services.greeter has no implementation"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unknown_filter_is_a_located_config_error() {
    let text = "[protocols.dubbo]\nport = 0\n\n[services.greeter]\nfilters = \"accesslog,audit\"\n";
    let config = Config::parse(text, "app.toml").unwrap();
    let protocol = private();
    let err = Bootstrap::from_config(config)
        .service::<dyn Greeter>("greeter", CountingGreeter::new("g", Default::default()))
        .dubbo_protocol(Arc::clone(&protocol))
        .start()
        .await
        .unwrap_err();
    let Error::Config(e) = &err else {
        panic!("{err}")
    };
    assert_eq!(
        (e.line, e.key.as_str()),
        (5, "services.greeter.filters"),
        "{err}"
    );
    assert!(e.message.contains("unknown filter \"audit\""), "{err}");
    assert!(protocol.counts().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_start_undoes_what_it_started() {
    let port = free_port();
    let protocol = private();
    let err = Bootstrap::new()
        .protocol("dubbo", ProtocolConfig::dubbo(port))
        .service::<dyn Greeter>("greeter", CountingGreeter::new("g", Default::default()))
        // Nobody provides this one, and `check` defaults to true.
        .reference(
            "other",
            ReferenceConfig::of::<dyn Other>().with_registry("default"),
        )
        .dubbo_protocol(Arc::clone(&protocol))
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Rpc {
                source: RpcError::Unavailable(_),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("referring references.other"),
        "{err}"
    );
    assert!(protocol.counts().is_empty(), "{:?}", protocol.counts());
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
        "the port is free"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_are_typed_and_checked() {
    let protocol = private();
    let running = Bootstrap::new()
        .protocol("dubbo", ProtocolConfig::dubbo(0))
        .service::<dyn Greeter>("greeter", CountingGreeter::new("g", Default::default()))
        .reference("greeter", ReferenceConfig::of::<dyn Greeter>())
        .dubbo_protocol(Arc::clone(&protocol))
        .start()
        .await
        .unwrap();
    let greeter = running.client::<dyn Greeter>("greeter").unwrap();
    assert_eq!(greeter.add(40, 2).await.unwrap(), 42);

    let Err(err) = running.client::<dyn Other>("greeter") else {
        panic!("a client of another interface")
    };
    assert!(
        err.to_string()
            .contains("refers org.apache.dubbo.samples.api.GreeterService, not com.example.Other"),
        "{err}"
    );
    let Err(err) = running.client::<dyn Greeter>("nope") else {
        panic!("a client of nothing")
    };
    assert!(err.to_string().contains("no reference \"nope\""), "{err}");

    // The consumer chain wraps the cluster invoker; the raw invoker works too.
    let invoker = running.invoker("greeter").unwrap();
    let result = invoker
        .invoke(Invocation::new("add", "II", vec![1.into(), 2.into()]))
        .await
        .unwrap();
    assert_eq!(result.value, 3.into());

    let report = running.shutdown().await;
    assert_eq!(running.shutdown().await, report);
    assert!(running.invoker("greeter").is_err());
    assert!(protocol.counts().is_empty(), "{:?}", protocol.counts());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_config_overrides_the_trait_identity() {
    let protocol = private();
    let text = "[protocols.dubbo]\nport = 0\n\n[services.greeter]\nversion = \"2.0.0\"\ngroup = \"blue\"\ntoken = true\nparams = { executes = 3 }\n";
    let running = Bootstrap::from_config(Config::parse(text, "app.toml").unwrap())
        .service::<dyn Greeter>("greeter", CountingGreeter::new("g", Default::default()))
        .dubbo_protocol(Arc::clone(&protocol))
        .start()
        .await
        .unwrap();
    let url = running.provider_urls()["greeter"].clone();
    assert_eq!(url.param("version"), Some("2.0.0"));
    assert_eq!(url.param("group"), Some("blue"));
    assert_eq!(url.param("token"), Some("true"));
    assert_eq!(url.param("executes"), Some("3"));
    assert_eq!(
        url.param("interface"),
        Some("org.apache.dubbo.samples.api.GreeterService")
    );
    running.shutdown().await;
    assert!(protocol.counts().is_empty());
}
