//! [`Request`]: a message (or a stream of them) and its metadata, and the conversions
//! generated clients accept.

use futures_core::Stream;
use oxidubbo_invoker::Attachments;

/// What a call sends: the message (a stream of messages for client-streaming calls) and
/// its metadata, which travel as the invocation's attachments (Triple headers).
#[derive(Debug, Clone, Default)]
pub struct Request<T> {
    metadata: Attachments,
    message: T,
}

impl<T> Request<T> {
    /// A request of `message` with no metadata.
    pub fn new(message: T) -> Request<T> {
        Request {
            metadata: Attachments::new(),
            message,
        }
    }

    /// A request of `message` with `metadata`.
    pub fn from_parts(metadata: Attachments, message: T) -> Request<T> {
        Request { metadata, message }
    }

    /// The metadata and the message.
    pub fn into_parts(self) -> (Attachments, T) {
        (self.metadata, self.message)
    }

    /// The message.
    pub fn get_ref(&self) -> &T {
        &self.message
    }

    /// The message, to change.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.message
    }

    /// The message, without the metadata.
    pub fn into_inner(self) -> T {
        self.message
    }

    /// The metadata (the invocation's attachments).
    pub fn metadata(&self) -> &Attachments {
        &self.metadata
    }

    /// The metadata, to change.
    pub fn metadata_mut(&mut self) -> &mut Attachments {
        &mut self.metadata
    }

    /// The same metadata with the message mapped by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Request<U> {
        Request {
            metadata: self.metadata,
            message: f(self.message),
        }
    }
}

/// What a generated client's unary and server-streaming methods accept: a message, or a
/// [`Request`] of one (to send metadata).
pub trait IntoRequest<T>: sealed::Sealed {
    /// The request.
    fn into_request(self) -> Request<T>;
}

impl<T> IntoRequest<T> for T {
    fn into_request(self) -> Request<T> {
        Request::new(self)
    }
}

impl<T> IntoRequest<T> for Request<T> {
    fn into_request(self) -> Request<T> {
        self
    }
}

/// What a generated client's client-streaming and bidirectional methods accept: a stream
/// of messages, or a [`Request`] of one (to send metadata).
pub trait IntoStreamingRequest: sealed::Sealed {
    /// The stream of messages.
    type Stream: Stream<Item = Self::Message> + Send + 'static;
    /// The message type.
    type Message;

    /// The request.
    fn into_streaming_request(self) -> Request<Self::Stream>;
}

impl<S> IntoStreamingRequest for S
where
    S: Stream + Send + 'static,
{
    type Stream = S;
    type Message = S::Item;

    fn into_streaming_request(self) -> Request<S> {
        Request::new(self)
    }
}

impl<S> IntoStreamingRequest for Request<S>
where
    S: Stream + Send + 'static,
{
    type Stream = S;
    type Message = S::Item;

    fn into_streaming_request(self) -> Request<S> {
        self
    }
}

mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for T {}
}
