//! The bodies Triple sends (one message, or a stream of them, then trailers on the server)
//! and the reader of the messages it receives.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use oxidubbo_invoker::RpcError;
use tokio_util::sync::WaitForCancellationFutureOwned;

use super::call::MessageStream;
use super::frame::{self, Encoding, FrameDecoder};
use super::status::{self, code};

/// Builds the trailers that end a server's stream, from how the stream ended.
pub(crate) type Finish = Box<dyn FnOnce(Result<(), RpcError>) -> HeaderMap + Send>;

/// A body of gRPC messages.
pub(crate) enum TripleBody {
    /// Nothing (a Trailers-Only response).
    Empty,
    /// One frame, then optional trailers.
    Once {
        data: Option<Bytes>,
        trailers: Option<HeaderMap>,
    },
    /// The messages of a stream, each framed; `finish` (server side) makes the trailers,
    /// and the stream is cut (its error makes hyper reset it) when `cancel` fires or the
    /// deadline passes.
    Stream {
        messages: MessageStream,
        finish: Option<Finish>,
        cancel: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
        deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    },
}

/// The error a body ends with (hyper then resets the stream).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct BodyError(String);

impl TripleBody {
    /// One framed message.
    pub(crate) fn message(message: &[u8], trailers: Option<HeaderMap>) -> Self {
        TripleBody::Once {
            data: Some(frame::encode(message)),
            trailers,
        }
    }

    /// Only trailers.
    pub(crate) fn trailers(trailers: HeaderMap) -> Self {
        TripleBody::Once {
            data: None,
            trailers: Some(trailers),
        }
    }
}

impl Body for TripleBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        match this {
            TripleBody::Empty => Poll::Ready(None),
            TripleBody::Once { data, trailers } => {
                if let Some(data) = data.take() {
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Poll::Ready(trailers.take().map(|t| Ok(Frame::trailers(t))))
            }
            TripleBody::Stream {
                messages,
                finish,
                cancel,
                deadline,
            } => {
                let end = |finish: &mut Option<Finish>, outcome| match finish.take() {
                    Some(f) => Poll::Ready(Some(Ok(Frame::trailers(f(outcome))))),
                    None => match outcome {
                        Ok(()) => Poll::Ready(None),
                        Err(e) => Poll::Ready(Some(Err(BodyError(e.to_string())))),
                    },
                };
                if cancel
                    .as_mut()
                    .is_some_and(|c| c.as_mut().poll(cx).is_ready())
                {
                    *cancel = None;
                    *messages = Box::pin(futures_util::stream::empty());
                    return Poll::Ready(Some(Err(BodyError("call cancelled".into()))));
                }
                if deadline
                    .as_mut()
                    .is_some_and(|d| d.as_mut().poll(cx).is_ready())
                {
                    *deadline = None;
                    *messages = Box::pin(futures_util::stream::empty());
                    let late = status::status(code::DEADLINE_EXCEEDED, "deadline exceeded");
                    return end(finish, Err(late));
                }
                match messages.as_mut().poll_next(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Some(Ok(m))) => {
                        Poll::Ready(Some(Ok(Frame::data(frame::encode(&m)))))
                    }
                    Poll::Ready(Some(Err(e))) => {
                        *messages = Box::pin(futures_util::stream::empty());
                        end(finish, Err(e))
                    }
                    Poll::Ready(None) => end(finish, Ok(())),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            TripleBody::Empty => true,
            TripleBody::Once { data, trailers } => data.is_none() && trailers.is_none(),
            TripleBody::Stream { .. } => false,
        }
    }
}

/// Reads the messages of a received body, then its trailers.
pub(crate) struct MessageReader {
    body: Incoming,
    decoder: FrameDecoder,
    trailers: Option<HeaderMap>,
    ended: bool,
    /// The gRPC status of a body that breaks off: the server's reader sees a client that
    /// went away (CANCELLED), the client's a server or connection lost (UNAVAILABLE, which
    /// gRPC clients may retry).
    broken: u32,
}

impl MessageReader {
    /// A reader of a request's body (the server's side).
    pub(crate) fn request(body: Incoming, limit: usize, encoding: Encoding) -> Self {
        Self::new(body, limit, encoding, code::CANCELLED)
    }

    /// A reader of a response's body (the client's side).
    pub(crate) fn response(body: Incoming, limit: usize, encoding: Encoding) -> Self {
        Self::new(body, limit, encoding, code::UNAVAILABLE)
    }

    fn new(body: Incoming, limit: usize, encoding: Encoding, broken: u32) -> Self {
        MessageReader {
            body,
            decoder: FrameDecoder::new(limit, encoding),
            trailers: None,
            ended: false,
            broken,
        }
    }

    /// The next message; `None` at the end of the body.
    pub(crate) async fn next(&mut self) -> Result<Option<Bytes>, RpcError> {
        let framing = |e: frame::FrameError| status::status(e.code(), e.to_string());
        loop {
            if let Some(m) = self.decoder.next_message().map_err(framing)? {
                return Ok(Some(m));
            }
            if self.ended {
                self.decoder.finish().map_err(framing)?;
                return Ok(None);
            }
            match self.body.frame().await {
                None => self.ended = true,
                Some(Err(e)) => {
                    self.ended = true;
                    return Err(status::status(
                        self.broken,
                        format!("the stream broke: {e}"),
                    ));
                }
                Some(Ok(f)) => match f.into_data() {
                    Ok(data) => self.decoder.push(data).map_err(framing)?,
                    Err(f) => {
                        if let Ok(t) = f.into_trailers() {
                            self.trailers = Some(t);
                        }
                        self.ended = true;
                    }
                },
            }
        }
    }

    /// The trailers, once the body ended (`None` if it had none).
    pub(crate) fn take_trailers(&mut self) -> Option<HeaderMap> {
        self.trailers.take()
    }

    /// The messages as a stream; `on_end` (given the trailers) may end it with an error.
    pub(crate) fn into_stream(
        self,
        on_end: impl FnOnce(Option<HeaderMap>) -> Result<(), RpcError> + Send + 'static,
    ) -> MessageStream {
        Box::pin(futures_util::stream::unfold(
            Some((self, Some(on_end))),
            |state| async move {
                let (mut reader, mut on_end) = state?;
                match reader.next().await {
                    Ok(Some(m)) => Some((Ok(m), Some((reader, on_end)))),
                    Ok(None) => {
                        let end = on_end.take()?;
                        match end(reader.take_trailers()) {
                            Ok(()) => None,
                            Err(e) => Some((Err(e), None)),
                        }
                    }
                    Err(e) => Some((Err(e), None)),
                }
            },
        ))
    }
}
