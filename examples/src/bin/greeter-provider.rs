//! Serves `org.apache.dubbo.samples.api.GreeterService` 1.0.0 over dubbo until Ctrl-C.
//!
//! `greeter-provider [--port 20880]`

use oxidubbo_examples::{flag, greeter_provider_url, init_logging, serve_greeter};
use oxidubbo_protocol::{DubboProtocol, Protocol};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_logging();
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = flag(&args, "--port").map_or(Ok(20880), |p| p.parse())?;
    if let Some(registry) = flag(&args, "--registry") {
        return Err(format!(
            "--registry {registry}: registries are not available yet; consumers connect directly"
        )
        .into());
    }
    let protocol = DubboProtocol::global();
    let _exporter = serve_greeter(protocol, greeter_provider_url(port)).await?;
    println!("READY 127.0.0.1:{port}");
    tokio::signal::ctrl_c().await?;
    protocol.destroy().await;
    Ok(())
}
