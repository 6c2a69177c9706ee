//! Dubbo's `protobuf-json` generic calls of an IDL service over Triple: `$invoke` with
//! `generic=protobuf-json` and the request message as protobuf JSON reaches the method it
//! names and answers the response message as JSON; a streaming method, a malformed call
//! and an interface (non-IDL) service are refused with errors saying why.
#![allow(missing_docs)]

use std::sync::Arc;

use oxidubbo::config::{ProtocolConfig, ReferenceConfig};
use oxidubbo::{Bootstrap, Value};
use oxidubbo_examples::greet::*;
use oxidubbo_examples::{Greeter, HelloGreeter};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_json_generic_calls_of_an_idl_service_over_triple() {
    let mut idl = ReferenceConfig::of::<dyn GreetService>();
    idl.protocol = Some("tri".into());
    let mut interface = ReferenceConfig::of::<dyn Greeter>();
    interface.protocol = Some("tri".into());
    let running = Bootstrap::new()
        .application("generic-pbjson")
        .protocol("tri", ProtocolConfig::tri(0))
        .service::<dyn GreetService>("greet", Arc::new(HelloGreetService))
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .reference("greet", idl)
        .reference("greeter", interface)
        .start()
        .await
        .unwrap();
    let greet = running
        .generic("greet")
        .unwrap()
        .with_generic("protobuf-json");

    let reply = greet
        .invoke(
            "Greet",
            &["greet.GreetRequest"],
            vec![r#"{"name":"json"}"#.into()],
        )
        .await
        .unwrap();
    let Value::String(json) = &reply else {
        panic!("{reply:?}")
    };
    let json: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(json["greeting"], "Hello, json");

    // A streaming method is not a unary one.
    let err = greet
        .invoke(
            "GreetStream",
            &["greet.GreetStreamRequest"],
            vec![r#"{"name":"x"}"#.into()],
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("bidirectional"), "{err}");

    // Two arguments, or one that is not a string: refused.
    let err = greet
        .invoke(
            "Greet",
            &["greet.GreetRequest", "x"],
            vec!["{}".into(), "{}".into()],
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("one JSON string"), "{err}");
    let err = greet
        .invoke("Greet", &["greet.GreetRequest"], vec![Value::Int(1)])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a JSON string"), "{err}");

    // Not JSON of the request message.
    let err = greet
        .invoke("Greet", &["greet.GreetRequest"], vec!["{nope".into()])
        .await
        .unwrap_err();
    assert!(!err.is_business(), "{err}");

    // An interface service does not serve protobuf-json.
    let greeter = running
        .generic("greeter")
        .unwrap()
        .with_generic("protobuf-json");
    let err = greeter
        .invoke("sayHello", &["java.lang.String"], vec![r#""x""#.into()])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("IDL"), "{err}");
    running.shutdown().await;
}
