//! Fuzzes what a dubbo2 server or client does with the bytes of a connection: split them
//! into frames (`FrameCodec`, fed in chunks whose sizes the input picks, with a small payload
//! limit) and decode each frame's body as the header says — request, response or event. It
//! must never panic; every step must consume input or wait for more; an oversized frame
//! must never be handed out whole.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use oxidubbo_protocol::dubbo::codec::{decode_event, decode_request_body, decode_response};
use oxidubbo_protocol::dubbo::header::{Frame, FrameCodec};
use tokio_util::codec::Decoder;

const PAYLOAD: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, stream)) = data.split_first() else { return };
    let chunk = usize::from(chunk % 64) + 1;
    let mut codec = FrameCodec::new(PAYLOAD);
    let mut buf = BytesMut::new();
    for piece in stream.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            let before = buf.len();
            match codec.decode(&mut buf) {
                Ok(Some(Frame::Complete { header, body })) => {
                    assert!(body.len() <= PAYLOAD, "a body over the limit was kept");
                    if header.is_event() {
                        let _ = decode_event(&body);
                    } else if header.is_request() {
                        let _ = decode_request_body(&body);
                    } else {
                        let _ = decode_response(header.status, &body);
                    }
                }
                Ok(Some(Frame::Oversized { header })) => {
                    assert!(header.body_len as usize > PAYLOAD);
                }
                Ok(None) => {
                    assert!(buf.len() <= before, "waiting must not add bytes");
                    break;
                }
                Err(_) => return,
            }
            assert!(buf.len() < before || before == 0, "no progress on a frame");
        }
    }
});
