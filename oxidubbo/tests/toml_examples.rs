//! The example provider and consumer, configured only by `examples/config/*.toml`, talk
//! dubbo over loopback (the same files the `greeter-provider --config` and
//! `greeter-consumer --config` binaries read; only the port is overridden, through the
//! environment scheme, so the test does not need 20880 free).
#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use common::{CountingGreeter, Greeter, GreeterClient, User, env, example_config, free_port};
use oxidubbo::config::Config;
use oxidubbo::{Bootstrap, DubboProtocol, RpcError, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_and_consumer_run_from_the_example_toml_files() {
    let port = free_port();
    let provider_config = Config::from_file_with_env(
        example_config("provider.toml"),
        env(&[("OXIDUBBO_PROTOCOLS__DUBBO__PORT", port.to_string())]),
    )
    .unwrap();
    assert_eq!(
        provider_config.application.name.as_deref(),
        Some("greeter-provider")
    );
    let provider_protocol = Arc::new(DubboProtocol::new());
    let provider = Bootstrap::from_config(provider_config)
        .service::<dyn Greeter>("greeter", CountingGreeter::new("p", Default::default()))
        .dubbo_protocol(Arc::clone(&provider_protocol))
        .start()
        .await
        .unwrap();
    let url = &provider.provider_urls()["greeter"];
    assert_eq!(url.address(), format!("127.0.0.1:{port}"));
    assert_eq!(url.param("timeout"), Some("3000"));
    assert_eq!(url.param("application"), Some("greeter-provider"));
    assert_eq!(url.param("methods"), Some("add,echo,fail,getUser,sayHello"));

    let consumer_config = Config::from_file_with_env(
        example_config("consumer.toml"),
        env(&[(
            "OXIDUBBO_REFERENCES__GREETER__URL",
            format!("dubbo://127.0.0.1:{port}"),
        )]),
    )
    .unwrap();
    let consumer_protocol = Arc::new(DubboProtocol::new());
    let consumer = Bootstrap::from_config(consumer_config)
        .dubbo_protocol(Arc::clone(&consumer_protocol))
        .start()
        .await
        .unwrap();
    let client: GreeterClient = consumer.client::<dyn Greeter>("greeter").unwrap();
    assert_eq!(
        client.say_hello("toml".into()).await.unwrap(),
        "Hello, toml from p"
    );
    assert_eq!(client.add(2, 3).await.unwrap(), 5);
    assert_eq!(
        client.echo(Value::from("x")).await.unwrap(),
        Value::from("x")
    );
    assert_eq!(
        client.get_user(42).await.unwrap(),
        User {
            id: 42,
            name: "user-42".into(),
            tags: vec!["a".into(), "b".into()]
        }
    );
    assert!(matches!(
        client.fail("boom".into()).await,
        Err(RpcError::Remote { .. })
    ));
    assert_eq!(consumer_protocol.counts().invokers, 1);

    consumer.shutdown().await;
    assert!(
        consumer_protocol.counts().is_empty(),
        "{:?}",
        consumer_protocol.counts()
    );
    let report = provider.shutdown().await;
    assert_eq!(report.unregistered, 1, "{report:?}");
    assert!(
        provider_protocol.counts().is_empty(),
        "{:?}",
        provider_protocol.counts()
    );
    // The port is free again.
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
}

#[test]
fn the_example_files_parse_as_documented() {
    let provider = Config::from_file_with_env(example_config("provider.toml"), []).unwrap();
    assert_eq!(provider.protocols["dubbo"].port, 20880);
    assert_eq!(provider.registries["default"].address, "memory://");
    assert_eq!(
        provider.services["greeter"].version.as_deref(),
        Some("1.0.0")
    );
    let consumer = Config::from_file_with_env(example_config("consumer.toml"), []).unwrap();
    let greeter = &consumer.references["greeter"];
    assert_eq!(greeter.url.as_deref(), Some("dubbo://127.0.0.1:20880"));
    assert_eq!(greeter.loadbalance.as_deref(), Some("roundrobin"));
    let quickstart = Config::from_file_with_env(example_config("quickstart.toml"), []).unwrap();
    assert_eq!(quickstart.protocols["dubbo"].port, 0);
    assert!(
        quickstart.registries.is_empty(),
        "the embedded registry is implicit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_and_consumer_run_from_the_example_dubbogo_files() {
    let port = free_port();
    let vars = env(&[("GREETER_PORT", port.to_string())]);
    let provider_config =
        Config::from_file_with_env(example_config("dubbogo-provider.yml"), vars.clone()).unwrap();
    assert!(
        provider_config.warnings().is_empty(),
        "{:?}",
        provider_config.warnings()
    );
    let provider = Bootstrap::from_config(provider_config)
        .service::<dyn Greeter>("greeter", CountingGreeter::new("yml", Default::default()))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .unwrap();
    let url = &provider.provider_urls()["greeter"];
    assert_eq!(url.address(), format!("127.0.0.1:{port}"));
    assert_eq!(url.param("methods.sayHello.timeout"), Some("3000"));
    let consumer_config =
        Config::from_file_with_env(example_config("dubbogo-consumer.yml"), vars).unwrap();
    assert!(
        consumer_config.warnings().is_empty(),
        "{:?}",
        consumer_config.warnings()
    );
    let consumer = Bootstrap::from_config(consumer_config)
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .unwrap();
    let client: GreeterClient = consumer.client::<dyn Greeter>("greeter").unwrap();
    assert_eq!(
        client.say_hello("yml".into()).await.unwrap(),
        "Hello, yml from yml"
    );
    consumer.shutdown().await;
    provider.shutdown().await;
}
