//! The churn of a provider joining and leaving through a registry under a live consumer,
//! shared by the churn tests (interface level and application level): heap (the counting
//! allocator of the test binary), tokio tasks and sockets measured after a warm-up and at
//! the end.

use oxidubbo_integration_tests::counting_alloc::live_bytes;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use oxidubbo_examples::{Greeter, GreeterClient, greeter_provider_url, greeter_service};
use oxidubbo_integration_tests::free_port;
use oxidubbo_invoker::{Invoker, RpcError, ServiceInvoker, Url};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use oxidubbo_registry::{Protocols, RegistryProtocol, refer_direct};

/// One churn run at a time: they share the process-wide protocol and the heap count.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const WARM_UP: usize = 100;

pub fn sockets() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| {
                    std::fs::read_link(e.path())
                        .is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
        .unwrap_or(0)
}

pub fn tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Polls `check` every millisecond until it holds, at most `limit`.
pub async fn until(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Other traffic on the process-wide protocol: a service of its own, called in a loop.
pub struct Steady {
    stop: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
    exporter: Arc<dyn oxidubbo_protocol::Exporter>,
    client: Arc<dyn Invoker>,
}

impl Steady {
    /// Exports the steady service and starts calling it.
    pub async fn start() -> Steady {
        let port = free_port();
        let url = greeter_provider_url(port).with_param("group", "steady");
        let exporter = DubboProtocol::global()
            .export(Arc::new(ServiceInvoker::new(
                Arc::new(url),
                greeter_service(),
            )))
            .await
            .unwrap();
        let reference = Url::parse(
            "consumer://127.0.0.1/org.apache.dubbo.samples.api.GreeterService\
             ?interface=org.apache.dubbo.samples.api.GreeterService&version=1.0.0&group=steady&timeout=5000",
        )
        .unwrap();
        let client = refer_direct(
            &Protocols::global(),
            &format!("dubbo://127.0.0.1:{port}"),
            &reference,
        )
        .await
        .unwrap();
        let (stop, calls) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicUsize::new(0)),
        );
        let task = tokio::spawn({
            let (stop, calls) = (Arc::clone(&stop), Arc::clone(&calls));
            let greeter = GreeterClient::new(Arc::clone(&client));
            async move {
                while !stop.load(Ordering::Relaxed) {
                    let answer = greeter.say_hello("steady".into()).await;
                    assert_eq!(answer.as_deref(), Ok("Hello, steady"));
                    calls.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        });
        Steady {
            stop,
            calls,
            task,
            exporter,
            client,
        }
    }

    /// Stops calling and unexports; the number of calls made.
    pub async fn stop(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        self.client.destroy();
        self.exporter.unexport().await;
        self.calls.load(Ordering::Relaxed)
    }
}

pub struct Figures {
    cycles: usize,
    heap_after_warm_up: isize,
    heap_after_all: isize,
    tasks: (usize, usize),
    sockets: (usize, usize),
    took: Duration,
    steady_calls: usize,
}

/// `cycles` of provider join/leave through the registry at `registry`, followed by a
/// consumer whose reference URL has `reference_params` too (`&key=value…`). At the end the
/// consumer's registry holds no subscription and no watch once the reference is destroyed.
pub async fn churn(registry: &Url, reference_params: &str, cycles: usize) -> Figures {
    assert!(cycles > WARM_UP);
    let steady = Steady::start().await;
    let consumer = RegistryProtocol::with_protocols(Protocols::global());
    let reference = Url::parse(&format!(
        "consumer://127.0.0.1/org.apache.dubbo.samples.api.GreeterService\
         ?interface=org.apache.dubbo.samples.api.GreeterService&version=1.0.0&check=false&timeout=5000&retries=0\
         {reference_params}"
    ))
    .unwrap();
    let invoker = consumer.refer_from(registry, &reference).await.unwrap();
    let greeter = GreeterClient::new(Arc::clone(&invoker));
    let provider = RegistryProtocol::with_protocols(Protocols::global());
    let port = free_port();

    let started = Instant::now();
    let (mut heap0, mut tasks0, mut sockets0) = (0, 0, 0);
    for cycle in 1..=cycles {
        let url = Arc::new(greeter_provider_url(port).with_param("application", "churn-provider"));
        let exported_url = url.downgrade();
        let exporter = provider
            .export_to(
                registry,
                Arc::new(ServiceInvoker::new(url, greeter_service())),
            )
            .await
            .unwrap();
        assert!(
            until(Duration::from_secs(10), async || {
                greeter.say_hello("churn".into()).await.is_ok()
            })
            .await,
            "cycle {cycle}: the consumer never reached the provider that joined"
        );
        exporter.unexport().await;
        drop(exporter);
        assert!(
            until(Duration::from_secs(10), async || {
                matches!(
                    greeter.say_hello("churn".into()).await,
                    Err(RpcError::Unavailable(_))
                )
            })
            .await,
            "cycle {cycle}: the consumer still lists the provider that left"
        );
        assert!(
            !exported_url.is_alive(),
            "cycle {cycle}: the provider's URL outlived its unexport: {exported_url:?}"
        );
        if cycle == WARM_UP || cycle == cycles {
            // Let closing connections and tasks finish.
            let settled = until(Duration::from_secs(10), async || {
                DubboProtocol::global().counts().servers == 1
                    && (cycle == WARM_UP || (tasks() <= tasks0 && sockets() <= sockets0))
            })
            .await;
            assert!(
                settled,
                "cycle {cycle}: {:?}",
                DubboProtocol::global().counts()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
            if cycle == WARM_UP {
                (heap0, tasks0, sockets0) = (live_bytes(), tasks(), sockets());
            }
        }
    }
    let figures = Figures {
        cycles,
        heap_after_warm_up: heap0,
        heap_after_all: live_bytes(),
        tasks: (tasks0, tasks()),
        sockets: (sockets0, sockets()),
        took: started.elapsed(),
        steady_calls: steady.calls.load(Ordering::Relaxed),
    };
    let consumer_registry = consumer.registry(registry).await.unwrap();
    invoker.destroy();
    // The watch tasks end on their own once told to stop: wait for both counts.
    assert!(
        until(Duration::from_secs(10), async || {
            let counts = consumer_registry.counts();
            counts.subscriptions == 0 && counts.watches == 0
        })
        .await,
        "the destroyed reference left subscriptions or watches: {:?}",
        consumer_registry.counts()
    );
    let left = consumer_registry.counts();
    assert_eq!((left.subscriptions, left.watches), (0, 0), "{left:?}");
    drop(consumer_registry);
    consumer.destroy().await;
    provider.destroy().await;
    let steady_calls = steady.stop().await;
    assert!(steady_calls > 0, "the other traffic went on throughout");
    assert!(
        DubboProtocol::global().counts().is_empty(),
        "{:?}",
        DubboProtocol::global().counts()
    );
    figures
}

pub fn check(label: &str, f: &Figures) {
    let growth = f.heap_after_all - f.heap_after_warm_up;
    println!(
        "{label}: {} cycles in {:?} ({:?} per cycle); live heap after {WARM_UP} cycles {} bytes, \
         after {} cycles {} bytes ({growth:+}); tasks {} -> {}; sockets {} -> {}; other \
         traffic: {} calls",
        f.cycles,
        f.took,
        f.took / u32::try_from(f.cycles).unwrap_or(u32::MAX),
        f.heap_after_warm_up,
        f.cycles,
        f.heap_after_all,
        f.tasks.0,
        f.tasks.1,
        f.sockets.0,
        f.sockets.1,
        f.steady_calls,
    );
    assert!(
        growth.abs() < 64 * 1024,
        "{label}: live heap moved by {growth} bytes"
    );
    assert!(f.tasks.1 <= f.tasks.0, "{label}: tasks {:?}", f.tasks);
    assert!(
        f.sockets.1 <= f.sockets.0,
        "{label}: sockets {:?}",
        f.sockets
    );
}
