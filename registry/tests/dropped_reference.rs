//! A reference referred through a `RegistryProtocol` and then dropped — its cluster
//! invoker let go without `destroy()` — is released by the protocol too: the directory
//! leaves the protocol's table, unsubscribes, unregisters its consumer URL and destroys
//! its invokers, while the protocol itself lives on.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_common::Url;
use oxidubbo_protocol::Protocol;
use oxidubbo_registry::{MemoryRegistry, Protocols, Registry, RegistryProtocol};
use support::{TestProtocol, eventually, say_hello};

const GREETER: &str = "test.dropped.Greeter";

#[tokio::test]
async fn a_dropped_reference_releases_its_directory() {
    let registry_url = Url::parse("memory://127.0.0.1").unwrap();
    let provider_registry = MemoryRegistry::new(registry_url.clone());
    provider_registry
        .register(
            &Url::parse(&format!(
                "test://10.0.0.1:20880/{GREETER}?interface={GREETER}&side=provider"
            ))
            .unwrap(),
        )
        .await
        .unwrap();

    let protocol = Arc::new(TestProtocol::default());
    let rp = RegistryProtocol::with_protocols(
        Protocols::empty().with("test", Arc::clone(&protocol) as _),
    );
    let reference = Url::parse(&format!(
        "consumer://127.0.0.1/{GREETER}?interface={GREETER}&check=true"
    ))
    .unwrap();
    let registry = rp.registry(&registry_url).await.unwrap();
    // What one reference holds in the registry: its interface-level subscription and, at
    // the default APPLICATION_FIRST step, its application-level one and the mapping watch.
    let mut per_reference = None;
    for round in 0..3 {
        let invoker = rp.refer_from(&registry_url, &reference).await.unwrap();
        let r = invoker.invoke(say_hello("d")).await.unwrap();
        assert_eq!(r.value.as_str(), Some("Hello, d"));
        assert_eq!(rp.counts().directories, 1);
        let held = registry.counts().subscriptions;
        assert!(held >= 1, "round {round}: the reference subscribed");
        assert_eq!(*per_reference.get_or_insert(held), held, "round {round}");
        assert_eq!(protocol.live(), 1);

        drop(invoker);
        assert_eq!(
            rp.counts().directories,
            0,
            "round {round}: the protocol still holds the dropped reference's directory"
        );
        assert!(
            eventually(Duration::from_secs(2), || registry.counts().is_empty()).await,
            "round {round}: {:?}",
            registry.counts()
        );
        assert_eq!(protocol.live(), 0, "round {round}");
    }
    assert_eq!(protocol.referred(), 3);
    assert_eq!(rp.counts().registries, 1, "the protocol itself lives on");

    rp.destroy().await;
    assert!(rp.counts().is_empty(), "{:?}", rp.counts());
    provider_registry.destroy().await;
}
