//! injvm: export, refer and call inside one process.

mod support;

use std::sync::Arc;

use oxidubbo_invoker::{Invocation, RpcError, Url};
use oxidubbo_protocol::{InjvmProtocol, Protocol};
use support::{greeter, greeter_url, say_hello};

#[tokio::test]
async fn export_refer_invoke() {
    let protocol = InjvmProtocol::new();
    let url = greeter_url("injvm", 0);
    let _exporter = protocol.export(greeter(url.clone())).await.unwrap();
    let invoker = protocol.refer(url).await.unwrap();
    let r = invoker.invoke(say_hello("world")).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, world"));
    let err = invoker
        .invoke(Invocation::new("fail", "", vec!["x".into()]))
        .await
        .unwrap_err();
    assert!(err.is_business(), "{err:?}");
    protocol.destroy().await;
}

#[tokio::test]
async fn an_unknown_service_is_not_found() {
    let protocol = InjvmProtocol::new();
    let url = Arc::new(Url::parse("injvm://127.0.0.1/com.example.Nobody").unwrap());
    let invoker = protocol.refer(url).await.unwrap();
    assert!(!invoker.is_available());
    let err = invoker.invoke(say_hello("x")).await.unwrap_err();
    assert!(matches!(err, RpcError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn exporting_a_key_twice_is_refused() {
    let protocol = InjvmProtocol::new();
    let url = greeter_url("injvm", 0);
    let _first = protocol.export(greeter(url.clone())).await.unwrap();
    let err = protocol.export(greeter(url)).await.err().unwrap();
    assert!(err.to_string().contains("already exported"), "{err}");
}

#[tokio::test]
async fn version_and_group_select_the_service() {
    let protocol = InjvmProtocol::new();
    let v1 = greeter_url("injvm", 0);
    let _e = protocol.export(greeter(v1)).await.unwrap();
    let v2 = Arc::new(
        Url::parse("injvm://127.0.0.1/org.apache.dubbo.samples.api.GreeterService?version=2.0.0")
            .unwrap(),
    );
    let invoker = protocol.refer(v2).await.unwrap();
    assert!(matches!(
        invoker.invoke(say_hello("x")).await,
        Err(RpcError::NotFound(_))
    ));
}
