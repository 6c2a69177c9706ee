//! Memory per HTTP-unary request: connections that each announce a body of almost the
//! whole limit and send one byte of it keep what arrived, not what was announced. Measured
//! by a counting global allocator.

mod triple_support;

use std::time::Duration;

use oxidubbo_integration_tests::counting_alloc::{CountingAllocator, live_bytes};
use oxidubbo_protocol::{Protocol, TripleProtocol};
use tokio::io::AsyncWriteExt;
use triple_support::*;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn requests_announcing_large_bodies_cost_what_arrived() {
    const CONNECTIONS: usize = 200;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let protocol = TripleProtocol::new();
        let port = free_port();
        let _e = protocol.export(greeter(greeter_url(port, ""))).await.unwrap();
        // The default limit is 8 MiB; each announces 8,000,000 bytes.
        let head = format!(
            "POST /{GREETER}/sayHello HTTP/1.1\r\nhost: 127.0.0.1\r\n\
             content-type: application/json\r\ncontent-length: 8000000\r\n\r\n\""
        );
        let heap_before = live_bytes();
        let mut streams = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            s.write_all(head.as_bytes()).await.expect("send the head");
            streams.push(s);
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while protocol.server_connections().await < CONNECTIONS {
            assert!(
                tokio::time::Instant::now() < deadline,
                "connections not accepted in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let per_connection = (live_bytes() - heap_before) / CONNECTIONS as isize;
        println!("{CONNECTIONS} requests announcing 8,000,000 bytes: {per_connection} bytes of heap each (both ends)");
        assert!(
            per_connection < 128 * 1024,
            "each request keeps {per_connection} bytes of heap"
        );
        drop(streams);
        protocol.destroy().await;
    });
}
