//! Bad input: every error says what is wrong, and parsing never panics.

use oxidubbo_common::{Url, UrlError};

fn error(s: &str) -> UrlError {
    match Url::parse(s) {
        Ok(url) => panic!("{s:?} should not parse, got {url:?}"),
        Err(e) => e,
    }
}

fn assert_message(s: &str, expected: &[&str]) {
    let message = error(s).to_string();
    for part in expected {
        assert!(
            message.contains(part),
            "error for {s:?} is {message:?}, expected it to mention {part:?}"
        );
    }
}

#[test]
fn empty_string() {
    assert_eq!(error(""), UrlError::Empty);
    assert_message("", &["empty URL"]);
}

#[test]
fn missing_protocol() {
    assert!(matches!(
        error("10.0.0.1:20880"),
        UrlError::MissingProtocol { .. }
    ));
    assert_message("10.0.0.1:20880", &["missing protocol", "10.0.0.1:20880"]);
    assert_message("://h:1", &["missing protocol"]);
}

#[test]
fn invalid_protocol() {
    assert_message("du bbo://h:1", &["invalid protocol", "' '"]);
}

#[test]
fn nothing_after_the_protocol() {
    assert!(matches!(error("dubbo://"), UrlError::MissingHost { .. }));
    assert_message("dubbo://", &["missing host", "dubbo://"]);
    assert_message("dubbo://?a=1", &["missing host"]);
    assert_message("dubbo://:20880", &["missing host"]);
}

#[test]
fn port_out_of_range() {
    assert!(matches!(
        error("dubbo://h:99999"),
        UrlError::PortOutOfRange { .. }
    ));
    assert_message("dubbo://h:99999", &["port 99999", "out of range", "65535"]);
    assert_message(
        "dubbo://h:123456789012345678901234567890/p",
        &["out of range"],
    );
}

#[test]
fn port_not_a_number() {
    assert_message("dubbo://h:80a/p", &["invalid port", "\"80a\""]);
    assert_message("dubbo://h:/p", &["invalid port", "\"\""]);
    assert_message("dubbo://h:-1", &["invalid port", "\"-1\""]);
    assert_message("dubbo://[::1]:x", &["invalid port", "\"x\""]);
}

#[test]
fn unclosed_ipv6() {
    assert!(matches!(
        error("dubbo://[::1"),
        UrlError::UnclosedIpv6 { .. }
    ));
    assert_message("dubbo://[::1", &["IPv6", "no closing ']'"]);
    assert_message("dubbo://[::1:20880/p?a=b", &["no closing ']'"]);
}

#[test]
fn junk_after_ipv6() {
    assert_message("dubbo://[::1]x:1/p", &["after the IPv6 host", "\"x:1\""]);
}

#[test]
fn stray_bracket_in_host() {
    assert_message("dubbo://::1]:1/p", &["invalid host", "']'"]);
}

#[test]
fn bad_percent_escapes() {
    assert_message(
        "dubbo://h/p?timeout=%zz",
        &["invalid percent escape", "\"%zz\"", "parameter \"timeout\""],
    );
    assert_message("dubbo://h/p?a=1%4", &["\"%4\"", "parameter \"a\""]);
    assert_message("dubbo://h/p?a%=1", &["\"%\"", "parameter name \"a%\""]);
    assert_message("dubbo://h/a%G0b", &["\"%G0\"", "path"]);
    assert_message("dubbo://u%:p@h/a", &["user name"]);
    assert_message("dubbo://u:p%@h/a", &["password"]);
    assert_message("dubbo://h/p?a=%", &["\"%\""]);
}

#[test]
fn escapes_that_are_not_utf8() {
    assert!(matches!(
        error("dubbo://h/p?a=%FF"),
        UrlError::InvalidUtf8 { .. }
    ));
    assert_message("dubbo://h/p?a=%C3", &["UTF-8", "parameter \"a\""]);
}

#[test]
fn decode_component_errors() {
    let err = Url::decode_component("abc%2").unwrap_err().to_string();
    assert!(err.contains("\"%2\""), "{err}");
    let err = Url::decode_component("%E9").unwrap_err().to_string();
    assert!(err.contains("UTF-8"), "{err}");
}

#[test]
fn long_inputs_are_shortened_in_messages() {
    let long = format!("dubbo://h:99999/{}", "x".repeat(10_000));
    let message = error(&long).to_string();
    assert!(message.len() < 600, "message is {} bytes", message.len());
    assert!(message.contains('…'));
}

#[test]
fn odd_inputs_never_panic() {
    let odd = [
        "%",
        "://",
        ":///",
        "a://[",
        "a://]",
        "a://[]",
        "a://[]:1",
        "a://@",
        "a://@@@",
        "a://:",
        "a://::",
        "a://h:1:2",
        "a://h?%",
        "a://h/%",
        "a://h?=&=",
        "a://h?&&&",
        "a://[::1]]",
        "a://é:1",
        "a://h:٣",
        "a://h:1/p?k=v#frag",
        "\u{0}://\u{0}",
        "a://%zz@h",
    ];
    for s in odd {
        // Either result is fine; what matters is no panic and, on error, a message.
        if let Err(e) = Url::parse(s) {
            assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn bracket_inside_ipv6_brackets() {
    assert_message("a://[[x]/p", &["invalid host", "'['"]);
}
