//! IDL calls of all four kinds through the `IdlCall` contract, messages as opaque bytes.

mod triple_support;

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use oxidubbo_invoker::{Invocation, Invoker, RpcError, Value};
use oxidubbo_protocol::triple::call::{CallKind, IdlCall, MessageStream, PayloadFormat};
use oxidubbo_protocol::{Protocol, TripleProtocol};
use triple_support::*;

async fn setup() -> (TripleProtocol, Arc<dyn Invoker>) {
    let protocol = TripleProtocol::new();
    let port = free_port();
    protocol.export(echo(echo_url(port))).await.unwrap();
    let invoker = protocol.refer(echo_url(port)).await.unwrap();
    (protocol, invoker)
}

fn messages(items: &[&'static str]) -> MessageStream {
    let items: Vec<Result<Bytes, RpcError>> = items
        .iter()
        .map(|s| Ok(Bytes::from_static(s.as_bytes())))
        .collect();
    Box::pin(futures_util::stream::iter(items))
}

async fn streaming(
    invoker: &Arc<dyn Invoker>,
    method: &'static str,
    kind: CallKind,
    requests: MessageStream,
) -> Vec<String> {
    let call = Arc::new(IdlCall::streaming(kind, PayloadFormat::Protobuf, requests));
    let mut inv = Invocation::new(method, "", vec![]);
    inv.attributes_mut().insert_arc(Arc::clone(&call));
    let r = invoker.invoke(inv).await.unwrap();
    assert_eq!(r.value, Value::Null);
    let responses = call
        .take_responses()
        .expect("the invoker left the responses");
    responses
        .map(|m| String::from_utf8(m.unwrap().to_vec()).unwrap())
        .collect()
        .await
}

#[tokio::test]
async fn unary() {
    let (protocol, invoker) = setup().await;
    let inv = Invocation::new("Unary", "", vec![Value::Binary(b"hi".to_vec())])
        .with_attribute(IdlCall::unary(PayloadFormat::Protobuf));
    let r = invoker.invoke(inv).await.unwrap();
    assert_eq!(r.value, Value::Binary(b"re:hi".to_vec()));
    // The first letter's case does not matter (§1).
    let inv = Invocation::new("unary", "", vec![Value::Binary(vec![])])
        .with_attribute(IdlCall::unary(PayloadFormat::Protobuf));
    assert_eq!(
        invoker.invoke(inv).await.unwrap().value,
        Value::Binary(b"re:".to_vec())
    );
    protocol.destroy().await;
}

#[tokio::test]
async fn server_stream() {
    let (protocol, invoker) = setup().await;
    let got = streaming(
        &invoker,
        "ServerStream",
        CallKind::ServerStream,
        messages(&["n"]),
    )
    .await;
    assert_eq!(got, ["n#1", "n#2", "n#3"]);
    protocol.destroy().await;
}

#[tokio::test]
async fn client_stream() {
    let (protocol, invoker) = setup().await;
    // A client-stream call answers one message, which arrives as a one-message stream.
    let got = streaming(
        &invoker,
        "ClientStream",
        CallKind::ClientStream,
        messages(&["a", "b", "", "c"]),
    )
    .await;
    assert_eq!(got, ["a,b,,c"]);
    protocol.destroy().await;
}

#[tokio::test]
async fn bidi_stream_answers_each_request_as_it_comes() {
    let (protocol, invoker) = setup().await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, RpcError>>(1);
    let requests: MessageStream = Box::pin(tokio_stream_from(rx));
    let call = Arc::new(IdlCall::streaming(
        CallKind::BiStream,
        PayloadFormat::Protobuf,
        requests,
    ));
    let mut inv = Invocation::new("Bidi", "", vec![]);
    inv.attributes_mut().insert_arc(Arc::clone(&call));
    tx.send(Ok(Bytes::from_static(b"1"))).await.unwrap();
    invoker.invoke(inv).await.unwrap();
    let mut responses = call.take_responses().unwrap();
    // Each answer arrives before the next request is sent: a real conversation.
    for i in 1..=3 {
        if i > 1 {
            tx.send(Ok(Bytes::from(i.to_string()))).await.unwrap();
        }
        let m = tokio::time::timeout(std::time::Duration::from_secs(5), responses.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(&m[..], format!("re:{i}").as_bytes());
    }
    drop(tx);
    assert!(responses.next().await.is_none());
    protocol.destroy().await;
}

#[tokio::test]
async fn an_error_mid_stream_arrives_in_the_trailers() {
    let (protocol, invoker) = setup().await;
    let items: Vec<Result<Bytes, RpcError>> = vec![Ok(Bytes::from_static(b"x"))];
    let call = Arc::new(IdlCall::streaming(
        CallKind::BiStream,
        PayloadFormat::Protobuf,
        Box::pin(futures_util::stream::iter(items)),
    ));
    let mut inv = Invocation::new("Bidi", "", vec![]);
    inv.attributes_mut().insert_arc(Arc::clone(&call));
    invoker.invoke(inv).await.unwrap();
    let got: Vec<_> = call.take_responses().unwrap().collect().await;
    assert_eq!(got.len(), 1);

    // A service whose response stream fails after one message.
    let port = free_port();
    let url = Arc::new(
        oxidubbo_invoker::Url::parse(&format!(
            "tri://127.0.0.1:{port}/test.Failing?serialization=protobuf"
        ))
        .unwrap(),
    );
    let service = oxidubbo_invoker::service_fn(|inv: Invocation| async move {
        let call = inv.attributes().get_arc::<IdlCall>().unwrap();
        let out: Vec<Result<Bytes, RpcError>> = vec![
            Ok(Bytes::from_static(b"one")),
            Err(RpcError::Grpc {
                code: 9,
                message: "precondition\nfailed".into(),
            }),
        ];
        call.set_responses(Box::pin(futures_util::stream::iter(out)));
        Ok(oxidubbo_invoker::RpcResult::new(Value::Null))
    });
    protocol
        .export(Arc::new(oxidubbo_invoker::ServiceInvoker::new(
            url.clone(),
            service,
        )))
        .await
        .unwrap();
    let failing = protocol.refer(url).await.unwrap();
    let call = Arc::new(IdlCall::streaming(
        CallKind::ServerStream,
        PayloadFormat::Protobuf,
        messages(&["q"]),
    ));
    let mut inv = Invocation::new("Any", "", vec![]);
    inv.attributes_mut().insert_arc(Arc::clone(&call));
    failing.invoke(inv).await.unwrap();
    let got: Vec<_> = call.take_responses().unwrap().collect().await;
    assert_eq!(got[0].as_ref().unwrap(), &Bytes::from_static(b"one"));
    assert_eq!(
        got[1],
        Err(RpcError::Grpc {
            code: 9,
            message: "precondition\nfailed".into()
        })
    );
    protocol.destroy().await;
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
