//! dubbo-go #3153: rebuilding a reference many times panicked — a registry directory's
//! refresh, racing the reference's destroy, handed the invokers it had just built (or
//! that destroy had just destroyed) to the routers, which read their released URLs.
//!
//! Here a refresh that finishes after its directory was destroyed installs nothing: what
//! it built is destroyed, the routers never see it, and the protocol keeps none of it.
//! Routers tolerating destroyed invokers is tested in the cluster crate
//! (`router_destroyed_invokers.rs`).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxidubbo_cluster::Directory;
use oxidubbo_cluster::router::Router;
use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker, RpcError};
use oxidubbo_protocol::Protocol;
use oxidubbo_registry::{MemoryRegistry, Protocols, Registry, RegistryDirectory, RegistryProtocol};
use support::{GatedProtocol, TestProtocol, say_hello};

const GREETER: &str = "test.dubbogo3153.Greeter";

fn provider(n: usize) -> Url {
    Url::parse(&format!(
        "test://10.0.0.{n}:20880/{GREETER}?interface={GREETER}&category=providers"
    ))
    .unwrap()
}

fn memory() -> Url {
    Url::parse("memory://127.0.0.1").unwrap()
}

/// A router that counts the invokers it was notified with, and those already destroyed.
#[derive(Default)]
struct Watching {
    seen: AtomicUsize,
    destroyed: AtomicUsize,
}

impl Router for Watching {
    fn route(
        &self,
        invokers: Vec<Arc<dyn Invoker>>,
        _url: Option<&Url>,
        _invocation: &Invocation,
    ) -> Vec<Arc<dyn Invoker>> {
        invokers
    }

    fn notify(&self, invokers: &[Arc<dyn Invoker>]) {
        for i in invokers {
            self.seen.fetch_add(1, Ordering::SeqCst);
            if i.is_destroyed() || i.url().is_none() {
                self.destroyed.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// The race, made deterministic: the refresh builds its invokers while the reference is
/// destroyed, then finishes.
#[tokio::test]
async fn dubbogo_3153_a_refresh_finishing_after_destroy_installs_nothing() {
    for built_before_destroy in 0..3 {
        let protocol = Arc::new(GatedProtocol::default());
        let dir = Arc::new(RegistryDirectory::new(
            Arc::new(MemoryRegistry::new(memory())),
            Url::parse(&format!(
                "consumer://127.0.0.1/{GREETER}?interface={GREETER}"
            ))
            .unwrap(),
            Protocols::empty().with("test", Arc::clone(&protocol) as _),
        ));
        let router = Arc::new(Watching::default());
        dir.routers().add(Arc::clone(&router) as Arc<dyn Router>);

        protocol.allow(built_before_destroy);
        let refresh = tokio::spawn({
            let dir = Arc::clone(&dir);
            async move { dir.notify((1..=3).map(provider).collect()).await }
        });
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while protocol.waiting() == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "refresh never waited"
            );
            tokio::task::yield_now().await;
        }
        dir.destroy(); // the reference is destroyed mid-refresh
        protocol.allow(3);
        refresh.await.unwrap();

        assert_eq!(protocol.made(), 3, "the refresh went on building");
        assert_eq!(
            protocol.live(),
            0,
            "{built_before_destroy} built before destroy: the destroyed directory keeps \
             what the late refresh built"
        );
        assert!(dir.invokers().is_empty());
        assert!(matches!(
            dir.list(&say_hello("x")),
            Err(RpcError::Destroyed(_))
        ));
        assert_eq!(router.seen.load(Ordering::SeqCst), 0, "routers saw them");
    }
}

/// Rebuilt many times while providers come and go (the refreshes run in the registering
/// task, racing the destroys): never a panic, nothing left alive in the protocol.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dubbogo_3153_references_rebuilt_while_providers_change() {
    let protocol = Arc::new(TestProtocol::default());
    let rp = RegistryProtocol::with_protocols(
        Protocols::empty().with("test", Arc::clone(&protocol) as _),
    );
    let admin = Arc::new(MemoryRegistry::new(memory()));
    admin.register(&provider(1)).await.unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = tokio::spawn({
        let (admin, stop) = (Arc::clone(&admin), Arc::clone(&stop));
        async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) && n < 100_000 {
                let p = provider(2 + n % 3);
                admin.register(&p).await.unwrap();
                tokio::task::yield_now().await;
                admin.unregister(&p).await.unwrap();
                n += 1;
            }
            n
        }
    });
    let reference = Url::parse(&format!(
        "consumer://127.0.0.1/{GREETER}?interface={GREETER}&check=true"
    ))
    .unwrap();
    for round in 0..300 {
        let invoker = rp.refer_from(&memory(), &reference).await.unwrap();
        let _ = invoker.invoke(say_hello("r")).await;
        for _ in 0..round % 4 {
            tokio::task::yield_now().await;
        }
        invoker.destroy();
    }
    stop.store(true, Ordering::SeqCst);
    let cycles = churn.await.unwrap();
    assert!(cycles > 0);
    assert_eq!(rp.counts().directories, 0);
    assert!(
        support::eventually(Duration::from_secs(5), || protocol.live() == 0).await,
        "{} invokers alive after every reference was destroyed",
        protocol.live()
    );
    rp.destroy().await;
    admin.destroy().await;
}
