//! The consumer side of generated code: IDL calls made over any invoker by the contract of
//! [`oxidubbo_protocol::triple::call`].
//!
//! A unary call's request is the invocation's one `Binary` argument, with an
//! [`IdlCall::unary`] attribute; the streaming kinds send an [`IdlCall::streaming`]
//! request stream and no arguments. The response is the result's `Binary` value (one
//! message: an in-process provider answers unary and client-streaming calls so), else the
//! stream the invoker left in the [`IdlCall`].

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Attachments, Invocation, Invoker, RpcResult};
use oxidubbo_protocol::triple::call::{CallKind, IdlCall, MessageStream, PayloadFormat};
use prost::Message;

use super::streaming::Encoded;
use super::{Code, Codec, Descriptors, Request, Response, Status, Streaming};

/// What a generated client calls through: an invoker, the payload format and the
/// package's descriptors.
#[derive(Clone)]
pub struct IdlClient {
    invoker: Arc<dyn Invoker>,
    codec: Codec,
}

impl IdlClient {
    /// A client calling through `invoker` in protobuf binary.
    pub fn new(invoker: Arc<dyn Invoker>, descriptors: &'static Descriptors) -> IdlClient {
        IdlClient {
            invoker,
            codec: Codec::new(PayloadFormat::Protobuf, descriptors),
        }
    }

    /// The same client sending (and asking for) messages in `format`.
    pub fn with_format(self, format: PayloadFormat) -> IdlClient {
        IdlClient {
            codec: Codec::new(format, self.codec.descriptors()),
            ..self
        }
    }

    /// The payload format of the calls.
    pub fn format(&self) -> PayloadFormat {
        self.codec.format()
    }

    /// The invoker the calls go through.
    pub fn invoker(&self) -> &Arc<dyn Invoker> {
        &self.invoker
    }

    /// A unary call of `method`: request type `names[0]`, response type `names[1]`.
    ///
    /// # Errors
    ///
    /// The status the call failed with; INTERNAL when the response does not decode.
    pub async fn unary<Req: Message, Resp: Message + Default>(
        &self,
        method: &'static str,
        request: Request<Req>,
        names: [&'static str; 2],
    ) -> Result<Response<Resp>, Status> {
        let (metadata, message) = request.into_parts();
        let bytes = self.codec.encode(&message, names[0])?;
        let call = Arc::new(IdlCall::unary(self.codec.format()));
        let result = self
            .invoke(method, vec![Value::Binary(bytes)], &call, metadata)
            .await?;
        self.one(method, result, &call, names[1]).await
    }

    /// A server-streaming call of `method`.
    ///
    /// # Errors
    ///
    /// The status the call failed with before its responses began; later failures end
    /// the [`Streaming`].
    pub async fn server_streaming<Req: Message, Resp: Message + Default>(
        &self,
        method: &'static str,
        request: Request<Req>,
        names: [&'static str; 2],
    ) -> Result<Response<Streaming<Resp>>, Status> {
        let (metadata, message) = request.into_parts();
        let bytes = Bytes::from(self.codec.encode(&message, names[0])?);
        let requests: MessageStream = Box::pin(futures_util::stream::iter([Ok(bytes)]));
        let call = Arc::new(IdlCall::streaming(
            CallKind::ServerStream,
            self.codec.format(),
            requests,
        ));
        let result = self.invoke(method, Vec::new(), &call, metadata).await?;
        self.many(method, result, &call, names[1])
    }

    /// A client-streaming call of `method`, sending the messages of `request`'s stream.
    ///
    /// # Errors
    ///
    /// As [`IdlClient::unary`].
    pub async fn client_streaming<S, Resp>(
        &self,
        method: &'static str,
        request: Request<S>,
        names: [&'static str; 2],
    ) -> Result<Response<Resp>, Status>
    where
        S: Stream + Send + 'static,
        S::Item: Message + 'static,
        Resp: Message + Default,
    {
        let (metadata, call) = self.streaming_call(CallKind::ClientStream, request, names[0]);
        let result = self.invoke(method, Vec::new(), &call, metadata).await?;
        self.one(method, result, &call, names[1]).await
    }

    /// A bidirectional call of `method`, sending the messages of `request`'s stream.
    ///
    /// # Errors
    ///
    /// As [`IdlClient::server_streaming`].
    pub async fn streaming<S, Resp>(
        &self,
        method: &'static str,
        request: Request<S>,
        names: [&'static str; 2],
    ) -> Result<Response<Streaming<Resp>>, Status>
    where
        S: Stream + Send + 'static,
        S::Item: Message + 'static,
        Resp: Message + Default,
    {
        let (metadata, call) = self.streaming_call(CallKind::BiStream, request, names[0]);
        let result = self.invoke(method, Vec::new(), &call, metadata).await?;
        self.many(method, result, &call, names[1])
    }

    fn streaming_call<S>(
        &self,
        kind: CallKind,
        request: Request<S>,
        name: &'static str,
    ) -> (Attachments, Arc<IdlCall>)
    where
        S: Stream + Send + 'static,
        S::Item: Message + 'static,
    {
        let (metadata, messages) = request.into_parts();
        let requests = Encoded::boxed(Box::pin(messages.map(Ok)), self.codec, name);
        let call = IdlCall::streaming(kind, self.codec.format(), requests);
        (metadata, Arc::new(call))
    }

    async fn invoke(
        &self,
        method: &'static str,
        arguments: Vec<Value>,
        call: &Arc<IdlCall>,
        metadata: Attachments,
    ) -> Result<RpcResult, Status> {
        let mut invocation = Invocation::new(method, "", arguments);
        *invocation.attachments_mut() = metadata;
        invocation.attributes_mut().insert_arc(Arc::clone(call));
        Ok(self.invoker.invoke(invocation).await?)
    }

    /// The one response message: the result's `Binary` value, else the first message of
    /// the stream left in `call`.
    async fn one<Resp: Message + Default>(
        &self,
        method: &str,
        result: RpcResult,
        call: &IdlCall,
        name: &'static str,
    ) -> Result<Response<Resp>, Status> {
        let RpcResult { value, attachments } = result;
        let message = match value {
            Value::Binary(bytes) => self.codec.decode(&bytes, name)?,
            _ => {
                let mut messages: Streaming<Resp> =
                    Streaming::new(responses(method, call)?, self.codec, name, Code::Internal);
                messages
                    .message()
                    .await?
                    .ok_or_else(|| no_message(method))?
            }
        };
        Ok(Response::from_parts(attachments, message))
    }

    /// The response messages: the result's `Binary` value as the one message, else the
    /// stream left in `call`.
    fn many<Resp>(
        &self,
        method: &str,
        result: RpcResult,
        call: &IdlCall,
        name: &'static str,
    ) -> Result<Response<Streaming<Resp>>, Status> {
        let RpcResult { value, attachments } = result;
        let messages: MessageStream = match value {
            Value::Binary(bytes) => Box::pin(futures_util::stream::iter([Ok(Bytes::from(bytes))])),
            _ => responses(method, call)?,
        };
        let messages = Streaming::new(messages, self.codec, name, Code::Internal);
        Ok(Response::from_parts(attachments, messages))
    }
}

fn responses(method: &str, call: &IdlCall) -> Result<MessageStream, Status> {
    call.take_responses().ok_or_else(|| no_message(method))
}

fn no_message(method: &str) -> Status {
    Status::internal(format!("{method}: the provider answered no message"))
}

impl fmt::Debug for IdlClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdlClient")
            .field("format", &self.codec.format())
            .finish_non_exhaustive()
    }
}
