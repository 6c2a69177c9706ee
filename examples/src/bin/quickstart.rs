//! The quickstart: one application that provides the greeter and calls it, talking dubbo
//! over loopback TCP and finding the provider through the embedded registry (`memory://`),
//! all set up by the bootstrap from `examples/config/quickstart.toml`. It also serves its
//! Prometheus metrics and Dubbo's QoS commands on loopback, prints where, and reads each
//! once after its calls.
//!
//! `cargo run -p oxidubbo-examples --bin quickstart`

use std::sync::Arc;
use std::time::Duration;

use oxidubbo::qos::client::call;
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
    if let Some(addr) = running.metrics_addr() {
        println!("metrics: http://{addr}/metrics");
    }
    if let Some(addr) = running.qos_addr() {
        println!(
            "qos: telnet {} {} (or curl http://{addr}/help)",
            addr.ip(),
            addr.port()
        );
    }
    let client = running.client::<dyn Greeter>("greeter")?;
    let mut problems = call_each_method(&client).await;
    // What an operator would see now: the call counts from the metrics endpoint, and the
    // services from QoS `ls`.
    let timeout = Duration::from_secs(5);
    if let Some(addr) = running.metrics_addr() {
        match call(addr, "metrics", &[], timeout).await {
            Ok((200, text)) => text
                .lines()
                .filter(|l| l.starts_with("dubbo_provider_requests_total{"))
                .for_each(|l| println!("  {l}")),
            other => {
                println!("metrics endpoint: {other:?}");
                problems += 1;
            }
        }
    }
    if let Some(addr) = running.qos_addr() {
        match call(addr, "ls", &[], timeout).await {
            Ok((200, text)) => println!("qos ls:\n{text}"),
            other => {
                println!("qos ls: {other:?}");
                problems += 1;
            }
        }
    }
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
