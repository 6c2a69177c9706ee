//! [`Response`]: a message (or a stream of them) and its metadata.

use oxidubbo_invoker::Attachments;

/// What a call answers: the message (a stream of messages for server-streaming calls) and
/// its metadata, which travel as the result's attachments.
#[derive(Debug, Clone, Default)]
pub struct Response<T> {
    metadata: Attachments,
    message: T,
}

impl<T> Response<T> {
    /// A response of `message` with no metadata.
    pub fn new(message: T) -> Response<T> {
        Response {
            metadata: Attachments::new(),
            message,
        }
    }

    /// A response of `message` with `metadata`.
    pub fn from_parts(metadata: Attachments, message: T) -> Response<T> {
        Response { metadata, message }
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

    /// The metadata (the result's attachments).
    pub fn metadata(&self) -> &Attachments {
        &self.metadata
    }

    /// The metadata, to change.
    pub fn metadata_mut(&mut self) -> &mut Attachments {
        &mut self.metadata
    }

    /// The same metadata with the message mapped by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            metadata: self.metadata,
            message: f(self.message),
        }
    }
}
