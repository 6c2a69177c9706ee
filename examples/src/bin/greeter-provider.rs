//! Serves `org.apache.dubbo.samples.api.GreeterService` 1.0.0 over dubbo until Ctrl-C or
//! SIGTERM, then shuts down gracefully (unregister, read-only event, drain, close).
//!
//! `greeter-provider --config examples/config/provider.toml`, or
//! `greeter-provider [--protocol dubbo|tri] [--port N] [--registry zookeeper://127.0.0.1:2181 | memory://]
//! [--tls-cert PEM --tls-key PEM [--tls-ca PEM [--tls-client-auth]]]`: with a certificate
//! it serves TLS only (registered with `ssl-enabled=true`); `--tls-ca` verifies client
//! certificates, which `--tls-client-auth` requires (mutual TLS).
//! With `--protocol tri` (port 50051 by default) it serves over Triple, on one port, the
//! greeter and `greet.GreetService` (the IDL service of `examples/proto/greet.proto`).
//! `OXIDUBBO_…` variables override configuration values (see the README).

use std::sync::Arc;

use oxidubbo::config::{ProtocolConfig, RegistryConfig};
use oxidubbo::{Bootstrap, Config};
use oxidubbo_examples::greet::{GreetService, HelloGreetService};
use oxidubbo_examples::{Greeter, HelloGreeter, flag, init_logging, tls_flags};

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
            let protocol = flag(&args, "--protocol").unwrap_or_else(|| "dubbo".to_owned());
            let port = |default| flag(&args, "--port").map_or(Ok(default), |p| p.parse());
            let mut bootstrap = Bootstrap::new().application("greeter-provider");
            let ssl = tls_flags(&args, true)?;
            let secure = |mut config: ProtocolConfig| {
                config.ssl_enabled = ssl.is_some();
                config
            };
            bootstrap = match protocol.as_str() {
                "dubbo" => bootstrap.protocol("dubbo", secure(ProtocolConfig::dubbo(port(20880)?))),
                "tri" => bootstrap
                    .protocol("tri", secure(ProtocolConfig::tri(port(50051)?)))
                    .service::<dyn GreetService>("greet", Arc::new(HelloGreetService)),
                other => return Err(format!("--protocol {other}: dubbo or tri").into()),
            };
            if let Some(ssl) = ssl {
                bootstrap.config_mut().ssl = ssl;
            }
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
    for (name, url) in running.exported_urls() {
        println!("READY {} {name} {}", url.address(), url.to_full_string());
    }
    let report = running.run_until_signal().await?;
    println!("shut down: {report:?}");
    Ok(())
}
