//! The Triple protocol (`tri://`): gRPC over HTTP/2 and JSON over HTTP/1.1 on one port.
//!
//! Only the call contract ([`call`]) exists so far; the server, client and
//! `TripleProtocol` follow.

pub mod call;
