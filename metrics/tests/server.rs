//! The metrics endpoint: the exposition at its path, 404 elsewhere, 405 for other
//! methods, and a shutdown that closes every connection and frees the port.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_integration_tests::http_get;
use oxidubbo_metrics::{MetricsServer, RpcMetrics};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn serves_the_exposition_and_stops_cleanly() {
    let metrics = Arc::new(RpcMetrics::with_hostname("app", "127.0.0.1", "h"));
    let server = MetricsServer::start(
        "127.0.0.1:0".parse().unwrap(),
        "/metrics",
        Arc::new(metrics.registry()),
    )
    .await
    .expect("bound");
    let addr = server.local_addr();
    let (status, body) = http_get(addr, "/metrics").await.unwrap();
    assert_eq!((status, body.as_str()), (200, "# EOF\n"));
    assert_eq!(http_get(addr, "/").await.unwrap().0, 404);

    let mut post = tokio::net::TcpStream::connect(addr).await.unwrap();
    post.write_all(
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = String::new();
    post.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");

    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("shutdown within the hang guard");
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(10), idle.read(&mut buf))
        .await
        .expect("the idle connection was closed");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    std::net::TcpListener::bind(addr).expect("the port is free again");
    server.shutdown().await;
}
