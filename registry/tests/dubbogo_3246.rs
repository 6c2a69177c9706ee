//! dubbo-go #3246: the registry protocol kept its override and configuration listeners,
//! and URLs kept what was attached to them, after destroy, so a long-running service
//! leaked on every export/refer cycle.
//!
//! Here a destroyed reference leaves no listener in the registry while its protocol lives
//! on; and after the registry protocols are destroyed — while the application still
//! holds the exporter handle and the reference's invoker, as a long-running one would —
//! no URL they were given, made or received (consumer, provider as registered and as
//! referred, override, route) is alive.

mod support;

use std::sync::Arc;

use oxidubbo_common::{Url, WeakUrl};
use oxidubbo_protocol::{InjvmProtocol, Protocol};
use oxidubbo_registry::{MemoryRegistry, Protocols, Registry, RegistryProtocol, StoreCounts};
use support::{TestProtocol, greeter, say_hello};

const GREETER: &str = "test.dubbogo3246.Greeter";

fn memory() -> Url {
    Url::parse("memory://127.0.0.1").unwrap()
}

fn dead(weak: &[(&str, WeakUrl)]) -> Vec<String> {
    weak.iter()
        .filter(|(_, w)| w.is_alive())
        .map(|(what, w)| format!("{what}: {w:?}"))
        .collect()
}

#[tokio::test]
async fn dubbogo_3246_no_listener_and_no_url_outlive_destroy() {
    let provider_rp = RegistryProtocol::with_protocols(
        Protocols::empty().with("injvm", Arc::new(InjvmProtocol::new()) as _),
    );
    let provider_url = Url::parse(&format!(
        "injvm://127.0.0.1/{GREETER}?interface={GREETER}&timeout=1000&pid=7"
    ))
    .unwrap();
    let exporter = provider_rp
        .export_to(&memory(), greeter(provider_url))
        .await
        .unwrap();

    // The consumer refers in its own protocol (a test protocol standing for `injvm`).
    let consumer_protocol = Arc::new(TestProtocol::default());
    let consumer_rp = RegistryProtocol::with_protocols(
        Protocols::empty().with("injvm", Arc::clone(&consumer_protocol) as _),
    );
    let admin = MemoryRegistry::new(memory());
    let override_url = Url::parse(&format!(
        "override://0.0.0.0/{GREETER}?category=configurators&timeout=5000"
    ))
    .unwrap();
    let route_url = Url::parse(&format!(
        "route://0.0.0.0/{GREETER}?category=routers&rule=%3D%3E+host+%3D+127.0.0.1"
    ))
    .unwrap();
    admin.register(&override_url).await.unwrap();
    admin.register(&route_url).await.unwrap();
    let reference = Url::parse(&format!(
        "consumer://127.0.0.1/{GREETER}?interface={GREETER}&timeout=3000"
    ))
    .unwrap();
    let invoker = consumer_rp.refer_from(&memory(), &reference).await.unwrap();
    let r = invoker.invoke(say_hello("l")).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, l"));

    let referred = consumer_protocol
        .made
        .lock()
        .unwrap()
        .iter()
        .find_map(|i| i.url())
        .unwrap();
    assert_eq!(
        referred.param("timeout"),
        Some("5000"),
        "the override applies"
    );
    let registered = admin
        .lookup(
            &Url::parse(&format!(
                "consumer://127.0.0.1/{GREETER}?category=providers,consumers"
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(registered.len(), 2, "{registered:?}");
    let mut weak: Vec<(&str, WeakUrl)> = vec![
        (
            "consumer URL of the directory",
            invoker.url().unwrap().downgrade(),
        ),
        ("provider URL as referred", referred.downgrade()),
    ];
    for url in &registered {
        weak.push((
            if url.protocol() == "consumer" {
                "consumer URL as registered"
            } else {
                "provider URL as registered"
            },
            url.downgrade(),
        ));
    }
    drop((referred, registered, r));

    // The reference destroyed while its protocol lives on: its listener leaves the
    // registry.
    let consumer_registry = consumer_rp.registry(&memory()).await.unwrap();
    assert_ne!(consumer_registry.counts().subscriptions, 0);
    invoker.destroy();
    assert!(
        support::eventually(std::time::Duration::from_secs(2), || {
            consumer_registry.counts().is_empty()
        })
        .await,
        "the destroyed reference's listener is left: {:?}",
        consumer_registry.counts()
    );
    drop(consumer_registry);

    consumer_rp.destroy().await;
    provider_rp.destroy().await;
    // What the directory received from the registry: gone from the registry now, so
    // only a holder that outlived destroy keeps it alive.
    weak.push(("override as received", override_url.downgrade()));
    weak.push(("route as received", route_url.downgrade()));
    admin.unregister(&override_url).await.unwrap();
    admin.unregister(&route_url).await.unwrap();
    drop((override_url, route_url));

    assert_eq!(
        MemoryRegistry::store_counts(),
        StoreCounts::default(),
        "a listener is left"
    );
    assert!(consumer_rp.counts().is_empty() && provider_rp.counts().is_empty());
    assert_eq!(consumer_protocol.live(), 0);
    let alive = dead(&weak);
    assert!(alive.is_empty(), "alive after destroy: {alive:#?}");
    assert!(invoker.invoke(say_hello("late")).await.is_err());
    assert!(exporter.invoker().is_none());
    drop((invoker, exporter));
    admin.destroy().await;
}
