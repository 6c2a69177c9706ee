//! Attachments over real TCP: what a provider sees of a consumer's attachments and what
//! the consumer sees of the provider's, whether they travel as the usual map of strings
//! (kept encoded until read) or hold other values (decoded at once); and dispatch by the
//! `group` attachment.

mod support;

use std::sync::Arc;

use oxidubbo_invoker::{Invocation, RpcResult, ServiceInvoker, Url, Value, service_fn};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{free_port, greeter_url};

/// A service that answers with what it saw of its call's attachments and attaches
/// `answered-by` to its result.
fn reporter(url: Arc<Url>) -> Arc<ServiceInvoker<impl oxidubbo_invoker::Service>> {
    Arc::new(ServiceInvoker::new(
        url,
        service_fn(|inv: Invocation| async move {
            let a = inv.attachments();
            let seen = format!(
                "interface={:?} version={:?} custom={:?} number={:?} dubbo={:?} remote={}",
                a.get_str("interface"),
                a.get_str("version"),
                a.get_str("custom"),
                a.get("number"),
                a.get_str("dubbo"),
                a.get_str("remote.address").is_some(),
            );
            let mut result = RpcResult::new(seen);
            result.attachments.insert("answered-by", "reporter");
            Ok(result)
        }),
    ))
}

#[tokio::test]
async fn both_sides_see_the_attachments_sent() {
    let protocol = DubboProtocol::new();
    let port = free_port();
    let _e = protocol
        .export(reporter(greeter_url("dubbo", port)))
        .await
        .unwrap();
    let invoker = protocol.refer(greeter_url("dubbo", port)).await.unwrap();

    // Strings only: the provider keeps them encoded until the service reads them.
    let call = Invocation::new("report", "", vec![]).with_attachment("custom", "é-1");
    let r = invoker.invoke(call).await.unwrap();
    assert_eq!(
        r.value.as_str(),
        Some(
            "interface=Some(\"org.apache.dubbo.samples.api.GreeterService\") \
             version=Some(\"1.0.0\") custom=Some(\"é-1\") number=None \
             dubbo=Some(\"2.0.2\") remote=true"
        )
    );
    assert_eq!(r.attachments.get_str("answered-by"), Some("reporter"));
    assert_eq!(r.attachments.get_str("dubbo"), Some("2.0.2"));

    // A non-string value: decoded at once, seen the same way.
    let call = Invocation::new("report", "", vec![])
        .with_attachment("custom", "é-2")
        .with_attachment("number", Value::Int(7));
    let r = invoker.invoke(call).await.unwrap();
    let seen = r.value.as_str().unwrap();
    assert!(
        seen.contains("custom=Some(\"é-2\") number=Some(Int(7))"),
        "{seen}"
    );
    assert!(seen.contains("dubbo=Some(\"2.0.2\") remote=true"), "{seen}");
    protocol.destroy().await;
}

#[tokio::test]
async fn calls_reach_the_exporter_of_their_group() {
    let protocol = DubboProtocol::new();
    let port = free_port();
    let url = |group: &str| {
        Arc::new(
            (*greeter_url("dubbo", port))
                .clone()
                .with_param("group", group),
        )
    };
    let mut exporters = Vec::new();
    for group in ["blue", "red"] {
        let answer = group.to_owned();
        let service = service_fn(move |_inv: Invocation| {
            let answer = answer.clone();
            async move { Ok(RpcResult::new(answer)) }
        });
        exporters.push(
            protocol
                .export(Arc::new(ServiceInvoker::new(url(group), service)))
                .await
                .unwrap(),
        );
    }
    for group in ["red", "blue", "red"] {
        let invoker = protocol.refer(url(group)).await.unwrap();
        let r = invoker
            .invoke(Invocation::new("which", "", vec![]))
            .await
            .unwrap();
        assert_eq!(r.value.as_str(), Some(group));
    }
    let nobody = protocol.refer(url("green")).await.unwrap();
    let err = nobody
        .invoke(Invocation::new("which", "", vec![]))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.0), Some(70), "{err:?}");
    protocol.destroy().await;
}
