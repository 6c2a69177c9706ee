//! The dubbo client over real loopback TCP: multiplexing, timeouts, lost connections,
//! reconnects, heartbeats, idle timeouts and the read-only event.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxidubbo_invoker::{Invocation, RpcError, RpcResult, ServiceInvoker, Url, Value, service_fn};
use oxidubbo_protocol::dubbo::header::Header;
use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{free_port, greeter, greeter_server, greeter_url, say_hello};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::timeout;

fn sleep_call(ms: i64) -> Invocation {
    Invocation::new("sleep", "J", vec![Value::Long(ms)])
}

/// Polls `cond` every 20 ms for at most 5 s.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..250 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test]
async fn many_calls_are_in_flight_on_one_connection() {
    // The service holds every call until 64 are in flight at once: without multiplexing
    // this could never complete.
    const N: usize = 64;
    let in_flight = Arc::new(AtomicUsize::new(0));
    let notify = Arc::new(tokio::sync::Notify::new());
    let (f, n) = (Arc::clone(&in_flight), Arc::clone(&notify));
    let port = free_port();
    let service = service_fn(move |_inv| {
        let (f, n) = (Arc::clone(&f), Arc::clone(&n));
        async move {
            if f.fetch_add(1, Ordering::SeqCst) + 1 == N {
                n.notify_waiters();
            } else {
                let wait = n.notified();
                if f.load(Ordering::SeqCst) < N {
                    wait.await;
                }
            }
            Ok(RpcResult::new("done"))
        }
    });
    let protocol = DubboProtocol::new();
    let _e = protocol
        .export(Arc::new(ServiceInvoker::new(
            greeter_url("dubbo", port),
            service,
        )))
        .await
        .unwrap();
    let invoker = protocol.refer(greeter_url("dubbo", port)).await.unwrap();
    let calls: Vec<_> = (0..N)
        .map(|_| {
            let inv = Arc::clone(&invoker);
            tokio::spawn(async move { inv.invoke(Invocation::new("wait", "", vec![])).await })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap().unwrap().value.as_str(), Some("done"));
    }
    assert_eq!(protocol.counts().connections, 1);
    protocol.destroy().await;
}

#[tokio::test]
async fn a_slow_call_times_out_and_the_connection_goes_on() {
    let (protocol, port, _e) = greeter_server().await;
    let url = Arc::new(greeter_url("dubbo", port).with_param("timeout", "100"));
    let invoker = protocol.refer(url).await.unwrap();
    let err = invoker.invoke(sleep_call(2_000)).await.unwrap_err();
    assert!(matches!(err, RpcError::Timeout { .. }), "{err:?}");
    assert_eq!(err.status().map(|s| s.0), Some(31));
    assert_eq!(
        invoker
            .invoke(say_hello("again"))
            .await
            .unwrap()
            .value
            .as_str(),
        Some("Hello, again")
    );
    protocol.destroy().await;
}

#[tokio::test]
async fn per_method_timeout_overrides_the_default() {
    let (protocol, port, _e) = greeter_server().await;
    let url = Arc::new(
        greeter_url("dubbo", port)
            .with_param("timeout", "5000")
            .with_param("methods.sleep.timeout", "50"),
    );
    let invoker = protocol.refer(url).await.unwrap();
    assert!(matches!(
        invoker.invoke(sleep_call(2_000)).await,
        Err(RpcError::Timeout { .. })
    ));
    protocol.destroy().await;
}

#[tokio::test]
async fn a_short_deadline_behind_a_long_one_is_kept() {
    // Deadlines are swept by the connection's reader: a call with a short timeout, sent
    // while a call with a long one is pending on the same connection, must still fail on
    // its own deadline, not at the other call's.
    let (protocol, port, _e) = greeter_server().await;
    let patient = protocol
        .refer(Arc::new(
            greeter_url("dubbo", port).with_param("timeout", "5000"),
        ))
        .await
        .unwrap();
    let hasty = protocol
        .refer(Arc::new(
            greeter_url("dubbo", port).with_param("timeout", "100"),
        ))
        .await
        .unwrap();
    assert_eq!(protocol.counts().connections, 1);
    let long = tokio::spawn(async move { patient.invoke(sleep_call(1_500)).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = hasty.invoke(sleep_call(1_500)).await.unwrap_err();
    assert!(matches!(err, RpcError::Timeout { .. }), "{err:?}");
    assert!(
        !long.is_finished(),
        "the short call was only failed once the long one had ended"
    );
    assert!(long.await.unwrap().is_ok());
    protocol.destroy().await;
}

#[tokio::test]
async fn timeouts_hold_after_the_connection_sat_idle() {
    // The sweeper stops watching a connection with nothing pending; the next call must
    // wake it.
    let (protocol, port, _e) = greeter_server().await;
    let url = Arc::new(greeter_url("dubbo", port).with_param("timeout", "100"));
    let invoker = protocol.refer(url).await.unwrap();
    for _ in 0..2 {
        assert!(invoker.invoke(say_hello("idle")).await.is_ok());
        tokio::time::sleep(Duration::from_millis(2_300)).await;
        let err = timeout(Duration::from_secs(5), invoker.invoke(sleep_call(1_000)))
            .await
            .expect("the call's own timeout never fired")
            .unwrap_err();
        assert!(matches!(err, RpcError::Timeout { .. }), "{err:?}");
    }
    assert_eq!(protocol.pending_calls(), 0);
    protocol.destroy().await;
}

#[tokio::test]
async fn a_lost_connection_fails_pending_calls_at_once_and_reconnects() {
    let provider = DubboProtocol::new();
    let consumer = DubboProtocol::new();
    let port = free_port();
    let exporter = provider
        .export(greeter(greeter_url("dubbo", port)))
        .await
        .unwrap();
    // A 60 s timeout: the pending call must fail because the connection drops, not time out.
    let url = Arc::new(greeter_url("dubbo", port).with_param("timeout", "60000"));
    let invoker = consumer.refer(url).await.unwrap();
    let pending = {
        let inv = Arc::clone(&invoker);
        tokio::spawn(async move { inv.invoke(sleep_call(30_000)).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    exporter.unexport().await; // closes the provider's server and its connections
    let err = timeout(Duration::from_secs(5), pending)
        .await
        .expect("pending call not failed at once")
        .unwrap();
    assert!(matches!(err, Err(RpcError::Network(_))), "{err:?}");
    eventually("the invoker sees the connection gone", || {
        !invoker.is_available()
    })
    .await;
    assert!(matches!(
        invoker.invoke(say_hello("x")).await,
        Err(RpcError::Network(_))
    ));

    // The provider comes back on the same port: the consumer reconnects by itself.
    let _again = provider
        .export(greeter(greeter_url("dubbo", port)))
        .await
        .unwrap();
    eventually("the consumer reconnects", || invoker.is_available()).await;
    assert_eq!(
        invoker
            .invoke(say_hello("back"))
            .await
            .unwrap()
            .value
            .as_str(),
        Some("Hello, back")
    );
    consumer.destroy().await;
    provider.destroy().await;
}

#[tokio::test]
async fn the_readonly_event_makes_the_invoker_unavailable() {
    let provider = DubboProtocol::new();
    let consumer = DubboProtocol::new();
    let port = free_port();
    let _e = provider
        .export(greeter(greeter_url("dubbo", port)))
        .await
        .unwrap();
    let invoker = consumer.refer(greeter_url("dubbo", port)).await.unwrap();
    invoker.invoke(say_hello("x")).await.unwrap();
    assert!(invoker.is_available());
    provider.send_readonly().await;
    eventually("the read-only event arrives", || !invoker.is_available()).await;
    consumer.destroy().await;
    provider.destroy().await;
}

#[tokio::test]
async fn the_consumer_sends_heartbeats_and_drops_a_silent_provider() {
    // A fake provider that reads but never answers anything.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let fake = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut head = [0u8; 16];
        s.read_exact(&mut head).await.unwrap();
        let header = Header::parse(&head).unwrap();
        let mut rest = vec![0; header.body_len as usize];
        s.read_exact(&mut rest).await.unwrap();
        // Then wait for the client to give up on us.
        let mut buf = [0u8; 64];
        loop {
            match timeout(Duration::from_secs(10), s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return (header, true),
                Ok(Ok(_)) => continue,
                Err(_) => return (header, false),
            }
        }
    });
    let consumer = DubboProtocol::new();
    let url = Url::parse(&format!(
        "dubbo://127.0.0.1:{port}/com.example.X?heartbeat=50&heartbeat.timeout=300"
    ))
    .unwrap();
    let _invoker = consumer.refer(Arc::new(url)).await.unwrap();
    let (first, closed) = timeout(Duration::from_secs(15), fake)
        .await
        .unwrap()
        .unwrap();
    assert!(
        first.is_event() && first.is_twoway() && first.is_request(),
        "first frame: {first:?}"
    );
    assert!(
        closed,
        "the consumer did not close a connection silent past its idle timeout"
    );
    consumer.destroy().await;
}

#[tokio::test]
async fn the_provider_answers_heartbeats_and_closes_idle_connections() {
    let provider = DubboProtocol::new();
    let port = free_port();
    let url = Arc::new(greeter_url("dubbo", port).with_param("heartbeat.timeout", "300"));
    let _e = provider.export(greeter(url)).await.unwrap();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut ping = Vec::new();
    oxidubbo_protocol::dubbo::codec::encode_heartbeat(&mut ping, 77);
    s.write_all(&ping).await.unwrap();
    let mut head = [0u8; 16];
    timeout(Duration::from_secs(5), s.read_exact(&mut head))
        .await
        .unwrap()
        .unwrap();
    let h = Header::parse(&head).unwrap();
    assert_eq!((h.id, h.status, h.flag), (77, 20, 0x22));
    let mut body = [0u8; 1];
    s.read_exact(&mut body).await.unwrap();
    // Now stay silent: the provider closes the connection.
    let mut buf = [0u8; 8];
    let n = timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("idle connection not closed");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    provider.destroy().await;
}

#[tokio::test]
async fn after_destroy_no_task_remains() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let baseline = metrics.num_alive_tasks();
    let (protocol, port, _e) = greeter_server().await;
    let invoker = protocol.refer(greeter_url("dubbo", port)).await.unwrap();
    invoker.invoke(say_hello("t")).await.unwrap();
    assert!(metrics.num_alive_tasks() > baseline);
    protocol.destroy().await;
    eventually("every task has ended", || {
        metrics.num_alive_tasks() == baseline
    })
    .await;
    assert!(protocol.counts().is_empty());
    assert_eq!(protocol.server_connections().await, 0);
}

#[tokio::test]
async fn a_call_dropped_by_its_caller_leaves_no_pending_entry() {
    let (protocol, port, _e) = greeter_server().await;
    let url = Arc::new(greeter_url("dubbo", port).with_param("timeout", "60000"));
    let invoker = protocol.refer(url).await.unwrap();
    // Callers give up long before the call's own timeout (a forking loser, a select!).
    for _ in 0..20 {
        let gave_up = timeout(Duration::from_millis(20), invoker.invoke(sleep_call(5_000))).await;
        assert!(gave_up.is_err());
    }
    assert_eq!(
        protocol.pending_calls(),
        0,
        "cancelled calls left pending entries"
    );
    protocol.destroy().await;
}
