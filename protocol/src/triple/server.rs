//! The provider side: one hyper server per listening address (h2c and HTTP/1.1 on one port,
//! hyper-util's auto builder), with its own table of the services exported there.
//!
//! A gRPC request is routed by path, `tri-service-group` and `tri-service-version` (exact,
//! then Java's fallbacks, TRIPLE.md §2.3), the method resolved with the first-letter-case
//! fallback (§1), and served in the mode of the service's URL: IDL (`serialization=protobuf`,
//! [`IdlCall`]) or wrapper (Hessian arguments, §6). Errors before any message go out as
//! Trailers-Only responses, later ones in the trailers. Requests of a JSON or protobuf
//! content type are HTTP-unary calls (§8), routed the same way ([`target`]) and served by
//! [`http_unary`].

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{FutureExt as _, StreamExt as _};
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use oxidubbo_common::{ServiceKey, Url, keys};
use oxidubbo_invoker::{Attachments, Invocation, Invoker, RpcError, RpcResult, Value};
use tokio::net::TcpListener;
use tokio::time::Instant;

use super::body::{MessageReader, TripleBody};
use super::call::{IdlCall, PayloadFormat};
use super::exec::Exec;
use super::frame::{ACCEPTED_ENCODINGS, Encoding};
use super::headers::{attachments_of, names, non_empty, put_attachments};
use super::status::{self, code};
use super::{http_unary, wrapper};
use crate::dubbo::codec::exception_value;
use crate::exporter::ExporterTable;
use crate::tls::ServerTlsSettings;
use crate::tls::handshake::{Accepted, TlsAcceptor};
use crate::tls::loader::ALPN_TRIPLE_SERVER;
use crate::tls::stream::Stream;

/// The HTTP/2 settings of a server (TRIPLE.md §1.1, §12.2).
const MAX_HEADER_LIST: u32 = 64 * 1024;
const MAX_FRAME: u32 = 256 * 1024;
const STREAM_WINDOW: u32 = 1024 * 1024;
const CONNECTION_WINDOW: u32 = 4 * 1024 * 1024;
/// Streams open at once per connection: a peer opening more waits (or is refused).
pub(crate) const MAX_CONCURRENT_STREAMS: u32 = 256;
const KEEP_ALIVE: Duration = Duration::from_secs(60);

/// The serialization that makes a service an IDL (protobuf) one.
pub(crate) const PROTOBUF: &str = "protobuf";

/// Settings of a server, read from the first URL exported at its address.
#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    /// Largest message, compressed or not.
    pub payload: usize,
    /// TLS settings (`ssl-enabled=true`: ALPN `h2` and `http/1.1` on one TLS port);
    /// `None`: h2c and HTTP/1.1 in the clear.
    pub tls: Option<ServerTlsSettings>,
}

/// A listening Triple server.
pub(crate) struct Server {
    local_addr: SocketAddr,
    exporters: Arc<ExporterTable>,
    connections: Arc<AtomicUsize>,
    exec: Exec,
    tls: bool,
}

/// What every request of a server is served with.
pub(crate) struct Ctx {
    /// The services exported at the server's address.
    pub(crate) exporters: Arc<ExporterTable>,
    /// The server's settings.
    pub(crate) config: ServerConfig,
}

impl Server {
    /// Starts serving the services of `exporters` on `reserved` if given (a listener bound
    /// ahead for `addr`), else binds `addr`.
    pub(crate) async fn bind(
        addr: &str,
        reserved: Option<std::net::TcpListener>,
        exporters: Arc<ExporterTable>,
        config: ServerConfig,
    ) -> Result<Server, RpcError> {
        let failed = |e: std::io::Error| RpcError::Network(format!("failed to bind {addr}: {e}"));
        let listener = match reserved {
            Some(listener) => {
                listener.set_nonblocking(true).map_err(failed)?;
                TcpListener::from_std(listener).map_err(failed)?
            }
            None => TcpListener::bind(addr).await.map_err(failed)?,
        };
        let local_addr = listener.local_addr().map_err(failed)?;
        let tls = match &config.tls {
            Some(settings) => Some(Arc::new(crate::tls::acceptor(
                settings,
                ALPN_TRIPLE_SERVER,
            )?)),
            None => None,
        };
        let secure = tls.is_some();
        let exec = Exec::default();
        let connections = Arc::new(AtomicUsize::new(0));
        let ctx = Arc::new(Ctx {
            exporters: Arc::clone(&exporters),
            config,
        });
        let mut builder = auto::Builder::new(exec.clone());
        builder.http1().timer(TokioTimer::new());
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(MAX_HEADER_LIST)
            .max_frame_size(MAX_FRAME)
            .initial_stream_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
            .keep_alive_interval(KEEP_ALIVE)
            .keep_alive_timeout(Duration::from_secs(20));
        exec.spawn(accept_loop(
            listener,
            Arc::new(builder),
            ctx,
            exec.clone(),
            Arc::clone(&connections),
            tls,
        ));
        tracing::info!(%local_addr, tls = secure, "triple server listening");
        Ok(Server {
            local_addr,
            exporters,
            connections,
            exec,
            tls: secure,
        })
    }

    /// The address the server listens on.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The services exported at this address.
    pub(crate) fn exporters(&self) -> &Arc<ExporterTable> {
        &self.exporters
    }

    /// Whether the server speaks TLS.
    pub(crate) fn is_tls(&self) -> bool {
        self.tls
    }

    /// Connections open now.
    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::Acquire)
    }

    /// Stops accepting, closes every connection and stream, and waits until every task of
    /// the server ended; the port is free again when this returns.
    pub(crate) async fn close(&self) {
        self.exec.shut_down().await;
        tracing::info!(local_addr = %self.local_addr, "triple server closed");
    }
}

async fn accept_loop(
    listener: TcpListener,
    builder: Arc<auto::Builder<Exec>>,
    ctx: Arc<Ctx>,
    exec: Exec,
    connections: Arc<AtomicUsize>,
    tls: Option<Arc<TlsAcceptor>>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (builder, ctx, counted, tls) = (
            Arc::clone(&builder),
            Arc::clone(&ctx),
            Counted::new(&connections),
            tls.clone(),
        );
        exec.spawn(async move {
            let _counted = counted;
            let peer: Arc<str> = Arc::from(peer.to_string());
            let stream = match tls {
                None => Stream::Plain(stream),
                Some(tls) => match tls.accept(stream, &peer).await {
                    Accepted::Tls(stream) => stream,
                    Accepted::Plaintext { tcp, first } => {
                        refuse_plaintext(tcp, first).await;
                        return;
                    }
                    Accepted::Failed => return,
                },
            };
            let service = hyper::service::service_fn(move |req| {
                let (ctx, peer) = (Arc::clone(&ctx), Arc::clone(&peer));
                // Boxed: hyper moves each stream's future several times while spawning
                // its task, and this one is kilobytes large.
                Box::pin(async move { Ok::<_, Infallible>(handle(&ctx, &peer, req).await) })
            });
            if let Err(e) = builder
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "triple connection ended");
            }
        });
    }
}

/// Answers a plaintext client on a TLS port in its own protocol, then closes: an HTTP/2
/// client (prior knowledge) gets a GOAWAY with `INADEQUATE_SECURITY`, an HTTP/1 client a
/// `400`, each saying the port wants TLS.
async fn refuse_plaintext(mut tcp: tokio::net::TcpStream, first: u8) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let message = crate::tls::PLAINTEXT_ON_TLS_PORT.as_bytes();
    let mut out = Vec::with_capacity(128);
    if first == b'P' {
        // An empty SETTINGS frame, then GOAWAY (last stream 0, INADEQUATE_SECURITY = 0xc)
        // with the reason as its debug data.
        out.extend_from_slice(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
        let len = u32::try_from(8 + message.len()).unwrap_or(8).to_be_bytes();
        out.extend_from_slice(&[len[1], len[2], len[3], 0x7, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0xc]);
        out.extend_from_slice(message);
    } else {
        out.extend_from_slice(
            format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                message.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(message);
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), tcp.write_all(&out)).await;
    let _ = tcp.shutdown().await;
    // Read what the client sends until it closes (at most a second and 1 MiB): closing
    // with unread bytes would reset the connection and lose the answer.
    let mut scratch = [0u8; 4096];
    let drain = async {
        let mut left: usize = 1024 * 1024;
        while left > 0 {
            match tcp.read(&mut scratch).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
}

/// Counts a connection for as long as its task lives.
struct Counted(Arc<AtomicUsize>);

impl Counted {
    fn new(count: &Arc<AtomicUsize>) -> Counted {
        count.fetch_add(1, Ordering::AcqRel);
        Counted(Arc::clone(count))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whether a content type is gRPC's: `application/grpc` or `application/grpc+<x>` (§2.2).
pub(crate) fn is_grpc(content_type: &[u8]) -> bool {
    let Some(rest) = content_type.strip_prefix(b"application/grpc") else {
        return false;
    };
    rest.is_empty() || rest[0] == b'+' || rest[0] == b';'
}

async fn handle(ctx: &Ctx, peer: &str, req: Request<Incoming>) -> Response<TripleBody> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    if is_grpc(content_type) {
        serve_grpc(ctx, peer, req).await
    } else if http_unary::accepts(content_type) {
        http_unary::serve(ctx, peer, req).await
    } else {
        http_unary::plain_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported content-type (gRPC: application/grpc[+proto|+json]; HTTP: application/json, application/proto)",
        )
    }
}

/// `(service, method)` of `/{service}/{method}` or `/{context path…}/{service}/{method}`.
fn parse_path(path: &str) -> Option<(&str, &str)> {
    let (rest, method) = path.rsplit_once('/')?;
    let service = rest.rsplit('/').next()?;
    (!service.is_empty() && !method.is_empty()).then_some((service, method))
}

/// The exported service a request names: exact key, then Java's fallbacks (version
/// `1.0.0` in the same group, the bare interface, any service of the interface).
fn route(
    exporters: &ExporterTable,
    service: &str,
    group: Option<&str>,
    version: Option<&str>,
) -> Option<Arc<dyn Invoker>> {
    let mut key = String::new();
    let mut lookup = |group: Option<&str>, version: Option<&str>| {
        if group.is_none() && version.is_none() {
            return exporters.get_str(service); // the key is the interface name
        }
        key.clear();
        ServiceKey::write_key(&mut key, service, group, version);
        exporters.get_str(&key)
    };
    lookup(group, version)
        .or_else(|| lookup(group, Some("1.0.0")))
        .or_else(|| lookup(None, None))
        .or_else(|| exporters.find(|k| k.interface() == service))
}

/// The method a service knows under `name`, or its first letter in the other case (§1);
/// any name when the URL lists no methods.
fn resolve_method(methods: Option<&str>, name: &str) -> Option<String> {
    let Some(methods) = methods.filter(|m| !m.is_empty() && *m != "*") else {
        return Some(name.to_owned());
    };
    let known = |n: &str| methods.split(',').any(|m| m.trim() == n);
    if known(name) {
        return Some(name.to_owned());
    }
    let mut chars = name.chars();
    let first = chars.next()?;
    let rest = chars.as_str();
    [
        first.to_lowercase().to_string(),
        first.to_uppercase().to_string(),
    ]
    .into_iter()
    .map(|f| f + rest)
    .find(|n| known(n))
}

/// The headers of every gRPC response.
fn grpc_headers() -> HeaderMap {
    let mut h = HeaderMap::with_capacity(2);
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    h.insert(
        names::GRPC_ACCEPT_ENCODING.clone(),
        HeaderValue::from_static(ACCEPTED_ENCODINGS),
    );
    h
}

fn response(headers: HeaderMap, body: TripleBody) -> Response<TripleBody> {
    let mut response = Response::new(body);
    *response.headers_mut() = headers;
    response
}

fn put_status(h: &mut HeaderMap, error: Option<&RpcError>) {
    match error {
        None => {
            h.insert(names::GRPC_STATUS.clone(), status::status_value(code::OK));
        }
        Some(e) => {
            h.insert(
                names::GRPC_STATUS.clone(),
                status::status_value(status::code_of(e)),
            );
            h.insert(
                names::GRPC_MESSAGE.clone(),
                status::encode_message(&status::message_of(e)),
            );
        }
    }
}

/// A Trailers-Only error response (with `content-type`, which Java's client needs).
pub(crate) fn trailers_only(error: &RpcError) -> Response<TripleBody> {
    tracing::debug!(%error, "triple call failed");
    let mut h = grpc_headers();
    put_status(&mut h, Some(error));
    response(h, TripleBody::Empty)
}

/// The trailers ending a call: its status and the result's attachments.
fn trailers(outcome: Result<&Attachments, &RpcError>) -> HeaderMap {
    let mut h = HeaderMap::new();
    match outcome {
        Ok(attachments) => {
            put_attachments(&mut h, attachments);
            put_status(&mut h, None);
        }
        Err(e) => put_status(&mut h, Some(e)),
    }
    h
}

fn unimplemented(message: String) -> RpcError {
    status::status(code::UNIMPLEMENTED, message)
}

/// The exported service and method a request names.
pub(crate) struct Target {
    pub(crate) invoker: Arc<dyn Invoker>,
    pub(crate) url: Arc<Url>,
    pub(crate) method: String,
}

/// The service and method of a request (gRPC or HTTP unary): its path and the group and
/// version headers routed as [`route`] and [`resolve_method`] do; `UNIMPLEMENTED` when
/// nothing here serves it.
pub(crate) fn target(
    exporters: &ExporterTable,
    path: &str,
    headers: &HeaderMap,
) -> Result<Target, RpcError> {
    let Some((service, method)) = parse_path(path) else {
        return Err(unimplemented(format!(
            "malformed path {path:?}: expected /{{service}}/{{method}}"
        )));
    };
    let group = non_empty(headers, &names::TRI_SERVICE_GROUP);
    let version = non_empty(headers, &names::TRI_SERVICE_VERSION);
    let found = route(exporters, service, group, version);
    let Some((invoker, url)) = found.and_then(|i| i.url().map(|u| (i, u))) else {
        let key = ServiceKey::new(service, group, version);
        return Err(unimplemented(format!("service {key} is not exported here")));
    };
    // Dubbo's generic calls reach any service (its generic filter, or an IDL service's
    // `protobuf-json` support, turns them into the call they name), as Java's Triple
    // server routes them.
    let resolved = if is_generic(method) {
        Some(method.to_owned())
    } else {
        resolve_method(url.param(keys::METHODS), method)
    };
    let Some(method) = resolved else {
        return Err(unimplemented(format!(
            "service {service} has no method {method}"
        )));
    };
    Ok(Target {
        invoker,
        url,
        method,
    })
}

/// Whether `method` is Dubbo's generic call (`$invoke`, `$invokeAsync`), which comes in
/// the wrapper form whatever the service.
pub(crate) fn is_generic(method: &str) -> bool {
    method == "$invoke" || method == "$invokeAsync"
}

/// Whether a service is an IDL one (exported with `serialization=protobuf`).
pub(crate) fn is_idl(url: &Url) -> bool {
    url.param(keys::SERIALIZATION) == Some(PROTOBUF)
}

/// The attachments a request carries to the service: its headers' (§2.4), the peer's
/// address, the consumer's application and the call's timeout.
pub(crate) fn request_attachments(
    headers: &HeaderMap,
    peer: &str,
    timeout: Option<Duration>,
) -> Attachments {
    let mut attachments = Attachments::new();
    attachments_of(headers, &mut attachments);
    attachments.insert("remote.address", peer.to_owned());
    if let Some(app) = non_empty(headers, &names::TRI_CONSUMER_APPNAME) {
        attachments.insert(keys::REMOTE_APPLICATION, app.to_owned());
    }
    if let Some(t) = timeout {
        attachments.insert(keys::TIMEOUT, t.as_millis().to_string());
    }
    attachments
}

async fn serve_grpc(ctx: &Ctx, peer: &str, req: Request<Incoming>) -> Response<TripleBody> {
    let (parts, body) = req.into_parts();
    if parts.method != Method::POST {
        return trailers_only(&unimplemented(format!(
            "gRPC calls are POST, not {}",
            parts.method
        )));
    }
    let encoding = match Encoding::of(&parts.headers) {
        Ok(e) => e,
        Err(e) => return trailers_only(&status::status(e.code(), e.to_string())),
    };
    let timeout = match parts.headers.get(&names::GRPC_TIMEOUT) {
        None => None,
        Some(v) => match status::parse_timeout(v.as_bytes()) {
            Ok(t) => Some(t),
            Err(bad) => {
                return trailers_only(&status::status(
                    code::INTERNAL,
                    format!("malformed grpc-timeout {:?}", bad.0),
                ));
            }
        },
    };
    let Target {
        invoker,
        url,
        method,
    } = match target(&ctx.exporters, parts.uri.path(), &parts.headers) {
        Ok(target) => target,
        Err(e) => return trailers_only(&e),
    };
    let attachments = request_attachments(&parts.headers, peer, timeout);
    let deadline = timeout.map(|t| Instant::now() + t);
    let reader = MessageReader::request(body, ctx.config.payload, encoding);
    if is_idl(&url) && !is_generic(&method) {
        let json = parts
            .headers
            .get(CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().ends_with(b"+json"));
        let format = if json {
            PayloadFormat::Json
        } else {
            PayloadFormat::Protobuf
        };
        serve_idl(invoker, method, attachments, reader, format, deadline).await
    } else {
        serve_wrapper(invoker, method, attachments, reader, deadline).await
    }
}

/// Runs the call, bounded by the deadline; a panicking service is an `INTERNAL` error.
pub(crate) async fn invoke(
    invoker: Arc<dyn Invoker>,
    invocation: Invocation,
    deadline: Option<Instant>,
) -> Result<RpcResult, RpcError> {
    let call = std::panic::AssertUnwindSafe(invoker.invoke(invocation)).catch_unwind();
    let outcome = match deadline {
        Some(d) => match tokio::time::timeout_at(d, call).await {
            Ok(outcome) => outcome,
            Err(_) => return Err(deadline_exceeded()),
        },
        None => call.await,
    };
    outcome.unwrap_or_else(|_| {
        tracing::error!("a service panicked while serving a triple call");
        Err(status::status(code::INTERNAL, "the service panicked"))
    })
}

pub(crate) fn deadline_exceeded() -> RpcError {
    status::status(code::DEADLINE_EXCEEDED, "deadline exceeded")
}

/// Reads a unary request: its first message, the rest of the body drained (a trailing
/// empty message, as dubbo-python sends, is ignored with any other).
async fn read_unary(reader: &mut MessageReader) -> Result<Bytes, RpcError> {
    let first = reader
        .next()
        .await?
        .ok_or_else(|| status::status(code::INTERNAL, "the request carried no message"))?;
    while reader.next().await?.is_some() {}
    Ok(first)
}

async fn serve_wrapper(
    invoker: Arc<dyn Invoker>,
    method: String,
    attachments: Attachments,
    mut reader: MessageReader,
    deadline: Option<Instant>,
) -> Response<TripleBody> {
    let read = match deadline {
        Some(d) => tokio::time::timeout_at(d, read_unary(&mut reader))
            .await
            .unwrap_or_else(|_| Err(deadline_exceeded())),
        None => read_unary(&mut reader).await,
    };
    let call = match read.and_then(|m| wrapper::decode_request(&m)) {
        Ok(call) => call,
        Err(e) => return trailers_only(&e),
    };
    let mut invocation = Invocation::new(method, call.parameter_types, call.arguments);
    *invocation.attachments_mut() = attachments;
    let serialize_type = call.serialize_type;
    match invoke(invoker, invocation, deadline).await {
        Ok(result) => match wrapper::encode_response(&serialize_type, &result.value) {
            Ok(message) => response(
                grpc_headers(),
                TripleBody::message(&message, Some(trailers(Ok(&result.attachments)))),
            ),
            Err(e) => trailers_only(&e),
        },
        // Java's typed form (§5.4): the exception as the message, tri-exception-code in the
        // headers, status OK.
        Err(RpcError::Remote {
            class,
            message,
            attachments,
        }) => {
            let exception = exception_value(&class, &message);
            match wrapper::encode_response(&serialize_type, &exception) {
                Ok(message) => {
                    let mut h = grpc_headers();
                    h.insert(
                        names::TRI_EXCEPTION_CODE.clone(),
                        HeaderValue::from_static("3"),
                    );
                    let end = trailers(Ok(&attachments));
                    response(h, TripleBody::message(&message, Some(end)))
                }
                Err(e) => trailers_only(&e),
            }
        }
        Err(e) => trailers_only(&e),
    }
}

async fn serve_idl(
    invoker: Arc<dyn Invoker>,
    method: String,
    attachments: Attachments,
    reader: MessageReader,
    format: PayloadFormat,
    deadline: Option<Instant>,
) -> Response<TripleBody> {
    // A broken request stream (bad frame, over the limit) decides the answer, whatever the
    // service made of it.
    let broken: Arc<Mutex<Option<RpcError>>> = Arc::default();
    let seen = Arc::clone(&broken);
    let requests = reader.into_stream(|_| Ok(())).inspect(move |m| {
        if let Err(e) = m {
            seen.lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert_with(|| e.clone());
        }
    });
    let idl = Arc::new(IdlCall::served(format, Box::pin(requests)));
    let mut invocation = Invocation::new(method, "", vec![]);
    *invocation.attachments_mut() = attachments;
    invocation.attributes_mut().insert_arc(Arc::clone(&idl));
    let outcome = invoke(invoker, invocation, deadline).await;
    let broken = broken.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(e) = broken {
        return trailers_only(&e);
    }
    let result = match outcome {
        Ok(result) => result,
        Err(e) => return trailers_only(&e),
    };
    if let Some(messages) = idl.take_responses() {
        let attachments = result.attachments;
        let finish = Box::new(move |end: Result<(), RpcError>| match end {
            Ok(()) => trailers(Ok(&attachments)),
            Err(e) => trailers(Err(&e)),
        });
        let body = TripleBody::Stream {
            messages,
            finish: Some(finish),
            cancel: None,
            deadline: deadline.map(|d| Box::pin(tokio::time::sleep_until(d))),
        };
        return response(grpc_headers(), body);
    }
    match result.value {
        Value::Binary(message) => response(
            grpc_headers(),
            TripleBody::message(&message, Some(trailers(Ok(&result.attachments)))),
        ),
        Value::Null => response(
            grpc_headers(),
            TripleBody::trailers(trailers(Ok(&result.attachments))),
        ),
        other => trailers_only(&status::status(
            code::INTERNAL,
            format!("the IDL method answered a non-message value {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_service_and_method_after_any_context_path() {
        assert_eq!(parse_path("/a.B/m"), Some(("a.B", "m")));
        assert_eq!(parse_path("/ctx/app/a.B/m"), Some(("a.B", "m")));
        assert_eq!(parse_path("/a.B/"), None);
        assert_eq!(parse_path("/m"), None);
        assert_eq!(parse_path("//m"), None);
        assert_eq!(parse_path(""), None);
    }

    #[test]
    fn methods_resolve_with_the_first_letter_in_either_case() {
        let m = Some("sayHello,Greet");
        assert_eq!(resolve_method(m, "sayHello").as_deref(), Some("sayHello"));
        assert_eq!(resolve_method(m, "SayHello").as_deref(), Some("sayHello"));
        assert_eq!(resolve_method(m, "greet").as_deref(), Some("Greet"));
        assert_eq!(resolve_method(m, "nope"), None);
        assert_eq!(resolve_method(None, "any").as_deref(), Some("any"));
    }

    #[test]
    fn grpc_content_types_are_recognised() {
        for ok in [
            "application/grpc",
            "application/grpc+proto",
            "application/grpc+json",
            "application/grpc+data",
        ] {
            assert!(is_grpc(ok.as_bytes()), "{ok}");
        }
        for no in ["application/json", "application/grpcx", "text/plain", ""] {
            assert!(!is_grpc(no.as_bytes()), "{no}");
        }
    }
}
