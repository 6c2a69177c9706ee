//! Interop over the dubbo protocol with an independent implementation, sofa-rpc-node
//! (dubbo-remoting + hessian.js), in both directions.

use std::sync::Arc;

use oxidubbo_examples::{
    Greeter, GreeterClient, INTERFACE, User, VERSION, greeter_provider_url, serve_greeter,
};
use oxidubbo_hessian2::{List, Value};
use oxidubbo_integration_tests::{SofaProvider, run_sofa_consumer, sofa_dir};
use oxidubbo_invoker::{RpcError, Url};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use serde_json::{Value as Json, json};

fn consumer_url(port: u16) -> Arc<Url> {
    let url = Url::builder("dubbo")
        .host("127.0.0.1")
        .port(port)
        .path(INTERFACE)
        .param("interface", INTERFACE)
        .param("version", VERSION)
        .param("timeout", "5000")
        .build();
    Arc::new(url)
}

#[tokio::test]
async fn oxidubbo_consumer_calls_sofa_provider() {
    let Some(dir) = sofa_dir() else { return };
    let provider = SofaProvider::start(&dir, &["--port", "0"]).await;
    let protocol = DubboProtocol::new();
    let client = GreeterClient::new(protocol.refer(consumer_url(provider.port)).await.unwrap());

    assert_eq!(
        client.say_hello("world".into()).await.unwrap(),
        "Hello, world"
    );
    assert_eq!(
        client.say_hello("中文 😀".into()).await.unwrap(),
        "Hello, 中文 😀"
    );
    assert_eq!(client.add(2, 3).await.unwrap(), 5);
    assert_eq!(client.add(-7, 7).await.unwrap(), 0, "a falsy result");
    let list = Value::List(List::untyped(vec!["a".into(), "b".into(), "c".into()]));
    let echoed = client.echo(list).await.unwrap();
    let Value::List(echoed) = echoed else {
        panic!("echo returned {echoed:?}")
    };
    assert_eq!(
        echoed.items,
        vec![Value::from("a"), Value::from("b"), Value::from("c")]
    );
    let user = client.get_user(42).await.unwrap();
    assert_eq!(
        user,
        User {
            id: 42,
            name: "user-42".into(),
            tags: vec!["a".into(), "b".into()]
        }
    );
    let pojo = oxidubbo_hessian2::to_value(&User {
        id: 7,
        name: "x".into(),
        tags: vec!["t".into()],
    })
    .unwrap();
    let back = client.echo(pojo.clone()).await.unwrap();
    let back: User = oxidubbo_hessian2::from_value(back).unwrap();
    assert_eq!(
        back,
        User {
            id: 7,
            name: "x".into(),
            tags: vec!["t".into()]
        }
    );

    let err = client.fail("boom".into()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("fail called: boom"), "{err:?}");
    // sofa-rpc-node reports business errors as status 80 with a string (PEERS.md quirk 7).
    assert!(
        matches!(err, RpcError::Status { .. } | RpcError::Remote { .. }),
        "{err:?}"
    );

    protocol.destroy().await;
    drop(provider);
}

fn line_for<'a>(lines: &'a [Json], method: &str) -> &'a Json {
    lines
        .iter()
        .find(|l| l["method"] == method)
        .unwrap_or_else(|| panic!("no line for {method}: {lines:?}"))
}

#[tokio::test]
async fn sofa_consumer_calls_oxidubbo_provider() {
    let Some(dir) = sofa_dir() else { return };
    let protocol = DubboProtocol::new();
    // Bound from here to the export (a port only found free could be taken in between).
    let reserved = protocol.reserve_port("127.0.0.1").expect("a port");
    let port = reserved.port();
    let _exporter = serve_greeter(&protocol, greeter_provider_url(port))
        .await
        .unwrap();

    let target = format!("127.0.0.1:{port}");
    let raw = run_sofa_consumer(&dir, &["--target", &target]).await;
    let lines: Vec<Json> = raw
        .iter()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();

    assert_eq!(
        line_for(&lines, "sayHello")["result"],
        json!("Hello, world")
    );
    assert_eq!(line_for(&lines, "add")["result"], json!(5));
    assert_eq!(
        line_for(&lines, "echoList")["result"],
        json!(["a", "b", "c"])
    );
    let user = line_for(&lines, "getUser");
    assert_eq!(user["ok"], json!(true), "{user}");
    assert_eq!(
        user["result"],
        json!({"id": 42, "name": "user-42", "tags": ["a", "b"]})
    );
    assert_eq!(user["type"], json!("com.example.User"));
    let echoed = line_for(&lines, "echoUser");
    assert_eq!(
        echoed["result"],
        json!({"id": 7, "name": "x", "tags": ["t"]}),
        "{echoed}"
    );
    assert_eq!(echoed["type"], json!("com.example.User"));
    let fail = line_for(&lines, "fail");
    assert_eq!(fail["ok"], json!(false));
    assert!(
        fail["error"]
            .as_str()
            .is_some_and(|e| e.contains("fail called: boom")),
        "{fail}"
    );

    protocol.destroy().await;
}
