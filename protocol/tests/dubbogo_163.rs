//! dubbo-go #163: each heartbeat request put a pending-response entry in a map that only an
//! answer removed, so a long-running consumer grew without end (and an unanswered heartbeat
//! left its entry for good, #3440). Here heartbeats, answered or not, leave no pending entry.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxidubbo_invoker::Url;
use oxidubbo_protocol::dubbo::codec;
use oxidubbo_protocol::dubbo::header::Header;
use oxidubbo_protocol::{DubboProtocol, Protocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test]
async fn dubbogo_163_heartbeats_answered_or_not_leave_no_pending_entries() {
    // A provider that answers every other heartbeat and ignores the rest.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let heartbeats = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&heartbeats);
    let provider = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        for _ in 0..10_000 {
            let mut head = [0u8; 16];
            if s.read_exact(&mut head).await.is_err() {
                return;
            }
            let header = Header::parse(&head).expect("a dubbo frame");
            let mut body = vec![0; header.body_len as usize];
            if s.read_exact(&mut body).await.is_err() {
                return;
            }
            assert!(
                header.is_event(),
                "only heartbeats are sent here: {header:?}"
            );
            if seen.fetch_add(1, Ordering::SeqCst) % 2 == 0 {
                let mut answer = Vec::new();
                codec::encode_heartbeat_response(&mut answer, header.id);
                if s.write_all(&answer).await.is_err() {
                    return;
                }
            }
        }
    });
    let consumer = DubboProtocol::new();
    // Heartbeats every 10 ms; a provider silent for 10 s would be dropped.
    let url = Url::parse(&format!(
        "dubbo://127.0.0.1:{port}/com.example.X?heartbeat=10&heartbeat.timeout=10000"
    ))
    .unwrap();
    let _invoker = consumer.refer(Arc::new(url)).await.unwrap();
    let mut most_pending = 0;
    for _ in 0..500 {
        most_pending = most_pending.max(consumer.pending_calls());
        if heartbeats.load(Ordering::SeqCst) >= 60 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sent = heartbeats.load(Ordering::SeqCst);
    assert!(sent >= 60, "only {sent} heartbeats were sent in 5 s");
    assert_eq!(
        (most_pending, consumer.pending_calls()),
        (0, 0),
        "heartbeats left pending entries ({sent} sent, half unanswered)"
    );
    consumer.destroy().await;
    provider.abort();
}
