//! gRPC message framing (TRIPLE.md §3): a flag byte, a 4-byte big-endian length, the
//! message; the size limit, checked on the declared length before anything is buffered and
//! again on the decompressed size; gzip (`grpc-encoding`).

use std::io::Read;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::HeaderMap;

use super::status::code;

/// Length of a frame's prefix.
pub const PREFIX_LEN: usize = 5;
/// `grpc-encoding`.
pub const GRPC_ENCODING: &str = "grpc-encoding";
/// `grpc-accept-encoding`.
pub const GRPC_ACCEPT_ENCODING: &str = "grpc-accept-encoding";
/// What this side accepts, as `grpc-accept-encoding`.
pub const ACCEPTED_ENCODINGS: &str = "identity,gzip";

/// The frame of `message`, uncompressed (flag 0; Java rejects any other bit).
pub fn encode(message: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(PREFIX_LEN + message.len());
    out.put_u8(0);
    // A message over 4 GiB cannot be framed; the length is then wrong and the peer's
    // limit refuses it (this side's payload limit refuses far smaller ones first).
    out.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    out.extend_from_slice(message);
    out.freeze()
}

/// How the messages of a stream may be compressed (`grpc-encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// No `grpc-encoding` header: a compressed flag is an error.
    Absent,
    /// `identity`.
    Identity,
    /// `gzip`.
    Gzip,
}

impl Encoding {
    /// The encoding a message stream's headers declare; an unknown one is an
    /// `UNIMPLEMENTED` error naming it.
    pub fn of(headers: &HeaderMap) -> Result<Encoding, FrameError> {
        match headers.get(&super::headers::names::GRPC_ENCODING) {
            None => Ok(Encoding::Absent),
            Some(v) if v.as_bytes().eq_ignore_ascii_case(b"identity") => Ok(Encoding::Identity),
            Some(v) if v.as_bytes().eq_ignore_ascii_case(b"gzip") => Ok(Encoding::Gzip),
            Some(v) => Err(FrameError::UnknownEncoding(
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )),
        }
    }
}

/// Why a message stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A message (declared or decompressed) is larger than the limit.
    #[error("message of {len} bytes is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The declared or decompressed size (at least `limit + 1` when decompressing).
        len: u64,
        /// The limit.
        limit: usize,
    },
    /// The stream ended inside a frame.
    #[error("the stream ended inside a message ({0} bytes left over)")]
    Truncated(usize),
    /// A flag bit other than bit 0 was set.
    #[error("reserved flag bits set ({0:#04x})")]
    ReservedFlags(u8),
    /// A compressed message on a stream without `grpc-encoding`.
    #[error("compressed message without grpc-encoding")]
    CompressedWithoutEncoding,
    /// A compressed message on an `identity` stream.
    #[error("compressed message with grpc-encoding identity")]
    CompressedIdentity,
    /// `grpc-encoding` names a compressor this side does not have.
    #[error("unsupported grpc-encoding {0:?} (supported: {ACCEPTED_ENCODINGS})")]
    UnknownEncoding(String),
    /// A compressed message could not be decompressed.
    #[error("failed to decompress a message: {0}")]
    Decompress(String),
}

impl FrameError {
    /// The gRPC code answered for this error.
    pub fn code(&self) -> u32 {
        match self {
            FrameError::TooLarge { .. } => code::RESOURCE_EXHAUSTED,
            FrameError::UnknownEncoding(_) => code::UNIMPLEMENTED,
            _ => code::INTERNAL,
        }
    }
}

/// Cuts messages out of a stream's DATA, as it arrives.
///
/// At most one frame is buffered: a frame whose declared length is over the limit is
/// refused as soon as its prefix is seen, before any of its bytes are kept. A message that
/// arrived whole in one piece of DATA (the usual case) is copied out of it once, into an
/// allocation of its own: a message the service keeps does not pin HTTP/2's read buffer,
/// of which received DATA is a view.
#[derive(Debug)]
pub struct FrameDecoder {
    /// The rest of the last piece pushed, not copied yet (empty while `buf` is not).
    chunk: Bytes,
    /// The start of a frame that spans pieces.
    buf: BytesMut,
    limit: usize,
    encoding: Encoding,
    /// The prefix of the frame being read, once seen: (compressed, length).
    head: Option<(bool, usize)>,
}

impl FrameDecoder {
    /// A decoder of messages of at most `limit` bytes, compressed by `encoding`.
    pub fn new(limit: usize, encoding: Encoding) -> Self {
        FrameDecoder {
            chunk: Bytes::new(),
            buf: BytesMut::new(),
            limit,
            encoding,
            head: None,
        }
    }

    /// Adds received bytes; the messages they complete come out of
    /// [`FrameDecoder::next_message`].
    pub fn push(&mut self, data: Bytes) -> Result<(), FrameError> {
        self.spill();
        if self.buf.is_empty() {
            self.chunk = data;
        } else {
            self.buf.extend_from_slice(&data);
        }
        self.read_head()
    }

    /// Moves what is left of `chunk` into `buf` (a frame continues in a later piece).
    fn spill(&mut self) {
        if !self.chunk.is_empty() {
            self.buf.extend_from_slice(&self.chunk);
            self.chunk = Bytes::new();
        }
    }

    fn read_head(&mut self) -> Result<(), FrameError> {
        let pending: &[u8] = if self.chunk.is_empty() {
            &self.buf
        } else {
            &self.chunk
        };
        if self.head.is_some() || pending.len() < PREFIX_LEN {
            return Ok(());
        }
        let flag = pending[0];
        if flag & !1 != 0 {
            return Err(FrameError::ReservedFlags(flag));
        }
        let len = u32::from_be_bytes([pending[1], pending[2], pending[3], pending[4]]);
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > self.limit {
            return Err(FrameError::TooLarge {
                len: len as u64,
                limit: self.limit,
            });
        }
        if self.chunk.is_empty() {
            self.buf.advance(PREFIX_LEN);
        } else {
            self.chunk.advance(PREFIX_LEN);
        }
        self.head = Some((flag & 1 == 1, len));
        Ok(())
    }

    /// The next complete message, decompressed; `None` until more bytes arrive.
    pub fn next_message(&mut self) -> Result<Option<Bytes>, FrameError> {
        self.read_head()?;
        let Some((compressed, len)) = self.head else {
            self.spill();
            return Ok(None);
        };
        if self.buf.is_empty() && self.chunk.len() >= len {
            self.head = None;
            let framed = &self.chunk[..len];
            let message = if compressed {
                self.decompress(framed)
            } else {
                Ok(Bytes::copy_from_slice(framed))
            };
            self.chunk.advance(len);
            return message.map(Some);
        }
        self.spill();
        if self.buf.len() < len {
            return Ok(None);
        }
        self.head = None;
        let message = self.buf.split_to(len).freeze();
        if compressed {
            self.decompress(&message).map(Some)
        } else {
            Ok(Some(message))
        }
    }

    fn decompress(&self, message: &[u8]) -> Result<Bytes, FrameError> {
        match self.encoding {
            Encoding::Absent => Err(FrameError::CompressedWithoutEncoding),
            Encoding::Identity => Err(FrameError::CompressedIdentity),
            Encoding::Gzip => gunzip(message, self.limit),
        }
    }

    /// Checks that the stream ended between frames.
    pub fn finish(&self) -> Result<(), FrameError> {
        let left = self.chunk.len() + self.buf.len() + self.head.map_or(0, |_| PREFIX_LEN);
        if left == 0 {
            Ok(())
        } else {
            Err(FrameError::Truncated(left))
        }
    }
}

/// Decompresses a gzip message, refusing to inflate past `limit` bytes.
pub fn gunzip(message: &[u8], limit: usize) -> Result<Bytes, FrameError> {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::GzDecoder::new(message)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| FrameError::Decompress(e.to_string()))?;
    if out.len() > limit {
        return Err(FrameError::TooLarge {
            len: out.len() as u64,
            limit,
        });
    }
    Ok(Bytes::from(out))
}

/// Compresses a message with gzip (tests and peers that want compressed frames).
pub fn gzip(message: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(message);
    enc.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(messages: &[&[u8]]) -> Bytes {
        let mut all = BytesMut::new();
        for m in messages {
            all.extend_from_slice(&encode(m));
        }
        all.freeze()
    }

    fn drain(dec: &mut FrameDecoder) -> Vec<Bytes> {
        let mut out = Vec::new();
        while let Some(m) = dec.next_message().unwrap() {
            out.push(m);
        }
        out
    }

    #[test]
    fn the_prefix_is_flag_and_big_endian_length() {
        assert_eq!(&encode(b"world")[..], b"\x00\x00\x00\x00\x05world");
        assert_eq!(&encode(b"")[..], b"\x00\x00\x00\x00\x00");
    }

    #[test]
    fn messages_come_out_whatever_the_chunking() {
        let all = frames(&[b"one", b"", b"three33"]);
        for chunk in 1..all.len() {
            let mut dec = FrameDecoder::new(64, Encoding::Absent);
            let mut got = Vec::new();
            for piece in all.chunks(chunk) {
                dec.push(Bytes::copy_from_slice(piece)).unwrap();
                got.extend(drain(&mut dec));
            }
            assert_eq!(got, [&b"one"[..], b"", b"three33"], "chunk {chunk}");
            dec.finish().unwrap();
        }
    }

    #[test]
    fn messages_do_not_pin_the_received_data() {
        // Two whole messages in one piece, then one spanning two pieces.
        let all = frames(&[b"first", b"second", b"third"]);
        let (one, two) = all.split_at(all.len() - 3);
        let (one, two) = (Bytes::copy_from_slice(one), Bytes::copy_from_slice(two));
        let mut dec = FrameDecoder::new(64, Encoding::Absent);
        dec.push(one.clone()).unwrap();
        let mut got = drain(&mut dec);
        dec.push(two.clone()).unwrap();
        got.extend(drain(&mut dec));
        assert_eq!(got, [&b"first"[..], b"second", b"third"]);
        for m in &got {
            for piece in [&one, &two] {
                let range = piece.as_ptr_range();
                assert!(
                    !range.contains(&m.as_ptr()),
                    "{m:?} is a view of a received piece"
                );
            }
        }
        dec.finish().unwrap();
    }

    #[test]
    fn an_oversized_frame_is_refused_from_its_prefix() {
        let mut dec = FrameDecoder::new(4, Encoding::Absent);
        // Only the prefix of a 5-byte message has arrived: refused already.
        assert_eq!(
            dec.push(Bytes::from_static(b"\x00\x00\x00\x00\x05")),
            Err(FrameError::TooLarge { len: 5, limit: 4 })
        );
        let mut dec = FrameDecoder::new(4, Encoding::Absent);
        assert!(
            dec.push(Bytes::from_static(b"\x00\xff\xff\xff\xff"))
                .is_err()
        );
        assert_eq!(
            FrameError::TooLarge { len: 5, limit: 4 }.code(),
            code::RESOURCE_EXHAUSTED
        );
    }

    #[test]
    fn truncated_streams_and_reserved_bits_are_errors() {
        let mut dec = FrameDecoder::new(64, Encoding::Absent);
        dec.push(Bytes::from_static(b"\x00\x00\x00\x00\x05wor"))
            .unwrap();
        assert_eq!(dec.next_message(), Ok(None));
        assert_eq!(dec.finish(), Err(FrameError::Truncated(8)));
        let mut dec = FrameDecoder::new(64, Encoding::Absent);
        dec.push(Bytes::from_static(b"\x00\x00")).unwrap();
        assert_eq!(dec.finish(), Err(FrameError::Truncated(2)));
        let mut dec = FrameDecoder::new(64, Encoding::Absent);
        assert_eq!(
            dec.push(Bytes::from_static(b"\x80\x00\x00\x00\x00")),
            Err(FrameError::ReservedFlags(0x80))
        );
    }

    #[test]
    fn compressed_messages_need_a_known_encoding() {
        let zipped = gzip(b"hello hello hello");
        let mut frame = BytesMut::new();
        frame.put_u8(1);
        frame.put_u32(zipped.len() as u32);
        frame.extend_from_slice(&zipped);
        let frame = frame.freeze();

        let mut dec = FrameDecoder::new(64, Encoding::Gzip);
        dec.push(frame.clone()).unwrap();
        assert_eq!(drain(&mut dec), [&b"hello hello hello"[..]]);

        let mut dec = FrameDecoder::new(64, Encoding::Absent);
        dec.push(frame.clone()).unwrap();
        assert_eq!(
            dec.next_message(),
            Err(FrameError::CompressedWithoutEncoding)
        );
        assert_eq!(FrameError::CompressedWithoutEncoding.code(), code::INTERNAL);

        // Inflating past the limit is refused, however small the compressed message.
        let bomb = gzip(&[b'a'; 4096]);
        assert!(bomb.len() < 100);
        let mut frame = BytesMut::new();
        frame.put_u8(1);
        frame.put_u32(bomb.len() as u32);
        frame.extend_from_slice(&bomb);
        let mut dec = FrameDecoder::new(100, Encoding::Gzip);
        dec.push(frame.freeze()).unwrap();
        assert_eq!(
            dec.next_message(),
            Err(FrameError::TooLarge {
                len: 101,
                limit: 100
            })
        );
    }

    #[test]
    fn encodings_are_read_from_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(Encoding::of(&h), Ok(Encoding::Absent));
        h.insert(GRPC_ENCODING, "gzip".parse().unwrap());
        assert_eq!(Encoding::of(&h), Ok(Encoding::Gzip));
        h.insert(GRPC_ENCODING, "snappy".parse().unwrap());
        let err = Encoding::of(&h).unwrap_err();
        assert_eq!(err.code(), code::UNIMPLEMENTED);
    }
}
