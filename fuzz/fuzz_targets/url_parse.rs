//! Fuzzes `Url` parsing: arbitrary text must parse or fail with an error, never panic; and
//! a URL that parses must print (`to_full_string`) as text that parses back to a URL that
//! prints the same (printing is a fixpoint), as registries write URLs and read them back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxidubbo_common::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Url::parse_with_default_protocol(text, "dubbo");
    if let Ok(url) = Url::parse(text) {
        let once = url.to_full_string();
        let back = Url::parse(&once)
            .unwrap_or_else(|e| panic!("{text:?} printed as {once:?}, which does not parse: {e}"));
        assert_eq!(back.to_full_string(), once, "printing is not a fixpoint for {text:?}");
    }
});
