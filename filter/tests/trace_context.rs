//! The W3C trace context model: `traceparent` parsed and written (version 00), invalid
//! values ignored (never a panic), `tracestate` kept or dropped, children and the current
//! context of a task.
#![allow(missing_docs)]

use oxidubbo_filter::trace_context::{self, SpanId, TraceContext, TraceId};

const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[test]
fn parses_and_writes_version_00() {
    let ctx = TraceContext::from_headers(VALID, None).expect("valid");
    assert_eq!(ctx.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(ctx.span_id.to_string(), "00f067aa0ba902b7");
    assert_eq!(ctx.flags, 1);
    assert!(ctx.is_sampled());
    assert_eq!(ctx.parent_id, None);
    assert_eq!(ctx.traceparent(), VALID);
    let unsampled = TraceContext::from_headers(&VALID.replace("-01", "-00"), None).expect("valid");
    assert!(!unsampled.is_sampled());
    // Surrounding white space is tolerated.
    assert!(TraceContext::from_headers(&format!(" {VALID} "), None).is_some());
}

#[test]
fn later_versions_are_read_by_their_first_fields() {
    let v1 = VALID.replacen("00", "01", 1);
    let ctx = TraceContext::from_headers(&format!("{v1}-whatever"), None).expect("future");
    assert_eq!(ctx.span_id.to_string(), "00f067aa0ba902b7");
    assert_eq!(ctx.traceparent(), VALID, "always written as version 00");
}

#[test]
fn invalid_traceparents_are_ignored() {
    let cases = [
        String::new(),
        "garbage".to_owned(),
        VALID[..54].to_owned(),
        format!("{VALID}-extra"), // version 00 has no extra fields
        format!("{VALID}0"),
        VALID.replacen("00", "ff", 1), // version ff is invalid
        VALID.replace("4bf92f3577b34da6a3ce929d0e0e4736", &"0".repeat(32)),
        VALID.replace("00f067aa0ba902b7", &"0".repeat(16)),
        VALID.to_uppercase(), // upper-case hex
        VALID.replace('-', "_"),
        VALID.replacen('b', "g", 1),
        VALID.replacen("4bf9", "4bf\u{e9}", 1), // multi-byte character
        format!("{}x", VALID.replacen("00", "01", 1)), // a later version needs a dash
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-701".to_owned(),
    ];
    for case in &cases {
        assert_eq!(TraceContext::from_headers(case, None), None, "{case:?}");
    }
    // Every prefix and every single-byte corruption: never a panic.
    for end in 0..=VALID.len() {
        let _ = TraceContext::from_headers(&VALID[..end], None);
    }
    for i in 0..VALID.len() {
        for c in ['-', 'z', '\u{0}', 'é'] {
            let mut s = VALID.to_owned();
            s.replace_range(i..=i, &c.to_string());
            let _ = TraceContext::from_headers(&s, Some(&s));
        }
    }
}

#[test]
fn tracestate_is_kept_when_plausible() {
    let state = |s: &str| {
        TraceContext::from_headers(VALID, Some(s))
            .expect("valid")
            .state
    };
    assert_eq!(
        state("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
        Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE".to_owned())
    );
    assert_eq!(state(""), None);
    assert_eq!(state("no-equals-sign"), None);
    assert_eq!(state("a=1,=2"), None);
    assert_eq!(state("a=\u{7}"), None);
    assert_eq!(state(&format!("a={}", "x".repeat(600))), None);
    let many: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
    assert_eq!(state(&many.join(",")), None);
    assert!(state(&many[..32].join(",")).is_some());
}

#[test]
fn a_child_keeps_the_trace_and_points_at_its_parent() {
    let parent = TraceContext::from_headers(VALID, Some("a=b")).expect("valid");
    let child = parent.child();
    assert_eq!(child.trace_id, parent.trace_id);
    assert_eq!(child.parent_id, Some(parent.span_id));
    assert_ne!(child.span_id, parent.span_id);
    assert_eq!(child.flags, parent.flags);
    assert_eq!(child.state.as_deref(), Some("a=b"));
    let back = TraceContext::from_headers(&child.traceparent(), None).expect("round trip");
    assert_eq!(back.trace_id, child.trace_id);
    assert_eq!(back.span_id, child.span_id);
}

#[test]
fn new_ids_are_random_and_never_zero() {
    let roots: Vec<TraceContext> = (0..100).map(|_| TraceContext::new_root(true)).collect();
    for root in &roots {
        assert_ne!(root.trace_id, TraceId([0; 16]));
        assert_ne!(root.span_id, SpanId([0; 8]));
        assert!(root.is_sampled());
        assert_eq!(root.parent_id, None);
        assert!(TraceContext::from_headers(&root.traceparent(), None).is_some());
    }
    let mut ids: Vec<_> = roots.iter().map(|r| r.trace_id).collect();
    ids.sort_by_key(|id| id.0);
    ids.dedup();
    assert_eq!(ids.len(), roots.len());
    assert!(!TraceContext::new_root(false).is_sampled());
}

#[tokio::test]
async fn the_current_context_is_the_scope_s() {
    assert_eq!(trace_context::current(), None);
    let ctx = TraceContext::new_root(true);
    let seen = trace_context::scope(ctx.clone(), async { trace_context::current() }).await;
    assert_eq!(seen, Some(ctx));
    assert_eq!(trace_context::current(), None);
}
