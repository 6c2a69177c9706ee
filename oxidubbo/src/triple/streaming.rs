//! [`Streaming`]: a stream of messages decoded as they arrive, and [`BoxStream`], the
//! stream a service answers with.

use std::fmt;
use std::future::poll_fn;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use oxidubbo_invoker::RpcError;
use oxidubbo_protocol::triple::call::MessageStream;
use prost::Message;

use super::{Code, Codec, Status};

/// A stream of messages a service answers with (server-streaming and bidirectional
/// calls). An `Err` ends the call with that status, after the messages before it.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The messages of one direction of a streaming call, decoded as they arrive: the request
/// stream a service reads, the response stream a client reads.
///
/// It yields `Ok(message)` for each message, then ends; or ends with one `Err` (the
/// status the peer ended the call with, or a message that could not be decoded).
pub struct Streaming<T> {
    messages: Option<MessageStream>,
    codec: Codec,
    name: &'static str,
    decode_error: Code,
    _message: PhantomData<fn() -> T>,
}

impl<T> Streaming<T> {
    /// Decodes `messages` (of protobuf type `name`) with `codec`; a message that does not
    /// decode ends the stream with a status of `decode_error`.
    pub(crate) fn new(
        messages: MessageStream,
        codec: Codec,
        name: &'static str,
        decode_error: Code,
    ) -> Streaming<T> {
        Streaming {
            messages: Some(messages),
            codec,
            name,
            decode_error,
            _message: PhantomData,
        }
    }
}

impl<T: Message + Default> Streaming<T> {
    /// The next message, `None` once the stream ended.
    ///
    /// # Errors
    ///
    /// The status that ended the stream (returned once; `None` follows).
    pub async fn message(&mut self) -> Result<Option<T>, Status> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }

    fn decode(&self, bytes: &Bytes) -> Result<T, Status> {
        self.codec
            .decode(bytes, self.name)
            .map_err(|s| Status::new(self.decode_error, s.message()))
    }
}

impl<T: Message + Default> Stream for Streaming<T> {
    type Item = Result<T, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(messages) = self.messages.as_mut() else {
            return Poll::Ready(None);
        };
        let item = match messages.as_mut().poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => None,
            Poll::Ready(Some(Ok(bytes))) => Some(self.decode(&bytes)),
            Poll::Ready(Some(Err(e))) => Some(Err(Status::from(e))),
        };
        if !matches!(item, Some(Ok(_))) {
            self.messages = None;
        }
        Poll::Ready(item)
    }
}

impl<T> fmt::Debug for Streaming<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Streaming")
            .field("message", &self.name)
            .field("format", &self.codec.format())
            .field("ended", &self.messages.is_none())
            .finish()
    }
}

/// Messages encoded as they are pulled; the first `Err` (a status, or a message that does
/// not encode) ends the stream.
pub(crate) struct Encoded<T> {
    messages: Option<BoxStream<T>>,
    codec: Codec,
    name: &'static str,
}

impl<T: Message + 'static> Encoded<T> {
    /// `messages` (of protobuf type `name`) encoded with `codec`, as a [`MessageStream`].
    pub(crate) fn boxed(messages: BoxStream<T>, codec: Codec, name: &'static str) -> MessageStream {
        Box::pin(Encoded {
            messages: Some(messages),
            codec,
            name,
        })
    }
}

impl<T: Message> Stream for Encoded<T> {
    type Item = Result<Bytes, RpcError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(messages) = self.messages.as_mut() else {
            return Poll::Ready(None);
        };
        let item = match messages.as_mut().poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => None,
            Poll::Ready(Some(Ok(message))) => Some(
                self.codec
                    .encode(&message, self.name)
                    .map(Bytes::from)
                    .map_err(RpcError::from),
            ),
            Poll::Ready(Some(Err(status))) => Some(Err(RpcError::from(status))),
        };
        if !matches!(item, Some(Ok(_))) {
            self.messages = None;
        }
        Poll::Ready(item)
    }
}
