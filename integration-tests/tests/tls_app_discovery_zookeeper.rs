//! Application-level discovery of a TLS provider on a real ZooKeeper (`OXIDUBBO_ZK`): the
//! provider registers its instance only (`register-mode = "instance"`) and serves its
//! `MetadataService` on its TLS dubbo port; the instance's
//! `dubbo.metadata-service.url-params` says `ssl-enabled`, so a `FORCE_APPLICATION`
//! consumer reads the metadata over TLS with its own `[ssl]` client side, then calls the
//! provider over TLS. Nothing of the provider's key files is written to ZooKeeper.

use std::sync::Arc;
use std::time::Duration;

use oxidubbo::config::Config;
use oxidubbo::{Bootstrap, DubboProtocol};
use oxidubbo_examples::{Greeter, GreeterClient, HelloGreeter};
use oxidubbo_integration_tests::tls_certs::TestPki;
use oxidubbo_integration_tests::{unique_name, zookeeper};

const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_force_application_consumer_finds_and_calls_a_tls_provider() {
    let Some(zk) = zookeeper() else { return };
    let pki = TestPki::new();
    let root = unique_name("tls-app");
    let registry = format!(
        "[registries.zk]\naddress = \"zookeeper://{zk}\"\ngroup = \"{root}\"\nregister-mode = \"instance\"\n"
    );
    let provider_text = format!(
        "[application]\nname = \"tls-provider\"\n\n{registry}\n\
         [protocols.dubbo]\nport = 0\nssl-enabled = true\n\n\
         [ssl]\nserver-key-cert-chain-path = {:?}\nserver-private-key-path = {:?}\n\
         server-trust-cert-collection-path = {:?}\n\n[services.greeter]\n",
        pki.server.cert, pki.server.key, pki.ca
    );
    let provider = tokio::time::timeout(
        LIMIT,
        Bootstrap::from_config(Config::parse(&provider_text, "provider.toml").expect("config"))
            .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
            .dubbo_protocol(Arc::new(DubboProtocol::new()))
            .start(),
    )
    .await
    .expect("started within the limit")
    .expect("provider started");

    let consumer_text = format!(
        "[application]\nname = \"tls-consumer\"\n\n{registry}\n\
         [ssl]\nclient-trust-cert-collection-path = {:?}\n\
         client-key-cert-chain-path = {:?}\nclient-private-key-path = {:?}\n\n\
         [references.greeter]\ninterface = \"org.apache.dubbo.samples.api.GreeterService\"\n\
         version = \"1.0.0\"\ncheck = false\nretries = 0\ntimeout = 5000\n\
         migration-step = \"FORCE_APPLICATION\"\n",
        pki.ca, pki.client.cert, pki.client.key
    );
    let consumer = tokio::time::timeout(
        LIMIT,
        Bootstrap::from_config(Config::parse(&consumer_text, "consumer.toml").expect("config"))
            .dubbo_protocol(Arc::new(DubboProtocol::new()))
            .start(),
    )
    .await
    .expect("started within the limit")
    .expect("consumer started");
    let client: GreeterClient = consumer.client::<dyn Greeter>("greeter").expect("client");
    let mut last = None;
    for _ in 0..200 {
        match client.say_hello("tls".into()).await {
            Ok(answer) => {
                last = Some(Ok(answer));
                break;
            }
            Err(e) => last = Some(Err(e.to_string())),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(last, Some(Ok("Hello, tls".to_owned())));

    // Nothing of the key files reached ZooKeeper.
    let zk_client = oxidubbo_integration_tests::zk_client(&zk).await;
    let mut stack = vec![format!("/{root}")];
    let mut seen = 0;
    while let Some(path) = stack.pop() {
        seen += 1;
        assert!(seen < 10_000, "too many nodes under /{root}");
        if let Ok((data, _)) = zk_client.get_data(&path).await {
            let text = String::from_utf8_lossy(&data);
            assert!(!text.contains("private-key"), "{path}: {text}");
            assert!(!path.contains("private-key"), "{path}");
        }
        for child in oxidubbo_integration_tests::zk_children(&zk_client, &path).await {
            let child_path = if path == "/" {
                format!("/{child}")
            } else {
                format!("{path}/{child}")
            };
            stack.push(child_path);
        }
    }
    consumer.shutdown().await;
    provider.shutdown().await;
}
