//! `GreetServerStream`: one request, three numbered greetings, in-process over injvm.

use std::sync::Arc;

use futures_util::StreamExt;
use oxidubbo_examples::greet::{GreetServerStreamRequest, GreetService, HelloGreetService};
use oxidubbo_idl_tests::in_process;

#[tokio::test]
async fn three_numbered_greetings_then_the_end() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;
    let mut greetings = served
        .client
        .greet_server_stream(GreetServerStreamRequest {
            name: "world".into(),
        })
        .await
        .unwrap()
        .into_inner();
    for n in 1..=3 {
        let greeting = greetings.message().await.unwrap().unwrap().greeting;
        assert_eq!(greeting, format!("Hello, world #{n}"));
    }
    assert_eq!(greetings.message().await.unwrap(), None);
    assert_eq!(greetings.message().await.unwrap(), None, "ended for good");
}

#[tokio::test]
async fn the_responses_are_a_stream() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;
    let greetings: Vec<String> = served
        .client
        .greet_server_stream(GreetServerStreamRequest { name: "a".into() })
        .await
        .unwrap()
        .into_inner()
        .map(|r| r.unwrap().greeting)
        .collect()
        .await;
    assert_eq!(greetings, ["Hello, a #1", "Hello, a #2", "Hello, a #3"]);
}
