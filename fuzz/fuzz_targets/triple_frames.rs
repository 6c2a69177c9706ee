//! Fuzzes Triple's message framing as a server or client reads a stream body: the
//! length-prefixed gRPC messages (`FrameDecoder`, identity or gzip as the first byte picks,
//! with a small limit), pushed in chunks whose size the input picks, then each message read
//! as a wrapper-mode request and response. It must never panic, never hand out a message
//! over the limit, and end with a clear answer at the end of the stream.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use oxidubbo_protocol::triple::frame::{Encoding, FrameDecoder};
use oxidubbo_protocol::triple::wrapper;

const LIMIT: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, stream)) = data.split_first() else { return };
    let encoding = if mode & 1 == 0 { Encoding::Identity } else { Encoding::Gzip };
    let chunk = usize::from(mode >> 1) + 1;
    let mut decoder = FrameDecoder::new(LIMIT, encoding);
    for piece in stream.chunks(chunk) {
        if decoder.push(Bytes::copy_from_slice(piece)).is_err() {
            return;
        }
        loop {
            match decoder.next_message() {
                Ok(Some(message)) => {
                    assert!(message.len() <= LIMIT, "a message over the limit");
                    let _ = wrapper::decode_request(&message);
                    let _ = wrapper::decode_response(&message);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    let _ = decoder.finish();
});
