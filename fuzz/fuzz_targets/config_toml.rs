//! Fuzzes the TOML configuration loader: arbitrary text must load or fail with an error
//! that names the file (and never panic), and environment-style overrides of whatever keys
//! the input names must be handled the same way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxidubbo::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = Config::parse(text, "fuzz.toml") {
        assert!(e.to_string().contains("fuzz.toml"), "an error without its file: {e}");
    }
    // The last line, if it looks like `KEY=value`, as an OXIDUBBO_ override.
    if let Some((key, value)) = text.lines().last().and_then(|l| l.split_once('=')) {
        let env = [(format!("OXIDUBBO_{key}"), value.to_owned())];
        let _ = Config::from_str_with_env("", "fuzz.toml", env);
    }
});
