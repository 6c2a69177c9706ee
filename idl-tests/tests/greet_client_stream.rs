//! `GreetClientStream`: a stream of names, one answer joining them with ",", in-process
//! over injvm.

use std::sync::Arc;

use futures_util::stream;
use oxidubbo::triple::Request;
use oxidubbo_examples::greet::{GreetClientStreamRequest, GreetService, HelloGreetService};
use oxidubbo_idl_tests::in_process;

fn names(names: &[&str]) -> Vec<GreetClientStreamRequest> {
    names
        .iter()
        .map(|n| GreetClientStreamRequest {
            name: (*n).to_owned(),
        })
        .collect()
}

#[tokio::test]
async fn the_names_come_back_joined() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;
    let reply = served
        .client
        .greet_client_stream(stream::iter(names(&["a", "b", "c"])))
        .await
        .unwrap();
    assert_eq!(reply.into_inner().greeting, "a,b,c");
}

#[tokio::test]
async fn one_name_and_no_name() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;
    let one = served
        .client
        .greet_client_stream(stream::iter(names(&["solo"])))
        .await
        .unwrap();
    assert_eq!(one.into_inner().greeting, "solo");
    let none = served
        .client
        .greet_client_stream(Request::new(stream::iter(names(&[]))))
        .await
        .unwrap();
    assert_eq!(none.into_inner().greeting, "");
}

#[tokio::test]
async fn a_thousand_names_arrive_in_order() {
    let served = in_process::<dyn GreetService>(Arc::new(HelloGreetService)).await;
    let all: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    let requests = all
        .iter()
        .map(|n| GreetClientStreamRequest { name: n.clone() });
    let reply = served
        .client
        .greet_client_stream(stream::iter(requests.collect::<Vec<_>>()))
        .await
        .unwrap();
    assert_eq!(reply.into_inner().greeting, all.join(","));
}
