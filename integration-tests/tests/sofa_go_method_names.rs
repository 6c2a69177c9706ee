//! Go-style method names on the wire with an independent consumer: sofa-rpc-node
//! (dubbo-remoting) calls `SayHello`, Go's exported name, as dubbo-go consumers do without
//! a `dubbo:"sayHello"` tag, and an oxidubbo provider whose method is Java's `sayHello`
//! answers it, as a dubbo-go provider would.
#![allow(missing_docs)]

use oxidubbo_integration_tests::{run_sofa_consumer, sofa_dir};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use serde_json::{Value as Json, json};

/// An independent consumer calling Go's exported name (`SayHello`, as dubbo-go consumers
/// do without a `dubbo:"sayHello"` tag) reaches an oxidubbo provider whose method is Java's
/// `sayHello`, as a dubbo-go provider would answer it.
#[tokio::test]
async fn sofa_consumer_calls_go_style_method_names() {
    let Some(dir) = sofa_dir() else { return };
    let protocol = DubboProtocol::new();
    let reserved = protocol.reserve_port("127.0.0.1").expect("a port");
    let port = reserved.port();
    let _exporter =
        oxidubbo_examples::serve_greeter(&protocol, oxidubbo_examples::greeter_provider_url(port))
            .await
            .unwrap();
    let target = format!("127.0.0.1:{port}");
    let raw = run_sofa_consumer(&dir, &["--target", &target, "--calls", "SayHello,sayHello"]).await;
    let lines: Vec<Json> = raw
        .iter()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{raw:?}");
    assert_eq!(lines[0]["method"], json!("sayHello"), "{raw:?}");
    assert_eq!(lines[0]["result"], json!("Hello, world"), "{raw:?}");
    assert_eq!(lines[1]["method"], json!("SayHello"), "{raw:?}");
    assert_eq!(lines[1]["ok"], json!(true), "{raw:?}");
    assert_eq!(lines[1]["result"], json!("Hello, go"), "{raw:?}");
    protocol.destroy().await;
}
