//! Fuzzes what Triple reads from HTTP/2 headers and trailers: the input's lines become
//! `name: value` headers (the ones `http` accepts), then the encoding, attachments,
//! `grpc-status`, `grpc-message` and `grpc-timeout` are read from them. Nothing may panic.
#![no_main]

use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use oxidubbo_invoker::Attachments;
use oxidubbo_protocol::triple::frame::Encoding;
use oxidubbo_protocol::triple::{headers, status};

fuzz_target!(|data: &[u8]| {
    let mut map = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        else {
            continue;
        };
        map.append(name, value);
    }
    let _ = Encoding::of(&map);
    let mut attachments = Attachments::default();
    headers::attachments_of(&map, &mut attachments);
    for value in map.values() {
        let raw = value.as_bytes();
        let _ = status::parse_status(raw);
        let _ = status::decode_message(raw);
        let _ = status::parse_timeout(raw);
    }
    let _ = status::decode_message(data);
    let _ = status::parse_timeout(data);
});
