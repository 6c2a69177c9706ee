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

/// Whether a call failed: the stream was reset, or, where a stream's task ran once more at
/// shutdown and saw its body cut off before its connection went away, it was answered with
/// a gRPC status other than OK.
async fn failed(outcome: Result<http::Response<hyper::body::Incoming>, hyper::Error>) -> bool {
    use http_body_util::BodyExt as _;
    let Ok(response) = outcome else {
        return true;
    };
    let status_of =
        |headers: &http::HeaderMap| headers.get("grpc-status").map(|s| s.as_bytes().to_vec());
    if response.status() != http::StatusCode::OK {
        return true;
    }
    if let Some(status) = status_of(response.headers()) {
        return status != b"0";
    }
    let body = tokio::time::timeout(Duration::from_secs(10), response.into_body().collect());
    match body.await {
        Ok(Ok(collected)) => collected
            .trailers()
            .and_then(status_of)
            .is_none_or(|status| status != b"0"),
        Ok(Err(_)) => true,
        Err(_) => panic!("a silent call's answer did not end within 10 s"),
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
        assert!(
            failed(outcome).await,
            "a silent call was answered with success"
        );
    }
    drop(senders);
    wait_until("tasks reclaimed", || alive() <= baseline).await;
}
