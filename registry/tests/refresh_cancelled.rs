//! A `RegistryDirectory` refresh stopped half-way — its future dropped at any await, as
//! when a notification is cancelled or a registry watch is aborted at shutdown — destroys
//! every invoker it made: the protocol keeps none of them alive, and the directory keeps
//! the providers it had.

mod support;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use oxidubbo_cluster::Directory;
use oxidubbo_common::Url;
use oxidubbo_registry::{MemoryRegistry, Protocols, Registry, RegistryDirectory};
use support::GatedProtocol;

const NEW_PROVIDERS: usize = 4;

fn provider(n: usize) -> Url {
    Url::parse(&format!(
        "test://10.0.0.{n}:20880/test.cancel.Greeter?interface=test.cancel.Greeter&category=providers"
    ))
    .unwrap()
}

fn directory(protocol: &Arc<GatedProtocol>) -> RegistryDirectory {
    let registry: Arc<dyn Registry> = Arc::new(MemoryRegistry::new(
        Url::parse("memory://127.0.0.1").unwrap(),
    ));
    let consumer = Url::parse(
        "consumer://127.0.0.1/test.cancel.Greeter?interface=test.cancel.Greeter&check=false",
    )
    .unwrap();
    RegistryDirectory::new(
        registry,
        consumer,
        Protocols::empty().with("test", Arc::clone(protocol) as _),
    )
}

/// Polls `fut` once: it runs until it waits (at the protocol's gate) or ends.
fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

/// The directory first has provider 1; then a notification brings providers 1..=5 and
/// is dropped while the refer of new provider k+1 waits, for every k.
#[tokio::test]
async fn a_refresh_dropped_at_every_await_leaves_nothing_it_made() {
    for k in 0..NEW_PROVIDERS {
        let protocol = Arc::new(GatedProtocol::default());
        let dir = directory(&protocol);
        protocol.allow(1);
        dir.notify(vec![provider(1)]).await;
        assert_eq!(dir.invokers().len(), 1);

        protocol.allow(k);
        let all: Vec<Url> = (1..=1 + NEW_PROVIDERS).map(provider).collect();
        {
            let refresh = dir.notify(all);
            let mut refresh = std::pin::pin!(refresh);
            assert!(poll_once(refresh.as_mut()).is_pending(), "k={k}");
            assert_eq!(
                (protocol.made(), protocol.waiting()),
                (1 + k, 1),
                "k={k}: stopped at the refer of new provider {}",
                k + 1
            );
        } // dropped here, at await point k
        assert_eq!(protocol.waiting(), 0);
        assert_eq!(
            protocol.live(),
            1,
            "k={k}: only the provider the directory had is alive ({} made)",
            protocol.made()
        );
        let listed = dir.invokers();
        assert_eq!(listed.len(), 1, "k={k}");
        assert_eq!(listed[0].url().unwrap().host(), "10.0.0.1");
        assert!(listed[0].is_available());

        dir.shutdown().await;
        assert_eq!(protocol.live(), 0, "k={k}");
    }
}

/// The same through a task aborted while the refresh waits (a registry watch task aborted
/// at shutdown), and a refresh that is let through afterwards still completes.
#[tokio::test]
async fn a_refresh_in_an_aborted_task_leaves_nothing_it_made() {
    let protocol = Arc::new(GatedProtocol::default());
    let dir = Arc::new(directory(&protocol));
    protocol.allow(2);
    let all: Vec<Url> = (1..=1 + NEW_PROVIDERS).map(provider).collect();
    let task = tokio::spawn({
        let dir = Arc::clone(&dir);
        let all = all.clone();
        async move { dir.notify(all).await }
    });
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while protocol.waiting() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "refresh never waited"
        );
        tokio::task::yield_now().await;
    }
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert_eq!(protocol.made(), 2);
    assert_eq!(
        protocol.live(),
        0,
        "the aborted refresh destroyed what it made"
    );
    assert!(dir.invokers().is_empty());
    assert!(!dir.is_available());

    protocol.allow(1 + NEW_PROVIDERS);
    dir.notify(all).await;
    assert_eq!(dir.invokers().len(), 1 + NEW_PROVIDERS);
    assert_eq!(protocol.live(), 1 + NEW_PROVIDERS);
    dir.shutdown().await;
    assert_eq!(protocol.live(), 0);
}
