//! The provider a call went to, on the caller's span.
//!
//! A consumer's `tracing` filter wraps the cluster, which picks the provider after the
//! span is made; the protocol invoker that sends the call knows where it goes, so it records
//! `server.address` / `server.port` (OpenTelemetry's names) on the span current while it
//! runs. A span that does not declare those fields (or no span) ignores them; after a
//! failover retry the last provider tried is recorded.

use oxidubbo_common::Url;

/// A provider's host and port, recorded on the current span per call.
#[derive(Debug, Clone)]
pub(crate) struct PeerAddress {
    host: String,
    port: u16,
}

impl PeerAddress {
    /// The address of the provider `url` points at.
    pub(crate) fn of(url: &Url) -> PeerAddress {
        PeerAddress {
            host: url.host().to_owned(),
            port: url.port(),
        }
    }

    /// Records the address on the current span, if there is one.
    pub(crate) fn record(&self) {
        let span = tracing::Span::current();
        if !span.is_disabled() {
            span.record("server.address", self.host.as_str());
            span.record("server.port", self.port);
        }
    }
}
