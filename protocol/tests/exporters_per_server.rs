//! Each server answers only for the services exported on it: a service exported on one
//! port is "not found" (status 70) on another server of the same process, and one service
//! may be exported on two ports.

mod support;

use std::sync::Arc;

use oxidubbo_invoker::{RpcError, Url};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{free_port, greeter, greeter_url, say_hello};

const OTHER: &str = "com.example.Other";

fn other_url(port: u16) -> Arc<Url> {
    Arc::new(Url::parse(&format!("dubbo://127.0.0.1:{port}/{OTHER}?version=1.0.0")).unwrap())
}

async fn answers(protocol: &DubboProtocol, url: Arc<Url>) -> Result<String, RpcError> {
    let invoker = protocol.refer(url).await?;
    let result = invoker.invoke(say_hello("p")).await;
    invoker.destroy();
    result.map(|r| r.value.as_str().unwrap_or_default().to_owned())
}

fn assert_not_exported(result: Result<String, RpcError>, what: &str) {
    match result {
        Err(e) => {
            assert_eq!(e.status().map(|s| s.0), Some(70), "{what}: {e:?}");
            assert!(
                e.to_string().contains("not found exported service"),
                "{what}: {e}"
            );
        }
        Ok(answer) => panic!("{what} answered {answer:?}"),
    }
}

#[tokio::test]
async fn a_service_answers_only_on_the_port_it_was_exported_on() {
    let protocol = DubboProtocol::new();
    let (a, b) = (free_port(), free_port());
    let _greeter = protocol
        .export(greeter(greeter_url("dubbo", a)))
        .await
        .unwrap();
    let _other = protocol.export(greeter(other_url(b))).await.unwrap();
    assert_eq!(protocol.counts().servers, 2);

    assert_eq!(
        answers(&protocol, greeter_url("dubbo", a)).await.unwrap(),
        "Hello, p"
    );
    assert_eq!(answers(&protocol, other_url(b)).await.unwrap(), "Hello, p");
    assert_not_exported(
        answers(&protocol, greeter_url("dubbo", b)).await,
        "the greeter on the other service's port",
    );
    assert_not_exported(
        answers(&protocol, other_url(a)).await,
        "the other service on the greeter's port",
    );
    protocol.destroy().await;
}

#[tokio::test]
async fn one_service_exported_on_two_ports_answers_on_both_until_each_is_unexported() {
    let protocol = DubboProtocol::new();
    let (a, b) = (free_port(), free_port());
    let on_a = protocol
        .export(greeter(greeter_url("dubbo", a)))
        .await
        .unwrap();
    let on_b = protocol
        .export(greeter(greeter_url("dubbo", b)))
        .await
        .unwrap();
    let counts = protocol.counts();
    assert_eq!((counts.exporters, counts.servers), (2, 2));
    // The same key twice on one port is still refused.
    assert!(
        protocol
            .export(greeter(greeter_url("dubbo", a)))
            .await
            .is_err()
    );

    assert_eq!(
        answers(&protocol, greeter_url("dubbo", a)).await.unwrap(),
        "Hello, p"
    );
    assert_eq!(
        answers(&protocol, greeter_url("dubbo", b)).await.unwrap(),
        "Hello, p"
    );

    on_a.unexport().await;
    std::net::TcpListener::bind(("127.0.0.1", a)).expect("port a still bound");
    assert_eq!(
        answers(&protocol, greeter_url("dubbo", b)).await.unwrap(),
        "Hello, p"
    );
    let counts = protocol.counts();
    assert_eq!((counts.exporters, counts.servers), (1, 1));
    on_b.unexport().await;
    assert!(protocol.counts().is_empty(), "{:?}", protocol.counts());
}
