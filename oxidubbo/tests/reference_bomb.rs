//! A request whose few KiB of Hessian references to lists of references stand for billions
//! of elements is refused with BAD_REQUEST (status 40) — by the codec, and by a typed
//! provider over a real dubbo connection, which goes on serving — quickly and without
//! growing the process's memory.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use oxidubbo::hessian2::List;
use oxidubbo::{
    DubboProtocol, DubboService, Exporter, Invocation, Invoker, Protocol, RpcError, ServiceInvoker,
    Status, Url, Value,
};
use oxidubbo_integration_tests::rss::RssWatch;
use oxidubbo_protocol::dubbo::codec::{Target, decode_request_body, encode_request};
use oxidubbo_protocol::dubbo::header::HEADER_LEN;
use tokio::sync::Mutex;

/// RSS the tests allow a refused request to add.
const MAX_GROWTH: u64 = 64 << 20;
/// A hang guard, not a speed assertion.
const HANG_GUARD: Duration = Duration::from_secs(10);

#[oxidubbo::service(interface = "com.example.Sink")]
pub trait Sink {
    /// Reads nested lists (a `Value` inside a typed argument copies what references
    /// point at).
    async fn count(
        &self,
        #[oxidubbo(java_type = "java.util.List")] lists: Vec<Value>,
    ) -> Result<i64, RpcError>;
}

struct Impl;

#[oxidubbo::async_trait]
impl Sink for Impl {
    async fn count(&self, lists: Vec<Value>) -> Result<i64, RpcError> {
        Ok(lists.len() as i64)
    }
}

/// `[L0, L1, …, L24]`: `L0` holds 64 ints and each `Li` 64 references to `L(i-1)`, so
/// `L24` stands for 64^25 ints. About 3 KiB encoded.
fn bomb() -> Value {
    const FANOUT: usize = 64;
    let mut lists = vec![Value::List(List::untyped(vec![Value::Int(0); FANOUT]))];
    // Containers are numbered in preorder: the outer list is 0, `Li` is `i + 1`.
    for i in 1..=24 {
        lists.push(Value::List(List::untyped(vec![Value::Ref(i); FANOUT])));
    }
    Value::List(List::untyped(lists))
}

/// `[dag, Q 0]`: `dag` expands to 8^5 ints, within the decoder's count for a small body,
/// and the second element is the list itself: a `Vec<Value>` follows the cycle and copies
/// `dag` again at every level.
fn bomb_in_a_cycle() -> Value {
    const FANOUT: usize = 8;
    let mut lists = vec![Value::List(List::untyped(vec![Value::Int(0); FANOUT]))];
    // The outer list is 0, `dag` 1, `Li` is `i + 2`.
    for i in 1..=4 {
        lists.push(Value::List(List::untyped(vec![Value::Ref(i + 1); FANOUT])));
    }
    let dag = Value::List(List::untyped(lists));
    Value::List(List::untyped(vec![dag, Value::Ref(0)]))
}

fn count_call(list: Value) -> Invocation {
    Invocation::new("count", "Ljava/util/List;", vec![list])
}

fn target() -> Target {
    Target::new(<dyn Sink as DubboService>::INTERFACE, "0.0.0", None, None)
}

#[test]
fn the_codec_refuses_a_reference_bomb() {
    let _alone = ALONE.blocking_lock();
    let mut frame = Vec::new();
    encode_request(
        &mut frame,
        1,
        true,
        &target(),
        "1000",
        &count_call(bomb()),
        0,
    )
    .unwrap();
    let body = &frame[HEADER_LEN..];
    assert!(body.len() < 4096, "a few KiB: {}", body.len());
    let watch = RssWatch::start(MAX_GROWTH);
    let err = decode_request_body(body).unwrap_err();
    let cost = watch.finish();
    assert!(
        matches!(&err, RpcError::Codec(m) if m.contains("expand")),
        "{err}"
    );
    eprintln!(
        "codec: {} byte body refused in {:?}, RSS +{} KiB: {err}",
        body.len(),
        cost.elapsed,
        cost.peak_growth >> 10
    );
}

/// RSS is the whole process's: the tests that watch it run one at a time.
static ALONE: Mutex<()> = Mutex::const_new(());

/// Serves the sink over dubbo on a free port; returns the protocol, the exporter and a
/// consumer.
async fn serve() -> (DubboProtocol, Arc<dyn Exporter>, Arc<dyn Invoker>) {
    let port = oxidubbo_integration_tests::free_port();
    let url = Arc::new(
        Url::parse(&format!(
            "dubbo://127.0.0.1:{port}/{}",
            <dyn Sink as DubboService>::INTERFACE
        ))
        .unwrap(),
    );
    let protocol = DubboProtocol::new();
    let provider = <dyn Sink as DubboService>::provider(Arc::new(Impl));
    let exporter = protocol
        .export(Arc::new(ServiceInvoker::new(Arc::clone(&url), provider)))
        .await
        .unwrap();
    let invoker = protocol.refer(url).await.unwrap();
    (protocol, exporter, invoker)
}

/// Sends `count(list)` and waits for the answer under an [`RssWatch`] and the hang guard;
/// checks that it is BAD_REQUEST about expansion and that the provider still serves.
async fn refused_with_bad_request(invoker: &Arc<dyn Invoker>, list: Value, what: &str) {
    let watch = RssWatch::start(MAX_GROWTH);
    let call = {
        let invoker = Arc::clone(invoker);
        tokio::spawn(async move { invoker.invoke(count_call(list)).await })
    };
    tokio::pin!(call);
    let answer = tokio::time::timeout(HANG_GUARD, async {
        loop {
            tokio::select! {
                answer = &mut call => break answer.expect("no panic"),
                () = tokio::time::sleep(Duration::from_millis(1)) => watch.check(),
            }
        }
    })
    .await
    .expect("the provider answers");
    let cost = watch.finish();
    match &answer {
        Err(RpcError::Status { status, message }) => {
            assert_eq!(*status, Status::BAD_REQUEST, "{message}");
            assert!(message.contains("expand"), "{message}");
        }
        other => panic!("expected BAD_REQUEST, got {other:?}"),
    }
    eprintln!(
        "dubbo, {what}: answered in {:?}, RSS +{} KiB: {answer:?}",
        cost.elapsed,
        cost.peak_growth >> 10
    );

    // The provider goes on serving, on the same connection.
    let small = Value::List(List::untyped(vec![Value::Int(1), Value::Int(2)]));
    let r = invoker.invoke(count_call(small)).await.unwrap();
    assert_eq!(r.value, Value::Long(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_answers_a_reference_bomb_with_bad_request_and_goes_on() {
    let _alone = ALONE.lock().await;
    let (protocol, _exporter, invoker) = serve().await;
    refused_with_bad_request(&invoker, bomb(), "bomb").await;
    protocol.destroy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bomb_behind_a_cycle_passes_the_codec_and_is_refused_by_the_provider() {
    let _alone = ALONE.lock().await;
    let (protocol, _exporter, invoker) = serve().await;
    refused_with_bad_request(&invoker, bomb_in_a_cycle(), "cycle").await;
    protocol.destroy().await;
}
