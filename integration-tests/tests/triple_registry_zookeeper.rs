//! Triple providers in ZooKeeper (TRIPLE.md §9), through the bootstrap as users configure
//! it: a `tri://` provider node under `/<root>/<interface>/providers` with Dubbo's shape
//! and the serialization that tells consumers how to call (`protobuf` for an IDL service,
//! `hessian2` for an interface service), found and called by a tri consumer; and a
//! service exported on dubbo and tri at once, found by a dubbo consumer and a tri consumer,
//! each of which keeps and calls only the providers of its own protocol.
//!
//! Each test has a root of its own; they take turns, since they count what the
//! process-wide Triple protocol holds.

mod triple_support;

use std::sync::Arc;

use futures_util::{StreamExt, stream};
use oxidubbo::config::Config;
use oxidubbo::{Bootstrap, DubboProtocol, TripleProtocol, Url};
use oxidubbo_examples::greet::*;
use oxidubbo_examples::{Greeter, GreeterClient, HelloGreeter};
use oxidubbo_integration_tests::zookeeper;
use oxidubbo_integration_tests::{unique_name, zk_children, zk_client};

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";
const GREET: &str = "greet.GreetService";

static TURNS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn registry(zk: &str, root: &str) -> String {
    format!("[registries.zk]\naddress = \"zookeeper://{zk}\"\ngroup = \"{root}\"\n\n")
}

/// The provider URLs registered for `interface` under `root`.
async fn providers(client: &zookeeper_client::Client, root: &str, interface: &str) -> Vec<Url> {
    let dir = format!("/{root}/{interface}/providers");
    let mut urls: Vec<Url> = zk_children(client, &dir)
        .await
        .iter()
        .map(|node| Url::from_node_name(node).expect("a Dubbo provider node"))
        .collect();
    urls.sort_by_key(|u| u.protocol().to_owned());
    urls
}

fn assert_params(url: &Url, expected: &[(&str, &str)]) {
    for (key, value) in expected {
        assert_eq!(url.param(key), Some(*value), "{key} in {url:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tri_provider_is_registered_in_dubbos_shape_and_called_through_zookeeper() {
    let _turn = TURNS.lock().await;
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxitest-tri-");
    let provider_text = format!(
        "{}[application]\nname = \"tri-provider\"\n\n[protocols.tri]\nport = 0\n\n[services.greet]\n\n[services.greeter]\n",
        registry(&zk, &root)
    );
    let provider = Bootstrap::from_config(Config::parse(&provider_text, "p.toml").unwrap())
        .service::<dyn GreetService>("greet", Arc::new(HelloGreetService))
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .start()
        .await
        .unwrap();
    let port = provider.provider_urls()["greet"].port();

    // The nodes: one tri:// URL each, encoded as Java writes them, parameters sorted.
    let client = zk_client(&zk).await;
    let greet_nodes = zk_children(&client, &format!("/{root}/{GREET}/providers")).await;
    assert_eq!(greet_nodes.len(), 1, "{greet_nodes:?}");
    let prefix = format!(
        "tri%3A%2F%2F127.0.0.1%3A{port}%2Fgreet.GreetService%3Fapplication%3Dtri-provider\
         %26dubbo%3D2.0.2%26interface%3Dgreet.GreetService\
         %26methods%3DGreet%2CGreetClientStream%2CGreetServerStream%2CGreetStream\
         %26serialization%3Dprotobuf%26side%3Dprovider%26timestamp%3D"
    );
    assert!(greet_nodes[0].starts_with(&prefix), "{greet_nodes:?}");
    let greet = &providers(&client, &root, GREET).await[0];
    assert_eq!(
        (greet.protocol(), greet.port(), greet.path()),
        ("tri", port, GREET)
    );
    assert_params(
        greet,
        &[
            ("interface", GREET),
            (
                "methods",
                "Greet,GreetClientStream,GreetServerStream,GreetStream",
            ),
            ("serialization", "protobuf"),
            ("side", "provider"),
            ("application", "tri-provider"),
        ],
    );
    assert_eq!(greet.param("version"), None);
    let greeter = &providers(&client, &root, GREETER).await[0];
    assert_eq!(
        (greeter.protocol(), greeter.port()),
        ("tri", port),
        "one port"
    );
    assert_params(
        greeter,
        &[
            ("interface", GREETER),
            ("version", "1.0.0"),
            ("methods", "add,echo,fail,getUser,sayHello"),
            ("serialization", "hessian2"),
            ("side", "provider"),
        ],
    );

    // A tri consumer finds both and calls them: IDL (unary and bidi) and wrapper.
    let consumer_text = format!(
        "{}[references.greet]\ninterface = \"{GREET}\"\nprotocol = \"tri\"\n\n[references.greeter]\ninterface = \"{GREETER}\"\nversion = \"1.0.0\"\nprotocol = \"tri\"\n",
        registry(&zk, &root)
    );
    let consumer = Bootstrap::from_config(Config::parse(&consumer_text, "c.toml").unwrap())
        .application("tri-consumer")
        .start()
        .await
        .unwrap();
    let greet_client: GreetServiceClient = consumer.client::<dyn GreetService>("greet").unwrap();
    let reply = greet_client
        .greet(GreetRequest { name: "zk".into() })
        .await
        .unwrap();
    assert_eq!(reply.into_inner().greeting, "Hello, zk");
    let names = ["a", "b"].map(|n| GreetStreamRequest { name: n.into() });
    let greetings: Vec<String> = greet_client
        .greet_stream(stream::iter(names))
        .await
        .unwrap()
        .into_inner()
        .map(|m| m.map(|m| m.greeting).unwrap_or_else(|s| s.to_string()))
        .collect()
        .await;
    assert_eq!(greetings, ["Hello, a", "Hello, b"]);
    let greeter_client: GreeterClient = consumer.client::<dyn Greeter>("greeter").unwrap();
    assert_eq!(
        greeter_client.say_hello("zk".into()).await.unwrap(),
        "Hello, zk"
    );
    let consumers = zk_children(&client, &format!("/{root}/{GREET}/consumers")).await;
    assert_eq!(consumers.len(), 1, "{consumers:?}");
    assert!(consumers[0].contains("protocol%3Dtri"), "{consumers:?}");

    consumer.shutdown().await;
    provider.shutdown().await;
    assert!(providers(&client, &root, GREET).await.is_empty());
    assert!(providers(&client, &root, GREETER).await.is_empty());
    let triple = TripleProtocol::global().counts();
    assert!(triple.is_empty(), "{triple:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_on_both_protocols_is_called_by_each_consumer_over_its_own() {
    let _turn = TURNS.lock().await;
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxitest-both-");
    let triple = TripleProtocol::global();
    let provider_text = format!(
        "{}[protocols.dubbo]\nport = 0\n\n[protocols.tri]\nport = 0\n\n[services.greeter]\nprotocol = \"dubbo,tri\"\n",
        registry(&zk, &root)
    );
    let provider = Bootstrap::from_config(Config::parse(&provider_text, "p.toml").unwrap())
        .application("both-provider")
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .unwrap();
    let client = zk_client(&zk).await;
    let registered = providers(&client, &root, GREETER).await;
    let schemes: Vec<&str> = registered.iter().map(|u| u.protocol()).collect();
    assert_eq!(schemes, ["dubbo", "tri"], "{registered:?}");
    assert_eq!(registered[0].param("serialization"), None);
    assert_eq!(registered[1].param("serialization"), Some("hessian2"));
    assert_ne!(registered[0].port(), registered[1].port());
    let served_by_tri = triple.counts().invokers;

    // Each consumer on a dubbo protocol of its own, so that what it referred is counted.
    let consumer = |protocol: Option<&str>| {
        let protocol = protocol.map_or(String::new(), |p| format!("protocol = \"{p}\"\n"));
        let text = format!(
            "{}[references.greeter]\ninterface = \"{GREETER}\"\nversion = \"1.0.0\"\n{protocol}",
            registry(&zk, &root)
        );
        let dubbo = Arc::new(DubboProtocol::new());
        let app = Bootstrap::from_config(Config::parse(&text, "c.toml").unwrap())
            .dubbo_protocol(Arc::clone(&dubbo));
        async move { (app.start().await.unwrap(), dubbo) }
    };
    let (by_dubbo, by_dubbo_protocol) = consumer(None).await;
    assert_eq!(by_dubbo_protocol.counts().invokers, 1);
    assert_eq!(
        triple.counts().invokers,
        served_by_tri,
        "a dubbo consumer referred the tri provider"
    );
    let (by_tri, by_tri_protocol) = consumer(Some("tri")).await;
    assert_eq!(
        by_tri_protocol.counts().invokers,
        0,
        "a tri consumer referred the dubbo provider"
    );
    assert_eq!(triple.counts().invokers, served_by_tri + 1);

    for app in [&by_dubbo, &by_tri] {
        let greeter: GreeterClient = app.client::<dyn Greeter>("greeter").unwrap();
        assert_eq!(
            greeter.say_hello("both".into()).await.unwrap(),
            "Hello, both"
        );
        assert_eq!(greeter.add(20, 22).await.unwrap(), 42);
    }

    by_tri.shutdown().await;
    by_dubbo.shutdown().await;
    provider.shutdown().await;
    assert!(providers(&client, &root, GREETER).await.is_empty());
    assert!(triple.counts().is_empty(), "{:?}", triple.counts());
}
