//! Every strategy over real dubbo connections: several providers, each exported by its
//! own `DubboProtocol` (as separate processes would) on 127.0.0.1 with a free port,
//! referred by a consumer-side `DubboProtocol` and joined into one cluster invoker.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxidubbo_cluster::{FailbackClusterInvoker, StaticDirectory, cluster_for};
use oxidubbo_integration_tests::free_port;
use oxidubbo_invoker::{
    Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, Url, Value, service_fn,
};
use oxidubbo_protocol::{DubboProtocol, Exporter, Protocol};

const SERVICE: &str = "org.apache.dubbo.samples.api.GreeterService";

/// A provider that answers `sayHello(name)` with `"<port>:<name>"`, fails `fail()` with a
/// business exception, and counts its calls.
struct Provider {
    protocol: DubboProtocol,
    port: u16,
    calls: Arc<AtomicUsize>,
    exporter: Arc<dyn Exporter>,
}

fn provider_url(port: u16) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "dubbo://127.0.0.1:{port}/{SERVICE}?interface={SERVICE}&version=1.0.0&timeout=3000"
        ))
        .unwrap(),
    )
}

async fn export() -> Provider {
    let protocol = DubboProtocol::new();
    let port = free_port();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let service = service_fn(move |inv: Invocation| {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            match inv.method_name() {
                "sayHello" => {
                    let name = inv
                        .arguments()
                        .first()
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    Ok(RpcResult::new(format!("{port}:{name}")))
                }
                "fail" => Err(RpcError::business("boom")),
                other => Err(RpcError::NotFound(other.to_owned())),
            }
        }
    });
    let exporter = protocol
        .export(Arc::new(ServiceInvoker::new(provider_url(port), service)))
        .await
        .unwrap();
    Provider {
        protocol,
        port,
        calls,
        exporter,
    }
}

/// `n` providers, the referred invokers, and a cluster invoker of strategy `cluster`
/// with consumer parameters `params`.
async fn setup(
    protocol: &DubboProtocol,
    n: usize,
    params: &str,
) -> (Vec<Provider>, Vec<Arc<dyn Invoker>>, Arc<dyn Invoker>) {
    let mut providers = Vec::new();
    let mut invokers = Vec::new();
    for _ in 0..n {
        let p = export().await;
        invokers.push(protocol.refer(provider_url(p.port)).await.unwrap());
        providers.push(p);
    }
    let consumer = Arc::new(
        Url::parse(&format!(
            "consumer://127.0.0.1/{SERVICE}?interface={SERVICE}&version=1.0.0&{params}"
        ))
        .unwrap(),
    );
    let name = consumer.param_or("cluster", "failover").to_owned();
    let dir = Arc::new(StaticDirectory::with_url(Some(consumer), invokers.clone()));
    let invoker = if name == "failback" {
        Arc::new(FailbackClusterInvoker::new(dir)) as Arc<dyn Invoker>
    } else {
        cluster_for(&name).unwrap().join(dir)
    };
    (providers, invokers, invoker)
}

fn hello(name: &str) -> Invocation {
    Invocation::new("sayHello", "Ljava/lang/String;", vec![Value::from(name)])
}

fn calls(providers: &[Provider]) -> Vec<usize> {
    providers
        .iter()
        .map(|p| p.calls.load(Ordering::SeqCst))
        .collect()
}

async fn teardown(protocol: DubboProtocol, providers: Vec<Provider>, invoker: Arc<dyn Invoker>) {
    invoker.destroy();
    assert!(
        protocol.counts().is_empty(),
        "destroying the cluster invoker released every referred invoker: {:?}",
        protocol.counts()
    );
    protocol.destroy().await;
    for p in providers {
        p.protocol.destroy().await;
        assert!(p.protocol.counts().is_empty());
    }
}

#[tokio::test]
async fn failover_over_dubbo_survives_a_provider_going_away() {
    let protocol = DubboProtocol::new();
    let (providers, invokers, invoker) = setup(&protocol, 3, "cluster=failover").await;
    for i in 0..9 {
        let r = invoker.invoke(hello(&format!("n{i}"))).await.unwrap();
        assert!(r.value.as_str().unwrap().ends_with(&format!(":n{i}")));
    }
    assert_eq!(calls(&providers).iter().sum::<usize>(), 9);
    providers[0].exporter.unexport().await;
    for i in 0..12 {
        let r = invoker.invoke(hello(&format!("m{i}"))).await.unwrap();
        assert!(
            !r.value
                .as_str()
                .unwrap()
                .starts_with(&providers[0].port.to_string())
        );
    }
    assert!(
        invoker
            .invoke(Invocation::new("fail", "", vec![]))
            .await
            .unwrap_err()
            .is_business()
    );
    teardown(protocol, providers, invoker).await;
    assert!(
        invokers.iter().all(|i| i.is_destroyed()),
        "the cluster destroyed its invokers"
    );
}

#[tokio::test]
async fn failfast_over_dubbo_does_not_retry() {
    let protocol = DubboProtocol::new();
    let (providers, _invokers, invoker) = setup(&protocol, 2, "cluster=failfast").await;
    assert!(invoker.invoke(hello("a")).await.is_ok());
    providers[0].exporter.unexport().await;
    providers[1].exporter.unexport().await;
    let err = invoker.invoke(hello("b")).await.unwrap_err();
    assert!(!err.is_business(), "{err}");
    assert_eq!(calls(&providers).iter().sum::<usize>(), 1);
    teardown(protocol, providers, invoker).await;
}

#[tokio::test]
async fn failsafe_over_dubbo_swallows_errors() {
    let protocol = DubboProtocol::new();
    let (providers, _invokers, invoker) = setup(&protocol, 2, "cluster=failsafe").await;
    let r = invoker
        .invoke(Invocation::new("fail", "", vec![]))
        .await
        .unwrap();
    assert_eq!(r, RpcResult::default());
    assert!(
        invoker
            .invoke(hello("x"))
            .await
            .unwrap()
            .value
            .as_str()
            .is_some()
    );
    assert_eq!(calls(&providers).iter().sum::<usize>(), 2);
    teardown(protocol, providers, invoker).await;
}

#[tokio::test]
async fn failback_over_dubbo_delivers_every_call_eventually() {
    let protocol = DubboProtocol::new();
    let (providers, _invokers, invoker) = setup(
        &protocol,
        2,
        "cluster=failback&failback.period=20&loadbalance=roundrobin",
    )
    .await;
    providers[0].exporter.unexport().await;
    for i in 0..6 {
        invoker.invoke(hello(&format!("n{i}"))).await.unwrap();
    }
    let mut delivered = 0;
    for _ in 0..500 {
        delivered = providers[1].calls.load(Ordering::SeqCst);
        if delivered >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        delivered, 6,
        "the failed calls were retried on the live provider"
    );
    teardown(protocol, providers, invoker).await;
}

#[tokio::test]
async fn forking_over_dubbo_first_success_wins() {
    let protocol = DubboProtocol::new();
    let (providers, _invokers, invoker) = setup(&protocol, 3, "cluster=forking&forks=3").await;
    providers[0].exporter.unexport().await;
    let r = invoker.invoke(hello("f")).await.unwrap();
    assert!(r.value.as_str().unwrap().ends_with(":f"));
    teardown(protocol, providers, invoker).await;
}

#[tokio::test]
async fn broadcast_over_dubbo_calls_every_provider() {
    let protocol = DubboProtocol::new();
    let (providers, _invokers, invoker) = setup(&protocol, 3, "cluster=broadcast").await;
    invoker.invoke(hello("all")).await.unwrap();
    assert_eq!(calls(&providers), vec![1, 1, 1]);
    providers[2].exporter.unexport().await;
    assert!(invoker.invoke(hello("all")).await.is_err());
    assert_eq!(calls(&providers)[..2], [2, 2]);
    teardown(protocol, providers, invoker).await;
}

#[tokio::test]
async fn available_over_dubbo_uses_the_first_provider() {
    let protocol = DubboProtocol::new();
    let (providers, _invokers, invoker) = setup(&protocol, 3, "cluster=available").await;
    for _ in 0..5 {
        let r = invoker.invoke(hello("a")).await.unwrap();
        assert_eq!(
            r.value.as_str().unwrap(),
            format!("{}:a", providers[0].port)
        );
    }
    teardown(protocol, providers, invoker).await;
}

#[tokio::test]
async fn consistenthash_and_roundrobin_over_dubbo() {
    let protocol = DubboProtocol::new();
    let (providers, _invokers, invoker) = setup(&protocol, 3, "loadbalance=consistenthash").await;
    let first = invoker.invoke(hello("alice")).await.unwrap();
    for _ in 0..10 {
        assert_eq!(invoker.invoke(hello("alice")).await.unwrap(), first);
    }
    teardown(protocol, providers, invoker).await;

    let protocol = DubboProtocol::new();
    let (providers, _invokers, invoker) = setup(&protocol, 3, "loadbalance=roundrobin").await;
    for _ in 0..9 {
        invoker.invoke(hello("r")).await.unwrap();
    }
    assert_eq!(calls(&providers), vec![3, 3, 3]);
    teardown(protocol, providers, invoker).await;
}
