//! Bad input gets a clear answer (an error status or a closed stream) and the server goes
//! on serving everyone else.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_invoker::{Invoker, Url};
use oxidubbo_protocol::dubbo::codec;
use oxidubbo_protocol::dubbo::header::Header;
use oxidubbo_protocol::{DubboProtocol, Exporter, Protocol};
use support::{free_port, greeter, greeter_url, say_hello};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

struct Fixture {
    protocol: DubboProtocol,
    port: u16,
    _exporter: Arc<dyn Exporter>,
    invoker: Arc<dyn Invoker>,
}

async fn fixture(payload: Option<usize>) -> Fixture {
    let protocol = DubboProtocol::new();
    let port = free_port();
    let mut url = (*greeter_url("dubbo", port)).clone();
    if let Some(p) = payload {
        url = url.with_param("payload", p.to_string());
    }
    let exporter = protocol.export(greeter(Arc::new(url))).await.unwrap();
    let invoker = protocol.refer(greeter_url("dubbo", port)).await.unwrap();
    Fixture {
        protocol,
        port,
        _exporter: exporter,
        invoker,
    }
}

impl Fixture {
    /// The well-behaved consumer still gets answers.
    async fn still_serves(&self) {
        let r = self.invoker.invoke(say_hello("ok")).await.unwrap();
        assert_eq!(r.value.as_str(), Some("Hello, ok"));
    }

    async fn raw(&self) -> TcpStream {
        TcpStream::connect(("127.0.0.1", self.port)).await.unwrap()
    }
}

/// Reads one response frame: header and body.
async fn read_frame(s: &mut TcpStream) -> (Header, Vec<u8>) {
    let mut head = [0u8; 16];
    timeout(Duration::from_secs(5), s.read_exact(&mut head))
        .await
        .expect("no answer")
        .unwrap();
    let header = Header::parse(&head).expect("bad magic in the answer");
    let mut body = vec![0; header.body_len as usize];
    s.read_exact(&mut body).await.unwrap();
    (header, body)
}

/// Sends `body` as a two-way Hessian request with `id` and reads the answer.
async fn ask(s: &mut TcpStream, id: i64, body: &[u8]) -> (Header, Vec<u8>) {
    let header = Header {
        flag: 0xc2,
        status: 0,
        id,
        body_len: body.len() as u32,
    };
    s.write_all(&[header.to_bytes().as_slice(), body].concat())
        .await
        .unwrap();
    read_frame(s).await
}

/// Waits until the server closes the stream.
async fn expect_closed(s: &mut TcpStream) {
    let mut buf = [0u8; 64];
    let n = timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("the stream was not closed");
    assert!(matches!(n, Ok(0) | Err(_)), "expected a close, read {n:?}");
}

#[tokio::test]
async fn wrong_magic_closes_the_stream() {
    let f = fixture(None).await;
    let mut s = f.raw().await;
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    expect_closed(&mut s).await;
    f.still_serves().await;
    f.protocol.destroy().await;
}

#[tokio::test]
async fn truncated_header_then_hangup_is_harmless() {
    let f = fixture(None).await;
    for len in [1, 2, 5, 15] {
        let mut s = f.raw().await;
        let header = Header {
            flag: 0xc2,
            status: 0,
            id: 1,
            body_len: 10,
        }
        .to_bytes();
        s.write_all(&header[..len]).await.unwrap();
        drop(s);
    }
    f.still_serves().await;
    f.protocol.destroy().await;
}

#[tokio::test]
async fn body_over_the_payload_limit_is_refused_with_bad_request() {
    let f = fixture(Some(1024)).await;
    let mut s = f.raw().await;
    let header = Header {
        flag: 0xc2,
        status: 0,
        id: 42,
        body_len: 4096,
    }
    .to_bytes();
    s.write_all(&header).await.unwrap();
    let (h, body) = read_frame(&mut s).await;
    assert_eq!((h.id, h.status), (42, 40));
    let err = codec::decode_response(h.status, &body).unwrap_err();
    assert!(err.to_string().contains("max payload: 1024"), "{err}");
    // The body is discarded as it arrives and the connection stays usable.
    s.write_all(&vec![0x4e; 4096]).await.unwrap();
    let mut ping = Vec::new();
    codec::encode_heartbeat(&mut ping, 43);
    s.write_all(&ping).await.unwrap();
    let (h, _) = read_frame(&mut s).await;
    assert_eq!((h.id, h.status, h.is_event()), (43, 20, true));
    f.still_serves().await;
    f.protocol.destroy().await;
}

#[tokio::test]
async fn a_length_of_2_gib_or_more_closes_the_stream() {
    let f = fixture(Some(0)).await; // even with the limit off
    let mut s = f.raw().await;
    s.write_all(
        &Header {
            flag: 0xc2,
            status: 0,
            id: 1,
            body_len: 0x8000_0000,
        }
        .to_bytes(),
    )
    .await
    .unwrap();
    expect_closed(&mut s).await;
    f.still_serves().await;
    f.protocol.destroy().await;
}

#[tokio::test]
async fn garbage_bodies_get_bad_request() {
    let f = fixture(None).await;
    let mut s = f.raw().await;
    let bodies: [&[u8]; 5] = [
        &[0xff, 0xff, 0xff],                   // not Hessian strings
        &[0x05, b'2', b'.', b'0'],             // truncated string
        &[0x05, b'2', b'.', b'0', b'.', b'2'], // stops after the version
        &[
            0x05, b'2', b'.', b'0', b'.', b'2', 0x01, b'x', 0x00, 0x01, b'm', 0x01, b'Q',
        ], // bad descriptor
        &[0x55; 64],                           // a list that never ends
    ];
    for (i, body) in bodies.iter().enumerate() {
        let id = 100 + i as i64;
        let (h, body) = ask(&mut s, id, body).await;
        assert_eq!((h.id, h.status), (id, 40), "body {i}");
        let err = codec::decode_response(h.status, &body).unwrap_err();
        assert!(
            err.to_string().contains("failed to decode request"),
            "body {i}: {err}"
        );
    }
    f.still_serves().await;
    f.protocol.destroy().await;
}

#[tokio::test]
async fn malformed_attachments_get_bad_request() {
    // A sound request head, then attachments that are not a well-formed map of at most
    // 4096 entries: checked before the call, whether they are kept encoded or not.
    let f = fixture(None).await;
    let mut s = f.raw().await;
    let mut head = Vec::new();
    let mut enc = oxidubbo_hessian2::Encoder::new(&mut head);
    for text in [
        "2.0.2",
        "org.apache.dubbo.samples.api.GreeterService",
        "1.0.0",
        "sayHello",
        "Ljava/lang/String;",
        "x",
    ] {
        enc.write_str(text).unwrap();
    }
    let many: Vec<u8> = {
        let mut out = vec![b'H'];
        let mut enc = oxidubbo_hessian2::Encoder::new(&mut out);
        for i in 0..4097 {
            enc.write_str(&format!("k{i}")).unwrap();
            enc.write_str("v").unwrap();
        }
        out.push(b'Z');
        out
    };
    let tails: [&[u8]; 5] = [
        b"H\x04path",                   // a key and then nothing
        b"H\x01k\x05ab",                // a value cut short
        b"H\x02\xff\xfe\x01vZ",         // a key that is not UTF-8
        b"H\x01k\x01v\x01k2\x91\x02kk", // a non-string value, then a cut key
        &many,
    ];
    for (i, tail) in tails.iter().enumerate() {
        let id = 200 + i as i64;
        let (h, answer) = ask(&mut s, id, &[head.as_slice(), tail].concat()).await;
        assert_eq!((h.id, h.status), (id, 40), "tail {i}");
        let err = codec::decode_response(h.status, &answer).unwrap_err();
        assert!(err.to_string().contains("attachments"), "tail {i}: {err}");
    }
    f.still_serves().await;
    f.protocol.destroy().await;
}

#[tokio::test]
async fn an_unknown_service_gets_service_error_70() {
    let f = fixture(None).await;
    let url = Arc::new(
        Url::parse(&format!(
            "dubbo://127.0.0.1:{}/com.example.Nobody?version=9.9.9",
            f.port
        ))
        .unwrap(),
    );
    let stranger = f.protocol.refer(url).await.unwrap();
    let err = stranger.invoke(say_hello("x")).await.unwrap_err();
    let text = err.to_string();
    assert_eq!(err.status().map(|s| s.0), Some(70), "{err:?}");
    assert!(
        text.contains("not found exported service") && text.contains("com.example.Nobody"),
        "{text}"
    );
    f.still_serves().await;
    f.protocol.destroy().await;
}

#[tokio::test]
async fn an_unknown_serialization_id_gets_bad_request() {
    let f = fixture(None).await;
    let mut s = f.raw().await;
    let mut frame = Header {
        flag: 0xc0 | 6,
        status: 0,
        id: 9,
        body_len: 1,
    }
    .to_bytes()
    .to_vec();
    frame.push(0x4e);
    s.write_all(&frame).await.unwrap();
    let (h, _) = read_frame(&mut s).await;
    assert_eq!((h.id, h.status), (9, 40));
    f.still_serves().await;
    f.protocol.destroy().await;
}

#[tokio::test]
async fn a_consumer_that_never_reads_does_not_block_destroy() {
    let f = fixture(None).await;
    let mut s = f.raw().await;
    // 600 echo calls of 64 KiB each: ~38 MiB of answers nobody reads fill the socket
    // buffers and the writer's queue.
    let target = codec::Target::new(
        "org.apache.dubbo.samples.api.GreeterService",
        "1.0.0",
        None,
        None,
    );
    let inv = oxidubbo_invoker::Invocation::new(
        "echo",
        "Ljava/lang/Object;",
        vec![oxidubbo_invoker::Value::Binary(vec![7; 64 * 1024])],
    );
    let mut frames = Vec::new();
    for id in 0..600 {
        codec::encode_request(&mut frames, id, true, &target, "60000", &inv, 0).unwrap();
    }
    let writer = tokio::spawn(async move {
        let _ = timeout(Duration::from_secs(10), s.write_all(&frames)).await;
        s // kept open, never read
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    timeout(Duration::from_secs(10), f.protocol.destroy())
        .await
        .expect("destroy hung on a consumer that does not read");
    assert!(f.protocol.counts().is_empty());
    drop(writer.await);
}

#[tokio::test]
async fn a_panicking_service_gets_server_error_and_the_connection_goes_on() {
    use oxidubbo_invoker::{Invocation, RpcResult, ServiceInvoker, service_fn};
    let protocol = DubboProtocol::new();
    let port = free_port();
    let service = service_fn(|inv: Invocation| async move {
        match inv.method_name() {
            "now" => panic!("boom now"),
            "later" => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                panic!("boom later")
            }
            _ => Ok(RpcResult::new("fine")),
        }
    });
    let _e = protocol
        .export(Arc::new(ServiceInvoker::new(
            greeter_url("dubbo", port),
            service,
        )))
        .await
        .unwrap();
    let invoker = protocol.refer(greeter_url("dubbo", port)).await.unwrap();
    for method in ["now", "later"] {
        let err = invoker
            .invoke(Invocation::new(method, "", vec![]))
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.0), Some(80), "{method}: {err:?}");
        assert!(err.to_string().contains("panicked"), "{err}");
    }
    let ok = invoker
        .invoke(Invocation::new("other", "", vec![]))
        .await
        .unwrap();
    assert_eq!(ok.value.as_str(), Some("fine"));
    protocol.destroy().await;
}
