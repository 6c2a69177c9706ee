//! Provider-side filters apply to in-process (injvm) calls as to remote ones: the exported
//! chain reads the provider's URL, not the consumer's.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_filter::{Side, build_chain};
use oxidubbo_invoker::{Invoker, RpcError, Url};
use oxidubbo_protocol::{Exporter, InjvmProtocol, Protocol};
use support::{gated_service, recording_service, say_hello};

fn injvm_url(params: &str) -> Arc<Url> {
    Arc::new(
        Url::parse(&format!(
            "injvm://127.0.0.1/org.example.Greeter?version=1.0.0&{params}"
        ))
        .unwrap(),
    )
}

/// A consumer of the greeter over `protocol`, with the consumer chain its URL asks for.
async fn consumer(protocol: &InjvmProtocol, params: &str) -> Arc<dyn Invoker> {
    let url = injvm_url(params);
    let invoker = protocol.refer(Arc::clone(&url)).await.unwrap();
    build_chain(&url, Side::Consumer, invoker).unwrap()
}

#[tokio::test]
async fn the_providers_token_is_checked_over_injvm() {
    let protocol = InjvmProtocol::new();
    let url = injvm_url("token=s3cret");
    let (service, seen) = recording_service(Arc::clone(&url));
    let _exporter: Arc<dyn Exporter> = protocol
        .export(build_chain(&url, Side::Provider, service).unwrap())
        .await
        .unwrap();

    // The consumer attaches the token of its own URL; the provider checks it against its.
    let wrong = consumer(&protocol, "token=guess").await;
    match wrong.invoke(say_hello("a")).await {
        Err(RpcError::Forbidden(m)) => assert!(m.contains("a wrong token"), "{m}"),
        other => panic!("a wrong token passed: {other:?}"),
    }
    assert!(
        seen.lock().unwrap().is_none(),
        "refused calls reach no service"
    );
    // Java's rule for local exposure: a call without a token is given the provider's.
    let none = consumer(&protocol, "").await;
    let answer = none.invoke(say_hello("a")).await.unwrap();
    assert_eq!(answer.value.as_str(), Some("Hello, a"));
    assert!(seen.lock().unwrap().take().is_some());

    let right = consumer(&protocol, "token=s3cret").await;
    let answer = right.invoke(say_hello("a")).await.unwrap();
    assert_eq!(answer.value.as_str(), Some("Hello, a"));
    let served = seen.lock().unwrap().take().unwrap();
    assert!(
        served.url().is_some_and(|u| Arc::ptr_eq(u, &url)),
        "the service sees the provider's URL"
    );
    protocol.destroy().await;
}

#[tokio::test]
async fn the_providers_executes_limit_holds_over_injvm() {
    let protocol = InjvmProtocol::new();
    let url = injvm_url("executes=1");
    let (service, gate) = gated_service(Arc::clone(&url));
    let _exporter = protocol
        .export(build_chain(&url, Side::Provider, service).unwrap())
        .await
        .unwrap();
    let consumer = consumer(&protocol, "").await;

    let first = {
        let consumer = Arc::clone(&consumer);
        tokio::spawn(async move { consumer.invoke(say_hello("a")).await })
    };
    gate.entered(1).await;
    let second = tokio::time::timeout(Duration::from_secs(5), consumer.invoke(say_hello("b")))
        .await
        .expect("a call over the limit is refused at once, not queued");
    match second {
        Err(RpcError::Forbidden(m)) => assert!(m.contains("executes=1"), "{m}"),
        other => panic!("the second call ran beside the first: {other:?}"),
    }
    gate.release(1);
    assert!(first.await.unwrap().is_ok());
    protocol.destroy().await;
}
