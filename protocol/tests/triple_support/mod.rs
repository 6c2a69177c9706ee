//! Shared helpers of the Triple tests: services, servers and a raw HTTP/2 client.
#![allow(dead_code)]

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::StreamExt;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use oxidubbo_invoker::{
    Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, Url, Value, service_fn,
};
use oxidubbo_protocol::triple::call::IdlCall;
use oxidubbo_protocol::{Exporter, Protocol, TripleProtocol};

pub use oxidubbo_integration_tests::free_port;

/// The wrapper-mode greeter: `sayHello(name)`, `echo(x)`, `sleep(ms)`, `fail(msg)`,
/// `attachment(key)` (the request attachment `key`, and `reply=yes` sent back),
/// `status(code)` (answers that gRPC status).
pub fn greeter(url: Arc<Url>) -> Arc<dyn Invoker> {
    Arc::new(ServiceInvoker::new(
        url,
        service_fn(|inv: Invocation| async move {
            let first = inv.arguments().first().cloned().unwrap_or_default();
            match inv.method_name() {
                "sayHello" => Ok(RpcResult::new(format!(
                    "Hello, {}",
                    first.as_str().unwrap_or("")
                ))),
                "echo" => Ok(RpcResult::new(first)),
                "sleep" => {
                    let ms = first.as_i64().unwrap_or(0);
                    tokio::time::sleep(std::time::Duration::from_millis(ms as u64)).await;
                    Ok(RpcResult::new(ms))
                }
                "fail" => Err(RpcError::business(format!(
                    "failed: {}",
                    first.as_str().unwrap_or("")
                ))),
                "attachment" => {
                    let key = first.as_str().unwrap_or("");
                    let mut r =
                        RpcResult::new(inv.attachments().get(key).cloned().unwrap_or_default());
                    r.attachments.insert("reply", "yes");
                    Ok(r)
                }
                "status" => {
                    let code = first.as_i64().unwrap_or(2) as u32;
                    Err(RpcError::Grpc {
                        code,
                        message: format!("status {code} requested\nsecond line"),
                    })
                }
                other => Err(RpcError::NotFound(format!("method {other}"))),
            }
        }),
    ))
}

/// The greeter's interface.
pub const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";

/// A URL for the greeter on Triple at `127.0.0.1:port`, with extra `params` (`&k=v…`).
pub fn greeter_url(port: u16, params: &str) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "tri://127.0.0.1:{port}/{GREETER}?version=1.0.0&timeout=3000{params}"
        ))
        .unwrap(),
    )
}

/// A protocol serving the greeter on a free port.
pub async fn greeter_server() -> (TripleProtocol, u16, Arc<dyn Exporter>) {
    let protocol = TripleProtocol::new();
    let port = free_port();
    let exporter = protocol
        .export(greeter(greeter_url(port, "")))
        .await
        .expect("the greeter exports");
    (protocol, port, exporter)
}

/// `sayHello(name)`.
pub fn say_hello(name: &str) -> Invocation {
    Invocation::new("sayHello", "Ljava/lang/String;", vec![Value::from(name)])
}

/// The IDL echo service (`serialization=protobuf`), messages as opaque bytes:
/// `Unary` answers `re:` + the request, `ServerStream` three messages `<req>#1..#3`,
/// `ClientStream` the requests joined by `,`, `Bidi` `re:` + each request.
pub const ECHO: &str = "test.EchoService";

/// The IDL echo service's URL.
pub fn echo_url(port: u16) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "tri://127.0.0.1:{port}/{ECHO}?serialization=protobuf&timeout=3000&methods=Bidi,ClientStream,ServerStream,Unary"
        ))
        .unwrap(),
    )
}

/// The IDL echo service, by the `IdlCall` contract (as a generated adapter would serve it).
pub fn echo(url: Arc<Url>) -> Arc<dyn Invoker> {
    Arc::new(ServiceInvoker::new(
        url,
        service_fn(|inv: Invocation| async move {
            let call = inv
                .attributes()
                .get_arc::<IdlCall>()
                .ok_or_else(|| RpcError::Codec("not an IDL call".into()))?;
            let mut requests = call
                .take_requests()
                .ok_or_else(|| RpcError::Codec("no request stream".into()))?;
            let prefixed = |p: &str, m: &[u8]| {
                let mut v = p.as_bytes().to_vec();
                v.extend_from_slice(m);
                Bytes::from(v)
            };
            match inv.method_name() {
                "Unary" => {
                    let m = requests.next().await.transpose()?.unwrap_or_default();
                    Ok(RpcResult::new(Value::Binary(prefixed("re:", &m).to_vec())))
                }
                "ServerStream" => {
                    let m = requests.next().await.transpose()?.unwrap_or_default();
                    let out: Vec<Result<Bytes, RpcError>> = (1..=3)
                        .map(|i| {
                            let mut v = m.to_vec();
                            v.extend_from_slice(format!("#{i}").as_bytes());
                            Ok(Bytes::from(v))
                        })
                        .collect();
                    call.set_responses(Box::pin(futures_util::stream::iter(out)));
                    Ok(RpcResult::new(Value::Null))
                }
                "ClientStream" => {
                    let mut all = Vec::new();
                    while let Some(m) = requests.next().await {
                        all.push(String::from_utf8_lossy(&m?).into_owned());
                    }
                    Ok(RpcResult::new(Value::Binary(all.join(",").into_bytes())))
                }
                "Bidi" => {
                    let out = requests.map(move |m| m.map(|m| prefixed("re:", &m)));
                    call.set_responses(Box::pin(out));
                    Ok(RpcResult::new(Value::Null))
                }
                other => Err(RpcError::NotFound(format!("method {other}"))),
            }
        }),
    ))
}

/// A gRPC frame of `message` with `flag`.
pub fn frame_with(flag: u8, message: &[u8]) -> Bytes {
    let mut b = BytesMut::new();
    b.put_u8(flag);
    b.put_u32(message.len() as u32);
    b.extend_from_slice(message);
    b.freeze()
}

/// What a raw call got back.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub trailers: Option<HeaderMap>,
}

impl RawAnswer {
    /// `grpc-status`, from the trailers or (Trailers-Only) the headers.
    pub fn grpc_status(&self) -> Option<u32> {
        let h = self
            .trailers
            .as_ref()
            .filter(|t| t.contains_key("grpc-status"))
            .unwrap_or(&self.headers);
        h.get("grpc-status")?.to_str().ok()?.parse().ok()
    }

    /// `grpc-message`, raw.
    pub fn grpc_message(&self) -> String {
        let h = self
            .trailers
            .as_ref()
            .filter(|t| t.contains_key("grpc-status"))
            .unwrap_or(&self.headers);
        h.get("grpc-message")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default()
    }
}

/// Sends one HTTP/2 request (prior knowledge) with `headers` and `body`, and reads the whole
/// answer; bounded by 10 s.
pub async fn raw_call(port: u16, path: &str, headers: &[(&str, &str)], body: Bytes) -> RawAnswer {
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let (mut send, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                .await
                .unwrap();
        tokio::spawn(conn);
        let mut req = Request::post(format!("http://127.0.0.1:{port}{path}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = send
            .send_request(req.body(Full::new(body)).unwrap())
            .await
            .unwrap();
        let (parts, body) = resp.into_parts();
        let collected = body.collect().await.unwrap();
        let trailers = collected.trailers().cloned();
        RawAnswer {
            status: parts.status,
            headers: parts.headers,
            body: collected.to_bytes(),
            trailers,
        }
    })
    .await
    .expect("the raw call answers within 10 s")
}

/// `raw_call` with gRPC's headers.
pub async fn grpc_call(port: u16, path: &str, extra: &[(&str, &str)], body: Bytes) -> RawAnswer {
    let mut headers = vec![("content-type", "application/grpc"), ("te", "trailers")];
    headers.extend_from_slice(extra);
    raw_call(port, path, &headers, body).await
}

/// Serves until the test ends; calls `sayHello` through a fresh invoker to prove the server
/// still serves.
pub async fn still_serves(protocol: &TripleProtocol, port: u16) {
    let invoker = protocol.refer(greeter_url(port, "")).await.unwrap();
    let r = invoker.invoke(say_hello("again")).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, again"));
    invoker.destroy();
}
