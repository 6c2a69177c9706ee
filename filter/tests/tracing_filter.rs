//! The `tracing` filter on each side, over an in-process invoker: the consumer attaches a
//! child of the current context (or of a new trace) as `traceparent`, with the current
//! `tracestate` and never a stale one; the provider continues the `traceparent` it gets
//! and makes its span's context current for the service.
#![allow(missing_docs)]

use std::sync::{Arc, Mutex};

use oxidubbo_filter::trace_context::{self, TRACEPARENT, TRACESTATE, TraceContext};
use oxidubbo_filter::{ChainBuilder, FilterRegistry, Side, trace};
use oxidubbo_invoker::{Invocation, Invoker, RpcResult, ServiceInvoker, Url, service_fn};

/// What the service saw: the call's `traceparent` and `tracestate`, and the current context.
type Seen = Arc<Mutex<Vec<(Option<String>, Option<String>, Option<TraceContext>)>>>;

fn chain(side: Side) -> (Arc<dyn Invoker>, Seen) {
    let seen: Seen = Arc::default();
    let record = Arc::clone(&seen);
    let url: Url = "dubbo://127.0.0.1:20880/com.example.Greeter?reference.filter=tracing,-default&service.filter=tracing,-default"
        .parse()
        .expect("url");
    let url = Arc::new(url);
    let service = ServiceInvoker::new(
        Arc::clone(&url),
        service_fn(move |inv: Invocation| {
            let record = Arc::clone(&record);
            async move {
                let get = |k| inv.attachments().get_str(k).map(str::to_owned);
                record.lock().unwrap().push((
                    get(TRACEPARENT),
                    get(TRACESTATE),
                    trace_context::current(),
                ));
                Ok(RpcResult::new("ok"))
            }
        }),
    );
    let mut registry = FilterRegistry::builtin().as_ref().clone();
    registry
        .register_filter(trace::NAME, trace::factory(1.0))
        .expect("registered");
    let invoker = ChainBuilder::new(side)
        .registry(Arc::new(registry))
        .build(&url, Arc::new(service))
        .expect("chain");
    (invoker, seen)
}

fn call() -> Invocation {
    Invocation::new("sayHello", "Ljava/lang/String;", vec!["Ann".into()])
}

#[tokio::test]
async fn the_consumer_sends_a_child_of_the_current_context() {
    let (consumer, seen) = chain(Side::Consumer);
    let mut parent = TraceContext::new_root(true);
    parent.state = Some("vendor=1".to_owned());
    trace_context::scope(parent.clone(), consumer.invoke(call()))
        .await
        .expect("call");
    // Outside any context, with a stale tracestate attached by the caller.
    consumer
        .invoke(call().with_attachment(TRACESTATE, "stale=1"))
        .await
        .expect("call");
    let seen = seen.lock().unwrap().clone();
    let (sent, state, _) = &seen[0];
    let sent = TraceContext::from_headers(sent.as_deref().expect("traceparent"), None)
        .expect("a valid traceparent");
    assert_eq!(sent.trace_id, parent.trace_id);
    assert_ne!(sent.span_id, parent.span_id, "the client span's own id");
    assert!(sent.is_sampled());
    assert_eq!(state.as_deref(), Some("vendor=1"));

    let (fresh, state, _) = &seen[1];
    let fresh = TraceContext::from_headers(fresh.as_deref().expect("traceparent"), None)
        .expect("a valid traceparent");
    assert_ne!(fresh.trace_id, parent.trace_id, "a new trace");
    assert_eq!(state, &None, "no stale tracestate");
}

#[tokio::test]
async fn the_provider_continues_the_traceparent_it_gets() {
    let (provider, seen) = chain(Side::Provider);
    let sent = TraceContext::new_root(true);
    provider
        .invoke(
            call()
                .with_attachment(TRACEPARENT, sent.traceparent())
                .with_attachment(TRACESTATE, "vendor=1"),
        )
        .await
        .expect("call");
    provider
        .invoke(call().with_attachment(TRACEPARENT, "00-garbage"))
        .await
        .expect("a bad traceparent is no error");
    let seen = seen.lock().unwrap().clone();
    let current = seen[0].2.clone().expect("a current context");
    assert_eq!(current.trace_id, sent.trace_id);
    assert_eq!(current.parent_id, Some(sent.span_id));
    assert_eq!(current.state.as_deref(), Some("vendor=1"));
    let fresh = seen[1].2.clone().expect("a current context");
    assert_eq!(fresh.parent_id, None);
    assert_ne!(fresh.trace_id, sent.trace_id);
}
