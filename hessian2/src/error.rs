//! The error type of this crate.

use std::fmt;

/// What went wrong while encoding, decoding or mapping a Hessian value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input ended in the middle of a value.
    #[error("unexpected end of input at offset {offset}")]
    Eof {
        /// Byte offset where more input was needed.
        offset: usize,
    },
    /// A byte that does not start (or continue) a valid form here.
    #[error("unexpected byte 0x{byte:02x} at offset {offset}: {context}")]
    UnexpectedByte {
        /// The offending byte.
        byte: u8,
        /// Its offset.
        offset: usize,
        /// What the decoder was reading.
        context: &'static str,
    },
    /// Structurally invalid input (bad reference, bad length, bad UTF-8, …).
    #[error("invalid hessian data at offset {offset}: {message}")]
    Invalid {
        /// Byte offset where the problem was found.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// A configured limit (depth, size) was exceeded.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// A value that cannot be encoded (forward reference, empty type name, length overflow).
    #[error("cannot encode: {0}")]
    Encode(String),
    /// An I/O error from a reader or writer.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A serde mapping error (type mismatch, missing field, custom message).
    #[error("{0}")]
    Message(String),
}

impl Error {
    /// Builds an [`Error::Message`] from anything printable.
    pub fn message(msg: impl fmt::Display) -> Self {
        Error::Message(msg.to_string())
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
