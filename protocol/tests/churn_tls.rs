//! 1,000 TLS connect → call → destroy cycles (mutual TLS, certificates made at test time)
//! against one long-lived TLS server each of dubbo and Triple leave the live heap, the
//! runtime's tasks and the process's sockets flat, and the servers with no connection.
//!
//! The heap, tasks and sockets after cycle 300 (all caches warm) are compared with those
//! after cycle 1,000.

mod support;

use std::sync::Arc;

use oxidubbo_integration_tests::counting_alloc::{CountingAllocator, live_bytes};
use oxidubbo_integration_tests::tls_certs::TestPki;
use oxidubbo_invoker::{Invoker, Url};
use oxidubbo_protocol::{DubboProtocol, Protocol, ProtocolCounts, TripleProtocol};
use support::{free_port, greeter, open_fds, say_hello};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";
const CYCLES: usize = 1_000;
const BASELINE_AT: usize = 300;

fn url(scheme: &str, port: u16, params: &str) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "{scheme}://127.0.0.1:{port}/{GREETER}?version=1.0.0&timeout=5000&{params}"
        ))
        .unwrap(),
    )
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Lets closing connections finish (bounded: at most 2 s).
async fn settle(server_connections: impl AsyncFn() -> usize) {
    for _ in 0..200 {
        if server_connections().await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    for _ in 0..5 {
        tokio::task::yield_now().await;
    }
}

async fn churn<P: Protocol>(
    name: &str,
    scheme: &str,
    pki: &TestPki,
    provider: &P,
    consumer: &P,
    server_connections: impl AsyncFn() -> usize + Copy,
    consumer_counts: impl Fn() -> ProtocolCounts,
) {
    let port = free_port();
    let _exporter = provider
        .export(greeter(url(scheme, port, &pki.server_params(true))))
        .await
        .unwrap();
    let params = pki.client_params(true);
    let mut baseline = (0isize, 0usize, 0usize);
    for cycle in 1..=CYCLES {
        let invoker: Arc<dyn Invoker> = consumer.refer(url(scheme, port, &params)).await.unwrap();
        let r = invoker.invoke(say_hello("t")).await.unwrap();
        assert_eq!(r.value.as_str(), Some("Hello, t"), "{name} cycle {cycle}");
        drop(r);
        invoker.destroy();
        drop(invoker);
        let counts = consumer_counts();
        assert!(counts.is_empty(), "{name} cycle {cycle}: {counts:?}");
        if cycle == BASELINE_AT {
            settle(server_connections).await;
            baseline = (live_bytes(), alive_tasks(), open_fds());
        }
    }
    settle(server_connections).await;
    let (heap, tasks, fds) = (live_bytes(), alive_tasks(), open_fds());
    println!(
        "{name}: after cycle {BASELINE_AT}: heap {} B, tasks {}, fds {}; after cycle {CYCLES}: heap {heap} B, tasks {tasks}, fds {fds}",
        baseline.0, baseline.1, baseline.2
    );
    assert_eq!(
        server_connections().await,
        0,
        "{name}: server connections left"
    );
    assert!(
        tasks <= baseline.1,
        "{name}: tasks {} -> {tasks}",
        baseline.1
    );
    assert!(fds <= baseline.2, "{name}: fds {} -> {fds}", baseline.2);
    let growth = heap - baseline.0;
    assert!(
        growth.abs() < 16 * 1024,
        "{name}: live heap grew by {growth} bytes over {} TLS cycles",
        CYCLES - BASELINE_AT
    );
}

#[test]
fn tls_connect_call_destroy_cycles_leave_heap_tasks_and_sockets_flat() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let pki = TestPki::new();
        let (provider, consumer) = (DubboProtocol::new(), DubboProtocol::new());
        churn(
            "dubbo",
            "dubbo",
            &pki,
            &provider,
            &consumer,
            async || provider.server_connections().await,
            || consumer.counts(),
        )
        .await;
        provider.destroy().await;
        consumer.destroy().await;
        let (provider, consumer) = (TripleProtocol::new(), TripleProtocol::new());
        churn(
            "tri",
            "tri",
            &pki,
            &provider,
            &consumer,
            async || provider.server_connections().await,
            || consumer.counts(),
        )
        .await;
        provider.destroy().await;
        consumer.destroy().await;
    });
}
