//! The HTTP-unary (JSON) path of TRIPLE.md §8: `POST /{service}/{method}` with a non-gRPC
//! content type, over HTTP/1.1 or HTTP/2 on the gRPC port.
//!
//! Not served yet: [`serve`] is the one hook where it will be, and answers every such
//! request with an `UNIMPLEMENTED` error in §8's union form for now.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::body::TripleBody;

/// Whether a content type goes to the HTTP-unary path: `application/json` (with or without
/// parameters) and `application/proto`.
pub(crate) fn accepts(content_type: &[u8]) -> bool {
    let essence = content_type
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    essence.eq_ignore_ascii_case(b"application/json")
        || essence.eq_ignore_ascii_case(b"application/proto")
}

/// Serves one HTTP-unary request (for now: `501`, `UNIMPLEMENTED`).
pub(crate) async fn serve(_request: Request<Incoming>) -> Response<TripleBody> {
    let body = format!(
        r#"{{"code":"unimplemented","status":12,"message":"{}"}}"#,
        "HTTP unary calls are not served yet; use gRPC (application/grpc)"
    );
    let mut response = Response::new(TripleBody::Once {
        data: Some(Bytes::from(body)),
        trailers: None,
    });
    *response.status_mut() = StatusCode::NOT_IMPLEMENTED;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A plain-text HTTP error (not gRPC: the request was not one).
pub(crate) fn plain_error(status: StatusCode, message: &'static str) -> Response<TripleBody> {
    let mut response = Response::new(TripleBody::Once {
        data: Some(Bytes::from_static(message.as_bytes())),
        trailers: None,
    });
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
