//! `TripleInvoker`: calls one provider over a shared HTTP/2 connection.
//!
//! An invocation carrying an [`IdlCall`] is an IDL call (all four kinds, messages as
//! bytes); any other is a wrapper (Hessian) unary call. Unary calls send their timeout as
//! `grpc-timeout` and are bounded by it; streaming calls, like Java's, carry none.

use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::peer_span::PeerAddress;
use async_trait::async_trait;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue, TE};
use http::{Method, Request, Response};
use hyper::body::Incoming;
use oxidubbo_common::{Url, defaults, keys};
use oxidubbo_invoker::{Attachments, BaseInvoker, Invocation, Invoker, RpcError, RpcResult, Value};
use tokio_util::sync::CancellationToken;

use super::TripleState;
use super::body::{MessageReader, TripleBody};
use super::call::{CallKind, IdlCall, MessageStream, PayloadFormat};
use super::client::Connection;
use super::frame::{ACCEPTED_ENCODINGS, Encoding, GRPC_ACCEPT_ENCODING};
use super::headers::{
    TRI_CONSUMER_APPNAME, TRI_EXCEPTION_CODE, TRI_SERVICE_GROUP, TRI_SERVICE_VERSION,
    attachments_of, put_attachments, value_of,
};
use super::status::{self, GRPC_MESSAGE, GRPC_STATUS, GRPC_TIMEOUT, code};
use super::wrapper;
use crate::dubbo::codec::exception_to_error;

/// An invoker for one provider address over Triple.
pub(crate) struct TripleInvoker {
    base: BaseInvoker,
    id: u64,
    address: String,
    /// Recorded on the caller's span per call.
    peer: PeerAddress,
    /// What the protocol's connection table knows this invoker's connection by.
    pool_key: String,
    /// `https` over TLS, else `http`.
    scheme: &'static str,
    interface: String,
    /// Headers every call sends: `te`, accepted encodings, version, group, application.
    fixed: HeaderMap,
    timeout: Duration,
    payload: usize,
    connection: Arc<Connection>,
    state: Weak<TripleState>,
}

impl TripleInvoker {
    pub(crate) fn new(
        url: Arc<Url>,
        id: u64,
        (pool_key, tls): (String, bool),
        payload: usize,
        connection: Arc<Connection>,
        state: Weak<TripleState>,
    ) -> TripleInvoker {
        let mut fixed = HeaderMap::new();
        fixed.insert(TE, HeaderValue::from_static("trailers"));
        fixed.insert(
            GRPC_ACCEPT_ENCODING,
            HeaderValue::from_static(ACCEPTED_ENCODINGS),
        );
        let named = [
            (TRI_SERVICE_VERSION, url.version()),
            (TRI_SERVICE_GROUP, url.group()),
            (TRI_CONSUMER_APPNAME, url.param(keys::APPLICATION)),
        ];
        for (name, value) in named {
            if let Some(v) = value.filter(|v| !v.is_empty()).and_then(value_of) {
                fixed.insert(name, v);
            }
        }
        TripleInvoker {
            address: url.address(),
            peer: PeerAddress::of(&url),
            pool_key,
            scheme: if tls { "https" } else { "http" },
            interface: url.interface().to_owned(),
            fixed,
            timeout: url
                .duration_ms_param(keys::TIMEOUT, Duration::from_millis(defaults::TIMEOUT_MS)),
            payload,
            base: BaseInvoker::new(url),
            id,
            connection,
            state,
        }
    }

    fn request(
        &self,
        invocation: &Invocation,
        format: PayloadFormat,
        timeout: Option<Duration>,
        body: TripleBody,
    ) -> Result<Request<TripleBody>, RpcError> {
        let uri = format!(
            "{}://{}/{}/{}",
            self.scheme,
            self.address,
            self.interface,
            invocation.method_name()
        );
        let uri = http::Uri::try_from(uri).map_err(|e| {
            RpcError::Codec(format!("cannot call {}: {e}", invocation.method_name()))
        })?;
        let mut request = Request::new(body);
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        put_attachments(headers, invocation.attachments());
        headers.extend(self.fixed.clone());
        let content_type = match format {
            PayloadFormat::Protobuf => "application/grpc+proto",
            PayloadFormat::Json => "application/grpc+json",
        };
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(t) = timeout {
            headers.insert(GRPC_TIMEOUT, status::encode_timeout(t));
        }
        Ok(request)
    }

    async fn unary(
        &self,
        invocation: &Invocation,
        idl: Option<PayloadFormat>,
        timeout: Duration,
    ) -> Result<RpcResult, RpcError> {
        let message = match idl {
            Some(_) => match invocation.arguments() {
                [Value::Binary(m)] => m.clone(),
                _ => {
                    return Err(RpcError::Codec(
                        "an IDL unary call takes one Binary argument, the encoded request".into(),
                    ));
                }
            },
            None => wrapper::encode_request(
                wrapper::HESSIAN4,
                invocation.parameter_types(),
                invocation.arguments(),
            )?,
        };
        if message.len() > self.payload {
            return Err(status::status(
                code::RESOURCE_EXHAUSTED,
                format!(
                    "request of {} bytes is over the payload limit of {}",
                    message.len(),
                    self.payload
                ),
            ));
        }
        let format = idl.unwrap_or(PayloadFormat::Protobuf);
        let body = TripleBody::message(&message, None);
        let request = self.request(invocation, format, Some(timeout), body)?;
        let response = self.connection.send(request, timeout).await?;
        let (headers, mut reader) = match self.open(response)? {
            Opened::Ended => {
                return Err(status::status(
                    code::INTERNAL,
                    "the response carried no message",
                ));
            }
            Opened::Messages(opened) => *opened,
        };
        let message = reader.next().await?;
        while reader.next().await?.is_some() {}
        let trailers = reader.take_trailers().unwrap_or_default();
        check_status(&trailers)?;
        let message = message
            .ok_or_else(|| status::status(code::INTERNAL, "the response carried no message"))?;
        let mut attachments = Attachments::new();
        attachments_of(&headers, &mut attachments);
        attachments_of(&trailers, &mut attachments);
        let value = match idl {
            Some(_) => Value::Binary(message.to_vec()),
            None => {
                let value = wrapper::decode_response(&message)?;
                let exception = headers
                    .get(TRI_EXCEPTION_CODE)
                    .and_then(|v| status::parse_status(v.as_bytes()))
                    .unwrap_or(0);
                if exception != 0 {
                    let mut error = exception_to_error(&value);
                    if let Some(slot) = error.attachments_mut() {
                        *slot = attachments;
                    }
                    return Err(error);
                }
                value
            }
        };
        Ok(RpcResult { value, attachments })
    }

    async fn streaming(
        &self,
        invocation: &Invocation,
        call: &IdlCall,
    ) -> Result<RpcResult, RpcError> {
        let requests = call
            .take_requests()
            .unwrap_or_else(|| Box::pin(futures_util::stream::empty()));
        // Dropping the call before its answer, or its response stream later, cancels the
        // request body, which resets the HTTP/2 stream.
        let cancel = CancellationToken::new();
        let body = TripleBody::Stream {
            messages: requests,
            finish: None,
            cancel: Some(Box::pin(cancel.clone().cancelled_owned())),
            deadline: None,
        };
        let guard = cancel.drop_guard();
        let request = self.request(invocation, call.format(), None, body)?;
        let response = self.connection.send(request, self.timeout).await?;
        let responses: MessageStream = match self.open(response)? {
            Opened::Ended => Box::pin(futures_util::stream::empty()),
            Opened::Messages(opened) => opened.1.into_stream(move |trailers| {
                drop(guard);
                check_status(&trailers.unwrap_or_default())
            }),
        };
        call.set_responses(responses);
        Ok(RpcResult::new(Value::Null))
    }

    /// Reads a response's head: an error status (Trailers-Only, HTTP, content type) is an
    /// error; an OK Trailers-Only response has ended; else its messages follow.
    fn open(&self, response: Response<Incoming>) -> Result<Opened, RpcError> {
        let (parts, body) = response.into_parts();
        if parts.headers.contains_key(GRPC_STATUS) {
            check_status(&parts.headers)?;
            return Ok(Opened::Ended);
        }
        if parts.status != http::StatusCode::OK {
            return Err(status::error(
                status::code_of_http_status(parts.status.as_u16()),
                format!("HTTP status {} from {}", parts.status, self.address),
            ));
        }
        let grpc = parts
            .headers
            .get(CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"));
        if !grpc {
            return Err(status::error(
                code::UNKNOWN,
                format!(
                    "not a gRPC response (content-type {:?})",
                    header_text(&parts.headers, CONTENT_TYPE.as_str())
                ),
            ));
        }
        let encoding =
            Encoding::of(&parts.headers).map_err(|e| status::error(e.code(), e.to_string()))?;
        Ok(Opened::Messages(Box::new((
            parts.headers,
            MessageReader::response(body, self.payload, encoding),
        ))))
    }
}

enum Opened {
    Ended,
    Messages(Box<(HeaderMap, MessageReader)>),
}

fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .map(|v| status::decode_message(v.as_bytes()))
        .unwrap_or_default()
}

/// The call's outcome from `grpc-status`/`grpc-message` in `headers` (the trailers, or
/// the headers of a Trailers-Only response).
fn check_status(headers: &HeaderMap) -> Result<(), RpcError> {
    let Some(raw) = headers.get(GRPC_STATUS) else {
        return Err(status::error(
            code::INTERNAL,
            "the response ended without grpc-status",
        ));
    };
    match status::parse_status(raw.as_bytes()) {
        Some(code::OK) => Ok(()),
        Some(code) => Err(status::error(code, header_text(headers, GRPC_MESSAGE))),
        None => Err(status::error(
            code::INTERNAL,
            format!(
                "malformed grpc-status {:?}",
                String::from_utf8_lossy(raw.as_bytes())
            ),
        )),
    }
}

#[async_trait]
impl Invoker for TripleInvoker {
    async fn invoke(&self, invocation: Invocation) -> Result<RpcResult, RpcError> {
        if self.base.is_destroyed() {
            return Err(RpcError::Destroyed(format!(
                "the invoker of {} was destroyed",
                self.address
            )));
        }
        self.peer.record();
        let idl = invocation.attributes().get_arc::<IdlCall>();
        let result = match idl {
            Some(call) if call.kind().is_some_and(|k| k != CallKind::Unary) => {
                self.streaming(&invocation, &call).await
            }
            idl => {
                let timeout = self.base.url().map_or(self.timeout, |url| {
                    url.method_duration_ms_param(
                        invocation.method_name(),
                        keys::TIMEOUT,
                        self.timeout,
                    )
                });
                let format = idl.map(|c| c.format());
                let call = self.unary(&invocation, format, timeout);
                match tokio::time::timeout(timeout, call).await {
                    Ok(result) => result,
                    Err(_) => Err(RpcError::Timeout {
                        elapsed_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                        message: format!(
                            "waiting for {}.{} from {}",
                            self.interface,
                            invocation.method_name(),
                            self.address
                        ),
                    }),
                }
            }
        };
        match result {
            Err(e) if self.base.is_destroyed() && !e.is_business() => {
                Err(RpcError::Destroyed(format!(
                    "invoker of {} was destroyed during the call ({e})",
                    self.address
                )))
            }
            other => other,
        }
    }

    fn url(&self) -> Option<Arc<Url>> {
        self.base.url()
    }

    fn is_available(&self) -> bool {
        self.base.is_available() && self.connection.is_available()
    }

    fn is_destroyed(&self) -> bool {
        self.base.is_destroyed()
    }

    fn destroy(&self) {
        if !self.base.destroy() {
            return;
        }
        match self.state.upgrade() {
            Some(state) => state.release_invoker(self.id, &self.pool_key, &self.connection),
            None => self.connection.close(),
        }
    }
}
