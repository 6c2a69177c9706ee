//! dubbo-go #2701: `BaseInvoker.Destroy()` only flipped flags, and the invoker stayed in the
//! global `dubboProtocol`'s tables, so every invoker destroyed while the process-wide
//! protocol lived on kept its URL for good (fixed there by releasing the URL, #2726). Here an
//! individual invoker destroyed under the live global releases its URL's data and leaves the
//! global's tables, while the global goes on serving.

mod support;

use std::sync::Arc;

use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{free_port, greeter, greeter_url, say_hello};

#[tokio::test]
async fn dubbogo_2701_an_invoker_destroyed_under_the_live_global_releases_its_url_and_leaves_its_tables()
 {
    let global = DubboProtocol::global();
    let port = free_port();
    let exporter = global
        .export(greeter(greeter_url("dubbo", port)))
        .await
        .unwrap();
    let other = global.refer(greeter_url("dubbo", port)).await.unwrap();
    let before = global.counts();

    let url = greeter_url("dubbo", port);
    let url_data = url.downgrade();
    let invoker = global.refer(url).await.unwrap();
    let weak_invoker = Arc::downgrade(&invoker);
    invoker.invoke(say_hello("x")).await.unwrap();
    assert_eq!(global.counts().invokers, before.invokers + 1);

    invoker.destroy();
    assert!(
        !url_data.is_alive(),
        "the destroyed invoker's URL is still reachable"
    );
    assert_eq!(
        global.counts(),
        before,
        "the destroyed invoker stays in the global"
    );
    drop(invoker);
    assert!(
        weak_invoker.upgrade().is_none(),
        "the global still holds the destroyed invoker"
    );
    // The global lives on and serves.
    let r = other.invoke(say_hello("y")).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, y"));

    other.destroy();
    exporter.unexport().await;
    assert!(global.counts().is_empty(), "{:?}", global.counts());
}
