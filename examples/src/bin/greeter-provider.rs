//! Serves `org.apache.dubbo.samples.api.GreeterService` 1.0.0 over dubbo until Ctrl-C.
//!
//! `greeter-provider [--port 20880] [--registry zookeeper://127.0.0.1:2181 | memory://]`
//!
//! With `--registry`, the service is also registered there (and unregistered on Ctrl-C).

use std::sync::Arc;

use oxidubbo_examples::{Greeter, flag, greeter_provider_url, init_logging, serve_greeter};
use oxidubbo_invoker::ServiceInvoker;
use oxidubbo_protocol::{DubboProtocol, Protocol};
use oxidubbo_registry::{RegistryProtocol, parse_registry_address};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_logging();
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = flag(&args, "--port").map_or(Ok(20880), |p| p.parse())?;
    let protocol = DubboProtocol::global();
    let registry = match flag(&args, "--registry") {
        Some(registry) => {
            let registry = parse_registry_address(&registry)?;
            let registry_protocol = RegistryProtocol::new();
            let invoker = Arc::new(ServiceInvoker::new(greeter_provider_url(port), Greeter));
            registry_protocol.export_to(&registry, invoker).await?;
            Some(registry_protocol)
        }
        None => {
            serve_greeter(protocol, greeter_provider_url(port)).await?;
            None
        }
    };
    println!("READY 127.0.0.1:{port}");
    tokio::signal::ctrl_c().await?;
    if let Some(registry_protocol) = registry {
        registry_protocol.destroy().await;
    }
    protocol.destroy().await;
    Ok(())
}
