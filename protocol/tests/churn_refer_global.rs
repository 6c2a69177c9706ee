//! Churn (a), the seed of the project measured as it happened: with the global
//! `DubboProtocol` serving other traffic throughout, 10,000 cycles of refer → call → destroy
//! one invoker leave the live heap, tokio's live tasks and the open sockets where they were
//! after the first 100 cycles, and each cycle's URL data is released at its destroy.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxidubbo_integration_tests::counting_alloc::CountingAllocator;
use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{
    Background, free_port, greeter, greeter_url, open_fds, say_hello, settled_live_bytes,
};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const CYCLES: usize = 10_000;

#[test]
fn refer_call_destroy_under_a_live_global_leaks_nothing() {
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
        let started = Instant::now();
        let (mut heap_100, mut tasks_100, mut fds_100) = (0, 0, 0);
        for cycle in 1..=CYCLES {
            let url = greeter_url("dubbo", port);
            let url_data = url.downgrade();
            let invoker = global.refer(url).await.unwrap();
            let weak_invoker = Arc::downgrade(&invoker);
            let r = invoker.invoke(say_hello("c")).await.unwrap();
            assert_eq!(r.value.as_str(), Some("Hello, c"));
            invoker.destroy();
            assert!(
                !url_data.is_alive(),
                "cycle {cycle}: the URL's data outlived destroy"
            );
            drop(invoker);
            assert!(
                weak_invoker.upgrade().is_none(),
                "cycle {cycle}: the global keeps the destroyed invoker"
            );
            assert_eq!(
                global.counts().invokers,
                1,
                "cycle {cycle}: only the background's"
            );
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
            "churn (a): {CYCLES} refer/call/destroy cycles in {elapsed:?} beside {calls} \
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
        tokio::time::timeout(Duration::from_secs(30), global.destroy())
            .await
            .expect("destroy hung");
        assert!(global.counts().is_empty());
    });
}
