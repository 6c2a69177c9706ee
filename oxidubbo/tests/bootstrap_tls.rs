//! TLS in the bootstrap: `[ssl]` (Dubbo's `SslConfig` names) and `ssl-enabled = true` on
//! the dubbo and tri protocols serve a service over mutual TLS; the provider URLs say
//! `ssl-enabled=true` (and are registered so, without the key paths), so references found
//! through the registry connect with TLS and the client side of `[ssl]` — and a consumer
//! without the client certificate is turned away with the reason.
//!
//! One test: the embedded registry is shared by every test of a binary.
#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use common::{CountingGreeter, Greeter, GreeterClient};
use oxidubbo::config::Config;
use oxidubbo::{Bootstrap, DubboProtocol};
use oxidubbo_integration_tests::tls_certs::TestPki;

fn app_toml(pki: &TestPki, client_cert: bool) -> String {
    let client = if client_cert {
        format!(
            "client-key-cert-chain-path = {:?}\nclient-private-key-path = {:?}\n",
            pki.client.cert, pki.client.key
        )
    } else {
        String::new()
    };
    format!(
        "\
[application]
name = \"secure\"

[protocols.dubbo]
port = 0
ssl-enabled = true

[protocols.tri]
port = 0
ssl-enabled = true

[ssl]
server-key-cert-chain-path = {server_cert:?}
server-private-key-path = {server_key:?}
server-trust-cert-collection-path = {ca:?}
client-trust-cert-collection-path = {ca:?}
{client}
[services.greeter]
protocol = \"dubbo,tri\"

[references.by-dubbo]
interface = \"org.apache.dubbo.samples.api.GreeterService\"
version = \"1.0.0\"

[references.by-tri]
interface = \"org.apache.dubbo.samples.api.GreeterService\"
version = \"1.0.0\"
protocol = \"tri\"

[references.by-app]
interface = \"org.apache.dubbo.samples.api.GreeterService\"
version = \"1.0.0\"
migration-step = \"FORCE_APPLICATION\"
",
        server_cert = pki.server.cert,
        server_key = pki.server.key,
        ca = pki.ca,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_are_served_and_found_over_mutual_tls() {
    let pki = TestPki::new();
    let dubbo = Arc::new(DubboProtocol::new());
    let greeter = CountingGreeter::new("secure", Default::default());
    let config = Config::parse(&app_toml(&pki, true), "secure.toml").unwrap();
    assert_eq!(
        config.ssl.server_trust_cert_collection_path.as_deref(),
        pki.ca.to_str()
    );
    let app = Bootstrap::from_config(config)
        .service::<dyn Greeter>("greeter", Arc::clone(&greeter) as Arc<dyn Greeter>)
        .dubbo_protocol(Arc::clone(&dubbo))
        .start()
        .await
        .unwrap();
    let exported = app.exported_urls();
    for (_, url) in &exported {
        assert_eq!(url.param("ssl-enabled"), Some("true"), "{url:?}");
        let registered = oxidubbo_registry::registered_provider_url(url);
        assert_eq!(registered.param("ssl-enabled"), Some("true"));
        assert_eq!(registered.param("server-private-key-path"), None);
        assert_eq!(registered.param("server-key-cert-chain-path"), None);
    }
    let by_dubbo: GreeterClient = app.client::<dyn Greeter>("by-dubbo").unwrap();
    let by_tri: GreeterClient = app.client::<dyn Greeter>("by-tri").unwrap();
    // Found at application level (the embedded registry's instance and its metadata), the
    // provider URL still says ssl-enabled=true.
    let by_app: GreeterClient = app.client::<dyn Greeter>("by-app").unwrap();
    assert_eq!(
        by_app.say_hello("a".into()).await.unwrap(),
        "Hello, a from secure"
    );
    assert_eq!(
        by_dubbo.say_hello("d".into()).await.unwrap(),
        "Hello, d from secure"
    );
    assert_eq!(
        by_tri.say_hello("t".into()).await.unwrap(),
        "Hello, t from secure"
    );

    // Another application finds the providers in the registry, TLS and all, but presents
    // no client certificate: the servers turn it away. The dubbo refer checks its TLS
    // connection with a heartbeat, so the provider is left out of the directory (its reason
    // logged); the Triple call says why.
    let mut other = Config::parse(&app_toml(&pki, false), "other.toml").unwrap();
    other.protocols.clear();
    other.services.clear();
    other.application.name = Some("no-cert".into());
    for reference in other.references.values_mut() {
        reference.check = Some(false);
    }
    let consumer = Bootstrap::from_config(other)
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .unwrap();
    for (name, expected) in [
        ("by-dubbo", "no provider available"),
        ("by-tri", "the server requires a client certificate"),
    ] {
        let client: GreeterClient = consumer.client::<dyn Greeter>(name).unwrap();
        let error = client.say_hello("x".into()).await.unwrap_err().to_string();
        assert!(error.contains(expected), "{name}: {error}");
    }
    consumer.shutdown().await;
    // The servers keep serving the good clients.
    assert_eq!(
        by_dubbo.say_hello("again".into()).await.unwrap(),
        "Hello, again from secure"
    );
    app.shutdown().await;
    assert!(dubbo.counts().is_empty(), "{:?}", dubbo.counts());
}
