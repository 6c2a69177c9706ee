//! The HTTP-unary path of TRIPLE.md §8: `POST /{service}/{method}` with a JSON (or, for IDL
//! services, protobuf) body, over HTTP/1.1 or HTTP/2 on the gRPC port — what curl and the
//! unary clients of Connect, dubbo-go and dubbo-js send.
//!
//! * **Routing** is the gRPC path's: the path (after any context path),
//!   `tri-service-group` and `tri-service-version` with Java's fallbacks, the method's
//!   first letter in either case. The request headers are the call's attachments (§2.4);
//!   the result's attachments come back as response headers.
//! * **IDL services** (`serialization=protobuf`): the body is the request message in the
//!   protobuf JSON mapping (`application/json`; an empty body is `{}`) or in binary
//!   (`application/proto`). It reaches the service as a consumer's unary call does — the
//!   message as the one `Binary` argument, with an [`IdlCall::unary`] — and the answer is
//!   the response message in the same format. Streaming methods are refused
//!   (`UNIMPLEMENTED`).
//! * **Interface-style services** take JSON by Java's rule: an array holds the arguments,
//!   any other value is the only argument, an empty body means none. Values map as
//!   [`oxidubbo_hessian2::json`] maps them, with the Java types guessed (objects become
//!   maps; `{"$class": …}` and the other escapes choose a type); the result prints as
//!   Java's JSON encoders print it ([`RenderOptions::plain`]).
//! * **Deadline**: `tri-service-timeout`, `triple-timeout-ms` or `connect-timeout-ms`, in
//!   milliseconds, as the three HTTP dialects send it. The protocol-version headers
//!   (`connect-protocol-version: 1`, `triple-protocol-version: 0.1.0`,
//!   `tri-protocol-version: 1.0.0`) are optional; another value is refused.
//! * **Errors** are §8's union, `{"code": "invalid_argument", "status": 3, "message": "…"}`
//!   (Connect's and dubbo-go's code name, dubbo-js's code number), with the HTTP status
//!   Connect and dubbo-go give the code (§5.3): 404 for an unknown service or method, 400
//!   for a body that is not JSON or does not map to arguments, 408 past the deadline, 500
//!   for a service's exception. A body over the `payload` limit is 413
//!   (`resource_exhausted`): a declared length over it is refused unread, and reading stops
//!   at the first chunk past it. Any method but `POST` is 405.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use oxidubbo_hessian2::json::{RenderOptions, guess_java_type, render_standalone, typed_arguments};
use oxidubbo_invoker::{Attachments, Invocation, RpcError, Value};
use serde_json::Value as Json;
use tokio::time::Instant;

use super::body::TripleBody;
use super::call::{IdlCall, PayloadFormat};
use super::headers::put_attachments;
use super::server::{self, Ctx, Target};
use super::status::{self, code};

const JSON: &str = "application/json";
const PROTO: &str = "application/proto";

/// The deadline headers of the HTTP dialects (Java, dubbo-go, Connect), in milliseconds.
const TIMEOUT_HEADERS: [&str; 3] = [
    "tri-service-timeout",
    "triple-timeout-ms",
    "connect-timeout-ms",
];

/// The protocol-version headers of the HTTP dialects and the one value each may have.
const PROTOCOL_VERSIONS: [(&str, &str); 3] = [
    ("connect-protocol-version", "1"),
    ("triple-protocol-version", "0.1.0"),
    ("tri-protocol-version", "1.0.0"),
];

/// The payload format of an HTTP-unary content type: `application/json` (with or without
/// parameters) or `application/proto`.
fn format_of(content_type: &[u8]) -> Option<PayloadFormat> {
    let essence = content_type
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    if essence.eq_ignore_ascii_case(JSON.as_bytes()) {
        Some(PayloadFormat::Json)
    } else if essence.eq_ignore_ascii_case(PROTO.as_bytes()) {
        Some(PayloadFormat::Protobuf)
    } else {
        None
    }
}

/// Whether a content type goes to the HTTP-unary path.
pub(crate) fn accepts(content_type: &[u8]) -> bool {
    format_of(content_type).is_some()
}

/// Serves one HTTP-unary request; every failure is answered in §8's error form.
pub(crate) async fn serve(ctx: &Ctx, peer: &str, req: Request<Incoming>) -> Response<TripleBody> {
    let (parts, body) = req.into_parts();
    let mut body = Some(body);
    match call(ctx, peer, parts, &mut body).await {
        Ok(response) => response,
        Err(failure) => {
            tracing::debug!(code = failure.code, message = %failure.message, "HTTP unary call failed");
            // Refused before its body was read (unknown service, bad header, …).
            if let Some(body) = body {
                discard_rest(body).await;
            }
            failure.response()
        }
    }
}

/// The call of `parts`; its body is taken from `body` when it is read.
async fn call(
    ctx: &Ctx,
    peer: &str,
    parts: http::request::Parts,
    body: &mut Option<Incoming>,
) -> Result<Response<TripleBody>, Failure> {
    if parts.method != Method::POST {
        return Err(Failure::new(
            code::UNIMPLEMENTED,
            format!("HTTP unary calls are POST, not {}", parts.method),
        )
        .with_http(StatusCode::METHOD_NOT_ALLOWED));
    }
    check_protocol_versions(&parts.headers)?;
    let format = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| format_of(v.as_bytes()))
        .unwrap_or(PayloadFormat::Json);
    let timeout = timeout_of(&parts.headers)?;
    let deadline = timeout.map(|t| Instant::now() + t);
    let target = server::target(&ctx.exporters, parts.uri.path(), &parts.headers)?;
    let idl = server::is_idl(&target.url);
    if !idl && format != PayloadFormat::Json {
        return Err(Failure::new(
            code::INVALID_ARGUMENT,
            "interface services take application/json (application/proto is for IDL services)",
        )
        .with_http(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    let Some(body) = body.take() else {
        return Err(Failure::new(
            code::INTERNAL,
            "the request body was taken twice",
        ));
    };
    let body = within(
        deadline,
        read_body(&parts.headers, body, ctx.config.payload),
    )
    .await?;
    let attachments = server::request_attachments(&parts.headers, peer, timeout);
    if idl {
        serve_idl(target, attachments, body, format, deadline).await
    } else {
        serve_interface(target, attachments, &body, deadline).await
    }
}

/// An IDL method's call: the body is its request message.
async fn serve_idl(
    target: Target,
    attachments: Attachments,
    body: Bytes,
    format: PayloadFormat,
    deadline: Option<Instant>,
) -> Result<Response<TripleBody>, Failure> {
    let message = match format {
        PayloadFormat::Json if body.trim_ascii().is_empty() => Bytes::from_static(b"{}"),
        PayloadFormat::Json => {
            serde_json::from_slice::<serde::de::IgnoredAny>(&body).map_err(not_json)?;
            body
        }
        PayloadFormat::Protobuf => body,
    };
    let call = Arc::new(IdlCall::unary(format));
    let mut invocation = Invocation::new(
        target.method.clone(),
        "",
        vec![Value::Binary(Vec::from(message))],
    );
    *invocation.attachments_mut() = attachments;
    invocation.attributes_mut().insert_arc(Arc::clone(&call));
    let result = server::invoke(target.invoker, invocation, deadline).await?;
    // A service that is not a generated adapter may not check the call's kind: a stream
    // left in the call is refused the same way.
    if call.take_responses().is_some() {
        return Err(Failure::new(
            code::UNIMPLEMENTED,
            format!(
                "{} is a streaming method; HTTP unary calls reach unary methods only",
                target.method
            ),
        ));
    }
    match result.value {
        Value::Binary(message) => {
            let content_type = match format {
                PayloadFormat::Json => JSON,
                PayloadFormat::Protobuf => PROTO,
            };
            Ok(answer(
                Bytes::from(message),
                content_type,
                &result.attachments,
            ))
        }
        _ => Err(Failure::new(
            code::INTERNAL,
            format!("the IDL method {} answered no message", target.method),
        )),
    }
}

/// An interface-style method's call: the body holds its arguments, by Java's rule.
async fn serve_interface(
    target: Target,
    attachments: Attachments,
    body: &[u8],
    deadline: Option<Instant>,
) -> Result<Response<TripleBody>, Failure> {
    let args = if body.trim_ascii().is_empty() {
        Vec::new()
    } else {
        match serde_json::from_slice(body).map_err(not_json)? {
            Json::Array(args) => args,
            one => vec![one],
        }
    };
    let types: Vec<String> = args.iter().map(guess_java_type).collect();
    let (descriptor, values) = typed_arguments(&args, &types).map_err(|e| {
        Failure::new(
            code::INVALID_ARGUMENT,
            format!("the arguments do not map to Java values: {e}"),
        )
    })?;
    let mut invocation = Invocation::new(target.method, descriptor, values);
    *invocation.attachments_mut() = attachments;
    let result = server::invoke(target.invoker, invocation, deadline).await?;
    let plain = RenderOptions {
        resolve_refs: true,
        plain: true,
        ..RenderOptions::default()
    };
    let json = render_standalone(&result.value, plain).to_string();
    Ok(answer(Bytes::from(json), JSON, &result.attachments))
}

fn not_json(e: serde_json::Error) -> Failure {
    Failure::new(
        code::INVALID_ARGUMENT,
        format!("the request body is not valid JSON: {e}"),
    )
}

/// A `200` answer: `body` of `content_type`, the result's attachments as headers.
fn answer(
    body: Bytes,
    content_type: &'static str,
    attachments: &Attachments,
) -> Response<TripleBody> {
    let mut headers = HeaderMap::new();
    put_attachments(&mut headers, attachments);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    once(StatusCode::OK, headers, body)
}

/// A response of one body, its length declared.
fn once(status: StatusCode, mut headers: HeaderMap, body: Bytes) -> Response<TripleBody> {
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    let mut response = Response::new(TripleBody::Once {
        data: Some(body),
        trailers: None,
    });
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Refuses a protocol-version header with a value its dialect does not have.
fn check_protocol_versions(headers: &HeaderMap) -> Result<(), Failure> {
    for (name, known) in PROTOCOL_VERSIONS {
        if let Some(v) = headers
            .get(name)
            .filter(|v| v.as_bytes() != known.as_bytes())
        {
            return Err(Failure::new(
                code::INVALID_ARGUMENT,
                format!(
                    "unsupported {name} {:?} (supported: {known})",
                    String::from_utf8_lossy(v.as_bytes())
                ),
            ));
        }
    }
    Ok(())
}

/// The call's timeout, from the first deadline header present: at most 10 digits of
/// milliseconds (dubbo-go's bound); anything else is refused.
fn timeout_of(headers: &HeaderMap) -> Result<Option<Duration>, Failure> {
    let Some((name, value)) = TIMEOUT_HEADERS
        .iter()
        .find_map(|name| headers.get(*name).map(|v| (*name, v.as_bytes())))
    else {
        return Ok(None);
    };
    let millis = std::str::from_utf8(value)
        .ok()
        .filter(|v| !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse().ok());
    match millis {
        Some(ms) => Ok(Some(Duration::from_millis(ms))),
        None => Err(Failure::new(
            code::INVALID_ARGUMENT,
            format!(
                "malformed {name} {:?}: expected milliseconds",
                String::from_utf8_lossy(value)
            ),
        )),
    }
}

/// Runs `f`, bounded by the deadline.
async fn within<T>(
    deadline: Option<Instant>,
    f: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d, f)
            .await
            .unwrap_or_else(|_| Err(server::deadline_exceeded().into())),
        None => f.await,
    }
}

/// The whole request body, at most `limit` bytes: a declared length over the limit is
/// refused before anything is read, and reading stops at the first chunk past it. Nothing
/// is reserved for a declared length: what is kept is what arrived.
async fn read_body(
    headers: &HeaderMap,
    mut body: Incoming,
    limit: usize,
) -> Result<Bytes, Failure> {
    let too_large = |len: &dyn std::fmt::Display| {
        Failure::new(
            code::RESOURCE_EXHAUSTED,
            format!("request body of {len} bytes is larger than the limit of {limit} bytes"),
        )
        .with_http(StatusCode::PAYLOAD_TOO_LARGE)
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if let Some(len) = declared.filter(|&len| len > limit as u64) {
        discard_rest(body).await;
        return Err(too_large(&len));
    }
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut len = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|e| Failure::new(code::CANCELLED, format!("the request body broke: {e}")))?;
        if let Ok(data) = frame.into_data() {
            len += data.len();
            if len > limit {
                discard_rest(body).await;
                return Err(too_large(&format_args!("more than {limit}")));
            }
            chunks.push(data);
        }
    }
    Ok(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => {
            let mut whole = BytesMut::with_capacity(len);
            chunks.iter().for_each(|c| whole.extend_from_slice(c));
            whole.freeze()
        }
    })
}

/// Reads and drops what the body of a refused request still sends, up to [`DISCARD_BYTES`]
/// and for at most [`DISCARD_TIME`], so that a client still sending a small body sees the
/// error response rather than a stream reset (curl 7.x reports an HTTP/2 `RST_STREAM(NO_ERROR)` that
/// follows a complete response as a framing error). Nothing is kept; a larger or slower
/// body is cut off as before.
async fn discard_rest(mut body: Incoming) {
    let drain = async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                seen += data.len();
                if seen > DISCARD_BYTES {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(DISCARD_TIME, drain).await;
}

/// At most this much of a refused body is read (and dropped) before the error is answered.
const DISCARD_BYTES: usize = 64 * 1024;
/// At most this long is spent reading a refused body before the error is answered.
const DISCARD_TIME: Duration = Duration::from_millis(200);

/// An HTTP-unary error: §8's JSON body (the gRPC code, its name and the message) and the
/// HTTP status.
#[derive(Debug)]
struct Failure {
    http: StatusCode,
    code: u32,
    message: String,
}

impl Failure {
    /// An error with `code`, answered with the HTTP status of [`http_status`].
    fn new(code: u32, message: impl Into<String>) -> Failure {
        Failure {
            http: http_status(code),
            code,
            message: message.into(),
        }
    }

    /// The same error answered with another HTTP status.
    fn with_http(self, http: StatusCode) -> Failure {
        Failure { http, ..self }
    }

    fn response(self) -> Response<TripleBody> {
        let body = serde_json::json!({
            "code": code_name(self.code),
            "status": self.code,
            "message": self.message,
        });
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
        if self.http == StatusCode::METHOD_NOT_ALLOWED {
            headers.insert(ALLOW, HeaderValue::from_static("POST"));
        }
        once(self.http, headers, Bytes::from(body.to_string()))
    }
}

impl From<RpcError> for Failure {
    fn from(e: RpcError) -> Failure {
        Failure::new(status::code_of(&e), status::message_of(&e))
    }
}

/// Connect's and dubbo-go's name of a gRPC code (`invalid_argument`).
fn code_name(code: u32) -> &'static str {
    match code {
        0 => "ok",
        1 => "canceled",
        3 => "invalid_argument",
        4 => "deadline_exceeded",
        5 => "not_found",
        6 => "already_exists",
        7 => "permission_denied",
        8 => "resource_exhausted",
        9 => "failed_precondition",
        10 => "aborted",
        11 => "out_of_range",
        12 => "unimplemented",
        13 => "internal",
        14 => "unavailable",
        15 => "data_loss",
        16 => "unauthenticated",
        _ => "unknown",
    }
}

/// The HTTP status of an error with `code`, as Connect and dubbo-go map it (TRIPLE.md
/// §5.3, `tripleCodeToHTTP`).
fn http_status(code: u32) -> StatusCode {
    match code {
        1 | 4 => StatusCode::REQUEST_TIMEOUT,
        3 | 11 => StatusCode::BAD_REQUEST,
        5 | 12 => StatusCode::NOT_FOUND,
        6 | 10 => StatusCode::CONFLICT,
        7 => StatusCode::FORBIDDEN,
        8 => StatusCode::TOO_MANY_REQUESTS,
        9 => StatusCode::PRECONDITION_FAILED,
        14 => StatusCode::SERVICE_UNAVAILABLE,
        16 => StatusCode::UNAUTHORIZED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A plain-text HTTP error (not gRPC: the request was not one).
pub(crate) fn plain_error(status: StatusCode, message: &'static str) -> Response<TripleBody> {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    once(status, headers, Bytes::from_static(message.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_choose_the_format() {
        assert_eq!(format_of(b"application/json"), Some(PayloadFormat::Json));
        assert_eq!(
            format_of(b"Application/JSON; charset=utf-8"),
            Some(PayloadFormat::Json)
        );
        assert_eq!(
            format_of(b"application/proto"),
            Some(PayloadFormat::Protobuf)
        );
        for no in ["application/grpc", "text/plain", "application/jsonx", ""] {
            assert_eq!(format_of(no.as_bytes()), None, "{no}");
        }
    }

    #[test]
    fn codes_have_connect_names_and_http_statuses() {
        let all: Vec<_> = (1..=16)
            .map(|c| (code_name(c), http_status(c).as_u16()))
            .collect();
        assert_eq!(
            all,
            [
                ("canceled", 408),
                ("unknown", 500),
                ("invalid_argument", 400),
                ("deadline_exceeded", 408),
                ("not_found", 404),
                ("already_exists", 409),
                ("permission_denied", 403),
                ("resource_exhausted", 429),
                ("failed_precondition", 412),
                ("aborted", 409),
                ("out_of_range", 400),
                ("unimplemented", 404),
                ("internal", 500),
                ("unavailable", 503),
                ("data_loss", 500),
                ("unauthenticated", 401),
            ]
        );
    }

    #[test]
    fn timeouts_come_from_any_dialect_and_bad_ones_are_refused() {
        let with = |name: &'static str, value: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_static(value));
            timeout_of(&h)
        };
        assert_eq!(timeout_of(&HeaderMap::new()).unwrap(), None);
        for name in TIMEOUT_HEADERS {
            assert_eq!(
                with(name, "1500").unwrap(),
                Some(Duration::from_millis(1500))
            );
        }
        for bad in ["", "-1", "1.5", "12345678901", "5s"] {
            let e = with("connect-timeout-ms", bad).unwrap_err();
            assert_eq!(e.http, StatusCode::BAD_REQUEST, "{bad:?}");
        }
    }

    #[test]
    fn known_protocol_versions_pass_and_others_are_refused() {
        let mut h = HeaderMap::new();
        h.insert("connect-protocol-version", HeaderValue::from_static("1"));
        h.insert("tri-protocol-version", HeaderValue::from_static("1.0.0"));
        assert!(check_protocol_versions(&h).is_ok());
        h.insert("triple-protocol-version", HeaderValue::from_static("9"));
        let e = check_protocol_versions(&h).unwrap_err();
        assert_eq!((e.http, e.code), (StatusCode::BAD_REQUEST, 3));
    }
}
