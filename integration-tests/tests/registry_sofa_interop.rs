//! Interop through ZooKeeper with sofa-rpc-node (an independent Dubbo implementation):
//! its consumer finds and calls an oxidubbo provider, and an oxidubbo consumer finds and
//! calls its provider. Each test uses its own interface name under sofa's `/dubbo` root.

use std::sync::Arc;

use oxidubbo_examples::{Greeter, GreeterClient, greeter_service};
use oxidubbo_integration_tests::unique_name;
use oxidubbo_integration_tests::{SofaProvider, run_sofa_consumer, sofa_dir, zookeeper};
use oxidubbo_invoker::{ServiceInvoker, Url};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use oxidubbo_registry::{Protocols, RegistryProtocol};
use serde_json::Value as Json;

#[tokio::test]
async fn sofa_consumer_finds_and_calls_oxidubbo_provider_through_zookeeper() {
    let Some(zk) = zookeeper() else { return };
    let Some(dir) = sofa_dir() else { return };
    let interface = unique_name("org.apache.dubbo.samples.api.SofaFindsOxi");
    let port = oxidubbo_integration_tests::free_port();
    let provider = Url::parse(&format!(
        "dubbo://127.0.0.1:{port}/{interface}?interface={interface}&version=1.0.0\
         &methods=add,echo,fail,getUser,sayHello&side=provider&application=oxidubbo-interop"
    ))
    .unwrap();
    let dubbo = Arc::new(DubboProtocol::new());
    let rp = RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", dubbo.clone()));
    let registry = Url::parse(&format!("zookeeper://{zk}")).unwrap();
    rp.export_to(
        &registry,
        Arc::new(ServiceInvoker::new(Arc::new(provider), greeter_service())),
    )
    .await
    .unwrap();

    let lines = run_sofa_consumer(
        &dir,
        &[
            "--zk",
            &zk,
            "--zk-root",
            "/dubbo",
            "--interface",
            &interface,
            "--version",
            "1.0.0",
            "--calls",
            "sayHello,add,getUser",
        ],
    )
    .await;
    let results: Vec<Json> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 3, "{lines:?}");
    for r in &results {
        assert_eq!(r["ok"], Json::Bool(true), "{r}");
    }
    assert_eq!(results[0]["result"], "Hello, world");
    assert_eq!(results[1]["result"], 5);
    assert_eq!(results[2]["result"]["name"], "user-42");

    rp.destroy().await;
    assert!(dubbo.counts().is_empty(), "{:?}", dubbo.counts());
}

#[tokio::test]
async fn oxidubbo_consumer_finds_and_calls_sofa_provider_through_zookeeper() {
    let Some(zk) = zookeeper() else { return };
    let Some(dir) = sofa_dir() else { return };
    let interface = unique_name("org.apache.dubbo.samples.api.OxiFindsSofa");
    // sofa registers under --zk-root (its own default is /sofa-rpc), with version 1.0.0
    // and an empty group, and without a path in its URL.
    let sofa = SofaProvider::start(
        &dir,
        &[
            "--port",
            "0",
            "--zk",
            &zk,
            "--zk-root",
            "/dubbo",
            "--interface",
            &interface,
            "--version",
            "1.0.0",
        ],
    )
    .await;

    let dubbo = Arc::new(DubboProtocol::new());
    let rp = RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", dubbo.clone()));
    let registry = Url::parse(&format!("zookeeper://{zk}")).unwrap();
    let reference = Url::parse(&format!(
        "consumer://127.0.0.1/{interface}?interface={interface}&version=1.0.0&timeout=5000&check=true"
    ))
    .unwrap();
    let invoker = rp.refer_from(&registry, &reference).await.unwrap();
    let client = GreeterClient::new(invoker);
    assert_eq!(
        client.say_hello("sofa".into()).await.unwrap(),
        "Hello, sofa"
    );
    assert_eq!(client.add(2, 3).await.unwrap(), 5);
    assert_eq!(client.get_user(7).await.unwrap().name, "user-7");
    let invokers = dubbo.counts().invokers;
    assert_eq!(invokers, 1, "one sofa provider found");

    rp.destroy().await;
    assert!(dubbo.counts().is_empty(), "{:?}", dubbo.counts());
    drop(sofa);
}
