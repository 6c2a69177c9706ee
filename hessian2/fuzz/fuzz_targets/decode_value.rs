//! Fuzzes the value decoder: it must never panic, and whatever it accepts must re-encode,
//! and the re-encoding must be a fixpoint (decode → encode gives the same bytes again).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxidubbo_hessian2::{Decoder, DecoderOptions, decode_value, encode_value};

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = decode_value(data) {
        let once = encode_value(&v).expect("a decoded value must encode");
        let back = decode_value(&once).expect("re-encoded bytes must decode");
        let twice = encode_value(&back).expect("encode again");
        assert_eq!(once, twice, "encoding is not a fixpoint for {v:?}");
    }
    // The streaming path with tight limits: several values sharing one table.
    let opts = DecoderOptions {
        max_depth: 16,
        max_bytes: 4096,
        max_len: 4096,
        max_name_copy_bytes: 4096,
        max_expansion: 4,
    };
    let mut dec = Decoder::with_options(data, opts);
    while !dec.is_eof() {
        let before = dec.position();
        if dec.read_value().is_err() {
            break;
        }
        assert!(dec.position() > before, "no progress");
    }
});
