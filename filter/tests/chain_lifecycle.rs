//! `FilteredInvoker`: URL snapshot, delegation, idempotent destroy, calls after destroy.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use oxidubbo_filter::{Filter, FilteredInvoker, Next, Side, build_chain};
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult};
use support::{recording_service, say_hello, url};

/// Records the URL snapshot each call carries and counts `destroy`.
#[derive(Default)]
struct Probe {
    saw_url: AtomicUsize,
    destroyed: AtomicUsize,
}

#[async_trait]
impl Filter for Probe {
    async fn invoke(&self, next: Next<'_>, inv: Invocation) -> Result<RpcResult, RpcError> {
        if inv.url().is_some() {
            self.saw_url.fetch_add(1, Ordering::SeqCst);
        }
        next.invoke(inv).await
    }
    fn destroy(&self) {
        self.destroyed.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn the_chain_takes_the_url_snapshot_and_delegates() {
    let u = url("");
    let (service, seen) = recording_service(Arc::clone(&u));
    let probe = Arc::new(Probe::default());
    let chain = FilteredInvoker::new(
        Arc::clone(&service),
        [("probe", Arc::clone(&probe) as Arc<dyn Filter>)],
    );
    assert!(Arc::ptr_eq(&chain.url().unwrap(), &u));
    assert!(chain.is_available());
    chain.invoke(say_hello("a")).await.unwrap();
    assert_eq!(probe.saw_url.load(Ordering::SeqCst), 1);
    let inv = seen.lock().unwrap().take().unwrap();
    assert!(
        Arc::ptr_eq(inv.url().unwrap(), &u),
        "the snapshot is the invoker's URL"
    );
}

#[tokio::test]
async fn destroy_is_idempotent_and_later_calls_fail_clearly() {
    let u = url("");
    let weak = u.downgrade();
    let (service, _) = recording_service(u);
    let probe = Arc::new(Probe::default());
    let chain = FilteredInvoker::new(
        Arc::clone(&service),
        [("probe", Arc::clone(&probe) as Arc<dyn Filter>)],
    );
    chain.destroy();
    chain.destroy();
    assert_eq!(probe.destroyed.load(Ordering::SeqCst), 1);
    assert!(chain.is_destroyed() && service.is_destroyed());
    assert!(!chain.is_available());
    assert!(chain.url().is_none());
    assert!(
        weak.upgrade().is_none(),
        "nothing in the chain keeps the URL"
    );
    assert!(matches!(
        chain.invoke(say_hello("a")).await,
        Err(RpcError::Destroyed(_))
    ));
}

#[tokio::test]
async fn a_destroyed_inner_invoker_is_a_clear_error() {
    let (service, _) = recording_service(url(""));
    let chain = build_chain(&url(""), Side::Provider, Arc::clone(&service)).unwrap();
    service.destroy();
    assert!(chain.is_destroyed());
    match chain.invoke(say_hello("a")).await {
        Err(RpcError::Destroyed(msg)) => assert!(msg.contains("sayHello"), "{msg}"),
        other => panic!("expected Destroyed, got {other:?}"),
    }
}

#[tokio::test]
async fn built_chains_release_the_url_on_destroy() {
    let u = url("token=t&tps=5&executes=3&accesslog=true");
    let weak = u.downgrade();
    let (service, seen) = recording_service(Arc::clone(&u));
    let chain = build_chain(&u, Side::Provider, service).unwrap();
    drop(u);
    chain
        .invoke(say_hello("a").with_attachment("token", "t"))
        .await
        .unwrap();
    seen.lock().unwrap().take(); // the recorded call holds its snapshot
    assert!(weak.upgrade().is_some());
    chain.destroy();
    assert!(weak.upgrade().is_none(), "no filter keeps the URL");
}
