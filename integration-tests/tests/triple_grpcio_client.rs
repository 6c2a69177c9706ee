//! grpcio (Python, gRPC's C core) calls an oxidubbo provider over Triple: all four kinds
//! of `greet.GreetService` with the semantics, an unknown method (UNIMPLEMENTED)
//! and a status raised by the service (its code and message, percent-encoding included).
//! The peer is required in CI (`OXIDUBBO_REQUIRE_PEERS=1`) and skipped loudly elsewhere.

mod triple_support;

use oxidubbo_integration_tests::grpc_peers::{grpc_dir, run_grpcio};
use serde_json::json;
use triple_support::{BOOM, BOOM_MESSAGE, greet_proto, serve_greet};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcio_calls_the_four_kinds_of_an_oxidubbo_idl_service() {
    let Some(dir) = grpc_dir() else { return };
    let (app, address) = serve_greet().await;
    let proto = greet_proto();
    let proto = proto.to_string_lossy();
    let got = run_grpcio(
        &dir,
        &[
            "client", "--proto", &proto, "--target", &address, "--names", "a,b,c",
        ],
    )
    .await;
    assert_eq!(
        got,
        json!({
            "Greet": "Hello, a",
            "GreetServerStream": ["Hello, a #1", "Hello, a #2", "Hello, a #3"],
            "GreetClientStream": "a,b,c",
            "GreetStream": ["Hello, a", "Hello, b", "Hello, c"],
        })
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcio_sees_unimplemented_for_an_unknown_method() {
    let Some(dir) = grpc_dir() else { return };
    let (app, address) = serve_greet().await;
    let proto = greet_proto();
    let proto = proto.to_string_lossy();
    let got = run_grpcio(
        &dir,
        &[
            "call", "--proto", &proto, "--target", &address, "--method", "Farewell",
        ],
    )
    .await;
    assert_eq!(got["code"], "UNIMPLEMENTED", "{got}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcio_sees_the_code_and_message_of_a_status_from_the_service() {
    let Some(dir) = grpc_dir() else { return };
    let (app, address) = serve_greet().await;
    let proto = greet_proto();
    let proto = proto.to_string_lossy();
    let call = |name: &'static str| {
        let args = [
            "call", "--proto", &proto, "--target", &address, "--name", name,
        ];
        let args = args.map(str::to_owned);
        let dir = dir.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_grpcio(&dir, &args).await
        }
    };
    assert_eq!(
        call(BOOM).await,
        json!({"code": "INVALID_ARGUMENT", "details": BOOM_MESSAGE})
    );
    assert_eq!(
        call("ok").await,
        json!({"ok": "Hello, ok"}),
        "the next call is served"
    );
    app.shutdown().await;
}
