//! Attachments both ways through `RpcContext` / `ClientContext`: a provider reads the
//! request's attachments and sets response attachments, an oxidubbo consumer sends the
//! first and reads the second — over dubbo (`RESPONSE_VALUE_WITH_ATTACHMENTS`) and Triple
//! (response headers).
//!
//! One test: the embedded registry is shared by every test of a binary.
#![allow(missing_docs)]

use std::sync::Arc;

use oxidubbo::config::{Config, ReferenceConfig};
use oxidubbo::{Bootstrap, ClientContext, DubboProtocol, Invocation, RpcContext, RpcError};

#[oxidubbo::service(interface = "org.example.TenantService", version = "1.0.0")]
pub trait TenantService {
    async fn whoami(&self, name: String) -> Result<String, RpcError>;
    async fn quiet(&self) -> Result<String, RpcError>;
}

struct Impl;

#[oxidubbo::async_trait]
impl TenantService for Impl {
    async fn whoami(&self, name: String) -> Result<String, RpcError> {
        let tenant = RpcContext::request_attachment("tenant").unwrap_or_else(|| "-".into());
        assert!(RpcContext::set_response_attachment(
            "served-by",
            "rust-provider"
        ));
        assert!(RpcContext::set_response_attachment(
            "tenant-echo",
            tenant.clone()
        ));
        RpcContext::set_response_attachment("count", 3);
        Ok(format!("{name}@{tenant}"))
    }

    async fn quiet(&self) -> Result<String, RpcError> {
        Ok("nothing attached".into())
    }
}

const APP: &str = "\
[application]
name = \"context\"

[protocols.dubbo]
port = 0

[protocols.tri]
port = 0

[services.tenant]
protocol = \"dubbo,tri\"
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_attachments_reach_the_consumer_over_dubbo_and_tri() {
    // Outside a provider call there is nothing to attach to.
    assert!(!RpcContext::set_response_attachment("x", "y"));
    assert_eq!(RpcContext::request_attachment("x"), None);

    let mut builder = Bootstrap::from_config(Config::parse(APP, "context.toml").unwrap())
        .service::<dyn TenantService>("tenant", Arc::new(Impl))
        .dubbo_protocol(Arc::new(DubboProtocol::new()));
    for protocol in ["dubbo", "tri"] {
        builder = builder.reference(
            protocol,
            ReferenceConfig {
                protocol: Some(protocol.into()),
                ..ReferenceConfig::of::<dyn TenantService>()
            },
        );
    }
    let app = builder.start().await.unwrap();

    for protocol in ["dubbo", "tri"] {
        let client = app.client::<dyn TenantService>(protocol).unwrap();
        let (answer, response) = ClientContext::new()
            .with_attachment("tenant", "acme")
            .run(client.whoami("ann".into()))
            .await;
        assert_eq!(answer.unwrap(), "ann@acme", "{protocol}");
        assert_eq!(
            response.get_str("served-by"),
            Some("rust-provider"),
            "{protocol}: {response:?}"
        );
        assert_eq!(
            response.get_str("tenant-echo"),
            Some("acme"),
            "{protocol}: {response:?}"
        );

        // Several calls in one context: the last response's attachments.
        let ((first, second), response) = ClientContext::new()
            .run(async { (client.whoami("bo".into()).await, client.quiet().await) })
            .await;
        assert_eq!(first.unwrap(), "bo@-");
        assert_eq!(second.unwrap(), "nothing attached");
        assert_eq!(
            response.get_str("served-by"),
            None,
            "{protocol}: {response:?}"
        );

        // Without a context, calls work as before, and the raw result carries them.
        assert_eq!(client.whoami("cy".into()).await.unwrap(), "cy@-");
        let invoker = app.invoker(protocol).unwrap();
        let result = invoker
            .invoke(
                Invocation::new("whoami", "Ljava/lang/String;", vec!["di".into()])
                    .with_attachment("tenant", "raw"),
            )
            .await
            .unwrap();
        assert_eq!(
            result.attachments.get_str("tenant-echo"),
            Some("raw"),
            "{protocol}"
        );
        assert!(
            result.attachments.get("count").is_some(),
            "{protocol}: {:?}",
            result.attachments
        );
    }
    app.shutdown().await;
}
