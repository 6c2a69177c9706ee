//! After destroy, no URL survives anywhere: not in the invokers, not through the global.
//! The checks watch each URL's data (`Url::downgrade`, a `WeakUrl`), which a clone of the
//! `Url` would keep alive even once every `Arc<Url>` is gone.

mod support;

use oxidubbo_protocol::{DubboProtocol, InjvmProtocol, Protocol};
use support::{free_port, greeter, greeter_url, say_hello};

#[tokio::test]
async fn injvm_global_destroy_releases_every_url() {
    let protocol = InjvmProtocol::global();
    for round in 0..2 {
        let provider_url = greeter_url("injvm", 0);
        let consumer_url = greeter_url("injvm", 0);
        let provider_weak = provider_url.downgrade();
        let consumer_weak = consumer_url.downgrade();
        let exporter = protocol.export(greeter(provider_url)).await.unwrap();
        let invoker = protocol.refer(consumer_url).await.unwrap();
        assert_eq!(
            invoker.invoke(say_hello("w")).await.unwrap().value.as_str(),
            Some("Hello, w")
        );
        let counts = protocol.counts();
        assert_eq!((counts.exporters, counts.invokers), (1, 1), "round {round}");

        protocol.destroy().await;
        assert!(
            protocol.counts().is_empty(),
            "round {round}: {:?}",
            protocol.counts()
        );
        // The caller still holds its handles, yet the URLs are gone.
        assert!(invoker.url().is_none());
        assert!(exporter.invoker().is_some_and(|i| i.url().is_none()));
        assert!(
            provider_weak.upgrade().is_none(),
            "round {round}: provider URL leaked"
        );
        assert!(
            consumer_weak.upgrade().is_none(),
            "round {round}: consumer URL leaked"
        );
        drop((exporter, invoker));
    }
}

#[tokio::test]
async fn dubbo_destroy_releases_every_url_and_the_port() {
    let protocol = DubboProtocol::new();
    let port = free_port();
    for round in 0..2 {
        let provider_url = greeter_url("dubbo", port);
        let consumer_url = greeter_url("dubbo", port);
        let provider_weak = provider_url.downgrade();
        let consumer_weak = consumer_url.downgrade();
        let exporter = protocol.export(greeter(provider_url)).await.unwrap();
        let invoker = protocol.refer(consumer_url).await.unwrap();
        assert_eq!(
            invoker.invoke(say_hello("w")).await.unwrap().value.as_str(),
            Some("Hello, w")
        );
        let counts = protocol.counts();
        assert_eq!(
            (
                counts.exporters,
                counts.invokers,
                counts.servers,
                counts.connections
            ),
            (1, 1, 1, 1)
        );

        protocol.destroy().await;
        assert!(
            protocol.counts().is_empty(),
            "round {round}: {:?}",
            protocol.counts()
        );
        assert!(invoker.url().is_none());
        assert!(
            provider_weak.upgrade().is_none(),
            "round {round}: provider URL leaked"
        );
        assert!(
            consumer_weak.upgrade().is_none(),
            "round {round}: consumer URL leaked"
        );
        // The port is free again: exporting in the next round binds it anew.
        std::net::TcpListener::bind(("127.0.0.1", port)).expect("port still bound after destroy");
        drop((exporter, invoker));
    }
}
