//! The error returned when a string is not a valid Dubbo URL.

/// Longest piece of the input quoted in an error message; longer inputs are cut.
const QUOTE_LIMIT: usize = 120;

/// Why a string could not be parsed as a [`Url`](crate::Url) or decoded.
///
/// Every message names the part of the URL that is wrong and quotes the offending text
/// (inputs longer than 120 characters are shortened with `…`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The input was the empty string.
    #[error("empty URL: expected \"<protocol>://<host>[:<port>][/<path>][?<k>=<v>&…]\"")]
    Empty,

    /// The input does not start with `<protocol>://`.
    #[error("missing protocol in {input:?}: expected \"<protocol>://\" at the start")]
    MissingProtocol {
        /// The input (possibly shortened).
        input: String,
    },

    /// The protocol (scheme) contains a character that is not allowed.
    #[error(
        "invalid protocol {protocol:?}: {ch:?} is not allowed (use letters, digits, '+', '-', '.', '_')"
    )]
    InvalidProtocol {
        /// The protocol as written (possibly shortened).
        protocol: String,
        /// The first character that is not allowed.
        ch: char,
    },

    /// There is no host after `<protocol>://` (and no path either).
    #[error("missing host after \"{protocol}://\" in {input:?}")]
    MissingHost {
        /// The protocol that was read.
        protocol: String,
        /// The input (possibly shortened).
        input: String,
    },

    /// The port is not a decimal number.
    #[error("invalid port {port:?} in {input:?}: expected a decimal number from 0 to 65535")]
    InvalidPort {
        /// The port text as written (possibly shortened).
        port: String,
        /// The input (possibly shortened).
        input: String,
    },

    /// The port is a number but larger than 65535.
    #[error("port {port} is out of range in {input:?}: the largest port is 65535")]
    PortOutOfRange {
        /// The port text as written (possibly shortened).
        port: String,
        /// The input (possibly shortened).
        input: String,
    },

    /// An IPv6 host opened with `[` has no closing `]`.
    #[error("IPv6 host in {input:?} has no closing ']'")]
    UnclosedIpv6 {
        /// The input (possibly shortened).
        input: String,
    },

    /// Something other than `:<port>` follows the `]` of an IPv6 host.
    #[error(
        "unexpected {found:?} after the IPv6 host in {input:?}: expected \":<port>\" or nothing"
    )]
    AfterIpv6 {
        /// The text found after `]` (possibly shortened).
        found: String,
        /// The input (possibly shortened).
        input: String,
    },

    /// The host contains a character that cannot appear in a host.
    #[error("invalid host {host:?}: {ch:?} is not allowed in a host (IPv6 hosts go in brackets)")]
    InvalidHost {
        /// The host as written (possibly shortened).
        host: String,
        /// The character that is not allowed.
        ch: char,
    },

    /// A `%` is not followed by two hexadecimal digits.
    #[error(
        "invalid percent escape {escape:?} in {component}: '%' must be followed by two hex digits"
    )]
    BadEscape {
        /// The bad escape as written, e.g. `"%zz"` or `"%4"`.
        escape: String,
        /// Which part of the URL holds it, e.g. `the value of parameter "timeout"`.
        component: String,
    },

    /// Percent escapes decode to bytes that are not UTF-8.
    #[error("percent escapes in {component} do not decode to valid UTF-8")]
    InvalidUtf8 {
        /// Which part of the URL holds them.
        component: String,
    },

    /// A parameter that should hold an embedded URL (`export`, `refer`) does not.
    #[error("parameter {key:?} does not hold a valid URL: {source}")]
    SubUrl {
        /// The parameter key.
        key: String,
        /// What is wrong with the embedded URL.
        source: Box<UrlError>,
    },
}

/// Shortens `s` for quoting in an error message, on a character boundary.
pub(crate) fn quote(s: &str) -> String {
    if s.chars().count() <= QUOTE_LIMIT {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(QUOTE_LIMIT).collect();
    out.push('…');
    out
}
