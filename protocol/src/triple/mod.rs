//! The Triple protocol (`tri://`): gRPC over HTTP/2 and JSON over HTTP/1.1 on one port.
//!
//! The call contract ([`call`]) and the wire pieces: [`frame`] (gRPC framing, limits,
//! gzip), [`status`] (codes, `grpc-message`, `grpc-timeout`), [`wrapper`] (the Hessian
//! wrapper messages of interface-style services) and [`headers`] (attachments as headers).

pub mod call;
pub mod frame;
pub mod headers;
pub mod status;
pub mod wrapper;
