//! `executes`: the provider refuses calls over its per-method concurrency limit.

mod support;

use std::sync::Arc;

use oxidubbo_filter::{Side, build_chain};
use oxidubbo_invoker::{Invocation, RpcError, RpcStatus};
use support::{gated_service, say_hello, url};

#[tokio::test]
async fn calls_over_the_limit_are_refused_at_once() {
    let u = url("executes=1");
    let (service, gate) = gated_service(Arc::clone(&u));
    let chain = build_chain(&u, Side::Provider, service).unwrap();
    let c = Arc::clone(&chain);
    let first = tokio::spawn(async move { c.invoke(say_hello("a")).await });
    gate.entered(1).await;
    assert_eq!(RpcStatus::get(&u, "sayHello").active(), 1);
    match chain.invoke(say_hello("b")).await {
        Err(RpcError::Forbidden(msg)) => {
            assert!(msg.contains("executes=1"), "{msg}");
            assert!(msg.contains("org.example.Greeter:1.0.0.sayHello"), "{msg}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    gate.release(1);
    assert!(first.await.unwrap().is_ok());
    // A slot is free again.
    gate.release(1);
    assert!(chain.invoke(say_hello("c")).await.is_ok());
    assert_eq!(RpcStatus::get(&u, "sayHello").active(), 0);
}

#[tokio::test]
async fn a_method_level_limit_leaves_other_methods_alone() {
    let u = url("sayHello.executes=1");
    let (service, gate) = gated_service(Arc::clone(&u));
    let chain = build_chain(&u, Side::Provider, service).unwrap();
    let c = Arc::clone(&chain);
    let first = tokio::spawn(async move { c.invoke(say_hello("a")).await });
    gate.entered(1).await;
    let c = Arc::clone(&chain);
    let other = tokio::spawn(async move { c.invoke(Invocation::new("echo", "", vec![])).await });
    gate.entered(1).await; // `echo` got in although `sayHello` is full
    assert!(matches!(
        chain.invoke(say_hello("b")).await,
        Err(RpcError::Forbidden(_))
    ));
    gate.release(2);
    assert!(first.await.unwrap().is_ok() && other.await.unwrap().is_ok());
}
