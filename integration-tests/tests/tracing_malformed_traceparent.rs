//! A malformed `traceparent` from an independent client starts a fresh trace in the
//! oxidubbo provider, never an error: sofa-rpc-node (dubbo attachment) and grpcio (Triple
//! metadata). The peers are required in CI (`OXIDUBBO_REQUIRE_PEERS=1`) and skipped
//! loudly elsewhere.
#![allow(missing_docs)]

mod tracing_support;

use oxidubbo::filter::trace_context::TraceContext;
use oxidubbo_integration_tests::grpc_peers::{grpc_dir, run_grpcio};
use oxidubbo_integration_tests::{free_port, run_sofa_consumer, sofa_dir};
use serde_json::json;
use tracing_support::{
    RecordingGreetService, RecordingGreeter, greeter_service, seen, serve_traced_greet, start,
};

/// A valid trace id, made invalid by each case around it.
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn malformed() -> Vec<String> {
    vec![
        "garbage".to_owned(),
        format!("00-{}-00f067aa0ba902b7-01", "0".repeat(32)),
        format!("00-{}-00F067AA0BA902B7-01", TRACE.to_uppercase()),
        format!("ff-{TRACE}-00f067aa0ba902b7-01"),
        format!("00-{TRACE}-00f067aa0ba902b7-01-extra"),
    ]
}

/// Checks that each handler call ran in a fresh trace, not one made of the bad values.
fn assert_fresh(seen: &[Option<TraceContext>], expected: usize) {
    assert_eq!(seen.len(), expected, "every call reached the service");
    for ctx in seen {
        let ctx = ctx.as_ref().expect("the handler runs in a trace");
        assert_eq!(ctx.parent_id, None, "a new trace's root: {ctx:?}");
        assert_ne!(ctx.trace_id.to_string(), TRACE);
        assert_ne!(ctx.trace_id.to_string(), "0".repeat(32));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sofa_rpc_node_s_malformed_traceparent_starts_a_fresh_trace() {
    let Some(dir) = sofa_dir() else { return };
    let port = free_port();
    let greeter = RecordingGreeter::default();
    let provider = start(
        "trace-bad",
        &greeter_service("dubbo", port),
        Some(greeter.clone()),
    )
    .await;
    let cases = malformed();
    for bad in &cases {
        let attachments = json!({"traceparent": bad, "tracestate": "\u{1}bad"});
        let lines = run_sofa_consumer(
            &dir,
            &[
                "--target",
                &format!("127.0.0.1:{port}"),
                "--calls",
                "sayHello",
                "--attachments",
                &attachments.to_string(),
            ],
        )
        .await;
        assert_eq!(lines.len(), 1, "{bad}: {lines:?}");
        assert!(lines[0].contains(r#""ok":true"#), "{bad}: {lines:?}");
    }
    assert_fresh(&seen(&greeter.seen), cases.len());
    provider.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcio_s_malformed_traceparent_starts_a_fresh_trace() {
    let Some(dir) = grpc_dir() else { return };
    let service = RecordingGreetService::default();
    let (provider, address) = serve_traced_greet(service.clone()).await;
    let proto = tracing_support::greet_proto();
    let proto = proto.to_string_lossy();
    let cases = malformed();
    for bad in &cases {
        let got = run_grpcio(
            &dir,
            &[
                "call",
                "--proto",
                &proto,
                "--target",
                &address,
                "--name",
                "Ann",
                "--metadata",
                &format!("traceparent={bad}"),
            ],
        )
        .await;
        assert_eq!(got, json!({"ok": "Hello, Ann"}), "{bad}");
    }
    assert_fresh(&seen(&service.seen), cases.len());
    provider.shutdown().await;
}
