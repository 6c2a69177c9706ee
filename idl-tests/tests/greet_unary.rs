//! `Greet`, unary: one request, "Hello, <name>", in-process over injvm.

use std::sync::Arc;

use oxidubbo::triple::Request;
use oxidubbo_examples::greet::{GreetRequest, GreetService, HelloGreetService};
use oxidubbo_idl_tests::in_process;

#[tokio::test]
async fn greet_answers_hello_name() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;
    for name in ["world", "", "Dubbo 🦀"] {
        let reply = served
            .client
            .greet(GreetRequest { name: name.into() })
            .await
            .unwrap();
        assert_eq!(reply.into_inner().greeting, format!("Hello, {name}"));
    }
}

#[tokio::test]
async fn a_request_with_metadata_is_accepted_too() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;
    let mut request = Request::new(GreetRequest {
        name: "world".into(),
    });
    request.metadata_mut().insert("trace-id", "t1");
    let reply = served.client.greet(request).await.unwrap();
    assert_eq!(reply.get_ref().greeting, "Hello, world");
}

#[tokio::test]
async fn the_client_is_cheap_to_clone_and_share() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;
    let calls = (0..8).map(|i| {
        let client = served.client.clone();
        tokio::spawn(async move {
            let name = format!("n{i}");
            let reply = client.greet(GreetRequest { name: name.clone() }).await;
            (name, reply.map(|r| r.into_inner().greeting))
        })
    });
    for call in calls {
        let (name, greeting) = call.await.unwrap();
        assert_eq!(greeting.unwrap(), format!("Hello, {name}"));
    }
}
