//! One protocol used from several tokio runtimes (as a process-wide protocol is by tests,
//! each with a runtime of its own): when the runtime a connection's task was spawned on
//! shuts down, the calls other runtimes have pending on the connection fail at once, never
//! wait forever (nothing else would answer them or sweep their deadlines), and a later
//! refer of the same address gets a new connection that works.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_integration_tests::runtimes::{one_worker, shut_down_under};
use oxidubbo_invoker::{Invocation, RpcError, Url, Value};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{free_port, greeter, say_hello};

#[test]
fn calls_pending_on_a_connection_whose_runtime_shut_down_fail_and_a_new_refer_works() {
    let port = free_port();
    // A timeout far longer than the test: only the connection's end can end the call.
    let url: Arc<Url> = Arc::new(
        format!(
            "dubbo://127.0.0.1:{port}/org.apache.dubbo.samples.api.GreeterService?version=1.0.0&timeout=600000"
        )
        .parse()
        .unwrap(),
    );
    let protocol = DubboProtocol::new();
    let server = one_worker();
    let _exporter = server
        .block_on(protocol.export(greeter(Arc::clone(&url))))
        .unwrap();

    // The connection's task runs on runtime `a`.
    let a = one_worker();
    let invoker = a.block_on(protocol.refer(Arc::clone(&url))).unwrap();
    assert!(a.block_on(invoker.invoke(say_hello("a"))).is_ok());

    // Runtime `b` has a call pending on it (the service holds it 30 s) when `a` goes.
    let b = one_worker();
    let held = Arc::clone(&invoker);
    let pending = shut_down_under(a, &b, async move {
        held.invoke(Invocation::new("sleep", "J", vec![Value::Long(30_000)]))
            .await
    });

    let ended = b.block_on(async { tokio::time::timeout(Duration::from_secs(10), pending).await });
    let result = ended.expect("the pending call ended, not hung").unwrap();
    let err = result.unwrap_err();
    assert!(
        matches!(&err, RpcError::Network(m) if m.contains("task ended")),
        "{err:?}"
    );
    // New calls on the dead connection fail at once too.
    let again = b.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), invoker.invoke(say_hello("b"))).await
    });
    assert!(matches!(again, Ok(Err(RpcError::Network(_)))), "{again:?}");

    // A new reference from runtime `b` gets a connection of its own that works, while the
    // old invoker still holds the dead one.
    let fresh = b.block_on(protocol.refer(Arc::clone(&url))).unwrap();
    let answer = b.block_on(fresh.invoke(say_hello("c"))).unwrap();
    assert_eq!(answer.value.as_str(), Some("Hello, c"));
    invoker.destroy();
    let answer = b.block_on(fresh.invoke(say_hello("d"))).unwrap();
    assert_eq!(answer.value.as_str(), Some("Hello, d"));
    fresh.destroy();
    b.block_on(protocol.destroy());
}
