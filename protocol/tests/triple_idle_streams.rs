//! 1,000 streams opened and never written: the server keeps serving others, and closing it
//! reclaims every task they held.

mod triple_support;

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::StreamBody;
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use oxidubbo_protocol::Protocol;
use triple_support::*;

type Silent = StreamBody<futures_util::stream::Pending<Result<Frame<Bytes>, Infallible>>>;

fn alive() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: {} tasks alive",
            alive()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_thousand_silent_streams_are_bounded_and_reclaimed() {
    let (protocol, port, _exporter) = greeter_server().await;
    let baseline = alive();
    let mut pending = Vec::new();
    let mut senders = Vec::new();
    for _ in 0..4 {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let (mut send, conn) = hyper::client::conn::http2::handshake::<_, _, Silent>(
            TokioExecutor::new(),
            TokioIo::new(tcp),
        )
        .await
        .unwrap();
        tokio::spawn(conn);
        for _ in 0..250 {
            send.ready().await.unwrap();
            let req = Request::post(format!("http://127.0.0.1:{port}/{GREETER}/sayHello"))
                .header("content-type", "application/grpc")
                .body(StreamBody::new(futures_util::stream::pending()))
                .unwrap();
            pending.push(tokio::spawn(send.send_request(req)));
        }
        senders.push(send);
    }
    // Every stream is open: the client's tasks and the server's one per stream.
    wait_until("streams open", || alive() >= baseline + 3 * 1000).await;
    // Others are still served.
    still_serves(&protocol, port).await;
    assert!(
        pending.iter().all(|p| !p.is_finished()),
        "the silent streams wait"
    );

    protocol.destroy().await;
    // Every silent call fails (the server is gone), and every task ends.
    for p in pending {
        let outcome = tokio::time::timeout(Duration::from_secs(10), p)
            .await
            .unwrap()
            .unwrap();
        assert!(outcome.is_err());
    }
    drop(senders);
    wait_until("tasks reclaimed", || alive() <= baseline).await;
}
