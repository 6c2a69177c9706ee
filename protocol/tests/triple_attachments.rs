//! Attachments both ways: request attachments as headers (binary ones as `-bin`), the
//! result's attachments in the trailers.

mod triple_support;

use oxidubbo_hessian2::Value;
use oxidubbo_invoker::Invocation;
use oxidubbo_protocol::Protocol;
use triple_support::*;

fn attachment(key: &str) -> Invocation {
    Invocation::new("attachment", "Ljava/lang/String;", vec![Value::from(key)])
}

#[tokio::test]
async fn attachments_travel_both_ways() {
    let (protocol, port, _exporter) = greeter_server().await;
    let invoker = protocol
        .refer(greeter_url(port, "&application=shop"))
        .await
        .unwrap();
    let inv = attachment("traceId").with_attachment("traceId", "t-1");
    let r = invoker.invoke(inv).await.unwrap();
    assert_eq!(
        r.value,
        Value::from("t-1"),
        "the key's case is restored (tri-header-convert)"
    );
    assert_eq!(
        r.attachments.get_str("reply"),
        Some("yes"),
        "result attachments come back"
    );

    let inv = attachment("blob").with_attachment("blob", Value::Binary(vec![0, 1, 254, 255]));
    assert_eq!(
        invoker.invoke(inv).await.unwrap().value,
        Value::Binary(vec![0, 1, 254, 255])
    );

    let r = invoker
        .invoke(attachment("remote.application"))
        .await
        .unwrap();
    assert_eq!(
        r.value,
        Value::from("shop"),
        "tri-consumer-appname arrives as remote.application"
    );

    // A value no header can carry is dropped; the call goes on.
    let inv = attachment("bad").with_attachment("bad", "line\nbreak");
    assert_eq!(invoker.invoke(inv).await.unwrap().value, Value::Null);
    protocol.destroy().await;
}
