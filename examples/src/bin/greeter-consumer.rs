//! Calls each method of the greeter once and prints the results.
//!
//! `greeter-consumer [--url dubbo://127.0.0.1:20880]`; exits non-zero if a call went wrong.

use std::sync::Arc;

use oxidubbo_examples::{GreeterClient, INTERFACE, VERSION, call_each_method, flag, init_logging};
use oxidubbo_invoker::Url;
use oxidubbo_protocol::{DubboProtocol, Protocol};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_logging();
    let args: Vec<String> = std::env::args().collect();
    if let Some(registry) = flag(&args, "--registry") {
        return Err(
            format!("--registry {registry}: registries are not available yet; use --url").into(),
        );
    }
    let base = flag(&args, "--url").unwrap_or_else(|| "dubbo://127.0.0.1:20880".to_owned());
    let base = Url::parse(&base)?;
    let url = Url::builder(base.protocol())
        .host(base.host())
        .port(base.port())
        .path(INTERFACE)
        .param("interface", INTERFACE)
        .param("version", VERSION)
        .param("side", "consumer")
        .build();
    let protocol = DubboProtocol::global();
    let invoker = protocol.refer(Arc::new(url)).await?;
    let problems = call_each_method(&GreeterClient::new(invoker)).await;
    protocol.destroy().await;
    if problems > 0 {
        return Err(format!("{problems} call(s) went wrong").into());
    }
    Ok(())
}
