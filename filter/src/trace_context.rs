//! W3C Trace Context: the `traceparent` and `tracestate` values that carry a trace from
//! one service to the next, and the trace context current in a provider call.
//!
//! `traceparent` is `<version>-<trace-id>-<parent-id>-<flags>` in lower-case hex
//! (2, 32, 16 and 2 digits). Version `00` is parsed and written; a later version is read
//! by its first four fields, as the recommendation asks; version `ff`, upper-case hex, a
//! wrong length and all-zero ids are invalid. `tracestate` is kept as received when it is
//! a plausible list (at most 32 `key=value` members, printable ASCII, at most 512
//! characters) and dropped otherwise. Invalid input is ignored, never an error or a panic:
//! the caller then starts a new trace.
//!
//! [`current`] is the context of the provider call the task is serving (set by the
//! `tracing` filter with [`scope`]), so that the calls a service makes continue its trace.

use std::fmt::{self, Write as _};
use std::future::Future;

/// The `traceparent` attachment / header.
pub const TRACEPARENT: &str = "traceparent";
/// The `tracestate` attachment / header.
pub const TRACESTATE: &str = "tracestate";

/// The `sampled` bit of the trace flags.
pub const FLAG_SAMPLED: u8 = 0x01;

/// The longest `tracestate` kept (the recommendation's limit for propagation).
const MAX_TRACESTATE: usize = 512;
/// The most `tracestate` members.
const MAX_TRACESTATE_MEMBERS: usize = 32;

/// A 16-byte trace id (never all zero).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id (never all zero).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpanId(pub [u8; 8]);

impl TraceId {
    /// A new random trace id.
    pub fn random() -> Self {
        let mut id: u128 = rand::random();
        if id == 0 {
            id = 1;
        }
        TraceId(id.to_be_bytes())
    }
}

impl SpanId {
    /// A new random span id.
    pub fn random() -> Self {
        let mut id: u64 = rand::random();
        if id == 0 {
            id = 1;
        }
        SpanId(id.to_be_bytes())
    }
}

fn write_hex(f: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

/// One span's place in a trace: the W3C fields plus the id of its parent span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// The trace this span belongs to.
    pub trace_id: TraceId,
    /// This span's id (sent as `parent-id` to the next hop).
    pub span_id: SpanId,
    /// The span this one is a child of: `None` for a trace's root, else the local parent
    /// or the `parent-id` a caller sent.
    pub parent_id: Option<SpanId>,
    /// The trace flags (bit 0: sampled).
    pub flags: u8,
    /// The caller's `tracestate`, passed on unchanged.
    pub state: Option<String>,
}

impl TraceContext {
    /// The root span of a new trace, sampled or not.
    pub fn new_root(sampled: bool) -> Self {
        TraceContext {
            trace_id: TraceId::random(),
            span_id: SpanId::random(),
            parent_id: None,
            flags: if sampled { FLAG_SAMPLED } else { 0 },
            state: None,
        }
    }

    /// The context a caller sent: `traceparent` parsed (its `parent-id` becomes this
    /// context's [`span_id`](Self::span_id)), with `tracestate` when it is valid. `None`
    /// when `traceparent` is invalid.
    pub fn from_headers(traceparent: &str, tracestate: Option<&str>) -> Option<Self> {
        let (trace_id, span_id, flags) = parse_traceparent(traceparent)?;
        Some(TraceContext {
            trace_id,
            span_id,
            parent_id: None,
            flags,
            state: tracestate.and_then(valid_tracestate).map(str::to_owned),
        })
    }

    /// A new span in this trace whose parent is this span: same trace id, flags and
    /// state, a new span id.
    pub fn child(&self) -> Self {
        TraceContext {
            trace_id: self.trace_id,
            span_id: SpanId::random(),
            parent_id: Some(self.span_id),
            flags: self.flags,
            state: self.state.clone(),
        }
    }

    /// Whether the sampled flag is set.
    pub fn is_sampled(&self) -> bool {
        self.flags & FLAG_SAMPLED != 0
    }

    /// The `traceparent` value naming this span as the parent (version `00`).
    pub fn traceparent(&self) -> String {
        let mut s = String::with_capacity(55);
        // Writing to a String cannot fail.
        let _ = write!(
            s,
            "00-{}-{}-{:02x}",
            self.trace_id, self.span_id, self.flags
        );
        s
    }
}

/// `(trace-id, parent-id, flags)` of a valid `traceparent`.
fn parse_traceparent(value: &str) -> Option<(TraceId, SpanId, u8)> {
    let value = value.trim();
    let bytes = value.as_bytes();
    if bytes.len() < 55 {
        return None;
    }
    let version = hex_byte(&bytes[0..2])?;
    match version {
        0xff => return None,
        0x00 if bytes.len() != 55 => return None,
        // A later version may append fields after a dash.
        _ if bytes.len() > 55 && bytes[55] != b'-' => return None,
        _ => {}
    }
    if bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
        return None;
    }
    let mut trace = [0u8; 16];
    for (i, b) in trace.iter_mut().enumerate() {
        *b = hex_byte(&bytes[3 + 2 * i..5 + 2 * i])?;
    }
    let mut span = [0u8; 8];
    for (i, b) in span.iter_mut().enumerate() {
        *b = hex_byte(&bytes[36 + 2 * i..38 + 2 * i])?;
    }
    let flags = hex_byte(&bytes[53..55])?;
    if trace == [0; 16] || span == [0; 8] {
        return None;
    }
    Some((TraceId(trace), SpanId(span), flags))
}

/// The byte two lower-case hex digits spell.
fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    match pair {
        [hi, lo] => Some(digit(*hi)? << 4 | digit(*lo)?),
        _ => None,
    }
}

/// `value` when it is a plausible `tracestate` list.
fn valid_tracestate(value: &str) -> Option<&str> {
    let value = value.trim();
    if value.is_empty()
        || value.len() > MAX_TRACESTATE
        || !value.bytes().all(|b| (0x20..=0x7e).contains(&b))
    {
        return None;
    }
    let mut members = 0;
    for member in value.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let (key, val) = member.split_once('=')?;
        if key.is_empty() || val.is_empty() || key.contains(' ') {
            return None;
        }
        members += 1;
    }
    (1..=MAX_TRACESTATE_MEMBERS)
        .contains(&members)
        .then_some(value)
}

tokio::task_local! {
    static CURRENT: TraceContext;
}

/// The trace context of the provider call this task is serving, if any.
pub fn current() -> Option<TraceContext> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Runs `future` with `context` as the [`current`] one: the calls it makes are children
/// of `context`.
pub async fn scope<F: Future>(context: TraceContext, future: F) -> F::Output {
    CURRENT.scope(context, future).await
}
