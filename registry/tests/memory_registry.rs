//! The embedded registry: Dubbo's notification semantics, and the registry directory's
//! diffs over it.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_cluster::Directory;
use oxidubbo_common::Url;
use oxidubbo_invoker::Invocation;
use oxidubbo_registry::{
    MemoryRegistry, NotifyListener, Protocols, Registry, RegistryDirectory, is_empty_url,
};
use support::{Recorder, TestProtocol, say_hello, slow};

fn registry() -> MemoryRegistry {
    MemoryRegistry::new(Url::parse("memory://127.0.0.1").unwrap())
}

fn provider(interface: &str, port: u16) -> Url {
    Url::parse(&format!(
        "test://127.0.0.1:{port}/{interface}?interface={interface}&version=1.0.0&side=provider"
    ))
    .unwrap()
}

fn consumer(interface: &str) -> Url {
    Url::parse(&format!(
        "consumer://127.0.0.1/{interface}?interface={interface}&version=1.0.0"
    ))
    .unwrap()
}

#[tokio::test]
async fn subscribe_gets_current_list_then_every_change_and_empty() {
    let i = "test.mem.Notify";
    let provider_side = registry();
    let consumer_side = registry();
    provider_side.register(&provider(i, 1)).await.unwrap();

    let recorder = Arc::new(Recorder::default());
    let listener: Arc<dyn NotifyListener> = recorder.clone();
    consumer_side
        .subscribe(&consumer(i), Arc::clone(&listener))
        .await
        .unwrap();
    assert_eq!(recorder.count(), 1, "notified once at subscribe");
    assert_eq!(recorder.last(), vec![provider(i, 1)]);

    provider_side.register(&provider(i, 2)).await.unwrap();
    assert_eq!(recorder.last().len(), 2, "full list, not a diff");

    // Other versions and interfaces are not seen.
    let other = Url::parse(&format!(
        "test://127.0.0.1:3/{i}?interface={i}&version=2.0.0"
    ))
    .unwrap();
    provider_side.register(&other).await.unwrap();
    provider_side
        .register(&provider("test.mem.Other", 4))
        .await
        .unwrap();
    assert_eq!(recorder.last().len(), 2);

    provider_side.unregister(&provider(i, 1)).await.unwrap();
    assert_eq!(recorder.last(), vec![provider(i, 2)]);
    provider_side.unregister(&provider(i, 2)).await.unwrap();
    let last = recorder.last();
    assert_eq!(last.len(), 1);
    assert!(is_empty_url(&last[0]), "{last:?}");
    assert_eq!(last[0].param("category"), Some("providers"));

    assert_eq!(
        consumer_side.lookup(&consumer(i)).await.unwrap(),
        Vec::<Url>::new()
    );

    consumer_side
        .unsubscribe(&consumer(i), &listener)
        .await
        .unwrap();
    let seen = recorder.count();
    provider_side.register(&provider(i, 5)).await.unwrap();
    assert_eq!(recorder.count(), seen, "no notification after unsubscribe");
    assert_eq!(consumer_side.counts().subscriptions, 0);

    // Destroying the provider's handle unregisters everything it registered.
    assert_eq!(provider_side.counts().registered, 3);
    provider_side.destroy().await;
    assert!(provider_side.counts().is_empty());
    assert!(provider_side.register(&provider(i, 6)).await.is_err());
    consumer_side.destroy().await;
    assert!(
        consumer_side.lookup(&consumer(i)).await.is_err(),
        "a destroyed registry refuses work"
    );
}

#[tokio::test]
async fn destroy_notifies_the_remaining_subscribers() {
    let i = "test.mem.DestroyNotifies";
    let provider_side = registry();
    let consumer_side = registry();
    provider_side.register(&provider(i, 1)).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    consumer_side
        .subscribe(&consumer(i), recorder.clone())
        .await
        .unwrap();
    assert_eq!(recorder.last().len(), 1);
    assert!(!is_empty_url(&recorder.last()[0]));
    provider_side.destroy().await;
    assert!(is_empty_url(&recorder.last()[0]));
    consumer_side.destroy().await;
    assert!(consumer_side.counts().is_empty());
}

fn directory(i: &str, protocol: &Arc<TestProtocol>) -> (Arc<dyn Registry>, RegistryDirectory) {
    let registry: Arc<dyn Registry> = Arc::new(registry());
    let protocols = Protocols::empty().with("test", protocol.clone());
    let dir = RegistryDirectory::new(Arc::clone(&registry), consumer(i), protocols);
    (registry, dir)
}

#[tokio::test]
async fn directory_applies_diffs_and_keeps_unchanged_invokers() {
    let i = "test.mem.Diffs";
    let protocol = Arc::new(TestProtocol::default());
    let provider_side = registry();
    provider_side.register(&provider(i, 1)).await.unwrap();
    provider_side.register(&provider(i, 2)).await.unwrap();

    let (reg, dir) = directory(i, &protocol);
    dir.subscribe().await.unwrap();
    let first = dir.invokers();
    assert_eq!(first.len(), 2);
    assert_eq!(protocol.referred(), 2);
    assert!(dir.is_available());

    // One more provider: only it is referred; the two others are the same invokers.
    provider_side.register(&provider(i, 3)).await.unwrap();
    let second = dir.invokers();
    assert_eq!(second.len(), 3);
    assert_eq!(protocol.referred(), 3);
    for old in &first {
        assert!(
            second.iter().any(|n| Arc::ptr_eq(old, n)),
            "unchanged invoker kept"
        );
    }

    // One leaves: it is destroyed (no call in flight), the others stay.
    provider_side.unregister(&provider(i, 1)).await.unwrap();
    assert_eq!(dir.invokers().len(), 2);
    assert_eq!(protocol.live(), 2);
    let ports: Vec<u16> = dir
        .invokers()
        .iter()
        .map(|i| i.url().unwrap().port())
        .collect();
    assert!(!ports.contains(&1));

    // Calls go through the listed invokers, merged with the consumer URL.
    let listed = dir.list(&say_hello("w")).unwrap();
    let r = listed[0].invoke(say_hello("w")).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, w"));

    // Every provider gone: the directory is empty.
    provider_side.destroy().await;
    assert!(dir.invokers().is_empty());
    assert!(!dir.is_available());
    assert_eq!(protocol.live(), 0);
    assert!(dir.list(&say_hello("w")).unwrap().is_empty());

    dir.shutdown().await;
    assert!(dir.is_destroyed());
    assert!(dir.url().is_none());
    assert!(reg.counts().is_empty(), "{:?}", reg.counts());
    reg.destroy().await;
}

#[tokio::test]
async fn removed_invoker_is_destroyed_after_its_call_in_flight() {
    let i = "test.mem.InFlight";
    let protocol = Arc::new(TestProtocol::default());
    let provider_side = registry();
    provider_side.register(&provider(i, 1)).await.unwrap();
    let (reg, dir) = directory(i, &protocol);
    dir.subscribe().await.unwrap();
    let invoker = dir.invokers().pop().unwrap();

    let call = {
        let invoker = Arc::clone(&invoker);
        tokio::spawn(async move { invoker.invoke(slow(300)).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    provider_side.unregister(&provider(i, 1)).await.unwrap();
    assert!(dir.invokers().is_empty(), "gone from the directory at once");
    assert!(!invoker.is_destroyed(), "not destroyed while its call runs");
    let result = call.await.unwrap().unwrap();
    assert_eq!(result.value.as_str(), Some("done"));
    assert!(invoker.is_destroyed(), "destroyed once the call finished");
    assert!(invoker.url().is_none());
    assert_eq!(protocol.live(), 0);

    dir.shutdown().await;
    provider_side.destroy().await;
    reg.destroy().await;
}

#[tokio::test]
async fn empty_notification_and_routers() {
    let i = "test.mem.Routers";
    let protocol = Arc::new(TestProtocol::default());
    let provider_side = registry();
    provider_side.register(&provider(i, 1)).await.unwrap();
    let other_host = Url::parse(&format!(
        "test://127.0.0.2:2/{i}?interface={i}&version=1.0.0"
    ))
    .unwrap();
    provider_side.register(&other_host).await.unwrap();
    let (reg, dir) = directory(i, &protocol);
    dir.subscribe().await.unwrap();
    assert_eq!(dir.list(&say_hello("x")).unwrap().len(), 2);

    // A condition rule from the routers category: sayHello only to 127.0.0.2.
    let rule = Url::encode_component("method = sayHello => host = 127.0.0.2");
    let route = Url::parse(&format!(
        "route://0.0.0.0/{i}?category=routers&dynamic=false&router=condition&version=1.0.0&rule={rule}"
    ))
    .unwrap();
    provider_side.register(&route).await.unwrap();
    let routed = dir.list(&say_hello("x")).unwrap();
    assert_eq!(routed.len(), 1);
    assert_eq!(routed[0].url().unwrap().host(), "127.0.0.2");
    let other_call = Invocation::new("slow", "I", vec![]);
    assert_eq!(dir.list(&other_call).unwrap().len(), 2);

    // An override disabling one provider.
    let disable = Url::parse(&format!(
        "override://127.0.0.2:2/{i}?category=configurators&disabled=true&version=1.0.0"
    ))
    .unwrap();
    provider_side.register(&disable).await.unwrap();
    assert_eq!(dir.invokers().len(), 1);
    assert_eq!(dir.invokers()[0].url().unwrap().host(), "127.0.0.1");

    // An explicit empty:// notification empties the directory.
    dir.notify(vec![oxidubbo_registry::empty_url(
        &consumer(i),
        "providers",
    )])
    .await;
    assert!(dir.invokers().is_empty());
    assert_eq!(protocol.live(), 0);

    dir.shutdown().await;
    provider_side.destroy().await;
    reg.destroy().await;
}
