//! A trace across three hops, consumer → provider A → provider B (A calls B inside its
//! handler), over dubbo and over Triple: one trace id throughout, each server span the
//! child of its caller's client span, and each handler running in its server span's
//! context; a consumer inside a trace scope continues that trace.
#![allow(missing_docs)]

mod tracing_support;

use oxidubbo::filter::trace_context::{self, TraceContext};
use oxidubbo_examples::Greeter;
use oxidubbo_integration_tests::free_port;
use tracing_support::{
    INTERFACE, RecordingGreeter, SpanRecord, greeter_reference, greeter_service, record_spans,
    seen, spans_of, start,
};

/// Runs the three hops over `protocol` and checks the trace.
async fn three_hops(protocol: &str) {
    record_spans();
    let (port_a, port_b) = (free_port(), free_port());
    let b_greeter = RecordingGreeter::default();
    let b = start(
        "trace-b",
        &greeter_service(protocol, port_b),
        Some(b_greeter.clone()),
    )
    .await;
    let a_greeter = RecordingGreeter::default();
    let a = start(
        "trace-a",
        &format!(
            "{}{}",
            greeter_service(protocol, port_a),
            greeter_reference("b", protocol, port_b)
        ),
        Some(a_greeter.clone()),
    )
    .await;
    let to_b = a.client::<dyn Greeter>("b").expect("client of b");
    assert!(a_greeter.next.set(to_b).is_ok());
    let consumer = start(
        "trace-consumer",
        &greeter_reference("a", protocol, port_a),
        None,
    )
    .await;
    let client = consumer.client::<dyn Greeter>("a").expect("client of a");

    // A call from outside any trace starts one.
    assert_eq!(
        client.say_hello("Ann".into()).await.expect("call"),
        "Hello, Ann"
    );
    let a_seen = seen(&a_greeter.seen);
    let b_seen = seen(&b_greeter.seen);
    assert_eq!((a_seen.len(), b_seen.len()), (1, 1), "{protocol}");
    let a_server = a_seen[0].clone().expect("A's handler runs in a trace");
    let b_server = b_seen[0].clone().expect("B's handler runs in a trace");
    let trace_id = a_server.trace_id;
    assert_eq!(
        b_server.trace_id, trace_id,
        "{protocol}: one trace id throughout"
    );

    let spans = spans_of(&trace_id.to_string());
    let find = |kind: &str, pred: &dyn Fn(&SpanRecord) -> bool| -> SpanRecord {
        let found: Vec<&SpanRecord> = spans
            .iter()
            .filter(|s| s.get("otel.kind") == kind && pred(s))
            .collect();
        assert_eq!(found.len(), 1, "{protocol}: {kind} spans {spans:#?}");
        found[0].clone()
    };
    let consumer_client = find("client", &|s| !s.fields.contains_key("parent_span_id"));
    let a_client = find("client", &|s| s.fields.contains_key("parent_span_id"));
    let server_a = find("server", &|s| s.get("server.port") == port_a.to_string());
    let server_b = find("server", &|s| s.get("server.port") == port_b.to_string());
    assert_eq!(spans.len(), 4, "{protocol}: {spans:#?}");

    // Consumer → A: A's server span is the child of the consumer's client span.
    assert_eq!(server_a.get("span_id"), a_server.span_id.to_string());
    assert_eq!(
        a_server.parent_id.map(|id| id.to_string()).as_deref(),
        Some(consumer_client.get("span_id")),
        "{protocol}"
    );
    assert_eq!(
        server_a.get("parent_span_id"),
        consumer_client.get("span_id")
    );
    // A → B: A's client span is the child of A's server span, B's server span its child.
    assert_eq!(a_client.get("parent_span_id"), a_server.span_id.to_string());
    assert_eq!(
        b_server.parent_id.map(|id| id.to_string()).as_deref(),
        Some(a_client.get("span_id")),
        "{protocol}: B's parent span is A's outgoing client span"
    );
    assert_eq!(server_b.get("span_id"), b_server.span_id.to_string());

    // The conventions' attributes.
    for span in [&consumer_client, &a_client, &server_a, &server_b] {
        assert_eq!(span.get("rpc.system"), "apache_dubbo");
        assert_eq!(span.get("rpc.service"), INTERFACE);
        assert_eq!(span.get("rpc.method"), "sayHello");
        assert_eq!(span.get("otel.name"), format!("{INTERFACE}/sayHello"));
        assert_eq!(span.get("rpc.dubbo.status"), "OK", "{span:?}");
    }
    assert_eq!(consumer_client.name, "dubbo.client");
    assert_eq!(server_a.name, "dubbo.server");
    assert_eq!(server_a.get("server.address"), "127.0.0.1");
    assert_eq!(server_b.get("network.peer.address"), "127.0.0.1");
    // A client span names the provider the call went to, recorded by the protocol invoker
    // once the cluster picked it.
    for (client_span, port) in [(&consumer_client, port_a), (&a_client, port_b)] {
        assert_eq!(client_span.get("server.address"), "127.0.0.1", "{protocol}");
        assert_eq!(
            client_span.get("server.port"),
            port.to_string(),
            "{protocol}"
        );
    }

    // A call made inside a trace continues it.
    let root = TraceContext::new_root(true);
    let answer = trace_context::scope(root.clone(), client.say_hello("Bo".into())).await;
    assert_eq!(answer.expect("call"), "Hello, Bo");
    let b_seen = seen(&b_greeter.seen);
    let b_again = b_seen.last().cloned().flatten().expect("traced");
    assert_eq!(b_again.trace_id, root.trace_id, "{protocol}");
    let caller = spans_of(&root.trace_id.to_string())
        .into_iter()
        .find(|s| s.fields.get("parent_span_id") == Some(&root.span_id.to_string()))
        .expect("the consumer's client span is the child of the current context");
    assert_eq!(caller.get("otel.kind"), "client");

    // A business error is recorded on both sides' spans.
    let root = TraceContext::new_root(true);
    trace_context::scope(root.clone(), client.fail("on purpose".into()))
        .await
        .unwrap_err();
    let failed = spans_of(&root.trace_id.to_string());
    assert_eq!(failed.len(), 2, "{protocol}: {failed:#?}");
    for span in &failed {
        assert_eq!(span.get("rpc.method"), "fail");
        assert_eq!(span.get("error.type"), "business", "{span:?}");
        assert_eq!(span.get("otel.status_code"), "ERROR");
    }

    consumer.shutdown().await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_crosses_three_hops_over_dubbo() {
    three_hops("dubbo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_crosses_three_hops_over_triple() {
    three_hops("tri").await;
}
