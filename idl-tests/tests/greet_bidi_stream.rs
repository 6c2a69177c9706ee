//! `GreetStream`, bidirectional: "Hello, <name>" for each request, in order, each as soon
//! as its request was sent, in-process over injvm.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use oxidubbo_examples::greet::{GreetService, GreetStreamRequest, HelloGreetService};
use oxidubbo_idl_tests::in_process;
use tokio::sync::mpsc;
use tokio::time::timeout;

const HANG_GUARD: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_greeting_per_request_in_order() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;
    let requests = ["a", "b", "c", "d"].map(|n| GreetStreamRequest { name: n.into() });
    let greetings: Vec<String> = served
        .client
        .greet_stream(stream::iter(requests))
        .await
        .unwrap()
        .into_inner()
        .map(|r| r.unwrap().greeting)
        .collect()
        .await;
    assert_eq!(greetings, ["Hello, a", "Hello, b", "Hello, c", "Hello, d"]);
}

#[tokio::test]
async fn each_greeting_comes_before_the_next_request_is_sent() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;
    let (tx, rx) = mpsc::channel::<GreetStreamRequest>(1);
    let requests = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    let mut greetings = timeout(HANG_GUARD, served.client.greet_stream(requests))
        .await
        .expect("the call starts before the requests end")
        .unwrap()
        .into_inner();
    for name in ["one", "two", "three"] {
        tx.send(GreetStreamRequest { name: name.into() })
            .await
            .unwrap();
        let greeting = timeout(HANG_GUARD, greetings.message())
            .await
            .expect("answered while the request stream is still open")
            .unwrap()
            .unwrap()
            .greeting;
        assert_eq!(greeting, format!("Hello, {name}"));
    }
    drop(tx);
    let end = timeout(HANG_GUARD, greetings.message()).await.unwrap();
    assert_eq!(end.unwrap(), None, "the responses end with the requests");
}
