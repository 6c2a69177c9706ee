//! Churn (b): with the global `DubboProtocol` serving other traffic throughout, 10,000
//! cycles of export → call → unexport one service leave the live heap, tokio's live tasks and
//! the open sockets where they were after the first 100 cycles, and each cycle's provider URL
//! data is released at its unexport.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxidubbo_integration_tests::counting_alloc::CountingAllocator;
use oxidubbo_invoker::Url;
use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{
    Background, free_port, greeter, greeter_url, open_fds, say_hello, settled_live_bytes,
};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const CYCLES: usize = 10_000;

fn churned_url(port: u16) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "dubbo://127.0.0.1:{port}/com.example.Churned?version=1.0.0"
        ))
        .unwrap(),
    )
}

#[test]
fn export_call_unexport_under_a_live_global_leaks_nothing() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let global = DubboProtocol::global();
        let metrics = tokio::runtime::Handle::current().metrics();
        let port = free_port();
        let _served = global
            .export(greeter(greeter_url("dubbo", port)))
            .await
            .unwrap();
        let background = Background::start(global.refer(greeter_url("dubbo", port)).await.unwrap());
        // A consumer of the churned service, live throughout.
        let consumer = global.refer(churned_url(port)).await.unwrap();
        let started = Instant::now();
        let (mut heap_100, mut tasks_100, mut fds_100) = (0, 0, 0);
        for cycle in 1..=CYCLES {
            let url = churned_url(port);
            let url_data = url.downgrade();
            let service = greeter(url);
            let weak_service = Arc::downgrade(&service);
            let exporter = global.export(service).await.unwrap();
            let r = consumer.invoke(say_hello("c")).await.unwrap();
            assert_eq!(r.value.as_str(), Some("Hello, c"));
            exporter.unexport().await;
            drop(exporter);
            assert!(
                !url_data.is_alive(),
                "cycle {cycle}: the URL's data outlived unexport"
            );
            // A request being looked up on the other worker at the unexport may hold the
            // table's previous snapshot for a moment: give it 1 s, no more.
            for _ in 0..1_000 {
                if weak_service.strong_count() == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            assert!(
                weak_service.upgrade().is_none(),
                "cycle {cycle}: the global keeps the unexported service"
            );
            let counts = global.counts();
            assert_eq!((counts.exporters, counts.servers), (1, 1), "cycle {cycle}");
            if cycle == 100 {
                heap_100 = settled_live_bytes().await;
                tasks_100 = metrics.num_alive_tasks();
                fds_100 = open_fds();
            }
        }
        let heap = settled_live_bytes().await;
        let (tasks, fds) = (metrics.num_alive_tasks(), open_fds());
        let elapsed = started.elapsed();
        let calls = background.stop().await;
        println!(
            "churn (b): {CYCLES} export/call/unexport cycles in {elapsed:?} beside {calls} \
             background calls; live heap after cycle 100: {heap_100} bytes, after cycle \
             {CYCLES}: {heap} bytes ({:+}); tasks {tasks_100} -> {tasks}; fds {fds_100} -> {fds}",
            heap - heap_100
        );
        assert!(calls > 0, "no background traffic ran");
        assert!(
            (heap - heap_100).abs() <= 64 * 1024,
            "live heap moved by {} bytes over {} cycles",
            heap - heap_100,
            CYCLES - 100
        );
        assert_eq!(tasks, tasks_100, "tasks");
        assert_eq!(fds, fds_100, "sockets");
        drop(consumer);
        tokio::time::timeout(Duration::from_secs(30), global.destroy())
            .await
            .expect("destroy hung");
        assert!(global.counts().is_empty());
    });
}
