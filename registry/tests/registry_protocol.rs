//! `RegistryProtocol` end to end over the embedded registry and the dubbo protocol:
//! export + register, refer + subscribe + cluster, providers joining and leaving, direct
//! references, and destroy leaving nothing behind.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_common::Url;
use oxidubbo_integration_tests::free_port;
use oxidubbo_invoker::RpcError;
use oxidubbo_protocol::{DubboProtocol, Protocol};
use oxidubbo_registry::{
    MemoryRegistry, Protocols, RegistryProtocol, refer_direct, registered_provider_url,
};
use support::{eventually, greeter, say_hello};

fn provider_url(interface: &str, port: u16) -> Url {
    Url::parse(&format!(
        "dubbo://127.0.0.1:{port}/{interface}?interface={interface}&version=1.0.0&methods=sayHello,slow&pid=42&anyhost=true&bind.ip=127.0.0.1"
    ))
    .unwrap()
}

fn reference(interface: &str) -> Url {
    Url::parse(&format!(
        "consumer://127.0.0.1/{interface}?interface={interface}&version=1.0.0&check=false&timeout=3000"
    ))
    .unwrap()
}

fn memory() -> Url {
    Url::parse("memory://127.0.0.1").unwrap()
}

fn protocol(dubbo: &Arc<DubboProtocol>) -> RegistryProtocol {
    RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", dubbo.clone()))
}

/// One provider process: its own dubbo protocol (one service key per dubbo instance)
/// and registry protocol.
struct ProviderSide {
    dubbo: Arc<DubboProtocol>,
    rp: RegistryProtocol,
}

impl ProviderSide {
    async fn start(interface: &str) -> ProviderSide {
        let dubbo = Arc::new(DubboProtocol::new());
        let rp = protocol(&dubbo);
        rp.export_to(&memory(), greeter(provider_url(interface, free_port())))
            .await
            .unwrap();
        ProviderSide { dubbo, rp }
    }

    async fn stop(self) {
        self.rp.destroy().await;
        assert!(self.rp.counts().is_empty());
        assert!(self.dubbo.counts().is_empty(), "{:?}", self.dubbo.counts());
    }
}

#[tokio::test]
async fn export_refer_join_leave_destroy() {
    let i = "test.rp.Greeter";
    let dubbo = Arc::new(DubboProtocol::new());
    let rp = protocol(&dubbo);

    // The consumer first: nothing there yet (check=false lets it start).
    let invoker = rp.refer_from(&memory(), &reference(i)).await.unwrap();
    let err = invoker.invoke(say_hello("a")).await.unwrap_err();
    assert!(matches!(err, RpcError::Unavailable(_)), "{err:?}");

    // A provider joins: the consumer calls it.
    let first = ProviderSide::start(i).await;
    let r = invoker.invoke(say_hello("a")).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, a"));

    // What was registered is Dubbo's form: no pid/anyhost/bind.ip, side and dubbo added.
    let rp_registry = rp.registry(&memory()).await.unwrap();
    let seen = rp_registry
        .lookup(&reference(i).with_param("category", "providers,consumers"))
        .await
        .unwrap();
    let provider = seen.iter().find(|u| u.protocol() == "dubbo").unwrap();
    assert_eq!(provider.param("pid"), None);
    assert_eq!(provider.param("anyhost"), None);
    assert_eq!(provider.param("bind.ip"), None);
    assert_eq!(provider.param("side"), Some("provider"));
    assert_eq!(provider.param("dubbo"), Some("2.0.2"));
    let consumer = seen.iter().find(|u| u.protocol() == "consumer").unwrap();
    assert_eq!(consumer.param("category"), Some("consumers"));
    assert_eq!(consumer.param("side"), Some("consumer"));

    // A second provider joins, the first leaves: calls keep working.
    let second = ProviderSide::start(i).await;
    assert_eq!(dubbo.counts().connections, 2);
    first.stop().await;
    for _ in 0..5 {
        let r = invoker.invoke(say_hello("b")).await.unwrap();
        assert_eq!(r.value.as_str(), Some("Hello, b"));
    }
    assert_eq!(
        dubbo.counts().connections,
        1,
        "only the live provider is connected"
    );

    // The last leaves: no provider.
    second.stop().await;
    let err = invoker.invoke(say_hello("c")).await.unwrap_err();
    assert!(matches!(err, RpcError::Unavailable(_)), "{err:?}");
    assert_eq!(dubbo.counts().invokers, 0);

    // Destroying the consumer's protocol: nothing left anywhere.
    let third = ProviderSide::start(i).await;
    assert!(invoker.invoke(say_hello("d")).await.is_ok());
    rp.destroy().await;
    assert!(rp.counts().is_empty(), "{:?}", rp.counts());
    assert!(dubbo.counts().is_empty(), "{:?}", dubbo.counts());
    let err = invoker.invoke(say_hello("e")).await.unwrap_err();
    assert!(matches!(err, RpcError::Destroyed(_)), "{err:?}");
    let left = rp_registry.counts();
    assert!(left.is_empty(), "{left:?}");
    third.stop().await;
}

#[tokio::test]
async fn check_true_fails_without_providers_and_cleans_up() {
    let i = "test.rp.Check";
    let dubbo = Arc::new(DubboProtocol::new());
    let rp = protocol(&dubbo);
    let strict = reference(i).with_param("check", "true");
    let err = rp.refer_from(&memory(), &strict).await.err().unwrap();
    assert!(matches!(err, RpcError::Unavailable(_)), "{err:?}");
    assert_eq!(rp.counts().directories, 0);
    let registry = rp.registry(&memory()).await.unwrap();
    assert!(registry.counts().is_empty(), "{:?}", registry.counts());
    rp.destroy().await;
}

#[tokio::test]
async fn dubbo_style_urls_through_the_protocol_trait() {
    let i = "test.rp.TraitForm";
    let dubbo = Arc::new(DubboProtocol::new());
    let rp = protocol(&dubbo);
    let port = free_port();
    let registry = Url::parse(
        "registry://127.0.0.1:0/org.apache.dubbo.registry.RegistryService?registry=memory",
    )
    .unwrap();
    let export = registry.with_sub_url("export", &provider_url(i, port));
    let exporter = rp.export(greeter(export)).await.unwrap();
    // Java's refer form: form-encoded parameters.
    let refer = Url::encode_component(&format!("interface={i}&version=1.0.0&timeout=3000"));
    let refer_url = Url::parse(&format!("{registry}&refer={refer}")).unwrap();
    let invoker = rp.refer(Arc::new(refer_url)).await.unwrap();
    let r = invoker.invoke(say_hello("t")).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, t"));

    // A destroyed reference leaves the protocol's table at once and unsubscribes.
    invoker.destroy();
    assert_eq!(rp.counts().directories, 0);
    let reg = rp.registry(&registry).await.unwrap();
    assert!(
        eventually(Duration::from_secs(2), || reg.counts().subscriptions == 0).await,
        "{:?}",
        reg.counts()
    );
    exporter.unexport().await;
    assert_eq!(rp.counts().exporters, 0);
    rp.destroy().await;
    assert!(dubbo.counts().is_empty(), "{:?}", dubbo.counts());
}

#[tokio::test]
async fn direct_references_without_registry() {
    let i = "test.rp.Direct";
    let (d1, d2) = (DubboProtocol::new(), DubboProtocol::new());
    let (p1, p2) = (free_port(), free_port());
    let e1 = d1.export(greeter(provider_url(i, p1))).await.unwrap();
    let e2 = d2.export(greeter(provider_url(i, p2))).await.unwrap();
    let dubbo = Arc::new(DubboProtocol::new());
    let protocols = Protocols::empty().with("dubbo", dubbo.clone());
    let urls = format!("dubbo://127.0.0.1:{p1}; 127.0.0.1:{p2}");
    let invoker = refer_direct(&protocols, &urls, &reference(i))
        .await
        .unwrap();
    assert_eq!(dubbo.counts().invokers, 2);
    for n in 0..4 {
        let r = invoker.invoke(say_hello(&n.to_string())).await.unwrap();
        assert_eq!(r.value.as_str(), Some(format!("Hello, {n}").as_str()));
    }
    // Failover: one provider gone, calls still succeed on the other.
    e1.unexport().await;
    d1.destroy().await;
    for _ in 0..4 {
        assert!(invoker.invoke(say_hello("f")).await.is_ok());
    }
    invoker.destroy();
    assert_eq!(dubbo.counts().invokers, 0);
    e2.unexport().await;
    d2.destroy().await;
    dubbo.destroy().await;
    assert!(dubbo.counts().is_empty());

    let bad = refer_direct(&protocols, "nope://127.0.0.1:1", &reference(i)).await;
    assert!(matches!(bad, Err(RpcError::Config(_))));
}

#[test]
fn registered_provider_url_is_dubbo_form() {
    let u = registered_provider_url(&provider_url("a.B", 20880).with_param("timestamp", "1"));
    assert_eq!(
        u.to_full_string(),
        "dubbo://127.0.0.1:20880/a.B?dubbo=2.0.2&interface=a.B&methods=sayHello,slow&side=provider&timestamp=1&version=1.0.0"
    );
    let _ = MemoryRegistry::store_counts();
}
