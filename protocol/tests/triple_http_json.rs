//! HTTP-unary JSON calls on the Triple port (TRIPLE.md §8), over HTTP/1.1 and HTTP/2 with
//! a hyper client: interface services with one argument and with N, IDL services by the
//! `IdlCall` contract, routing and attachments as gRPC calls have them, and every error in
//! §8's JSON form — after which the server still serves.

mod triple_support;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{Request, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper_util::rt::{TokioExecutor, TokioIo};
use oxidubbo_hessian2::{List, Map, Object};
use oxidubbo_invoker::{
    Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, Url, Value, service_fn,
};
use oxidubbo_protocol::triple::call::{IdlCall, PayloadFormat};
use oxidubbo_protocol::{Exporter, Protocol, TripleProtocol};
use serde_json::{Value as Json, json};
use triple_support::*;

/// An interface service whose methods show what the HTTP path made of the request:
/// `describe(…)` answers `{"types": <descriptor>, "args": [...]}`, `getUser(id)` a
/// `com.example.User` object, `nothing()` null, `panic()` panics.
const CALC: &str = "org.example.Calc";

fn calc(url: Arc<Url>) -> Arc<dyn Invoker> {
    Arc::new(ServiceInvoker::new(
        url,
        service_fn(|inv: Invocation| async move {
            match inv.method_name() {
                "describe" => Ok(RpcResult::new(Value::Map(Map::untyped(vec![
                    ("types".into(), inv.parameter_types().into()),
                    (
                        "args".into(),
                        Value::List(List::untyped(inv.arguments().to_vec())),
                    ),
                ])))),
                "getUser" => {
                    let id = inv.arguments().first().and_then(Value::as_i64).unwrap_or(0);
                    Ok(RpcResult::new(Value::Object(Object::new(
                        "com.example.User",
                        vec![
                            ("id".into(), Value::Long(id)),
                            ("name".into(), format!("user-{id}").into()),
                            (
                                "tags".into(),
                                Value::List(List::typed(
                                    "java.util.ArrayList",
                                    vec!["a".into(), "b".into()],
                                )),
                            ),
                        ],
                    ))))
                }
                "nothing" => Ok(RpcResult::new(Value::Null)),
                "panic" => panic!("the calc service panics on purpose"),
                other => Err(RpcError::NotFound(format!("method {other}"))),
            }
        }),
    ))
}

/// An IDL service (`serialization=protobuf`) serving by the `IdlCall` contract:
/// `Echo` answers `{"kind": …, "format": …, "request": <the request message>}` in JSON, the
/// request reversed in protobuf; `Watch` answers a stream.
const IDL: &str = "test.JsonService";

fn idl(url: Arc<Url>) -> Arc<dyn Invoker> {
    Arc::new(ServiceInvoker::new(
        url,
        service_fn(|mut inv: Invocation| async move {
            let call = inv
                .attributes()
                .get_arc::<IdlCall>()
                .ok_or_else(|| RpcError::Codec("not an IDL call".into()))?;
            let request = match inv.take_arguments().pop() {
                Some(Value::Binary(m)) => m,
                _ => match call.take_requests() {
                    Some(mut r) => r.next().await.transpose()?.unwrap_or_default().to_vec(),
                    None => return Err(RpcError::Codec("no request".into())),
                },
            };
            match inv.method_name() {
                "Echo" => {
                    let answer = match call.format() {
                        PayloadFormat::Json => format!(
                            r#"{{"kind":"{:?}","format":"Json","request":{}}}"#,
                            call.kind(),
                            String::from_utf8_lossy(&request)
                        )
                        .into_bytes(),
                        PayloadFormat::Protobuf => request.iter().rev().copied().collect(),
                    };
                    let mut result = RpcResult::new(Value::Binary(answer));
                    result.attachments.insert("served-by", "idl");
                    Ok(result)
                }
                "Watch" => {
                    let one: Vec<Result<Bytes, RpcError>> = vec![Ok(Bytes::from(request))];
                    call.set_responses(Box::pin(futures_util::stream::iter(one)));
                    Ok(RpcResult::new(Value::Null))
                }
                other => Err(RpcError::NotFound(format!("method {other}"))),
            }
        }),
    ))
}

/// The greeter, the calc and the IDL service on one port, bodies limited to 1 KiB.
async fn server() -> (TripleProtocol, u16, Vec<Arc<dyn Exporter>>) {
    let protocol = TripleProtocol::new();
    let port = free_port();
    let methods = "&methods=attachment,echo,fail,sayHello,sleep,status&payload=1024";
    let calc_url = format!("tri://127.0.0.1:{port}/{CALC}?payload=1024");
    let idl_url = format!("tri://127.0.0.1:{port}/{IDL}?serialization=protobuf&methods=Echo,Watch");
    let exporters = vec![
        protocol
            .export(greeter(greeter_url(port, methods)))
            .await
            .unwrap(),
        protocol
            .export(calc(Arc::new(Url::parse(&calc_url).unwrap())))
            .await
            .unwrap(),
        protocol
            .export(idl(Arc::new(Url::parse(&idl_url).unwrap())))
            .await
            .unwrap(),
    ];
    (protocol, port, exporters)
}

#[derive(Debug, Clone, Copy)]
enum Http {
    H1,
    H2,
}

const BOTH: [Http; 2] = [Http::H1, Http::H2];

/// What a call got back.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Json {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// Checks §8's error form: the HTTP status, `code` and `status`; returns the message.
    fn error(&self, http: u16, code: &str, status: u32) -> String {
        assert_eq!(self.status, http, "{:?}", self.body);
        assert_eq!(self.headers["content-type"], "application/json");
        let j = self.json();
        assert_eq!(j["code"], code, "{j}");
        assert_eq!(j["status"], status, "{j}");
        j["message"].as_str().expect("a message").to_owned()
    }
}

/// One request over a new connection of `http`; bounded by 10 s.
async fn send<B>(
    http: Http,
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: B,
) -> Answer
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    tokio::time::timeout(Duration::from_secs(10), async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let mut req = match http {
            Http::H1 => Request::builder()
                .uri(path)
                .header("host", format!("127.0.0.1:{port}")),
            Http::H2 => Request::builder().uri(format!("http://127.0.0.1:{port}{path}")),
        }
        .method(method);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(body).unwrap();
        let resp = match http {
            Http::H1 => {
                let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                    .await
                    .unwrap();
                tokio::spawn(conn);
                send.send_request(req).await.unwrap()
            }
            Http::H2 => {
                let (mut send, conn) =
                    hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                        .await
                        .unwrap();
                tokio::spawn(conn);
                send.send_request(req).await.unwrap()
            }
        };
        let (parts, body) = resp.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes(),
        }
    })
    .await
    .expect("the call answers within 10 s")
}

/// `POST path` with a JSON body and `headers`.
async fn post(http: Http, port: u16, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let body = Full::new(Bytes::from(body.to_owned()));
    send(http, port, "POST", path, &all, body).await
}

fn path(service: &str, method: &str) -> String {
    format!("/{service}/{method}")
}

#[tokio::test]
async fn interface_calls_take_one_argument_or_an_array_of_them() {
    let (protocol, port, _exporters) = server().await;
    for http in BOTH {
        let hello = path(GREETER, "sayHello");
        for body in [r#""x""#, r#"["x"]"#, " \"x\" \n"] {
            let a = post(http, port, &hello, &[], body).await;
            assert_eq!(a.status, 200, "{http:?} {body}: {:?}", a.body);
            assert_eq!(a.headers["content-type"], "application/json");
            assert_eq!(a.headers["content-length"], a.body.len().to_string());
            assert_eq!(a.body, r#""Hello, x""#, "{http:?} {body}");
        }
        // N arguments, their Java types guessed as the CLI guesses them.
        let a = post(
            http,
            port,
            &path(CALC, "describe"),
            &[],
            r#"["s", 7, 5000000000, 1.5, true, null, [1], {"k": "v"}, {"$class": "a.B", "f": 1}]"#,
        )
        .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(
            a.json(),
            json!({
                "types": "Ljava/lang/String;IJDZLjava/lang/Object;Ljava/util/List;Ljava/util/Map;La/B;",
                "args": ["s", 7, 5000000000i64, 1.5, true, null, [1], {"k": "v"}, {"f": 1}],
            })
        );
        // One object is one argument (a map); an empty body is no argument.
        let a = post(http, port, &path(CALC, "describe"), &[], r#"{"a": [1, 2]}"#).await;
        assert_eq!(
            a.json(),
            json!({"types": "Ljava/util/Map;", "args": [{"a": [1, 2]}]})
        );
        let a = post(http, port, &path(CALC, "describe"), &[], "").await;
        assert_eq!(a.json(), json!({"types": "", "args": []}));
        // Results print as Java's JSON encoders print them.
        let a = post(http, port, &path(CALC, "getUser"), &[], "42").await;
        assert_eq!(
            a.json(),
            json!({"id": 42, "name": "user-42", "tags": ["a", "b"]})
        );
        let a = post(http, port, &path(CALC, "nothing"), &[], "").await;
        assert_eq!(a.body, "null");
    }
    still_serves(&protocol, port).await;
    protocol.destroy().await;
}

#[tokio::test]
async fn routing_and_attachments_are_the_grpc_paths() {
    let (protocol, port, _exporters) = server().await;
    let v2 = Url::parse(&format!(
        "tri://127.0.0.1:{port}/{GREETER}?version=2.0.0&methods=sayHello"
    ))
    .unwrap();
    let _v2 = protocol
        .export(Arc::new(ServiceInvoker::new(
            Arc::new(v2),
            service_fn(|_inv: Invocation| async { Ok(RpcResult::new("from 2.0.0")) }),
        )))
        .await
        .unwrap();
    for http in BOTH {
        let hello = path(GREETER, "sayHello");
        let a = post(
            http,
            port,
            &hello,
            &[("tri-service-version", "2.0.0")],
            r#""x""#,
        )
        .await;
        assert_eq!(a.body, r#""from 2.0.0""#);
        let a = post(
            http,
            port,
            &hello,
            &[("tri-service-version", "1.0.0")],
            r#""x""#,
        )
        .await;
        assert_eq!(a.body, r#""Hello, x""#);
        // Java's fallback: no version reaches 1.0.0.
        let a = post(http, port, &hello, &[], r#""x""#).await;
        assert_eq!(a.body, r#""Hello, x""#);
        // The method's first letter in the other case, after a context path.
        let a = post(
            http,
            port,
            &format!("/app/ctx/{GREETER}/SayHello"),
            &[],
            r#""y""#,
        )
        .await;
        assert_eq!(a.body, r#""Hello, y""#);
        // Headers are attachments; the result's come back as headers.
        let a = post(
            http,
            port,
            &path(GREETER, "attachment"),
            &[("x-trace", "abc")],
            r#""x-trace""#,
        )
        .await;
        assert_eq!(a.body, r#""abc""#);
        assert_eq!(a.headers["reply"], "yes");
    }
    protocol.destroy().await;
}

#[tokio::test]
async fn idl_calls_are_unary_calls_of_the_request_message() {
    let (protocol, port, _exporters) = server().await;
    for http in BOTH {
        let echo = path(IDL, "Echo");
        let a = post(http, port, &echo, &[], r#"{"name": "x"}"#).await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        assert_eq!(a.headers["content-type"], "application/json");
        assert_eq!(a.headers["served-by"], "idl");
        assert_eq!(
            a.json(),
            json!({"kind": "Some(Unary)", "format": "Json", "request": {"name": "x"}})
        );
        // An empty JSON body is the empty message; the method's case falls back.
        let a = post(http, port, &path(IDL, "echo"), &[], "").await;
        assert_eq!(a.json()["request"], json!({}));
        // application/proto: the binary message, answered in binary.
        let a = send(
            http,
            port,
            "POST",
            &echo,
            &[("content-type", "application/proto")],
            Full::new(Bytes::from_static(b"\x0a\x01x")),
        )
        .await;
        assert_eq!(a.status, 200);
        assert_eq!(a.headers["content-type"], "application/proto");
        assert_eq!(a.body, &b"x\x01\x0a"[..]);
        // A method answering a stream is refused.
        let a = post(http, port, &path(IDL, "Watch"), &[], "{}").await;
        let message = a.error(404, "unimplemented", 12);
        assert!(message.contains("streaming method"), "{message}");
    }
    protocol.destroy().await;
}

#[tokio::test]
async fn errors_are_json_with_the_code_and_the_server_keeps_serving() {
    let (protocol, port, _exporters) = server().await;
    for http in BOTH {
        let hello = path(GREETER, "sayHello");
        let m = post(http, port, &path("no.Such", "sayHello"), &[], "1")
            .await
            .error(404, "unimplemented", 12);
        assert!(m.contains("no.Such"), "{m}");
        let m = post(http, port, &path(GREETER, "nope"), &[], "1")
            .await
            .error(404, "unimplemented", 12);
        assert!(m.contains("nope"), "{m}");
        let m =
            post(http, port, &path(CALC, "nope"), &[], "1")
                .await
                .error(404, "unimplemented", 12);
        assert!(m.contains("nope"), "{m}");
        for bad in [r#"{"a":"#, "[1,]", "nul", r#""x" "y""#] {
            let m = post(http, port, &hello, &[], bad)
                .await
                .error(400, "invalid_argument", 3);
            assert!(m.contains("not valid JSON"), "{m}");
            post(http, port, &path(IDL, "Echo"), &[], bad)
                .await
                .error(400, "invalid_argument", 3);
        }
        let m = post(http, port, &hello, &[], r#"{"$int": "x"}"#)
            .await
            .error(400, "invalid_argument", 3);
        assert!(m.contains("$int"), "{m}");
        // Nesting deeper than the JSON reader goes is bad JSON too, not a crash.
        let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
        post(http, port, &hello, &[], &deep)
            .await
            .error(400, "invalid_argument", 3);
        let m = post(http, port, &path(GREETER, "fail"), &[], r#""boom""#)
            .await
            .error(500, "unknown", 2);
        assert!(m.contains("failed: boom"), "{m}");
        let m = post(http, port, &path(GREETER, "status"), &[], "5")
            .await
            .error(404, "not_found", 5);
        assert_eq!(m, "status 5 requested\nsecond line");
        post(http, port, &path(GREETER, "status"), &[], "9")
            .await
            .error(412, "failed_precondition", 9);
        let m = post(http, port, &path(CALC, "panic"), &[], "")
            .await
            .error(500, "internal", 13);
        assert!(m.contains("panicked"), "{m}");
        // Deadlines from any dialect's header.
        for header in [
            "tri-service-timeout",
            "triple-timeout-ms",
            "connect-timeout-ms",
        ] {
            post(
                http,
                port,
                &path(GREETER, "sleep"),
                &[(header, "100")],
                "5000",
            )
            .await
            .error(408, "deadline_exceeded", 4);
        }
        let a = post(
            http,
            port,
            &path(GREETER, "sleep"),
            &[("connect-timeout-ms", "5000")],
            "1",
        )
        .await;
        assert_eq!(a.body, "1");
        post(
            http,
            port,
            &hello,
            &[("tri-service-timeout", "soon")],
            r#""x""#,
        )
        .await
        .error(400, "invalid_argument", 3);
        post(
            http,
            port,
            &hello,
            &[("connect-protocol-version", "2")],
            r#""x""#,
        )
        .await
        .error(400, "invalid_argument", 3);
        let a = post(
            http,
            port,
            &hello,
            &[("connect-protocol-version", "1")],
            r#""x""#,
        )
        .await;
        assert_eq!(a.body, r#""Hello, x""#);
        // Not POST; protobuf for an interface service.
        let a = send(
            http,
            port,
            "GET",
            &hello,
            &[("content-type", "application/json")],
            Full::new(Bytes::new()),
        )
        .await;
        a.error(405, "unimplemented", 12);
        assert_eq!(a.headers["allow"], "POST");
        send(
            http,
            port,
            "POST",
            &hello,
            &[("content-type", "application/proto")],
            Full::new(Bytes::from_static(b"\x0a\x01x")),
        )
        .await
        .error(415, "invalid_argument", 3);
    }
    still_serves(&protocol, port).await;
    protocol.destroy().await;
}

/// A body of `head`, then nothing more, ever: only a server that stops reading at the
/// limit answers it.
fn endless_body(
    head: Bytes,
) -> StreamBody<impl futures_util::Stream<Item = Result<Frame<Bytes>, Infallible>> + Unpin> {
    let head = futures_util::stream::iter([Ok::<_, Infallible>(Frame::data(head))]);
    StreamBody::new(head.chain(futures_util::stream::pending()))
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_without_being_read_to_the_end() {
    let (protocol, port, _exporters) = server().await;
    let hello = path(GREETER, "sayHello");
    let json = [("content-type", "application/json")];
    for http in BOTH {
        // A declared length over the limit: refused before anything is read.
        let a = send(
            http,
            port,
            "POST",
            &hello,
            &[
                ("content-type", "application/json"),
                ("content-length", "1000000"),
            ],
            endless_body(Bytes::from_static(b"\"")),
        )
        .await;
        let m = a.error(413, "resource_exhausted", 8);
        assert!(m.contains("1000000") && m.contains("1024"), "{m}");
        // No declared length: refused at the first chunk past the limit, without waiting
        // for a body that never ends.
        let big = Bytes::from(format!("\"{}", "a".repeat(2000)));
        send(http, port, "POST", &hello, &json, endless_body(big))
            .await
            .error(413, "resource_exhausted", 8);
        // An IDL message as well.
        let big = Bytes::from(format!("{{\"name\": \"{}\"}}", "a".repeat(2000)));
        send(
            http,
            port,
            "POST",
            &path(IDL, "Echo"),
            &json,
            Full::new(big),
        )
        .await
        .error(413, "resource_exhausted", 8);
        // At the limit, the call is served.
        let name = "a".repeat(1024 - 2);
        let a = post(http, port, &hello, &[], &format!("\"{name}\"")).await;
        assert_eq!(a.json(), json!(format!("Hello, {name}")));
    }
    still_serves(&protocol, port).await;
    protocol.destroy().await;
}
