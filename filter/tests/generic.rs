//! `generic`: `$invoke(method, types, args)` reaches the service as a normal call.

mod support;

use oxidubbo_filter::{Side, build_chain};
use oxidubbo_hessian2::{List, Map};
use oxidubbo_invoker::{Invocation, RpcError, Value};
use support::{recording_service, url};

fn generic(method: &str, types: &[&str], args: Vec<Value>) -> Invocation {
    let types = types.iter().map(|t| Value::from(*t)).collect();
    Invocation::new(
        "$invoke",
        "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;",
        vec![
            Value::from(method),
            Value::List(List::typed("[string", types)),
            Value::List(List::typed("[object", args)),
        ],
    )
    .with_attachment("generic", "true")
}

#[tokio::test]
async fn invoke_becomes_the_named_call() {
    let (service, seen) = recording_service(url(""));
    let chain = build_chain(&url(""), Side::Provider, service).unwrap();
    let call = generic("sayHello", &["java.lang.String"], vec![Value::from("x")])
        .with_attachment("trace-id", "t-7");
    let r = chain.invoke(call).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, x"));
    let inv = seen.lock().unwrap().take().unwrap();
    assert_eq!(inv.method_name(), "sayHello");
    assert_eq!(inv.parameter_types(), "Ljava/lang/String;");
    assert_eq!(inv.arguments(), [Value::from("x")]);
    assert_eq!(inv.attachments().get_str("trace-id"), Some("t-7"));
    assert!(inv.url().is_some(), "the URL snapshot is kept");
}

#[tokio::test]
async fn pojo_arguments_pass_through_and_async_is_the_same() {
    let (service, seen) = recording_service(url(""));
    let chain = build_chain(&url(""), Side::Provider, service).unwrap();
    let user = Value::Map(Map::untyped(vec![
        (Value::from("class"), Value::from("com.example.User")),
        (Value::from("name"), Value::from("Ann")),
    ]));
    let mut call = generic(
        "echo",
        &["com.example.User", "int", "long[]"],
        vec![user.clone(), Value::Int(3), Value::Null],
    );
    let args = call.take_arguments();
    let call = Invocation::new("$invokeAsync", "", args);
    let r = chain.invoke(call).await.unwrap();
    assert_eq!(r.value, user, "the result comes back as it is");
    let inv = seen.lock().unwrap().take().unwrap();
    assert_eq!(inv.method_name(), "echo");
    assert_eq!(inv.parameter_types(), "Lcom/example/User;I[J");
    assert_eq!(inv.arguments()[0], user);
}

#[tokio::test]
async fn references_among_the_arguments_are_renumbered_for_them_alone() {
    let (service, seen) = recording_service(url(""));
    let chain = build_chain(&url(""), Side::Provider, service).unwrap();
    let user = Value::Map(Map::untyped(vec![(
        Value::from("name"),
        Value::from("Ann"),
    )]));
    // The body numbers the types list 0, the args list 1 and the user 2: the second
    // argument is the first one again.
    let call = generic(
        "echo",
        &["com.example.User", "com.example.User"],
        vec![user.clone(), Value::Ref(2)],
    );
    chain.invoke(call).await.unwrap();
    let inv = seen.lock().unwrap().take().unwrap();
    assert_eq!(inv.arguments(), [user.clone(), Value::Ref(0)]);
    let values = oxidubbo_hessian2::Values::new(inv.arguments());
    assert_eq!(values.deserialize::<Value>(0).unwrap(), user);

    // A reference to the generic call's own lists has no meaning once they are gone.
    let call = generic("echo", &["java.lang.Object"], vec![Value::Ref(1)]);
    match chain.invoke(call).await {
        Err(RpcError::Codec(m)) => assert!(m.contains("#1"), "{m}"),
        other => panic!("expected a codec error, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_or_unsupported_generic_calls_are_refused() {
    let (service, seen) = recording_service(url(""));
    let chain = build_chain(&url(""), Side::Provider, service).unwrap();
    let cases = [
        (
            generic("sayHello", &["java.lang.String"], vec![]),
            "1 parameter types but 0 arguments",
        ),
        (
            generic("sayHello", &["java..String"], vec![Value::from("x")]),
            "invalid Java class name",
        ),
        (
            generic("sayHello", &["java.lang.String"], vec![Value::from("x")])
                .with_attachment("generic", "nativejava"),
            "not supported",
        ),
        (
            Invocation::new("$invoke", "", vec![Value::Int(1), Value::Null, Value::Null]),
            "expected (String method",
        ),
    ];
    for (call, expected) in cases {
        match chain.invoke(call).await {
            Err(RpcError::Codec(msg)) => {
                assert!(msg.contains(expected), "{msg}");
                assert!(msg.contains("org.example.Greeter:1.0.0"), "{msg}");
            }
            other => panic!("expected a refusal ({expected}), got {other:?}"),
        }
    }
    assert!(
        seen.lock().unwrap().is_none(),
        "the service was never called"
    );
}

#[tokio::test]
async fn a_generic_service_gets_invoke_as_it_is() {
    let u = url("generic=true");
    let (service, seen) = recording_service(u.clone());
    let chain = build_chain(&u, Side::Provider, service).unwrap();
    let _ = chain
        .invoke(generic(
            "sayHello",
            &["java.lang.String"],
            vec![Value::from("x")],
        ))
        .await;
    assert_eq!(
        seen.lock().unwrap().as_ref().unwrap().method_name(),
        "$invoke"
    );
}
