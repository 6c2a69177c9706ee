//! The quickstart: one application that provides the greeter and calls it, talking dubbo
//! over loopback TCP and finding the provider through the embedded registry (`memory://`),
//! all set up by the bootstrap from `examples/config/quickstart.toml`.
//!
//! `cargo run -p oxidubbo-examples --bin quickstart`

use std::sync::Arc;

use oxidubbo::{Bootstrap, Config, DubboProtocol};
use oxidubbo_examples::{Greeter, HelloGreeter, call_each_method, init_logging};

const CONFIG: &str = include_str!("../../config/quickstart.toml");

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
    let config = Config::parse(CONFIG, "examples/config/quickstart.toml")?;
    let running = Bootstrap::from_config(config)
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .start()
        .await?;
    for (name, url) in running.provider_urls() {
        println!("provider {name}: {}", url.to_full_string());
    }
    let client = running.client::<dyn Greeter>("greeter")?;
    let problems = call_each_method(&client).await;
    let report = running.shutdown().await;
    println!("shut down: {report:?}");
    println!(
        "protocol after shutdown: {:?}",
        DubboProtocol::global().counts()
    );
    if problems > 0 {
        return Err(format!("{problems} call(s) went wrong").into());
    }
    Ok(())
}
