//! One Triple protocol used from several tokio runtimes (as a process-wide protocol is by
//! tests, each with a runtime of its own): when the runtime a connection's tasks were
//! spawned on shuts down, the calls other runtimes have pending on the connection (unary,
//! and a stream's responses) end with an error, never wait forever, new calls on it fail
//! at once, and a later refer of the same address gets a new connection that works.

mod triple_support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use oxidubbo_integration_tests::runtimes::{one_worker, shut_down_under};
use oxidubbo_invoker::{Invocation, Invoker, RpcError, Url, Value};
use oxidubbo_protocol::triple::call::{CallKind, IdlCall, MessageStream, PayloadFormat};
use oxidubbo_protocol::{Protocol, TripleProtocol};
use triple_support::{ECHO, GREETER, echo, free_port, greeter, say_hello};

/// The failure detector: far longer than any answer here takes, far shorter than the
/// calls' own timeout, so that only the connection's end can end a pending call in time.
const DETECTOR: Duration = Duration::from_secs(20);

fn url(port: u16, service: &str, params: &str) -> Arc<Url> {
    Arc::new(
        format!("tri://127.0.0.1:{port}/{service}?timeout=600000{params}")
            .parse()
            .unwrap(),
    )
}

/// Serves the greeter and the echo service on `port` from a runtime of their own.
fn serve(protocol: &TripleProtocol, port: u16) -> tokio::runtime::Runtime {
    let server = one_worker();
    server.block_on(async {
        protocol
            .export(greeter(url(port, GREETER, "&version=1.0.0")))
            .await
            .unwrap();
        protocol
            .export(echo(url(port, ECHO, "&serialization=protobuf")))
            .await
            .unwrap();
    });
    server
}

/// New calls through `invoker` (whose connection died) fail; a new reference of the same
/// address from `b` gets a connection of its own that works, also after `invoker` is
/// destroyed.
fn dead_then_fresh(
    b: &tokio::runtime::Runtime,
    protocol: &TripleProtocol,
    port: u16,
    invoker: &Arc<dyn Invoker>,
) {
    let again =
        b.block_on(async { tokio::time::timeout(DETECTOR, invoker.invoke(say_hello("b"))).await });
    assert!(matches!(again, Ok(Err(RpcError::Network(_)))), "{again:?}");
    assert!(!invoker.is_available());

    let greeter_url = url(port, GREETER, "&version=1.0.0");
    let fresh = b
        .block_on(protocol.refer(Arc::clone(&greeter_url)))
        .unwrap();
    let answer =
        b.block_on(async { tokio::time::timeout(DETECTOR, fresh.invoke(say_hello("c"))).await });
    assert_eq!(answer.unwrap().unwrap().value.as_str(), Some("Hello, c"));
    invoker.destroy();
    let answer =
        b.block_on(async { tokio::time::timeout(DETECTOR, fresh.invoke(say_hello("d"))).await });
    assert_eq!(answer.unwrap().unwrap().value.as_str(), Some("Hello, d"));
    fresh.destroy();
}

#[test]
fn a_unary_call_pending_on_a_connection_whose_runtime_shut_down_fails_and_a_new_refer_works() {
    let port = free_port();
    let provider = TripleProtocol::new();
    let server = serve(&provider, port);
    let consumer = TripleProtocol::new();

    // The connection's tasks run on runtime `a`.
    let a = one_worker();
    let invoker = a
        .block_on(consumer.refer(url(port, GREETER, "&version=1.0.0")))
        .unwrap();
    assert!(a.block_on(invoker.invoke(say_hello("a"))).is_ok());

    // Runtime `b` has a call pending on it (the service holds it 30 s) when `a` goes.
    let b = one_worker();
    let held = Arc::clone(&invoker);
    let pending = shut_down_under(a, &b, async move {
        held.invoke(Invocation::new("sleep", "J", vec![Value::Long(30_000)]))
            .await
    });

    let ended = b.block_on(async { tokio::time::timeout(DETECTOR, pending).await });
    let result = ended.expect("the pending call ended, not hung").unwrap();
    let err = result.unwrap_err();
    assert!(matches!(&err, RpcError::Network(_)), "{err:?}");

    dead_then_fresh(&b, &consumer, port, &invoker);
    b.block_on(consumer.destroy());
    server.block_on(provider.destroy());
}

#[test]
fn a_stream_open_on_a_connection_whose_runtime_shut_down_ends_with_an_error() {
    let port = free_port();
    let provider = TripleProtocol::new();
    let server = serve(&provider, port);
    let consumer = TripleProtocol::new();

    let a = one_worker();
    let streams = a
        .block_on(consumer.refer(url(port, ECHO, "&serialization=protobuf")))
        .unwrap();

    // From runtime `b`, a bidi stream: one request answered, then both sides stay open.
    let b = one_worker();
    let requests: MessageStream = Box::pin(
        futures_util::stream::iter([Ok(Bytes::from_static(b"x"))])
            .chain(futures_util::stream::pending()),
    );
    let call = Arc::new(IdlCall::streaming(
        CallKind::BiStream,
        PayloadFormat::Protobuf,
        requests,
    ));
    let mut invocation = Invocation::new("Bidi", "", vec![]);
    invocation.attributes_mut().insert_arc(Arc::clone(&call));
    let opened =
        b.block_on(async { tokio::time::timeout(DETECTOR, streams.invoke(invocation)).await });
    assert_eq!(opened.unwrap().unwrap().value, Value::Null);
    let mut responses = call
        .take_responses()
        .expect("the invoker left the responses");
    let first = b.block_on(async { tokio::time::timeout(DETECTOR, responses.next()).await });
    assert_eq!(
        first.unwrap().unwrap().unwrap(),
        Bytes::from_static(b"re:x")
    );
    let pending = b.spawn(async move { responses.next().await });
    std::thread::sleep(Duration::from_millis(300));
    a.shutdown_timeout(Duration::from_secs(2));

    let ended = b.block_on(async { tokio::time::timeout(DETECTOR, pending).await });
    let next = ended.expect("the stream ended, not hung").unwrap();
    assert!(
        matches!(
            &next,
            Some(Err(RpcError::Network(_) | RpcError::Grpc { code: 14, .. }))
        ),
        "the stream ends with an error (UNAVAILABLE, as gRPC reports a lost connection), \
         not as if complete: {next:?}"
    );

    dead_then_fresh(&b, &consumer, port, &streams);
    b.block_on(consumer.destroy());
    server.block_on(provider.destroy());
}
