//! Calls each method of the greeter once and prints the results; exits non-zero if a
//! call went wrong.
//!
//! `greeter-consumer --config examples/config/consumer.toml`, or
//! `greeter-consumer [--url dubbo://127.0.0.1:20880 | --registry zookeeper://127.0.0.1:2181]`:
//! `--url` takes one or several `;`-separated provider addresses; `--registry`
//! (`zookeeper://…` or `memory://`) finds the providers there.

use oxidubbo::config::{ReferenceConfig, RegistryConfig};
use oxidubbo::{Bootstrap, Config};
use oxidubbo_examples::{Greeter, call_each_method, flag, init_logging};

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
            let reference = ReferenceConfig::of::<dyn Greeter>();
            let bootstrap = Bootstrap::new().application("greeter-consumer");
            match flag(&args, "--registry") {
                Some(address) => bootstrap
                    .registry("default", RegistryConfig::new(address))
                    .reference("greeter", reference),
                None => {
                    let url = flag(&args, "--url")
                        .unwrap_or_else(|| "dubbo://127.0.0.1:20880".to_owned());
                    bootstrap.reference("greeter", reference.with_url(url))
                }
            }
        }
    };
    let running = bootstrap.start().await?;
    let client = running.client::<dyn Greeter>("greeter")?;
    let problems = call_each_method(&client).await;
    running.shutdown().await;
    if problems > 0 {
        return Err(format!("{problems} call(s) went wrong").into());
    }
    Ok(())
}
