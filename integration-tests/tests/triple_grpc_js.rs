//! @grpc/grpc-js (Node.js, a pure-JS gRPC) calls an oxidubbo provider over Triple: unary
//! and bidi `greet.GreetService` calls with the semantics. The peer is required in
//! CI (`OXIDUBBO_REQUIRE_PEERS=1`) and skipped loudly elsewhere.

mod triple_support;

use oxidubbo_integration_tests::grpc_peers::{grpc_dir, run_grpc_js};
use serde_json::json;
use triple_support::{greet_proto, serve_greet};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_js_calls_an_oxidubbo_idl_service_unary_and_bidi() {
    let Some(dir) = grpc_dir() else { return };
    let (app, address) = serve_greet().await;
    let proto = greet_proto();
    let proto = proto.to_string_lossy();
    let got = run_grpc_js(
        &dir,
        &["--proto", &proto, "--target", &address, "--names", "x,y,z"],
    )
    .await;
    assert_eq!(
        got,
        json!({
            "Greet": "Hello, x",
            "GreetStream": ["Hello, x", "Hello, y", "Hello, z"],
        })
    );
    app.shutdown().await;
}
