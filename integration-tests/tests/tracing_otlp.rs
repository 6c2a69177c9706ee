//! `[tracing] exporter = "otlp-http"`: the call spans of a provider and a consumer reach an
//! OTLP/HTTP collector — here an independent receiver decoding them with the OpenTelemetry
//! project's protobuf classes (`peers/grpc/otlp_receiver.py`) — with the W3C ids that went
//! over the wire, so client and server spans link up, and a call made inside a trace
//! continues it. The shutdown flushes the last batch.
//!
//! The bootstrap installs the global subscriber: this file holds one test.
#![allow(missing_docs)]

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use oxidubbo::filter::trace_context::{self, TraceContext};
use oxidubbo::{Bootstrap, Config};
use oxidubbo_examples::{Greeter, HelloGreeter};
use oxidubbo_integration_tests::{free_port, grpc_peers::grpc_dir};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const INTERFACE: &str = "org.apache.dubbo.samples.api.GreeterService";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_spans_reach_an_otlp_collector_with_their_wire_ids() {
    let Some(dir) = grpc_dir() else { return };
    let mut receiver = Command::new(dir.join(".venv/bin/python"))
        .arg(dir.join("otlp_receiver.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the OTLP receiver");
    let mut lines = BufReader::new(receiver.stdout.take().expect("stdout")).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("receiver ready within 30 s")
        .expect("receiver output")
        .expect("a ready line");
    let collector_port: u16 = ready
        .strip_prefix("ready ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {ready:?}"));

    let dubbo_port = free_port();
    let config = Config::parse(
        &format!(
            "[application]\nname = \"otlp-demo\"\n\n\
             [protocols.dubbo]\nport = {dubbo_port}\n\n\
             [services.greeter]\nversion = \"1.0.0\"\n\n\
             [references.greeter]\ninterface = \"{INTERFACE}\"\nversion = \"1.0.0\"\n\
             url = \"dubbo://127.0.0.1:{dubbo_port}\"\n\n\
             [tracing]\nenabled = true\nexporter = \"otlp-http\"\n\
             endpoint = \"http://127.0.0.1:{collector_port}/v1/traces\"\n"
        ),
        "otlp.toml",
    )
    .expect("config");
    let running = Bootstrap::from_config(config)
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .start()
        .await
        .expect("started");
    let client = running.client::<dyn Greeter>("greeter").expect("client");
    for name in ["a", "b"] {
        assert_eq!(
            client.say_hello(name.into()).await.expect("call"),
            format!("Hello, {name}")
        );
    }
    assert!(client.fail("boom".into()).await.is_err());
    // A call inside an upstream trace continues it.
    let upstream = TraceContext::new_root(true);
    trace_context::scope(upstream.clone(), client.say_hello("c".into()))
        .await
        .expect("call in a trace");
    running.shutdown().await;

    // 4 calls, a client and a server span each; the shutdown flushed them.
    let mut spans: Vec<Value> = Vec::new();
    while spans.len() < 8 {
        match tokio::time::timeout(Duration::from_secs(15), lines.next_line()).await {
            Ok(Ok(Some(line))) => spans.push(serde_json::from_str(&line).expect("JSON line")),
            other => panic!("only {} spans arrived ({other:?}): {spans:#?}", spans.len()),
        }
    }
    drop(receiver.stdin.take());
    let text = |s: &Value, k: &str| s[k].as_str().unwrap_or_default().to_owned();
    let attr = |s: &Value, k: &str| s["attributes"][k].clone();
    for span in &spans {
        assert_eq!(text(span, "service"), "otlp-demo", "{span}");
        assert_eq!(text(span, "scope"), "oxidubbo");
        assert_eq!(attr(span, "rpc.system"), "apache_dubbo");
        assert_eq!(attr(span, "rpc.service"), INTERFACE);
        let method = attr(span, "rpc.method");
        assert_eq!(
            text(span, "name"),
            format!("{INTERFACE}/{}", method.as_str().unwrap())
        );
        assert_eq!(attr(span, "server.port"), i64::from(dubbo_port), "{span}");
        assert_eq!(attr(span, "server.address"), "127.0.0.1");
        assert!(span["end"].as_u64() >= span["start"].as_u64(), "{span}");
    }
    let clients: Vec<&Value> = spans
        .iter()
        .filter(|s| text(s, "kind") == "SPAN_KIND_CLIENT")
        .collect();
    assert_eq!(clients.len(), 4, "{spans:#?}");
    for client_span in clients {
        // Its server span: same trace, parented by the id the consumer sent.
        let servers: Vec<&Value> = spans
            .iter()
            .filter(|s| {
                text(s, "kind") == "SPAN_KIND_SERVER"
                    && text(s, "trace_id") == text(client_span, "trace_id")
            })
            .collect();
        assert_eq!(servers.len(), 1, "{spans:#?}");
        let server = servers[0];
        assert_eq!(text(server, "parent_span_id"), text(client_span, "span_id"));
        assert_eq!(attr(server, "rpc.method"), attr(client_span, "rpc.method"));
        let failed = attr(client_span, "rpc.method") == "fail";
        let status = if failed {
            "STATUS_CODE_ERROR"
        } else {
            "STATUS_CODE_UNSET"
        };
        assert_eq!(text(client_span, "status"), status, "{client_span}");
        assert_eq!(text(server, "status"), status, "{server}");
        if text(client_span, "trace_id") == upstream.trace_id.to_string() {
            assert_eq!(
                text(client_span, "parent_span_id"),
                upstream.span_id.to_string(),
                "the call continued the upstream trace"
            );
        } else {
            assert_eq!(
                text(client_span, "parent_span_id"),
                "",
                "a new trace's root"
            );
        }
    }
    assert!(
        spans
            .iter()
            .any(|s| text(s, "trace_id") == upstream.trace_id.to_string()),
        "the upstream trace: {spans:#?}"
    );
}
