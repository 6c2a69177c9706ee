//! `echo`: `$echo(x)` answers `x` on the provider without reaching the service.

mod support;

use oxidubbo_filter::{Side, build_chain};
use oxidubbo_invoker::{Invocation, Value};
use support::{recording_service, say_hello, url};

#[tokio::test]
async fn echo_returns_its_argument_without_calling_the_service() {
    let (service, seen) = recording_service(url("token=secret"));
    let chain = build_chain(&url("token=secret"), Side::Provider, service).unwrap();
    let echo = Invocation::new("$echo", "Ljava/lang/Object;", vec![Value::from("ping")]);
    let r = chain.invoke(echo).await.unwrap();
    assert_eq!(r.value.as_str(), Some("ping"));
    assert!(seen.lock().unwrap().is_none(), "the service was not called");
    // Other calls still go through (and still need the token).
    assert!(chain.invoke(say_hello("a")).await.is_err());
}

#[tokio::test]
async fn echo_with_other_arity_or_on_the_consumer_passes_through() {
    let (service, seen) = recording_service(url(""));
    let chain = build_chain(&url(""), Side::Provider, service).unwrap();
    let odd = Invocation::new("$echo", "", vec![]);
    assert!(chain.invoke(odd).await.is_err());
    assert_eq!(
        seen.lock().unwrap().as_ref().unwrap().method_name(),
        "$echo"
    );

    let (service, seen) = recording_service(url(""));
    let consumer = build_chain(&url(""), Side::Consumer, service).unwrap();
    let echo = Invocation::new("$echo", "Ljava/lang/Object;", vec![Value::from("ping")]);
    let _ = consumer.invoke(echo).await;
    assert!(
        seen.lock().unwrap().is_some(),
        "a consumer's $echo goes to the provider"
    );
}
