//! The bootstrap binds an IDL service like any other (`.service::<dyn GreetService>`),
//! exports it with `serialization=protobuf` on its provider URL, and hands out its typed
//! client; calls of every kind pass the filter chains and the cluster (in-process here).

use std::sync::Arc;

use futures_util::{StreamExt, stream};
use oxidubbo::config::{ProtocolConfig, ReferenceConfig};
use oxidubbo::{Bootstrap, DubboService};
use oxidubbo_examples::greet::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idl_service_is_exported_with_protobuf_and_called_through_its_reference() {
    let injvm = ProtocolConfig {
        name: "injvm".into(),
        ..ProtocolConfig::default()
    };
    let running = Bootstrap::new()
        .application("idl-app")
        .protocol("injvm", injvm)
        .service::<dyn GreetService>("greet", Arc::new(HelloGreetService))
        .reference(
            "greet",
            ReferenceConfig::of::<dyn GreetService>().with_url("injvm://127.0.0.1"),
        )
        .start()
        .await
        .unwrap();

    let urls = running.provider_urls();
    let url = &urls["greet"];
    assert_eq!(url.path(), "greet.GreetService");
    assert_eq!(url.param("interface"), Some("greet.GreetService"));
    assert_eq!(url.param("serialization"), Some("protobuf"), "{url:?}");
    assert_eq!(
        url.param("methods"),
        Some("Greet,GreetClientStream,GreetServerStream,GreetStream")
    );

    let client: GreetServiceClient = running.client::<dyn GreetService>("greet").unwrap();
    let reply = client
        .greet(GreetRequest { name: "app".into() })
        .await
        .unwrap();
    assert_eq!(reply.into_inner().greeting, "Hello, app");

    let greetings = client
        .greet_server_stream(GreetServerStreamRequest { name: "app".into() })
        .await
        .unwrap()
        .into_inner()
        .count()
        .await;
    assert_eq!(greetings, 3);

    let names = ["a", "b"].map(|n| GreetClientStreamRequest { name: n.into() });
    let joined = client
        .greet_client_stream(stream::iter(names))
        .await
        .unwrap();
    assert_eq!(joined.into_inner().greeting, "a,b");

    let names = ["c", "d"].map(|n| GreetStreamRequest { name: n.into() });
    let greetings: Vec<String> = client
        .greet_stream(stream::iter(names))
        .await
        .unwrap()
        .into_inner()
        .map(|r| r.unwrap().greeting)
        .collect()
        .await;
    assert_eq!(greetings, ["Hello, c", "Hello, d"]);

    running.shutdown().await;
}

#[test]
fn interface_services_keep_the_protocols_serialization() {
    assert_eq!(
        <dyn oxidubbo_examples::Greeter as DubboService>::SERIALIZATION,
        None
    );
    assert_eq!(
        <dyn GreetService as DubboService>::SERIALIZATION,
        Some("protobuf")
    );
}
