//! oxidubbo calls a grpcio (Python, gRPC's C core) server over Triple: the generated
//! typed client of `greet.GreetService` over a `tri://` reference of the bootstrap, all
//! four kinds with the semantics, an unknown method (UNIMPLEMENTED) and a status
//! raised by the server (its code, and its percent-encoded message decoded). The peer is
//! required in CI (`OXIDUBBO_REQUIRE_PEERS=1`) and skipped loudly elsewhere.

mod triple_support;

use futures_util::{StreamExt, stream};
use oxidubbo::triple::__private::IdlClient;
use oxidubbo::triple::{Code, Request, Status};
use oxidubbo_examples::greet::*;
use oxidubbo_integration_tests::free_port;
use oxidubbo_integration_tests::grpc_peers::{GrpcioServer, grpc_dir};
use triple_support::{BOOM, BOOM_MESSAGE, greet_proto, refer_greet};

async fn grpcio_server() -> Option<GrpcioServer> {
    let dir = grpc_dir()?;
    Some(GrpcioServer::start(&dir, &greet_proto(), free_port()).await)
}

async fn strings(
    mut stream: impl futures_util::Stream<Item = Result<String, Status>> + Unpin,
) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        out.push(item.expect("a message"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typed_client_calls_the_four_kinds_of_a_grpcio_server() {
    let Some(server) = grpcio_server().await else {
        return;
    };
    let (app, client) = refer_greet(&format!("127.0.0.1:{}", server.port)).await;

    let reply = client
        .greet(GreetRequest { name: "a".into() })
        .await
        .unwrap();
    assert_eq!(reply.into_inner().greeting, "Hello, a");

    let greetings = client
        .greet_server_stream(GreetServerStreamRequest { name: "a".into() })
        .await
        .unwrap()
        .into_inner()
        .map(|m| m.map(|m| m.greeting));
    assert_eq!(
        strings(greetings).await,
        ["Hello, a #1", "Hello, a #2", "Hello, a #3"]
    );

    let names = ["a", "b", "c"].map(|n| GreetClientStreamRequest { name: n.into() });
    let joined = client
        .greet_client_stream(stream::iter(names))
        .await
        .unwrap();
    assert_eq!(joined.into_inner().greeting, "a,b,c");

    let names = ["a", "b", "c"].map(|n| GreetStreamRequest { name: n.into() });
    let greetings = client
        .greet_stream(stream::iter(names))
        .await
        .unwrap()
        .into_inner()
        .map(|m| m.map(|m| m.greeting));
    assert_eq!(
        strings(greetings).await,
        ["Hello, a", "Hello, b", "Hello, c"]
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_method_of_a_grpcio_server_is_unimplemented() {
    let Some(server) = grpcio_server().await else {
        return;
    };
    let (app, client) = refer_greet(&format!("127.0.0.1:{}", server.port)).await;
    let raw = IdlClient::new(client.invoker().clone(), &DESCRIPTORS);
    let status = raw
        .unary::<GreetRequest, GreetResponse>(
            "Farewell",
            Request::new(GreetRequest { name: "a".into() }),
            ["greet.GreetRequest", "greet.GreetResponse"],
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented, "{status}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_from_a_grpcio_server_keeps_its_code_and_message() {
    let Some(server) = grpcio_server().await else {
        return;
    };
    let (app, client) = refer_greet(&format!("127.0.0.1:{}", server.port)).await;
    let status = client
        .greet(GreetRequest { name: BOOM.into() })
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::InvalidArgument, BOOM_MESSAGE),
        "{status}"
    );
    let reply = client
        .greet(GreetRequest { name: "ok".into() })
        .await
        .unwrap();
    assert_eq!(
        reply.into_inner().greeting,
        "Hello, ok",
        "the next call is served"
    );
    app.shutdown().await;
}
