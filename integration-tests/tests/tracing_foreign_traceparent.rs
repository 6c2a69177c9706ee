//! A `traceparent` sent by an independent client is continued by an oxidubbo provider:
//! sofa-rpc-node (dubbo, as an attachment) and grpcio (Triple, as metadata). The handler
//! runs in the same trace, its parent span the one sent, with the `tracestate` sent.
//! The peers are required in CI (`OXIDUBBO_REQUIRE_PEERS=1`) and skipped loudly elsewhere.
#![allow(missing_docs)]

mod tracing_support;

use oxidubbo::filter::trace_context::TraceContext;
use oxidubbo_integration_tests::grpc_peers::{grpc_dir, run_grpcio};
use oxidubbo_integration_tests::{free_port, run_sofa_consumer, sofa_dir};
use serde_json::json;
use tracing_support::{
    RecordingGreetService, RecordingGreeter, greeter_service, seen, serve_traced_greet, start,
};

const TRACESTATE: &str = "vendor=opaque,other=1";

/// Checks that the handler's context continues `sent`.
fn assert_continues(seen: Option<TraceContext>, sent: &TraceContext) {
    let seen = seen.expect("the handler runs in a trace");
    assert_eq!(seen.trace_id, sent.trace_id, "the trace id sent");
    assert_eq!(
        seen.parent_id,
        Some(sent.span_id),
        "the parent span id sent"
    );
    assert_ne!(seen.span_id, sent.span_id, "a span of its own");
    assert!(seen.is_sampled());
    assert_eq!(seen.state.as_deref(), Some(TRACESTATE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sofa_rpc_node_s_traceparent_attachment_is_continued() {
    let Some(dir) = sofa_dir() else { return };
    let port = free_port();
    let greeter = RecordingGreeter::default();
    let provider = start(
        "trace-sofa",
        &greeter_service("dubbo", port),
        Some(greeter.clone()),
    )
    .await;
    let sent = TraceContext::new_root(true);
    let attachments = json!({"traceparent": sent.traceparent(), "tracestate": TRACESTATE});
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
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(r#""ok":true"#), "{lines:?}");
    let seen = seen(&greeter.seen);
    assert_eq!(seen.len(), 1);
    assert_continues(seen[0].clone(), &sent);
    provider.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcio_s_traceparent_metadata_is_continued() {
    let Some(dir) = grpc_dir() else { return };
    let service = RecordingGreetService::default();
    let (provider, address) = serve_traced_greet(service.clone()).await;
    let sent = TraceContext::new_root(true);
    let proto = tracing_support::greet_proto();
    let got = run_grpcio(
        &dir,
        &[
            "call",
            "--proto",
            &proto.to_string_lossy(),
            "--target",
            &address,
            "--name",
            "Ann",
            "--metadata",
            &format!("traceparent={}", sent.traceparent()),
            "--metadata",
            &format!("tracestate={TRACESTATE}"),
        ],
    )
    .await;
    assert_eq!(got, json!({"ok": "Hello, Ann"}));
    let seen = seen(&service.seen);
    assert_eq!(seen.len(), 1);
    assert_continues(seen[0].clone(), &sent);
    provider.shutdown().await;
}
