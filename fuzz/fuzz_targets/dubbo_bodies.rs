//! Fuzzes the dubbo2 body decoders directly (no framing): a request body, a response body
//! under the status the first byte picks, and an event body. They must never panic and
//! must answer an error value for what they cannot read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxidubbo_protocol::dubbo::codec::{decode_event, decode_request_body, decode_response};

fuzz_target!(|data: &[u8]| {
    let _ = decode_request_body(data);
    let _ = decode_event(data);
    if let Some((&status, body)) = data.split_first() {
        // Mostly OK (20), where the body is read as a result; the others carry a message.
        let status = if status < 200 { 20 } else { status };
        let _ = decode_response(status, body);
    }
});
