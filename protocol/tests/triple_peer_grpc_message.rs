//! A peer's `grpc-message` with raw control characters (as dubbo-python sends them, §4.3)
//! breaks HTTP/2 header decoding and with it the whole connection: the call fails with a
//! clear error, and the next call gets a fresh connection.
//!
//! The peer is a hand-written HTTP/2 server (hyper and h2 refuse to send such a value).

mod triple_support;

use std::time::Duration;

use oxidubbo_hessian2::Value;
use oxidubbo_protocol::triple::{frame, wrapper};
use oxidubbo_protocol::{Protocol, TripleProtocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use triple_support::*;

fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    f.extend([kind, flags]);
    f.extend(stream.to_be_bytes());
    f.extend(payload);
    f
}

/// An HPACK literal header field without indexing, new name, no Huffman coding.
fn literal(name: &str, value: &[u8]) -> Vec<u8> {
    let mut b = vec![0x00, name.len() as u8];
    b.extend(name.as_bytes());
    b.push(value.len() as u8);
    b.extend(value);
    b
}

/// `:status 200` and `content-type: application/grpc`.
fn response_head() -> Vec<u8> {
    let mut b = vec![0x88];
    b.extend(literal("content-type", b"application/grpc"));
    b
}

/// Serves one connection: answers each request with a raw newline in `grpc-message` when
/// `bad`, else with `"Hello world"` and status 0.
async fn serve(mut tcp: TcpStream, bad: bool) {
    let mut preface = [0u8; 24];
    if tcp.read_exact(&mut preface).await.is_err() {
        return;
    }
    let _ = tcp.write_all(&h2_frame(4, 0, 0, &[])).await;
    loop {
        let mut head = [0u8; 9];
        if tcp.read_exact(&mut head).await.is_err() {
            return;
        }
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let (kind, flags) = (head[3], head[4]);
        let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        let mut payload = vec![0u8; len];
        if tcp.read_exact(&mut payload).await.is_err() {
            return;
        }
        let out = match kind {
            4 if flags & 1 == 0 => h2_frame(4, 1, 0, &[]),
            1 if bad => {
                let mut block = response_head();
                block.extend(literal("grpc-status", b"2"));
                block.extend(literal("grpc-message", b"line1\nline2"));
                h2_frame(1, 0x5, stream, &block)
            }
            1 => {
                let answer =
                    wrapper::encode_response("hessian2", &Value::from("Hello world")).unwrap();
                let mut out = h2_frame(1, 0x4, stream, &response_head());
                out.extend(h2_frame(0, 0, stream, &frame::encode(&answer)));
                out.extend(h2_frame(1, 0x5, stream, &literal("grpc-status", b"0")));
                out
            }
            _ => continue,
        };
        if tcp.write_all(&out).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn control_characters_in_grpc_message_fail_one_call_not_the_next() {
    let port = free_port();
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let peer = tokio::spawn(async move {
        let mut first = true;
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(serve(tcp, first));
            first = false;
        }
    });
    let protocol = TripleProtocol::new();
    let invoker = protocol.refer(greeter_url(port, "")).await.unwrap();
    let err = tokio::time::timeout(Duration::from_secs(10), invoker.invoke(say_hello("x")))
        .await
        .expect("the broken call ends")
        .unwrap_err();
    assert!(!err.is_business(), "{err:?}");
    let r = tokio::time::timeout(Duration::from_secs(10), invoker.invoke(say_hello("x")))
        .await
        .expect("the next call ends")
        .expect("the next call gets a fresh connection");
    assert_eq!(r.value.as_str(), Some("Hello world"));
    protocol.destroy().await;
    peer.abort();
}
