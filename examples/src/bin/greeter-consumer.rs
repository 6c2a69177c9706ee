//! Calls each method of the greeter once and prints the results.
//!
//! `greeter-consumer [--url dubbo://127.0.0.1:20880 | --registry zookeeper://127.0.0.1:2181]`;
//! exits non-zero if a call went wrong. `--url` takes one or several `;`-separated provider
//! addresses; `--registry` (`zookeeper://…` or `memory://`) finds the providers there.

use std::sync::Arc;

use oxidubbo_examples::{GreeterClient, INTERFACE, VERSION, call_each_method, flag, init_logging};
use oxidubbo_invoker::Url;
use oxidubbo_protocol::{DubboProtocol, Protocol};
use oxidubbo_registry::{RegistryProtocol, parse_registry_address};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_logging();
    let args: Vec<String> = std::env::args().collect();
    if let Some(registry) = flag(&args, "--registry") {
        let registry = parse_registry_address(&registry)?;
        let reference = Url::builder("consumer")
            .host("127.0.0.1")
            .path(INTERFACE)
            .param("interface", INTERFACE)
            .param("version", VERSION)
            .build();
        let registry_protocol = RegistryProtocol::new();
        let invoker = registry_protocol.refer_from(&registry, &reference).await?;
        let problems = call_each_method(&GreeterClient::new(invoker)).await;
        registry_protocol.destroy().await;
        DubboProtocol::global().destroy().await;
        if problems > 0 {
            return Err(format!("{problems} call(s) went wrong").into());
        }
        return Ok(());
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
