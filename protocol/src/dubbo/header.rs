//! The 16-byte dubbo2 frame header (spec §1.1) and the frame splitter.

use bytes::{Buf, BytesMut};
use tokio_util::codec::Decoder;

/// Length of the header.
pub const HEADER_LEN: usize = 16;
/// The two magic bytes every frame starts with.
pub const MAGIC: [u8; 2] = [0xda, 0xbb];
/// Flag bit: the frame is a request.
pub const FLAG_REQUEST: u8 = 0x80;
/// Flag bit: the request expects a response.
pub const FLAG_TWOWAY: u8 = 0x40;
/// Flag bit: the frame is an event (heartbeat, read-only).
pub const FLAG_EVENT: u8 = 0x20;
/// Mask of the serialization id in the flag byte.
pub const SERIALIZATION_MASK: u8 = 0x1f;
/// Serialization id of Hessian 2.
pub const HESSIAN2: u8 = 2;
/// Default payload limit: 8 MiB (URL parameter `payload`).
pub const DEFAULT_PAYLOAD: usize = 8 * 1024 * 1024;

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The flag byte.
    pub flag: u8,
    /// The status byte (responses only; requests carry 0).
    pub status: u8,
    /// The request id, echoed by the response.
    pub id: i64,
    /// Body length in bytes.
    pub body_len: u32,
}

impl Header {
    /// Parses the first 16 bytes of `buf`; `None` if the magic is wrong.
    pub fn parse(buf: &[u8; HEADER_LEN]) -> Option<Header> {
        if buf[..2] != MAGIC {
            return None;
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&buf[4..12]);
        let mut len = [0u8; 4];
        len.copy_from_slice(&buf[12..16]);
        Some(Header {
            flag: buf[2],
            status: buf[3],
            id: i64::from_be_bytes(id),
            body_len: u32::from_be_bytes(len),
        })
    }

    /// The 16 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..2].copy_from_slice(&MAGIC);
        out[2] = self.flag;
        out[3] = self.status;
        out[4..12].copy_from_slice(&self.id.to_be_bytes());
        out[12..16].copy_from_slice(&self.body_len.to_be_bytes());
        out
    }

    /// Whether this is a request (else a response).
    pub fn is_request(&self) -> bool {
        self.flag & FLAG_REQUEST != 0
    }

    /// Whether this request expects a response.
    pub fn is_twoway(&self) -> bool {
        self.flag & FLAG_TWOWAY != 0
    }

    /// Whether this is an event frame.
    pub fn is_event(&self) -> bool {
        self.flag & FLAG_EVENT != 0
    }

    /// The serialization id.
    pub fn serialization(&self) -> u8 {
        self.flag & SERIALIZATION_MASK
    }
}

/// Largest read block: bodies are split off it without copying, and a connection under
/// load reads into blocks of this size.
pub const READ_BUFFER: usize = 64 * 1024;
/// Smallest read block: about what an idle connection holds.
pub const MIN_READ: usize = 2 * 1024;

/// A connection's read buffer, sized to its traffic.
///
/// It starts at [`MIN_READ`] bytes, doubles while reads fill it (up to [`READ_BUFFER`]) and
/// halves while they stay small, and a connection that goes quiet gives back a block grown
/// by earlier traffic ([`ReadBuffer::idle_check`]). So an idle connection holds a few KiB,
/// a busy one reads in large blocks, and a header announcing a large body reserves nothing
/// until the body's bytes arrive ([`FrameCodec`] grows the buffer by at most what has
/// arrived).
#[derive(Debug)]
pub struct ReadBuffer {
    /// The bytes read and not yet split off into frames.
    pub bytes: BytesMut,
    /// How much the next reservation makes room for.
    size: usize,
    /// Room there was for the last read.
    room: usize,
    /// Whether anything was read since the last idle check.
    active: bool,
}

impl Default for ReadBuffer {
    fn default() -> Self {
        ReadBuffer::new()
    }
}

impl ReadBuffer {
    /// An empty buffer: nothing is allocated until the first read.
    pub fn new() -> Self {
        ReadBuffer {
            bytes: BytesMut::new(),
            size: MIN_READ,
            room: 0,
            active: false,
        }
    }

    /// Makes sure the next read can take a good chunk: without this, a buffer whose bytes
    /// were all split off into frames would be refilled a few bytes at a time.
    pub fn prepare(&mut self) {
        if self.bytes.capacity() - self.bytes.len() < self.size / 4 {
            self.bytes.reserve(self.size);
        }
        self.room = self.bytes.capacity() - self.bytes.len();
    }

    /// Records a read of `n` bytes: one that filled its room makes the next reservation
    /// larger, one far smaller than the reservation makes it smaller.
    pub fn read(&mut self, n: usize) {
        self.active = true;
        if n >= self.room {
            self.size = (self.size * 2).min(READ_BUFFER);
        } else if n < self.size / 8 {
            self.size = (self.size / 2).max(MIN_READ);
        }
    }

    /// Called now and then: a connection that read nothing since the last check lets go of
    /// a block grown by earlier traffic, keeping only the bytes of a partial frame.
    pub fn idle_check(&mut self) {
        let active = std::mem::take(&mut self.active);
        if !active && self.bytes.capacity() > 2 * MIN_READ && self.bytes.len() <= MIN_READ {
            self.bytes = BytesMut::from(&self.bytes[..]);
            self.size = MIN_READ;
        }
    }
}

/// One frame read off a stream.
#[derive(Debug)]
pub enum Frame {
    /// A complete frame.
    Complete {
        /// Its header.
        header: Header,
        /// Its body.
        body: bytes::Bytes,
    },
    /// A frame whose body is over the payload limit: its body is being discarded as it
    /// arrives, never held in memory.
    Oversized {
        /// Its header.
        header: Header,
    },
}

/// Why a stream stopped being readable as dubbo2.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The stream does not start with the Dubbo magic: it is not Dubbo at all.
    #[error("not a dubbo stream: bad magic 0x{0:02x}{1:02x}")]
    BadMagic(u8, u8),
    /// A body length no implementation could mean (2 GiB or more).
    #[error("invalid body length {0}")]
    BadLength(u32),
    /// An I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Splits a byte stream into [`Frame`]s, enforcing the payload limit.
#[derive(Debug)]
pub struct FrameCodec {
    payload: usize,
    discarding: usize,
}

impl FrameCodec {
    /// A splitter refusing bodies over `payload` bytes (`0` means no limit, as in Java).
    pub fn new(payload: usize) -> Self {
        FrameCodec {
            payload,
            discarding: 0,
        }
    }
}

impl Decoder for FrameCodec {
    type Item = Frame;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        if self.discarding > 0 {
            let n = self.discarding.min(src.len());
            src.advance(n);
            self.discarding -= n;
            if self.discarding > 0 {
                return Ok(None);
            }
        }
        let Some(head) = src.get(..HEADER_LEN) else {
            if src.len() >= 2 && src[..2] != MAGIC {
                return Err(FrameError::BadMagic(src[0], src[1]));
            }
            src.reserve(HEADER_LEN);
            return Ok(None);
        };
        let mut bytes = [0u8; HEADER_LEN];
        bytes.copy_from_slice(head);
        let header = Header::parse(&bytes).ok_or(FrameError::BadMagic(bytes[0], bytes[1]))?;
        if header.body_len > i32::MAX as u32 {
            return Err(FrameError::BadLength(header.body_len));
        }
        let body_len = header.body_len as usize;
        if self.payload > 0 && body_len > self.payload {
            src.advance(HEADER_LEN);
            let n = body_len.min(src.len());
            src.advance(n);
            self.discarding = body_len - n;
            return Ok(Some(Frame::Oversized { header }));
        }
        if src.len() < HEADER_LEN + body_len {
            // Grow by at most what has arrived: the buffer doubles while the body comes in
            // (no quadratic copying), but a header alone reserves nothing for its body.
            let missing = HEADER_LEN + body_len - src.len();
            src.reserve(missing.min(src.len()));
            return Ok(None);
        }
        src.advance(HEADER_LEN);
        let body = src.split_to(body_len).freeze();
        Ok(Some(Frame::Complete { header, body }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_vector_parses() {
        // Spec §1.5: heartbeat request, id 5, body `N`.
        let bytes = [
            0xda, 0xbb, 0xe2, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, 0x4e,
        ];
        let mut buf = BytesMut::from(&bytes[..]);
        let Some(Frame::Complete { header, body }) =
            FrameCodec::new(DEFAULT_PAYLOAD).decode(&mut buf).unwrap()
        else {
            panic!("expected a frame")
        };
        assert!(header.is_request() && header.is_twoway() && header.is_event());
        assert_eq!(header.id, 5);
        assert_eq!(&body[..], &[0x4e]);
        assert_eq!(header.to_bytes()[..], bytes[..16]);
    }

    #[test]
    fn partial_frames_wait_and_bad_magic_fails() {
        let mut codec = FrameCodec::new(DEFAULT_PAYLOAD);
        let mut buf = BytesMut::from(&[0xda, 0xbb, 0xc2][..]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        let mut bad = BytesMut::from(&b"GET / HTTP/1.1\r\n"[..]);
        assert!(matches!(
            codec.decode(&mut bad),
            Err(FrameError::BadMagic(b'G', b'E'))
        ));
    }

    #[test]
    fn a_header_alone_reserves_nothing_for_its_body() {
        let mut codec = FrameCodec::new(DEFAULT_PAYLOAD);
        let mut read = ReadBuffer::new();
        read.prepare();
        let header = Header {
            flag: 0xc2,
            status: 0,
            id: 1,
            body_len: DEFAULT_PAYLOAD as u32,
        };
        read.bytes.extend_from_slice(&header.to_bytes());
        read.read(HEADER_LEN);
        assert!(codec.decode(&mut read.bytes).unwrap().is_none());
        read.prepare();
        assert!(
            read.bytes.capacity() <= 2 * MIN_READ,
            "a header announcing {} bytes reserved {}",
            header.body_len,
            read.bytes.capacity()
        );
        // The body then arrives in pieces: the buffer grows with it and the frame comes out.
        let body = vec![7u8; DEFAULT_PAYLOAD];
        let mut frame = None;
        for piece in body.chunks(100_000) {
            read.prepare();
            read.bytes.extend_from_slice(piece);
            read.read(piece.len());
            if let Some(f) = codec.decode(&mut read.bytes).unwrap() {
                frame = Some(f);
            }
        }
        assert!(
            matches!(frame, Some(Frame::Complete { body: got, .. }) if got[..] == body[..]),
            "the body did not come out whole"
        );
    }

    #[test]
    fn an_idle_buffer_gives_back_its_block() {
        let mut read = ReadBuffer::new();
        for _ in 0..8 {
            read.prepare();
            let room = read.bytes.capacity() - read.bytes.len();
            read.bytes.extend_from_slice(&vec![0; room]);
            read.read(room);
            drop(read.bytes.split()); // frames split off
        }
        read.prepare();
        assert!(
            read.bytes.capacity() >= READ_BUFFER / 2,
            "busy reads grow the block"
        );
        read.bytes.extend_from_slice(&[0xda, 0xbb, 0xc2]); // a partial frame
        read.idle_check(); // read since the last check: kept
        assert!(read.bytes.capacity() >= READ_BUFFER / 2);
        read.idle_check(); // quiet since: given back, the partial frame kept
        assert!(
            read.bytes.capacity() <= MIN_READ,
            "{}",
            read.bytes.capacity()
        );
        assert_eq!(&read.bytes[..], &[0xda, 0xbb, 0xc2]);
    }

    #[test]
    fn oversized_body_is_discarded_as_it_arrives() {
        let mut codec = FrameCodec::new(4);
        let mut header = Header {
            flag: 0xc2,
            status: 0,
            id: 9,
            body_len: 10,
        }
        .to_bytes()
        .to_vec();
        header.extend_from_slice(&[1, 2, 3]);
        let mut buf = BytesMut::from(&header[..]);
        assert!(
            matches!(codec.decode(&mut buf).unwrap(), Some(Frame::Oversized { header }) if header.id == 9)
        );
        assert!(buf.is_empty());
        // The other 7 body bytes arrive, then a real frame.
        buf.extend_from_slice(&[0; 7]);
        let next = Header {
            flag: 0x02,
            status: 20,
            id: 10,
            body_len: 1,
        };
        buf.extend_from_slice(&next.to_bytes());
        buf.extend_from_slice(&[0x4e]);
        assert!(
            matches!(codec.decode(&mut buf).unwrap(), Some(Frame::Complete { header, .. }) if header.id == 10)
        );
    }
}
