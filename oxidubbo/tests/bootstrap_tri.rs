//! Triple in the bootstrap: a service served on dubbo and tri at once (one provider URL per
//! protocol, the tri one registered with `serialization=hessian2`), references that call
//! with their own protocol only — through the registry (`protocol = "tri"`, found at
//! application level only: the instance's `MetadataInfo` lists the service on both protocols;
//! or dubbo by default) or directly (`url = "tri://…"`) — and a shutdown that leaves the process-wide
//! `TripleProtocol` holding nothing of the application.
//!
//! One test: the process-wide Triple protocol and embedded registry are shared by every
//! test of a binary, and this one counts what they hold.
#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use common::{CountingGreeter, Greeter, GreeterClient};
use oxidubbo::config::{Config, ReferenceConfig};
use oxidubbo::{Bootstrap, DubboProtocol, TripleProtocol};

const APP: &str = "\
[application]
name = \"both\"

[protocols.dubbo]
port = 0

[protocols.tri]
port = 0

[services.greeter]
protocol = \"dubbo,tri\"

[references.by-dubbo]
interface = \"org.apache.dubbo.samples.api.GreeterService\"
version = \"1.0.0\"

[references.by-tri]
interface = \"org.apache.dubbo.samples.api.GreeterService\"
version = \"1.0.0\"
protocol = \"tri\"
migration-step = \"FORCE_APPLICATION\"
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_on_dubbo_and_tri_is_called_by_each_reference_over_its_own_protocol() {
    let dubbo = Arc::new(DubboProtocol::new());
    let triple = TripleProtocol::global();
    let greeter = CountingGreeter::new("both", Default::default());
    let app = Bootstrap::from_config(Config::parse(APP, "both.toml").unwrap())
        .service::<dyn Greeter>("greeter", Arc::clone(&greeter) as Arc<dyn Greeter>)
        .dubbo_protocol(Arc::clone(&dubbo))
        .start()
        .await
        .unwrap();

    // One provider URL per protocol, alike but for the scheme, port and serialization.
    let exported = app.exported_urls();
    let schemes: Vec<&str> = exported.iter().map(|(_, u)| u.protocol()).collect();
    assert_eq!(schemes, ["dubbo", "tri"]);
    let (dubbo_url, tri_url) = (&exported[0].1, &exported[1].1);
    assert_ne!(tri_url.port(), 0, "port 0 became a free port");
    assert_ne!(tri_url.port(), dubbo_url.port());
    assert_eq!(
        tri_url.path(),
        "org.apache.dubbo.samples.api.GreeterService"
    );
    assert_eq!(
        tri_url.param("serialization"),
        Some("hessian2"),
        "{tri_url:?}"
    );
    assert_eq!(dubbo_url.param("serialization"), None, "{dubbo_url:?}");
    for key in ["interface", "version", "methods", "side", "application"] {
        assert_eq!(tri_url.param(key), dubbo_url.param(key), "{key}");
    }
    assert_eq!(app.provider_urls()["greeter"], *dubbo_url);

    // Each reference found both providers in the registry and kept its protocol's.
    assert_eq!(dubbo.counts().invokers, 1, "{:?}", dubbo.counts());
    assert_eq!(triple.counts().invokers, 1, "{:?}", triple.counts());
    let by_dubbo: GreeterClient = app.client::<dyn Greeter>("by-dubbo").unwrap();
    let by_tri: GreeterClient = app.client::<dyn Greeter>("by-tri").unwrap();
    assert_eq!(
        by_dubbo.say_hello("d".into()).await.unwrap(),
        "Hello, d from both"
    );
    assert_eq!(
        by_tri.say_hello("t".into()).await.unwrap(),
        "Hello, t from both"
    );
    assert_eq!(by_tri.add(2, 3).await.unwrap(), 5);
    let err = by_tri.fail("boom".into()).await.unwrap_err();
    assert!(err.to_string().contains("fail called: boom"), "{err}");
    assert_eq!(greeter.finished(), 2);

    // A direct tri:// reference of another application.
    let direct = ReferenceConfig::of::<dyn Greeter>()
        .with_url(format!("tri://127.0.0.1:{}", tri_url.port()));
    let consumer = Bootstrap::new()
        .application("direct")
        .reference("greeter", direct)
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .unwrap();
    let client = consumer.client::<dyn Greeter>("greeter").unwrap();
    assert_eq!(
        client.say_hello("x".into()).await.unwrap(),
        "Hello, x from both"
    );
    assert_eq!(triple.counts().invokers, 2);
    consumer.shutdown().await;
    assert_eq!(triple.counts().invokers, 1, "{:?}", triple.counts());

    app.shutdown().await;
    assert!(triple.counts().is_empty(), "{:?}", triple.counts());
    assert!(dubbo.counts().is_empty(), "{:?}", dubbo.counts());
    std::net::TcpListener::bind(("127.0.0.1", tri_url.port()))
        .expect("the tri port is free after the shutdown");
}
