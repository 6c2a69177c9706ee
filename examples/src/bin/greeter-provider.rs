//! Serves `org.apache.dubbo.samples.api.GreeterService` 1.0.0 over dubbo until Ctrl-C or
//! SIGTERM, then shuts down gracefully (unregister, read-only event, drain, close).
//!
//! `greeter-provider --config examples/config/provider.toml`, or
//! `greeter-provider [--port 20880] [--registry zookeeper://127.0.0.1:2181 | memory://]`.
//! `OXIDUBBO_…` variables override configuration values (see the README).

use std::sync::Arc;

use oxidubbo::config::{ProtocolConfig, RegistryConfig};
use oxidubbo::{Bootstrap, Config};
use oxidubbo_examples::{Greeter, HelloGreeter, flag, init_logging};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    init_logging();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let bootstrap = match flag(&args, "--config") {
        Some(path) => Bootstrap::from_config(Config::from_file(path)?),
        None => {
            let port: u16 = flag(&args, "--port").map_or(Ok(20880), |p| p.parse())?;
            let mut bootstrap = Bootstrap::new()
                .application("greeter-provider")
                .protocol("dubbo", ProtocolConfig::dubbo(port));
            if let Some(address) = flag(&args, "--registry") {
                bootstrap = bootstrap.registry("default", RegistryConfig::new(address));
            }
            bootstrap
        }
    };
    let running = bootstrap
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .start()
        .await?;
    for url in running.provider_urls().values() {
        println!("READY {}", url.address());
    }
    let report = running.run_until_signal().await?;
    println!("shut down: {report:?}");
    Ok(())
}
