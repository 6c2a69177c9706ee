//! Memory per connection: thousands of connections that each announce an 8 MiB body and
//! send nothing more cost a few KiB each, not their announced bodies (10,000 of them once
//! reserved 80 GiB). Measured by a counting global allocator (what the process reserved)
//! and by the resident set size.

mod support;

use std::time::{Duration, Instant};

use oxidubbo_integration_tests::counting_alloc::{CountingAllocator, live_bytes};
use oxidubbo_protocol::dubbo::header::{DEFAULT_PAYLOAD, Header};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{free_port, greeter, greeter_url};
use tokio::io::AsyncWriteExt;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// The soft limit on open files (both ends of every connection count: the test is both
/// the consumers and the provider).
fn open_files_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|soft| soft.parse().ok())
        .unwrap_or(1024)
}

fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[test]
fn idle_connections_announcing_large_bodies_cost_a_few_kib_each() {
    let wanted = 10_000;
    let connections = wanted.min(open_files_limit().saturating_sub(300) / 2);
    assert!(
        connections >= 500,
        "too few open files allowed: {}",
        open_files_limit()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let provider = DubboProtocol::new();
        let port = free_port();
        let _e = provider
            .export(greeter(greeter_url("dubbo", port)))
            .await
            .unwrap();
        let announce = Header {
            flag: 0xc2,
            status: 0,
            id: 1,
            body_len: DEFAULT_PAYLOAD as u32, // the most the provider takes
        }
        .to_bytes();
        let (heap_before, rss_before) = (live_bytes(), rss_bytes());
        let started = Instant::now();
        let mut streams = Vec::with_capacity(connections);
        for _ in 0..connections {
            let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            s.write_all(&announce).await.expect("send the header");
            streams.push(s);
        }
        // Every connection is accepted and its header read.
        let deadline = Instant::now() + Duration::from_secs(60);
        while provider.server_connections().await < connections {
            assert!(
                Instant::now() < deadline,
                "connections not accepted in 60 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let heap = live_bytes() - heap_before;
        let rss = rss_bytes().saturating_sub(rss_before);
        let per_heap = heap / connections as isize;
        let per_rss = rss / connections;
        println!(
            "{connections} connections (of {wanted} wanted; open-files limit {}), each announcing \
             {DEFAULT_PAYLOAD} bytes, opened in {:?}: live heap +{heap} bytes ({per_heap} per \
             connection, both ends), RSS +{rss} bytes ({per_rss} per connection, both ends); \
             at 10,000: heap {} MiB, RSS {} MiB",
            open_files_limit(),
            started.elapsed(),
            per_heap * 10_000 / (1 << 20),
            per_rss * 10_000 / (1 << 20),
        );
        assert!(
            per_heap < 16 * 1024,
            "each connection reserves {per_heap} bytes of heap"
        );
        assert!(
            per_rss < 32 * 1024,
            "each connection costs {per_rss} bytes of RSS"
        );
        drop(streams);
        provider.destroy().await;
    });
}
