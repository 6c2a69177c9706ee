//! The provider side of generated code: an IDL service's calls served by the contract of
//! [`oxidubbo_protocol::triple::call`].
//!
//! A call's request messages are the invocation's `Binary` arguments when it has any (a
//! consumer's unary call reaching the service in-process), else its [`IdlCall`]'s request
//! stream (the Triple server, or an in-process streaming call). One response message is
//! answered as a `Binary` result value; a stream of them is left in the [`IdlCall`] with a
//! `Null` result. Responses are encoded in the request's [`PayloadFormat`]. A call whose
//! [`IdlCall`] declares a kind other than the method's (an HTTP-unary call of a streaming
//! method) is refused with `UNIMPLEMENTED` before the service runs.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Attachments, Invocation, RpcError, RpcResult};
use oxidubbo_protocol::triple::call::{CallKind, IdlCall, MessageStream, PayloadFormat};
use prost::Message;

use super::streaming::Encoded;
use super::{BoxStream, Code, Codec, Descriptors, Request, Response, Status, Streaming};

/// The method of `methods` that `invocation` calls: its exact name, else the name with the
/// first letter's case changed (`greet` finds `Greet`, as Dubbo Java and dubbo-go route).
///
/// # Errors
///
/// [`RpcError::NotFound`] (UNIMPLEMENTED over Triple) for any other name.
pub fn resolve_method(
    invocation: &Invocation,
    interface: &str,
    methods: &'static [&'static str],
) -> Result<&'static str, RpcError> {
    let name = invocation.method_name();
    methods
        .iter()
        .find(|m| **m == name)
        .or_else(|| methods.iter().find(|m| same_but_first_case(m, name)))
        .copied()
        .ok_or_else(|| RpcError::NotFound(format!("method {name} of {interface}")))
}

fn same_but_first_case(a: &str, b: &str) -> bool {
    let (mut a, mut b) = (a.chars(), b.chars());
    match (a.next(), b.next()) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(&y) && a.as_str() == b.as_str(),
        _ => false,
    }
}

/// Dubbo's `protobuf-json` generic call, as an IDL service serves it: a `$invoke` (or
/// `$invokeAsync`) with the attachment `generic=protobuf-json` and one argument, the
/// request message in protobuf JSON, becomes a unary call of the method it names in the
/// JSON payload format; `None` for every other call, given back unchanged.
///
/// # Errors
///
/// [`RpcError::Codec`] for a malformed call (not one JSON string argument, as Java
/// requires).
pub fn generic_protobuf_json(mut invocation: Invocation) -> Result<(Invocation, bool), RpcError> {
    let name = invocation.method_name();
    let generic = invocation
        .attachments()
        .get_str(oxidubbo_common::keys::GENERIC)
        .is_some_and(|g| g.trim().eq_ignore_ascii_case("protobuf-json"));
    if !(generic && (name == "$invoke" || name == "$invokeAsync")) {
        return Ok((invocation, false));
    }
    let refused = |why: &str| RpcError::Codec(format!("protobuf-json generic call refused: {why}"));
    let mut args = invocation.take_arguments().into_iter();
    let (Some(Value::String(method)), Some(_types), Some(Value::List(values)), None) =
        (args.next(), args.next(), args.next(), args.next())
    else {
        return Err(refused(
            "expected (String method, String[] parameterTypes, Object[] args)",
        ));
    };
    let [Value::String(json)] = <[Value; 1]>::try_from(values.items).map_err(|v| {
        refused(&format!(
            "{} arguments, where one JSON string is expected",
            v.len()
        ))
    })?
    else {
        return Err(refused("the argument is not a JSON string"));
    };
    let mut call = Invocation::new(
        method.into_string(),
        "",
        vec![Value::Binary(json.into_string().into_bytes())],
    );
    *call.attachments_mut() = std::mem::take(invocation.attachments_mut());
    if let Some(url) = invocation.url() {
        call.set_url(Arc::clone(url));
    }
    call.attributes_mut()
        .insert_arc(Arc::new(IdlCall::unary(PayloadFormat::Json)));
    Ok((call, true))
}

/// The answer to a [`generic_protobuf_json`] call: the response message's JSON as a
/// string (other outcomes unchanged).
pub fn generic_protobuf_json_result(
    generic: bool,
    outcome: Result<RpcResult, RpcError>,
) -> Result<RpcResult, RpcError> {
    let mut result = outcome?;
    if generic {
        if let Value::Binary(bytes) = std::mem::take(&mut result.value) {
            let json = String::from_utf8(bytes)
                .map_err(|e| RpcError::Codec(format!("the response JSON is not UTF-8: {e}")))?;
            result.value = Value::from(json);
        }
    }
    Ok(result)
}

/// A call being served: its codec, metadata, request messages and [`IdlCall`].
struct Served {
    codec: Codec,
    metadata: Attachments,
    requests: Option<MessageStream>,
    call: Option<Arc<IdlCall>>,
}

fn kind_name(kind: CallKind) -> &'static str {
    match kind {
        CallKind::Unary => "unary",
        CallKind::ServerStream => "server-streaming",
        CallKind::ClientStream => "client-streaming",
        CallKind::BiStream => "bidirectional-streaming",
    }
}

impl Served {
    /// A call of a method of `kind`.
    fn new(
        mut invocation: Invocation,
        descriptors: &'static Descriptors,
        kind: CallKind,
    ) -> Result<Served, Status> {
        let call = invocation.attributes().get_arc::<IdlCall>();
        if let Some(declared) = call.as_ref().and_then(|c| c.kind()).filter(|k| *k != kind) {
            return Err(Status::unimplemented(format!(
                "{} is a {} method, called as a {} one",
                invocation.method_name(),
                kind_name(kind),
                kind_name(declared)
            )));
        }
        let format = call
            .as_ref()
            .map_or(PayloadFormat::Protobuf, |c| c.format());
        let arguments = invocation.take_arguments();
        let requests = if arguments.is_empty() {
            call.as_ref().and_then(|c| c.take_requests())
        } else {
            Some(arguments_as_messages(arguments))
        };
        Ok(Served {
            codec: Codec::new(format, descriptors),
            metadata: std::mem::take(invocation.attachments_mut()),
            requests,
            call,
        })
    }

    /// The request messages (of protobuf type `name`), decoded as they arrive.
    fn stream<Req>(&mut self, name: &'static str) -> Result<Request<Streaming<Req>>, Status> {
        let requests = self
            .requests
            .take()
            .ok_or_else(|| Status::internal("the call carries no request messages"))?;
        let metadata = std::mem::take(&mut self.metadata);
        let messages = Streaming::new(requests, self.codec, name, Code::InvalidArgument);
        Ok(Request::from_parts(metadata, messages))
    }

    /// The one request message (the first: a trailing message, such as the empty one some
    /// clients send, is ignored).
    async fn single<Req: Message + Default>(
        &mut self,
        name: &'static str,
    ) -> Result<Request<Req>, Status> {
        let (metadata, mut messages) = self.stream::<Req>(name)?.into_parts();
        match messages.message().await? {
            Some(message) => Ok(Request::from_parts(metadata, message)),
            None => Err(Status::invalid_argument(format!(
                "missing request message {name}"
            ))),
        }
    }

    /// The [`IdlCall`] a stream of responses is left in.
    fn streaming_call(&self) -> Result<Arc<IdlCall>, Status> {
        self.call.clone().ok_or_else(|| {
            Status::internal("a streaming method needs the call's IdlCall to answer a stream")
        })
    }

    fn answer_one<Resp: Message>(
        &self,
        response: Response<Resp>,
        name: &'static str,
    ) -> Result<RpcResult, RpcError> {
        let (attachments, message) = response.into_parts();
        let bytes = self.codec.encode(&message, name)?;
        Ok(RpcResult {
            value: Value::Binary(bytes),
            attachments,
        })
    }

    fn answer_stream<Resp: Message + 'static>(
        &self,
        call: &IdlCall,
        response: Response<BoxStream<Resp>>,
        name: &'static str,
    ) -> RpcResult {
        let (attachments, messages) = response.into_parts();
        call.set_responses(Encoded::boxed(messages, self.codec, name));
        RpcResult {
            value: Value::Null,
            attachments,
        }
    }
}

/// Each `Binary` argument as one message.
fn arguments_as_messages(arguments: Vec<Value>) -> MessageStream {
    let messages = arguments.into_iter().enumerate().map(|(i, v)| match v {
        Value::Binary(bytes) => Ok(Bytes::from(bytes)),
        _ => Err(RpcError::Codec(format!(
            "argument {i} is not an encoded message (a Binary value)"
        ))),
    });
    Box::pin(futures_util::stream::iter(messages.collect::<Vec<_>>()))
}

/// Serves a unary call with `service`: one request message of type `names[0]`, one
/// response of type `names[1]`.
///
/// # Errors
///
/// The service's status as [`RpcError::Grpc`]; INVALID_ARGUMENT when the request does not
/// decode.
pub async fn unary<Req, Resp, F, Fut>(
    invocation: Invocation,
    descriptors: &'static Descriptors,
    names: [&'static str; 2],
    service: F,
) -> Result<RpcResult, RpcError>
where
    Req: Message + Default,
    Resp: Message,
    F: FnOnce(Request<Req>) -> Fut,
    Fut: Future<Output = Result<Response<Resp>, Status>>,
{
    let mut served = Served::new(invocation, descriptors, CallKind::Unary)?;
    let request = served.single(names[0]).await?;
    let response = service(request).await?;
    served.answer_one(response, names[1])
}

/// Serves a server-streaming call with `service`: one request message, a stream of
/// responses left in the call's [`IdlCall`].
///
/// # Errors
///
/// As [`unary`]; INTERNAL when the invocation carries no [`IdlCall`] to answer in.
pub async fn server_streaming<Req, Resp, F, Fut>(
    invocation: Invocation,
    descriptors: &'static Descriptors,
    names: [&'static str; 2],
    service: F,
) -> Result<RpcResult, RpcError>
where
    Req: Message + Default,
    Resp: Message + 'static,
    F: FnOnce(Request<Req>) -> Fut,
    Fut: Future<Output = Result<Response<BoxStream<Resp>>, Status>>,
{
    let mut served = Served::new(invocation, descriptors, CallKind::ServerStream)?;
    let call = served.streaming_call()?;
    let request = served.single(names[0]).await?;
    let response = service(request).await?;
    Ok(served.answer_stream(&call, response, names[1]))
}

/// Serves a client-streaming call with `service`: the request messages as a stream, one
/// response.
///
/// # Errors
///
/// As [`unary`].
pub async fn client_streaming<Req, Resp, F, Fut>(
    invocation: Invocation,
    descriptors: &'static Descriptors,
    names: [&'static str; 2],
    service: F,
) -> Result<RpcResult, RpcError>
where
    Req: Message + Default,
    Resp: Message,
    F: FnOnce(Request<Streaming<Req>>) -> Fut,
    Fut: Future<Output = Result<Response<Resp>, Status>>,
{
    let mut served = Served::new(invocation, descriptors, CallKind::ClientStream)?;
    let request = served.stream(names[0])?;
    let response = service(request).await?;
    served.answer_one(response, names[1])
}

/// Serves a bidirectional call with `service`: the request messages as a stream, a
/// stream of responses left in the call's [`IdlCall`].
///
/// # Errors
///
/// As [`server_streaming`].
pub async fn streaming<Req, Resp, F, Fut>(
    invocation: Invocation,
    descriptors: &'static Descriptors,
    names: [&'static str; 2],
    service: F,
) -> Result<RpcResult, RpcError>
where
    Req: Message + Default,
    Resp: Message + 'static,
    F: FnOnce(Request<Streaming<Req>>) -> Fut,
    Fut: Future<Output = Result<Response<BoxStream<Resp>>, Status>>,
{
    let mut served = Served::new(invocation, descriptors, CallKind::BiStream)?;
    let call = served.streaming_call()?;
    let request = served.stream(names[0])?;
    let response = service(request).await?;
    Ok(served.answer_stream(&call, response, names[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_resolve_exactly_then_by_first_letter_case() {
        const METHODS: &[&str] = &["Greet", "GreetStream", "greet"];
        let resolve = |name: &'static str| {
            resolve_method(
                &Invocation::new(name, "", vec![]),
                "greet.GreetService",
                METHODS,
            )
        };
        assert_eq!(resolve("Greet"), Ok("Greet"));
        assert_eq!(resolve("greet"), Ok("greet"));
        assert_eq!(resolve("greetStream"), Ok("GreetStream"));
        assert_eq!(resolve("GREETSTREAM").ok(), None);
        assert_eq!(resolve("").ok(), None);
        assert_eq!(
            resolve("ǅx").ok(),
            None,
            "non-ASCII first letters do not panic"
        );
        let err = resolve("Nope").unwrap_err();
        assert_eq!(err.grpc_code(), 12, "{err}");
        assert!(
            err.to_string().contains("Nope of greet.GreetService"),
            "{err}"
        );
    }
}
