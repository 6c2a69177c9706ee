//! `[tracing]`: off by default (no trace context in a provider call), set by
//! `OXIDUBBO_TRACING__*` overrides, `sampling` and the exporter settings checked; `sampling = 0` makes new traces
//! unsampled (no spans) yet still propagated.
#![allow(missing_docs)]

mod tracing_support;

use std::sync::Arc;

use oxidubbo::config::Config;
use oxidubbo::{Bootstrap, DubboProtocol};
use oxidubbo_examples::Greeter;
use oxidubbo_integration_tests::free_port;
use tracing_support::{
    RecordingGreeter, greeter_reference, greeter_service, record_spans, seen, spans_of,
};

#[test]
fn tracing_config_is_checked_and_overridable() {
    let config = Config::parse("", "app.toml").unwrap();
    assert!(!config.tracing.enabled);
    assert_eq!(config.tracing.sampling, 1.0);
    let env = [
        ("OXIDUBBO_TRACING__ENABLED".to_owned(), "true".to_owned()),
        ("OXIDUBBO_TRACING__SAMPLING".to_owned(), "0.25".to_owned()),
    ];
    let config = Config::from_str_with_env("", "app.toml", env).unwrap();
    assert!(config.tracing.enabled);
    assert_eq!(config.tracing.sampling, 0.25);
    for bad in ["1.5", "-0.1"] {
        let text = format!("[tracing]\nenabled = true\nsampling = {bad}\n");
        let err = Config::parse(&text, "app.toml").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("app.toml:3:1: tracing.sampling"),
            "{err}"
        );
    }
    // The exporter: dubbo-go's `otlp-http` only, with spans made, to an http:// endpoint.
    let exporter = |lines: &str| Config::parse(&format!("[tracing]\n{lines}"), "app.toml");
    let err = exporter("enabled = true\nexporter = \"otlp\"\n").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("app.toml:3:1: tracing.exporter: unknown exporter \"otlp\""),
        "{err}"
    );
    let err = exporter("exporter = \"otlp-http\"\n").unwrap_err();
    assert!(err.to_string().contains("needs `enabled = true`"), "{err}");
    let err = exporter("enabled = true\nexporter = \"otlp-http\"\nendpoint = \"127.0.0.1:4318\"\n")
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("app.toml:4:1: tracing.endpoint"),
        "{err}"
    );
    let config = exporter("enabled = true\nexporter = \"otlp-http\"\n").unwrap();
    assert_eq!(config.tracing.endpoint, "http://127.0.0.1:4318/v1/traces");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_tracing_a_provider_call_has_no_trace_context() {
    let port = free_port();
    let greeter = RecordingGreeter::default();
    let app = |text: String| {
        Bootstrap::from_config(Config::parse(&text, "app.toml").expect("config"))
            .dubbo_protocol(Arc::new(DubboProtocol::new()))
    };
    let provider = app(greeter_service("dubbo", port))
        .service::<dyn Greeter>("greeter", Arc::new(greeter.clone()))
        .start()
        .await
        .expect("provider");
    let consumer = app(greeter_reference("greeter", "dubbo", port))
        .start()
        .await
        .expect("consumer");
    let client = consumer.client::<dyn Greeter>("greeter").expect("client");
    client.say_hello("Ann".into()).await.expect("call");
    assert_eq!(seen(&greeter.seen), vec![None]);
    consumer.shutdown().await;
    provider.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampling_zero_propagates_unsampled_traces_without_spans() {
    record_spans();
    let port = free_port();
    let greeter = RecordingGreeter::default();
    let sampled_out = |toml: String| format!("{toml}\n[tracing]\nenabled = true\nsampling = 0.0\n");
    let provider = tracing_support::start(
        "sampled-provider",
        &greeter_service("dubbo", port),
        Some(greeter.clone()),
    )
    .await;
    let text = format!(
        "[application]\nname = \"sampled-consumer\"\n\n{}",
        sampled_out(greeter_reference("greeter", "dubbo", port))
    );
    let consumer = Bootstrap::from_config(Config::parse(&text, "app.toml").expect("config"))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .expect("consumer");
    let client = consumer.client::<dyn Greeter>("greeter").expect("client");
    client.say_hello("Ann".into()).await.expect("call");
    let seen = seen(&greeter.seen);
    let ctx = seen[0].clone().expect("the trace is propagated");
    assert!(!ctx.is_sampled(), "the consumer's decision is followed");
    assert!(
        ctx.parent_id.is_some(),
        "the consumer's span id is the parent"
    );
    assert_eq!(
        spans_of(&ctx.trace_id.to_string()).len(),
        0,
        "no span recorded"
    );
    consumer.shutdown().await;
    provider.shutdown().await;
}
