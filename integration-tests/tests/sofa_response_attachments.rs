//! Response attachments read by an independent consumer: sofa-rpc-node (dubbo-remoting)
//! calls an oxidubbo provider whose method sets response attachments through
//! `RpcContext`, with a request attachment the method echoes; dubbo-remoting decodes the
//! `RESPONSE_VALUE_WITH_ATTACHMENTS` body and the peer prints its `responseProps`. A
//! consumer whose body version predates response attachments (dubbo-remoting's default,
//! 2.5.3) gets the plain body, as from Java.
//!
//! The same with an exception: attachments set before the method throws reach the peer in
//! the `RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS` body.
//!
//! The other direction cannot be tested with this peer: dubbo-remoting 2.1.4's provider
//! writes only the bodies without attachments (`Response.encode`).
#![allow(missing_docs)]

use std::sync::Arc;

use oxidubbo::{DubboService, Protocol, RpcContext, RpcError, ServiceInvoker, Url};
use oxidubbo_integration_tests::{run_sofa_consumer, sofa_dir};
use oxidubbo_protocol::DubboProtocol;
use serde_json::{Value as Json, json};

const INTERFACE: &str = "org.example.TenantService";

#[oxidubbo::service(interface = "org.example.TenantService", version = "1.0.0")]
pub trait TenantService {
    async fn say_hello(&self, name: String) -> Result<String, RpcError>;
    async fn fail(&self, message: String) -> Result<String, RpcError>;
}

struct Impl;

#[oxidubbo::async_trait]
impl TenantService for Impl {
    async fn say_hello(&self, name: String) -> Result<String, RpcError> {
        let tenant = RpcContext::request_attachment("tenant").unwrap_or_else(|| "-".into());
        RpcContext::set_response_attachment("served-by", "oxidubbo");
        RpcContext::set_response_attachment("tenant-echo", tenant);
        Ok(format!("Hello, {name}"))
    }

    async fn fail(&self, message: String) -> Result<String, RpcError> {
        RpcContext::set_response_attachment("served-by", "oxidubbo");
        Err(RpcError::business(format!("fail called: {message}")))
    }
}

#[tokio::test]
async fn sofa_consumer_reads_response_attachments_of_an_oxidubbo_provider() {
    let Some(dir) = sofa_dir() else { return };
    let protocol = DubboProtocol::new();
    let reserved = protocol.reserve_port("127.0.0.1").expect("a port");
    let port = reserved.port();
    let url = Url::builder("dubbo")
        .host("127.0.0.1")
        .port(port)
        .path(INTERFACE)
        .param("interface", INTERFACE)
        .param("version", "1.0.0")
        .param("methods", "fail,sayHello")
        .param("side", "provider")
        .build();
    let service = <dyn TenantService as DubboService>::provider(Arc::new(Impl));
    let _exporter = protocol
        .export(Arc::new(ServiceInvoker::new(Arc::new(url), service)))
        .await
        .unwrap();

    let target = format!("127.0.0.1:{port}");
    let raw = run_sofa_consumer(
        &dir,
        &[
            "--target",
            &target,
            "--interface",
            INTERFACE,
            "--version",
            "1.0.0",
            "--calls",
            "sayHello,fail",
            "--attachments",
            // dubbo-remoting sends body version 2.5.3 unless told: Java (and oxidubbo)
            // answer such consumers without attachments; 2.0.2 is what Java and Go send.
            r#"{"tenant":"acme","dubbo":"2.0.2"}"#,
        ],
    )
    .await;
    let lines: Vec<Json> = raw
        .iter()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{raw:?}");
    let line = &lines[0];
    assert_eq!(line["ok"], json!(true), "{line}");
    assert_eq!(line["result"], json!("Hello, world"), "{line}");
    assert_eq!(
        line["responseProps"]["served-by"],
        json!("oxidubbo"),
        "{line}"
    );
    assert_eq!(
        line["responseProps"]["tenant-echo"],
        json!("acme"),
        "{line}"
    );
    let line = &lines[1];
    assert_eq!(line["ok"], json!(false), "{line}");
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|e| e.contains("fail called: boom")),
        "{line}"
    );
    assert_eq!(
        line["responseProps"]["served-by"],
        json!("oxidubbo"),
        "{line}"
    );
    protocol.destroy().await;
}
