//! Malformed input: each gets its answer, and the server goes on serving.

mod triple_support;

use bytes::{Bytes, BytesMut};
use oxidubbo_hessian2::Value;
use oxidubbo_protocol::triple::{frame, wrapper};
use oxidubbo_protocol::{Protocol, TripleProtocol};
use triple_support::*;

fn hello() -> Bytes {
    frame::encode(
        &wrapper::encode_request("hessian2", "Ljava/lang/String;", &[Value::from("x")]).unwrap(),
    )
}

fn say_hello_path() -> String {
    format!("/{GREETER}/sayHello")
}

async fn small_server() -> (TripleProtocol, u16) {
    let protocol = TripleProtocol::new();
    let port = free_port();
    protocol
        .export(greeter(greeter_url(port, "&payload=1024")))
        .await
        .unwrap();
    protocol
        .export(echo(echo_url(port).with_param("payload", "1024").into()))
        .await
        .unwrap();
    (protocol, port)
}

#[tokio::test]
async fn a_wrong_content_type_is_415_and_json_reaches_the_http_path() {
    let (protocol, port) = small_server().await;
    let raw = raw_call(
        port,
        &say_hello_path(),
        &[("content-type", "text/plain")],
        hello(),
    )
    .await;
    assert_eq!(raw.status, 415);
    let raw = raw_call(port, &say_hello_path(), &[], hello()).await;
    assert_eq!(raw.status, 415, "no content type at all");
    let raw = raw_call(
        port,
        &say_hello_path(),
        &[("content-type", "application/json; charset=utf-8")],
        Bytes::from_static(b"[\"x\"]"),
    )
    .await;
    assert_eq!(raw.status, 200, "{:?}", raw.body);
    assert_eq!(raw.headers.get("content-type").unwrap(), "application/json");
    assert_eq!(raw.body, "\"Hello, x\"");
    still_serves(&protocol, port).await;
    protocol.destroy().await;
}

#[tokio::test]
async fn a_message_over_the_limit_is_resource_exhausted_before_it_is_buffered() {
    let (protocol, port) = small_server().await;
    // Only the prefix of a 1 GiB message is sent: the answer comes from the prefix alone
    // (a server waiting for the message would answer the truncation instead).
    let mut prefix = BytesMut::from(&b"\x00"[..]);
    prefix.extend_from_slice(&(1u32 << 30).to_be_bytes());
    let raw = grpc_call(port, &say_hello_path(), &[], prefix.freeze()).await;
    assert_eq!(raw.grpc_status(), Some(8), "{}", raw.grpc_message());
    // The same for IDL services, whose messages are streamed to the service.
    let raw = grpc_call(
        port,
        "/test.EchoService/Unary",
        &[],
        frame::encode(&[7u8; 2000]),
    )
    .await;
    assert_eq!(raw.grpc_status(), Some(8));
    // And a gzip message inflating past the limit.
    let zipped = frame::gzip(&[b'a'; 100_000]);
    let raw = grpc_call(
        port,
        "/test.EchoService/Unary",
        &[("grpc-encoding", "gzip")],
        frame_with(1, &zipped),
    )
    .await;
    assert_eq!(raw.grpc_status(), Some(8));
    still_serves(&protocol, port).await;
    protocol.destroy().await;
}

#[tokio::test]
async fn truncated_and_garbage_frames_are_errors() {
    let (protocol, port) = small_server().await;
    let whole = hello();
    let raw = grpc_call(port, &say_hello_path(), &[], whole.slice(..whole.len() - 3)).await;
    assert_eq!(
        raw.grpc_status(),
        Some(13),
        "truncated: {}",
        raw.grpc_message()
    );
    let raw = grpc_call(
        port,
        &say_hello_path(),
        &[],
        Bytes::from_static(b"\x00\x00"),
    )
    .await;
    assert_eq!(raw.grpc_status(), Some(13));
    let raw = grpc_call(
        port,
        &say_hello_path(),
        &[],
        Bytes::from_static(b"\xff\x00\x00\x00\x01x"),
    )
    .await;
    assert_eq!(raw.grpc_status(), Some(13), "reserved flag bits");
    let raw = grpc_call(
        port,
        &say_hello_path(),
        &[],
        frame::encode(b"\xff\xfe garbage"),
    )
    .await;
    assert_eq!(
        raw.grpc_status(),
        Some(13),
        "not a wrapper: {}",
        raw.grpc_message()
    );
    let raw = grpc_call(port, &say_hello_path(), &[], Bytes::new()).await;
    assert_eq!(raw.grpc_status(), Some(13), "no message at all");
    let raw = grpc_call(
        port,
        "/test.EchoService/ClientStream",
        &[],
        Bytes::from_static(b"\x00\x00\x00\x00\x09abc"),
    )
    .await;
    assert_eq!(raw.grpc_status(), Some(13), "IDL stream cut short");
    still_serves(&protocol, port).await;
    protocol.destroy().await;
}

#[tokio::test]
async fn bad_timeouts_and_encodings_are_refused() {
    let (protocol, port) = small_server().await;
    for bad in ["soon", "123456789m", "10x", ""] {
        let raw = grpc_call(port, &say_hello_path(), &[("grpc-timeout", bad)], hello()).await;
        assert_eq!(raw.grpc_status(), Some(13), "grpc-timeout {bad:?}");
        assert!(raw.grpc_message().contains("grpc-timeout"));
    }
    let compressed = frame_with(1, &frame::gzip(&hello()[5..]));
    let raw = grpc_call(port, &say_hello_path(), &[], compressed.clone()).await;
    assert_eq!(
        raw.grpc_status(),
        Some(13),
        "compressed flag without grpc-encoding"
    );
    let raw = grpc_call(
        port,
        &say_hello_path(),
        &[("grpc-encoding", "snappy")],
        hello(),
    )
    .await;
    assert_eq!(raw.grpc_status(), Some(12), "unknown encoding");
    let raw = grpc_call(
        port,
        &say_hello_path(),
        &[("grpc-encoding", "gzip")],
        compressed,
    )
    .await;
    assert_eq!(
        raw.grpc_status(),
        Some(0),
        "gzip is accepted: {}",
        raw.grpc_message()
    );
    assert_eq!(
        wrapper::decode_response(&raw.body[5..]).unwrap(),
        Value::from("Hello, x")
    );
    still_serves(&protocol, port).await;
    protocol.destroy().await;
}

#[tokio::test]
async fn a_trailing_empty_message_is_ignored_in_unary_calls() {
    let (protocol, port) = small_server().await;
    let mut body = BytesMut::from(&hello()[..]);
    body.extend_from_slice(&frame::encode(b""));
    let raw = grpc_call(port, &say_hello_path(), &[], body.freeze()).await;
    assert_eq!(
        wrapper::decode_response(&raw.body[5..]).unwrap(),
        Value::from("Hello, x")
    );
    protocol.destroy().await;
}
