//! What an IDL (protobuf) call hands between the Triple transport and the code that makes or
//! serves it: the call's kind, its payload format and its message streams.
//!
//! Triple's unary calls of interface-style services (Hessian arguments in
//! `TripleRequestWrapper`) travel as ordinary [`Invocation`]s and need none of this. IDL
//! calls carry an [`IdlCall`] in the invocation's [`Attributes`](oxidubbo_invoker::Attributes):
//!
//! * **consumer**: generated client code puts an [`IdlCall`] on the invocation. For a
//!   unary call the request message is the invocation's single argument, a
//!   [`Value::Binary`](oxidubbo_hessian2::Value::Binary) of the encoded message, and the
//!   response comes back the same way as the result's value — so filters and cluster
//!   strategies (failover retries included) work on it as on any call. For the three
//!   streaming kinds the request messages are [`IdlCall::take_requests`]'s stream; the
//!   Triple invoker sends them, leaves the response stream with
//!   [`IdlCall::set_responses`] once the response headers arrived, and returns a `Null`
//!   result; the caller, who kept the `Arc<IdlCall>`, takes it with
//!   [`IdlCall::take_responses`].
//! * **provider**: the Triple server does not know a method's kind. For a service exported
//!   with `serialization=protobuf` it makes an invocation of the method with no arguments
//!   and an [`IdlCall`] whose request stream yields every message the peer sends (one, for
//!   unary and server-stream calls); the generated service adapter reads what its method
//!   needs and answers either with a `Binary` result value (one message) or by leaving a
//!   response stream with [`IdlCall::set_responses`] (and a `Null` result). An HTTP-unary
//!   call (`application/json`, TRIPLE.md §8) is a unary call by definition: the server
//!   makes it as a consumer's unary call is made — the body as the one `Binary` argument,
//!   an [`IdlCall::unary`] of [`PayloadFormat::Json`] — and refuses a method that answers
//!   a stream.
//!
//! Messages are the encoded bytes in the call's [`PayloadFormat`]: protobuf binary, or
//! protobuf JSON (HTTP unary calls and `application/grpc+json`).

use std::fmt;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use futures_core::Stream;
use oxidubbo_invoker::RpcError;

/// The messages of one direction of a call, each encoded; an error ends the stream.
pub type MessageStream = Pin<Box<dyn Stream<Item = Result<Bytes, RpcError>> + Send>>;

/// The four gRPC call kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// One request, one response.
    Unary,
    /// One request, a stream of responses.
    ServerStream,
    /// A stream of requests, one response.
    ClientStream,
    /// Streams both ways.
    BiStream,
}

impl CallKind {
    /// Whether the client sends a stream of messages.
    pub fn client_streams(self) -> bool {
        matches!(self, CallKind::ClientStream | CallKind::BiStream)
    }

    /// Whether the server answers with a stream of messages.
    pub fn server_streams(self) -> bool {
        matches!(self, CallKind::ServerStream | CallKind::BiStream)
    }
}

/// How the messages of an IDL call are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadFormat {
    /// Protobuf binary (`application/grpc`, `application/grpc+proto`, `application/proto`).
    Protobuf,
    /// The protobuf JSON mapping (`application/json`, `application/grpc+json`).
    Json,
}

/// An IDL call in flight, carried in an invocation's attributes (see the module doc).
pub struct IdlCall {
    kind: Option<CallKind>,
    format: PayloadFormat,
    requests: Mutex<Option<MessageStream>>,
    responses: Mutex<Option<MessageStream>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl IdlCall {
    /// A unary call — a consumer's, or an HTTP-unary one the Triple server serves: the
    /// request is the invocation's `Binary` argument.
    pub fn unary(format: PayloadFormat) -> Self {
        IdlCall {
            kind: Some(CallKind::Unary),
            format,
            requests: Mutex::new(None),
            responses: Mutex::new(None),
        }
    }

    /// A consumer's streaming call of `kind` sending `requests` (one message for a
    /// server-stream call).
    pub fn streaming(kind: CallKind, format: PayloadFormat, requests: MessageStream) -> Self {
        IdlCall {
            kind: Some(kind),
            format,
            requests: Mutex::new(Some(requests)),
            responses: Mutex::new(None),
        }
    }

    /// A provider's view of a call: the kind is the service's to know, `requests` yields
    /// every message the peer sent.
    pub fn served(format: PayloadFormat, requests: MessageStream) -> Self {
        IdlCall {
            kind: None,
            format,
            requests: Mutex::new(Some(requests)),
            responses: Mutex::new(None),
        }
    }

    /// The call's kind, as the consumer declared it (`None` on the provider's side).
    pub fn kind(&self) -> Option<CallKind> {
        self.kind
    }

    /// The payload format of every message of the call.
    pub fn format(&self) -> PayloadFormat {
        self.format
    }

    /// Takes the request stream (once; `None` afterwards or for a consumer's unary call).
    pub fn take_requests(&self) -> Option<MessageStream> {
        lock(&self.requests).take()
    }

    /// Leaves the response stream for whoever made the call.
    pub fn set_responses(&self, responses: MessageStream) {
        *lock(&self.responses) = Some(responses);
    }

    /// Takes the response stream (once).
    pub fn take_responses(&self) -> Option<MessageStream> {
        lock(&self.responses).take()
    }
}

impl fmt::Debug for IdlCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdlCall")
            .field("kind", &self.kind)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}
