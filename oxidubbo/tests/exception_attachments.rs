//! Response attachments on business exceptions: a provider method sets response
//! attachments through `RpcContext`, then throws; the consumer still reads them — from
//! `ClientContext` and from the error (`RpcError::attachments`) — over dubbo
//! (`RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS`) and Triple (the trailers of the exception
//! response).
//!
//! One test: the embedded registry is shared by every test of a binary.
#![allow(missing_docs)]

use std::sync::Arc;

use oxidubbo::config::{Config, ReferenceConfig};
use oxidubbo::{Bootstrap, ClientContext, RpcContext, RpcError};

#[oxidubbo::service(interface = "org.example.AuditService", version = "1.0.0")]
pub trait AuditService {
    async fn refuse(&self, reason: String) -> Result<String, RpcError>;
    async fn fail_plain(&self) -> Result<String, RpcError>;
}

struct Impl;

#[oxidubbo::async_trait]
impl AuditService for Impl {
    async fn refuse(&self, reason: String) -> Result<String, RpcError> {
        let tenant = RpcContext::request_attachment("tenant").unwrap_or_else(|| "-".into());
        RpcContext::set_response_attachment("audit-id", "a-17");
        RpcContext::set_response_attachment("tenant-echo", tenant);
        Err(RpcError::business(format!("refused: {reason}")))
    }

    async fn fail_plain(&self) -> Result<String, RpcError> {
        Err(RpcError::business("plain"))
    }
}

const APP: &str = "\
[application]
name = \"audit\"

[protocols.dubbo]
port = 0

[protocols.tri]
port = 0

[services.audit]
protocol = \"dubbo,tri\"
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_set_before_an_exception_reach_the_consumer_over_dubbo_and_tri() {
    let mut builder = Bootstrap::from_config(Config::parse(APP, "audit.toml").unwrap())
        .service::<dyn AuditService>("audit", Arc::new(Impl));
    for protocol in ["dubbo", "tri"] {
        let mut reference = ReferenceConfig::of::<dyn AuditService>();
        reference.protocol = Some(protocol.into());
        builder = builder.reference(protocol, reference);
    }
    let running = builder.start().await.unwrap();

    for protocol in ["dubbo", "tri"] {
        let client = running.client::<dyn AuditService>(protocol).unwrap();
        let (outcome, response) = ClientContext::new()
            .with_attachment("tenant", "acme")
            .run(client.refuse("quota".into()))
            .await;
        let err = outcome.unwrap_err();
        assert!(
            matches!(&err, RpcError::Remote { message, .. } if message == "refused: quota"),
            "{protocol}: {err:?}"
        );
        assert_eq!(response.get_str("audit-id"), Some("a-17"), "{protocol}");
        assert_eq!(response.get_str("tenant-echo"), Some("acme"), "{protocol}");
        let on_error = err.attachments().expect("a business error has attachments");
        assert_eq!(on_error.get_str("audit-id"), Some("a-17"), "{protocol}");

        // An exception with nothing attached leaves none of the previous call's.
        let (outcome, response) = ClientContext::new().run(client.fail_plain()).await;
        assert!(outcome.unwrap_err().is_business(), "{protocol}");
        assert_eq!(response.get_str("audit-id"), None, "{protocol}");
    }
    running.shutdown().await;
}
