//! The wrapper test vectors of TRIPLE.md §6.3 on the wire, both ways, byte for byte.

mod triple_support;

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use oxidubbo_invoker::{Invocation, RpcResult, ServiceInvoker, Url, Value, service_fn};
use oxidubbo_protocol::{Protocol, TripleProtocol};
use triple_support::*;

const REQUEST_JAVA: &str =
    "0a086865737369616e34120605776f726c641a106a6176612e6c616e672e537472696e67";
const REQUEST_GO: &str = "0a086865737369616e32120605776f726c641a106a6176612e6c616e672e537472696e67";
const RESPONSE_JAVA: &str =
    "0a086865737369616e34120c0b48656c6c6f20776f726c641a106a6176612e6c616e672e537472696e67";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn the_server_answers_the_java_vector_with_the_java_vector() {
    let protocol = TripleProtocol::new();
    let port = free_port();
    let url = Arc::new(Url::parse(&format!("tri://127.0.0.1:{port}/com.example.Greeter")).unwrap());
    let service = service_fn(|inv: Invocation| async move {
        assert_eq!(inv.parameter_types(), "Ljava/lang/String;");
        assert_eq!(inv.arguments(), [Value::from("world")]);
        Ok(RpcResult::new("Hello world"))
    });
    protocol
        .export(Arc::new(ServiceInvoker::new(url, service)))
        .await
        .unwrap();
    let mut framed = vec![0, 0, 0, 0, 0x24];
    framed.extend(unhex(REQUEST_JAVA));
    let raw = grpc_call(
        port,
        "/com.example.Greeter/sayHello",
        &[],
        Bytes::from(framed),
    )
    .await;
    assert_eq!(raw.grpc_status(), Some(0));
    let mut expected = vec![0, 0, 0, 0, (RESPONSE_JAVA.len() / 2) as u8];
    expected.extend(unhex(RESPONSE_JAVA));
    assert_eq!(raw.body, expected, "the response is Java's, byte for byte");

    // dubbo-go's hessian2 request gets its serializeType echoed.
    let mut framed = vec![0, 0, 0, 0, 0x24];
    framed.extend(unhex(REQUEST_GO));
    let raw = grpc_call(
        port,
        "/com.example.Greeter/sayHello",
        &[],
        Bytes::from(framed),
    )
    .await;
    assert_eq!(&raw.body[5..15], &unhex("0a086865737369616e32")[..]);
    protocol.destroy().await;
}

#[tokio::test]
async fn the_client_sends_the_java_vector_and_reads_the_java_answer() {
    let port = free_port();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<(http::HeaderMap, Bytes)>();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let seen_tx = seen_tx.clone();
            async move {
                let (parts, body) = req.into_parts();
                let body = body.collect().await.unwrap().to_bytes();
                seen_tx.send((parts.headers, body)).unwrap();
                let mut framed = vec![0, 0, 0, 0, (RESPONSE_JAVA.len() / 2) as u8];
                framed.extend(unhex(RESPONSE_JAVA));
                let body =
                    Full::new(Bytes::from(framed)).with_trailers(async { Some(Ok(trailers_ok())) });
                Ok::<_, std::convert::Infallible>(
                    Response::builder()
                        .header("content-type", "application/grpc")
                        .body(body)
                        .unwrap(),
                )
            }
        });
        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(tcp), service)
            .await;
    });
    let protocol = TripleProtocol::new();
    let url = Arc::new(
        Url::parse(&format!(
            "tri://127.0.0.1:{port}/com.example.Greeter?timeout=5000"
        ))
        .unwrap(),
    );
    let invoker = protocol.refer(url).await.unwrap();
    let r = invoker
        .invoke(Invocation::new(
            "sayHello",
            "Ljava/lang/String;",
            vec![Value::from("world")],
        ))
        .await
        .unwrap();
    assert_eq!(r.value.as_str(), Some("Hello world"));
    let (headers, body) = seen_rx.recv().await.unwrap();
    let mut expected = vec![0, 0, 0, 0, 0x24];
    expected.extend(unhex(REQUEST_JAVA));
    assert_eq!(body, expected, "the request is Java's, byte for byte");
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/grpc+proto"
    );
    assert_eq!(headers.get("te").unwrap(), "trailers");
    assert_eq!(headers.get("grpc-timeout").unwrap(), "5000m");
    assert!(
        headers.get("tri-service-version").is_none(),
        "no version, no header"
    );
    assert!(headers.get("tri-service-group").is_none());
    protocol.destroy().await;
    server.abort();
}

fn trailers_ok() -> http::HeaderMap {
    let mut t = http::HeaderMap::new();
    t.insert("grpc-status", "0".parse().unwrap());
    t
}
