//! gRPC status codes and the headers that carry them: `grpc-status`, `grpc-message`
//! (percent-encoded, TRIPLE.md §4.3), `grpc-timeout` (§2.1) and the HTTP fallbacks (§5.2).
//!
//! Every header value is built from bytes this module chose (ASCII digits, percent-escapes),
//! so no value built here can fail to be a valid header value.

use std::time::Duration;

use http::HeaderValue;
use oxidubbo_invoker::RpcError;
use percent_encoding::{AsciiSet, percent_decode, utf8_percent_encode};

/// The gRPC status codes (TRIPLE.md §5.1).
pub mod code {
    /// Not an error.
    pub const OK: u32 = 0;
    /// The caller cancelled the call.
    pub const CANCELLED: u32 = 1;
    /// An error with no better code (business exceptions).
    pub const UNKNOWN: u32 = 2;
    /// The request was invalid.
    pub const INVALID_ARGUMENT: u32 = 3;
    /// The deadline passed before the call completed.
    pub const DEADLINE_EXCEEDED: u32 = 4;
    /// Something the call needed was not found.
    pub const NOT_FOUND: u32 = 5;
    /// The caller may not make the call.
    pub const PERMISSION_DENIED: u32 = 7;
    /// A limit was reached (message size, quota).
    pub const RESOURCE_EXHAUSTED: u32 = 8;
    /// No such service or method, or an unsupported feature (encoding).
    pub const UNIMPLEMENTED: u32 = 12;
    /// The framework broke an invariant (bad framing, undecodable message).
    pub const INTERNAL: u32 = 13;
    /// The service cannot be reached now; retrying elsewhere may work.
    pub const UNAVAILABLE: u32 = 14;
    /// The caller is not authenticated.
    pub const UNAUTHENTICATED: u32 = 16;
}

/// `grpc-status`.
pub const GRPC_STATUS: &str = "grpc-status";
/// `grpc-message`.
pub const GRPC_MESSAGE: &str = "grpc-message";
/// `grpc-timeout`.
pub const GRPC_TIMEOUT: &str = "grpc-timeout";

/// Bytes escaped in `grpc-message`: everything outside `0x20..=0x7E` (the encoder escapes
/// every non-ASCII byte by itself), `%`, and `+`, which Java's decoder reads as a space.
const MESSAGE_ESCAPES: &AsciiSet = &percent_encoding::CONTROLS.add(b'%').add(b'+');

/// The `grpc-message` value for `message`: percent-encoded, so that any text (newlines,
/// non-ASCII) makes a valid header value.
pub fn encode_message(message: &str) -> HeaderValue {
    let encoded: String = utf8_percent_encode(message, MESSAGE_ESCAPES).collect();
    // Only visible ASCII is left, which every header value accepts.
    HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Reads a peer's `grpc-message` leniently: `%XX` is decoded, any other byte (a bare `%`,
/// raw UTF-8) passes through, and the result is read as lossy UTF-8.
pub fn decode_message(raw: &[u8]) -> String {
    let decoded: Vec<u8> = percent_decode(raw).collect();
    String::from_utf8_lossy(&decoded).into_owned()
}

/// The `grpc-status` value of `code` (the standard codes need no allocation: every
/// successful call sends one).
pub fn status_value(code: u32) -> HeaderValue {
    const CODES: [&str; 17] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
    ];
    match usize::try_from(code).ok().and_then(|i| CODES.get(i)) {
        Some(text) => HeaderValue::from_static(text),
        None => HeaderValue::from(code),
    }
}

/// Reads a `grpc-status` value: a decimal code, `None` when it is not one.
pub fn parse_status(raw: &[u8]) -> Option<u32> {
    std::str::from_utf8(raw).ok()?.trim().parse().ok()
}

/// Why a `grpc-timeout` value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTimeout(pub String);

/// Reads `grpc-timeout`: at most 8 digits and one unit of `H M S m u n` (§2.1).
pub fn parse_timeout(raw: &[u8]) -> Result<Duration, BadTimeout> {
    let bad = || BadTimeout(String::from_utf8_lossy(raw).into_owned());
    let (&unit, digits) = raw.split_last().ok_or_else(bad)?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let value: u64 = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .ok_or_else(bad)?;
    Ok(match unit {
        b'H' => Duration::from_secs(value * 3600),
        b'M' => Duration::from_secs(value * 60),
        b'S' => Duration::from_secs(value),
        b'm' => Duration::from_millis(value),
        b'u' => Duration::from_micros(value),
        b'n' => Duration::from_nanos(value),
        _ => return Err(bad()),
    })
}

/// The `grpc-timeout` value for `timeout`: milliseconds as Java sends them (`3000m`), or the
/// finest unit whose value fits in 8 digits when milliseconds do not fit or lose it all.
pub fn encode_timeout(timeout: Duration) -> HeaderValue {
    const MAX: u128 = 99_999_999;
    let nanos = timeout.as_nanos();
    let text = if timeout < Duration::from_millis(1) {
        match nanos {
            0..=MAX => format!("{nanos}n"),
            _ => format!("{}u", timeout.as_micros()),
        }
    } else if timeout.as_millis() <= MAX {
        format!("{}m", timeout.as_millis())
    } else if timeout.as_secs() <= MAX as u64 {
        format!("{}S", timeout.as_secs())
    } else {
        format!("{}M", (timeout.as_secs() / 60).min(MAX as u64))
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("99999999S"))
}

/// The gRPC code of an HTTP response that carries no `grpc-status` (Java's
/// `httpStatusToGrpcCode`, §5.2).
pub fn code_of_http_status(status: u16) -> u32 {
    match status {
        100..=199 | 400 | 431 => code::INTERNAL,
        401 => code::UNAUTHENTICATED,
        403 => code::PERMISSION_DENIED,
        404 => code::UNIMPLEMENTED,
        429 | 502..=504 => code::UNAVAILABLE,
        _ => code::UNKNOWN,
    }
}

/// The code sent for `error`: [`RpcError::grpc_code`], never outside 1–16 (§5.1).
pub fn code_of(error: &RpcError) -> u32 {
    match error.grpc_code() {
        code @ 1..=16 => code,
        _ => code::UNKNOWN,
    }
}

/// The message sent for `error`: a status's own message, else the error's text.
pub fn message_of(error: &RpcError) -> String {
    match error {
        RpcError::Grpc { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// A status error: `code` with `message`, as the consumer reads it.
pub fn error(code: u32, message: impl Into<String>) -> RpcError {
    RpcError::from_grpc(code, message)
}

/// A status this side chose to answer with (kept as [`RpcError::Grpc`], whatever the code).
pub fn status(code: u32, message: impl Into<String>) -> RpcError {
    RpcError::Grpc {
        code,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_percent_encoded_with_plus_and_controls() {
        let v = encode_message("line1\nline2 100% a+b é");
        assert_eq!(v.to_str().unwrap(), "line1%0Aline2 100%25 a%2Bb %C3%A9");
        assert_eq!(
            decode_message(v.as_bytes()),
            "line1\nline2 100% a+b é",
            "the round trip is exact"
        );
    }

    #[test]
    fn status_values_are_the_decimal_code() {
        for code in [0, 1, 9, 10, 13, 16, 17, 255, u32::MAX] {
            assert_eq!(status_value(code).to_str().unwrap(), code.to_string());
            assert_eq!(parse_status(status_value(code).as_bytes()), Some(code));
        }
    }

    #[test]
    fn messages_are_decoded_leniently() {
        assert_eq!(decode_message(b"100% done"), "100% done");
        assert_eq!(decode_message(b"boom%20requested"), "boom requested");
        assert_eq!(decode_message(b"bad %zz %"), "bad %zz %");
        assert_eq!(decode_message(b"raw \xff"), "raw \u{fffd}");
    }

    #[test]
    fn timeouts_parse_every_unit_and_refuse_the_rest() {
        let ok = |s: &str| parse_timeout(s.as_bytes()).unwrap();
        assert_eq!(ok("3000m"), Duration::from_millis(3000));
        assert_eq!(ok("5S"), Duration::from_secs(5));
        assert_eq!(ok("2M"), Duration::from_secs(120));
        assert_eq!(ok("1H"), Duration::from_secs(3600));
        assert_eq!(ok("3000000u"), Duration::from_secs(3));
        assert_eq!(ok("99999999n"), Duration::from_nanos(99_999_999));
        for bad in ["", "m", "123456789m", "12x", "-1m", "1.5S", "1 m", "５m"] {
            assert!(parse_timeout(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn timeouts_encode_in_millis_or_the_unit_that_fits() {
        let enc = |d: Duration| encode_timeout(d).to_str().unwrap().to_owned();
        assert_eq!(enc(Duration::from_millis(3000)), "3000m");
        assert_eq!(enc(Duration::from_micros(250)), "250000n");
        assert_eq!(enc(Duration::from_secs(200_000)), "200000S");
        assert_eq!(enc(Duration::from_secs(u64::MAX / 2)), "99999999M");
        for d in [1, 999, 123_456] {
            let d = Duration::from_millis(d);
            assert_eq!(parse_timeout(enc(d).as_bytes()).unwrap(), d);
        }
    }

    #[test]
    fn http_statuses_map_as_java_maps_them() {
        assert_eq!(code_of_http_status(404), code::UNIMPLEMENTED);
        assert_eq!(code_of_http_status(503), code::UNAVAILABLE);
        assert_eq!(code_of_http_status(400), code::INTERNAL);
        assert_eq!(code_of_http_status(401), code::UNAUTHENTICATED);
        assert_eq!(code_of_http_status(403), code::PERMISSION_DENIED);
        assert_eq!(code_of_http_status(500), code::UNKNOWN);
        assert_eq!(code_of_http_status(200), code::UNKNOWN);
    }

    #[test]
    fn error_codes_stay_within_the_standard_range() {
        assert_eq!(code_of(&status(99, "odd")), code::UNKNOWN);
        assert_eq!(code_of(&status(0, "not an error")), code::UNKNOWN);
        assert_eq!(
            code_of(&RpcError::NotFound("x".into())),
            code::UNIMPLEMENTED
        );
        assert_eq!(message_of(&status(8, "too big")), "too big");
    }
}
