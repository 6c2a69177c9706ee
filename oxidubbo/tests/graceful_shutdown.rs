//! Graceful shutdown under load: two providers of the same service, a consumer calling
//! continuously from 8 tasks, one provider shut down mid-run. No call fails, and every
//! call that was in flight on the leaving provider completes there.
//!
//! Each application runs on its own `DubboProtocol` (the process-wide one is shared by
//! the whole test binary). Every loop is bounded in count and time.
#![allow(missing_docs)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{CountingGreeter, Greeter};
use oxidubbo::config::{ProtocolConfig, ReferenceConfig, RegistryConfig, ServiceConfig};
use oxidubbo::{Bootstrap, DubboProtocol, Running};
use tokio::time::{Instant, sleep};

const TASKS: usize = 8;
const MAX_CALLS: usize = 20_000;
const MAX_RUN: Duration = Duration::from_secs(10);
const CALL_DELAY: Duration = Duration::from_millis(4);

struct Provider {
    greeter: Arc<CountingGreeter>,
    protocol: Arc<DubboProtocol>,
    running: Running,
}

async fn provider(label: &str, registry: Option<&str>) -> Provider {
    let greeter = CountingGreeter::new(label, CALL_DELAY);
    let protocol = Arc::new(DubboProtocol::new());
    let mut bootstrap = Bootstrap::new()
        .application(format!("provider-{label}"))
        .protocol("dubbo", ProtocolConfig::dubbo(0))
        .service_config(
            "greeter",
            ServiceConfig {
                register: Some(registry.is_some()),
                ..ServiceConfig::default()
            },
        )
        .service::<dyn Greeter>("greeter", greeter.clone())
        .dubbo_protocol(Arc::clone(&protocol))
        .shutdown_timeout(Duration::from_secs(10));
    if let Some(group) = registry {
        let mut config = RegistryConfig::new("memory://");
        config.group = Some(group.to_owned());
        bootstrap = bootstrap.registry("embedded", config);
    }
    let running = bootstrap.start().await.unwrap();
    Provider {
        greeter,
        protocol,
        running,
    }
}

#[derive(Default)]
struct Load {
    stop: AtomicBool,
    ok: AtomicUsize,
    failed: AtomicUsize,
    issued: AtomicUsize,
    first_error: std::sync::Mutex<Option<String>>,
}

fn spawn_load(client: common::GreeterClient, load: &Arc<Load>) -> Vec<tokio::task::JoinHandle<()>> {
    let deadline = Instant::now() + MAX_RUN;
    (0..TASKS)
        .map(|t| {
            let client = client.clone();
            let load = Arc::clone(load);
            tokio::spawn(async move {
                while !load.stop.load(Ordering::SeqCst)
                    && Instant::now() < deadline
                    && load.issued.fetch_add(1, Ordering::SeqCst) < MAX_CALLS
                {
                    match client.say_hello(format!("t{t}")).await {
                        Ok(_) => load.ok.fetch_add(1, Ordering::SeqCst),
                        Err(e) => {
                            load.first_error
                                .lock()
                                .unwrap()
                                .get_or_insert_with(|| e.to_string());
                            load.failed.fetch_add(1, Ordering::SeqCst)
                        }
                    };
                }
            })
        })
        .collect()
}

/// Waits (at most `limit`) until `done` holds.
async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        sleep(Duration::from_millis(2)).await;
    }
    done()
}

async fn shut_one_down_under_load(
    consumer_reference: ReferenceConfig,
    a: Provider,
    b: Provider,
    group: Option<&str>,
) {
    let consumer_protocol = Arc::new(DubboProtocol::new());
    let mut consumer = Bootstrap::new()
        .application("consumer")
        .reference("greeter", consumer_reference)
        .dubbo_protocol(Arc::clone(&consumer_protocol));
    if let Some(group) = group {
        let mut config = RegistryConfig::new("memory://");
        config.group = Some(group.to_owned());
        consumer = consumer.registry("embedded", config);
    }
    let consumer = consumer.start().await.unwrap();
    let client = consumer.client::<dyn Greeter>("greeter").unwrap();

    let load = Arc::new(Load::default());
    let tasks = spawn_load(client, &load);

    // Both providers serve, and calls are in flight on the one about to leave.
    assert!(
        wait_until(Duration::from_secs(5), || a.greeter.finished() >= 100
            && b.greeter.finished() >= 100)
        .await,
        "both providers take calls (a: {}, b: {})",
        a.greeter.finished(),
        b.greeter.finished()
    );
    assert!(
        wait_until(Duration::from_secs(5), || a
            .running
            .provider_calls_in_flight()
            > 0)
        .await,
        "calls are in flight on the provider when it shuts down"
    );
    let in_flight_at_shutdown = a.greeter.started() - a.greeter.finished();
    let report = a.running.shutdown().await;
    let a_started = a.greeter.started();
    assert_eq!(report.provider_calls_abandoned, 0, "{report:?}");
    assert_eq!(
        a_started,
        a.greeter.finished(),
        "every call that reached the leaving provider completed there ({in_flight_at_shutdown} were in flight)"
    );
    assert!(a.protocol.counts().is_empty(), "{:?}", a.protocol.counts());

    // The load goes on, on the remaining provider only.
    let b_before = b.greeter.finished();
    assert!(
        wait_until(Duration::from_secs(5), || b.greeter.finished()
            >= b_before + 200)
        .await,
        "the remaining provider takes the load"
    );
    load.stop.store(true, Ordering::SeqCst);
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(15), task)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        a.greeter.started(),
        a_started,
        "no call reached the provider after it left"
    );
    let failed = load.failed.load(Ordering::SeqCst);
    assert_eq!(
        failed,
        0,
        "calls failed: {failed} of {} (first: {:?})",
        failed + load.ok.load(Ordering::SeqCst),
        load.first_error.lock().unwrap()
    );
    assert!(load.ok.load(Ordering::SeqCst) >= 400);

    consumer.shutdown().await;
    b.running.shutdown().await;
    assert!(
        consumer_protocol.counts().is_empty(),
        "{:?}",
        consumer_protocol.counts()
    );
    assert!(b.protocol.counts().is_empty(), "{:?}", b.protocol.counts());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_call_fails_when_a_provider_leaves_the_embedded_registry() {
    let group = "graceful-shutdown-registry";
    let a = provider("a", Some(group)).await;
    let b = provider("b", Some(group)).await;
    let reference = ReferenceConfig {
        loadbalance: Some("roundrobin".into()),
        timeout: Some(5000),
        ..ReferenceConfig::of::<dyn Greeter>().with_registry("embedded")
    };
    shut_one_down_under_load(reference, a, b, Some(group)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_call_fails_when_a_direct_provider_leaves() {
    let a = provider("a", None).await;
    let b = provider("b", None).await;
    let urls = [&a, &b]
        .iter()
        .map(|p| format!("dubbo://{}", p.running.provider_urls()["greeter"].address()))
        .collect::<Vec<_>>()
        .join(";");
    let reference = ReferenceConfig {
        loadbalance: Some("roundrobin".into()),
        timeout: Some(5000),
        ..ReferenceConfig::of::<dyn Greeter>().with_url(urls)
    };
    shut_one_down_under_load(reference, a, b, None).await;
}
