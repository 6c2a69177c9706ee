//! Attachments as HTTP/2 headers (TRIPLE.md §2.4), both ways, and the Triple header names.
//!
//! Sending follows Java: keys lowercased, text values as text, binary values under
//! `<key>-bin` in unpadded base64, Java's reserved keys skipped, and `tri-header-convert`
//! restoring upper-case keys. A value that cannot be a header is dropped, never a panic.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use http::header::{AsHeaderName, HeaderMap, HeaderName, HeaderValue};
use oxidubbo_invoker::{Attachments, Value};
use percent_encoding::{NON_ALPHANUMERIC, percent_decode, utf8_percent_encode};

/// `tri-service-version`.
pub const TRI_SERVICE_VERSION: &str = "tri-service-version";
/// `tri-service-group`.
pub const TRI_SERVICE_GROUP: &str = "tri-service-group";
/// `tri-consumer-appname`.
pub const TRI_CONSUMER_APPNAME: &str = "tri-consumer-appname";
/// `tri-header-convert`.
pub const TRI_HEADER_CONVERT: &str = "tri-header-convert";
/// `tri-exception-code`.
pub const TRI_EXCEPTION_CODE: &str = "tri-exception-code";

/// The names the server reads or writes on every call, built once: `HeaderMap` parses and
/// lowercases a `&str` name at every lookup and copies it at every insert, a `HeaderName`
/// is only hashed (and cloned for free).
pub(crate) mod names {
    use http::header::HeaderName;

    use super::super::{frame, status};

    /// `grpc-status`.
    pub(crate) static GRPC_STATUS: HeaderName = HeaderName::from_static(status::GRPC_STATUS);
    /// `grpc-message`.
    pub(crate) static GRPC_MESSAGE: HeaderName = HeaderName::from_static(status::GRPC_MESSAGE);
    /// `grpc-timeout`.
    pub(crate) static GRPC_TIMEOUT: HeaderName = HeaderName::from_static(status::GRPC_TIMEOUT);
    /// `grpc-encoding`.
    pub(crate) static GRPC_ENCODING: HeaderName = HeaderName::from_static(frame::GRPC_ENCODING);
    /// `grpc-accept-encoding`.
    pub(crate) static GRPC_ACCEPT_ENCODING: HeaderName =
        HeaderName::from_static(frame::GRPC_ACCEPT_ENCODING);
    /// `tri-service-group`.
    pub(crate) static TRI_SERVICE_GROUP: HeaderName =
        HeaderName::from_static(super::TRI_SERVICE_GROUP);
    /// `tri-service-version`.
    pub(crate) static TRI_SERVICE_VERSION: HeaderName =
        HeaderName::from_static(super::TRI_SERVICE_VERSION);
    /// `tri-consumer-appname`.
    pub(crate) static TRI_CONSUMER_APPNAME: HeaderName =
        HeaderName::from_static(super::TRI_CONSUMER_APPNAME);
    /// `tri-header-convert`.
    pub(crate) static TRI_HEADER_CONVERT: HeaderName =
        HeaderName::from_static(super::TRI_HEADER_CONVERT);
    /// `tri-exception-code`.
    pub(crate) static TRI_EXCEPTION_CODE: HeaderName =
        HeaderName::from_static(super::TRI_EXCEPTION_CODE);
}

/// Attachment keys never sent as headers (Java's `StreamUtils.putHeaders` list, plus
/// HTTP's own).
const SKIPPED_KEYS: &[&str] = &[
    "group",
    "interface",
    "path",
    "remote.application",
    "application",
    "serialization",
    "rest-service-version",
    "rest-service-group",
    "http-status",
    "tri-service-timeout",
    "tri-header-convert",
    "tri-exception-code",
    "tri-consumer-appname",
    "tri-service-version",
    "tri-service-group",
    "content-type",
    "content-length",
    "te",
    "user-agent",
    "host",
    "connection",
    "transfer-encoding",
    "upgrade",
    "keep-alive",
    "proxy-connection",
];

/// Whether an attachment key or header name is the framework's, not an attachment.
fn reserved(key: &str) -> bool {
    key.starts_with(':')
        || key.starts_with("grpc-")
        || SKIPPED_KEYS.contains(&key)
        || key.eq_ignore_ascii_case("date")
        || key.eq_ignore_ascii_case("server")
        || key.eq_ignore_ascii_case("accept-encoding")
}

/// Adds `attachments` to `headers` as Java does.
pub fn put_attachments(headers: &mut HeaderMap, attachments: &Attachments) {
    let mut converted: Vec<(String, String)> = Vec::new();
    for (key, value) in attachments.iter() {
        let lower = key.to_ascii_lowercase();
        if reserved(&lower) {
            continue;
        }
        let (name, value) = match value {
            Value::Binary(bytes) => (
                format!("{lower}-bin"),
                HeaderValue::from_str(&STANDARD_NO_PAD.encode(bytes)).ok(),
            ),
            Value::String(s) => (lower.clone(), HeaderValue::from_str(s).ok()),
            Value::Bool(b) => (lower.clone(), Some(HeaderValue::from_static(bool_text(*b)))),
            Value::Int(i) => (lower.clone(), Some(HeaderValue::from(*i))),
            Value::Long(l) => (lower.clone(), Some(HeaderValue::from(*l))),
            Value::Double(d) => (lower.clone(), HeaderValue::from_str(&d.to_string()).ok()),
            _ => {
                tracing::debug!(key, "attachment of a type headers cannot carry dropped");
                continue;
            }
        };
        let (Ok(name), Some(value)) = (HeaderName::from_bytes(name.as_bytes()), value) else {
            tracing::debug!(key, "attachment that cannot be a header dropped");
            continue;
        };
        if lower != key {
            converted.push((lower, key.to_owned()));
        }
        headers.append(name, value);
    }
    if !converted.is_empty() {
        let json = serde_json::Value::Object(
            converted
                .into_iter()
                .map(|(lower, key)| (lower, serde_json::Value::String(key)))
                .collect(),
        )
        .to_string();
        let encoded: String = utf8_percent_encode(&json, NON_ALPHANUMERIC).collect();
        if let Ok(value) = HeaderValue::from_str(&encoded) {
            headers.insert(TRI_HEADER_CONVERT, value);
        }
    }
}

fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// The attachments carried by `headers`: every header that is not the framework's,
/// `-bin` ones base64-decoded into binary values, and the keys `tri-header-convert`
/// names restored to their case.
pub fn attachments_of(headers: &HeaderMap, into: &mut Attachments) {
    let convert = headers
        .get(&names::TRI_HEADER_CONVERT)
        .and_then(|v| {
            let json: Vec<u8> = percent_decode(v.as_bytes()).collect();
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&json).ok()
        })
        .unwrap_or_default();
    for (name, value) in headers {
        let name = name.as_str();
        if reserved(name) {
            continue;
        }
        let (key, value) = match name.strip_suffix("-bin") {
            Some(key) => {
                let raw = value.as_bytes();
                let decoded = STANDARD_NO_PAD
                    .decode(
                        raw.strip_suffix(b"==")
                            .or(raw.strip_suffix(b"="))
                            .unwrap_or(raw),
                    )
                    .or_else(|_| STANDARD.decode(raw));
                match decoded {
                    Ok(bytes) => (key, Value::Binary(bytes)),
                    Err(_) => {
                        tracing::debug!(name, "undecodable -bin header dropped");
                        continue;
                    }
                }
            }
            None => (name, Value::from(String::from_utf8_lossy(value.as_bytes()))),
        };
        match convert.get(key).and_then(serde_json::Value::as_str) {
            Some(original) if original.eq_ignore_ascii_case(key) => {
                into.insert(original.to_owned(), value)
            }
            _ => into.insert(key.to_owned(), value),
        }
    }
}

/// A header value from text that may not be one (a URL parameter, a peer's string):
/// `None` rather than a panic.
pub fn value_of(text: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(text).ok()
}

/// A header's text, if present, valid UTF-8 and not empty (empty counts as absent, §2.3).
pub fn non_empty(headers: &HeaderMap, name: impl AsHeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_round_trip_as_java_sends_them() {
        let mut a = Attachments::new();
        a.insert("traceId", "abc");
        a.insert("n", 42);
        a.insert("flag", true);
        a.insert("blob", Value::Binary(vec![1, 2, 3, 4]));
        a.insert("interface", "skipped");
        a.insert("grpc-timeout", "skipped");
        a.insert("bad", "line\nbreak");
        a.insert("list", Value::List(Default::default()));
        let mut h = HeaderMap::new();
        put_attachments(&mut h, &a);
        assert_eq!(h.get("traceid").unwrap(), "abc");
        assert_eq!(h.get("n").unwrap(), "42");
        assert_eq!(h.get("flag").unwrap(), "true");
        assert_eq!(h.get("blob-bin").unwrap(), "AQIDBA");
        for absent in ["interface", "grpc-timeout", "bad", "list"] {
            assert!(h.get(absent).is_none(), "{absent}");
        }
        assert_eq!(
            h.get(TRI_HEADER_CONVERT).unwrap(),
            "%7B%22traceid%22%3A%22traceId%22%7D"
        );

        h.insert("content-type", HeaderValue::from_static("application/grpc"));
        h.insert("grpc-timeout", HeaderValue::from_static("1S"));
        let mut back = Attachments::new();
        attachments_of(&h, &mut back);
        assert_eq!(back.get_str("traceId"), Some("abc"));
        assert_eq!(back.get_str("n"), Some("42"));
        assert_eq!(back.get("blob"), Some(&Value::Binary(vec![1, 2, 3, 4])));
        assert_eq!(back.len(), 4, "{back:?}");
    }

    #[test]
    fn padded_base64_is_read_too() {
        let mut h = HeaderMap::new();
        h.insert("x-bin", HeaderValue::from_static("AQIDBA=="));
        h.insert("y-bin", HeaderValue::from_static("!!"));
        let mut back = Attachments::new();
        attachments_of(&h, &mut back);
        assert_eq!(back.get("x"), Some(&Value::Binary(vec![1, 2, 3, 4])));
        assert!(back.get("y").is_none());
    }
}
