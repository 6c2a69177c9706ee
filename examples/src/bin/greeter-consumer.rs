//! Calls each method of the greeter once and prints the results; exits non-zero if a
//! call went wrong.
//!
//! `greeter-consumer --config examples/config/consumer.toml`, or
//! `greeter-consumer [--url dubbo://127.0.0.1:20880 | --registry zookeeper://127.0.0.1:2181]
//! [--protocol dubbo|tri] [--tls-ca PEM] [--tls-cert PEM --tls-key PEM]`: `--url` takes one or several `;`-separated provider addresses;
//! `--registry` (`zookeeper://…` or `memory://`) finds the providers there. Over Triple
//! (`--url tri://127.0.0.1:50051`, or `--protocol tri` with a registry) it also calls
//! each method of `greet.GreetService` — unary, server stream, client stream and bidi.
//! With a TLS flag it connects with TLS (`--tls-ca`: the CA of the provider's certificate,
//! default the system's roots; `--tls-cert`/`--tls-key`: the client certificate for mutual
//! TLS); providers found in a registry say themselves whether they speak TLS.

use oxidubbo::config::{ReferenceConfig, RegistryConfig};
use oxidubbo::{Bootstrap, Config};
use oxidubbo_examples::greet::{GreetService, call_each_greet_method};
use oxidubbo_examples::{
    Greeter, call_each_method, flag, init_logging, tls_flags, with_ssl_enabled,
};

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
            let url = flag(&args, "--url");
            let scheme = url
                .as_deref()
                .and_then(|u| u.split_once("://"))
                .map(|s| s.0);
            let protocol = flag(&args, "--protocol")
                .or(scheme.map(str::to_owned))
                .unwrap_or_else(|| "dubbo".to_owned());
            let mut references = vec![("greeter", ReferenceConfig::of::<dyn Greeter>())];
            if protocol == "tri" {
                references.push(("greet", ReferenceConfig::of::<dyn GreetService>()));
            }
            let mut bootstrap = Bootstrap::new().application("greeter-consumer");
            let ssl = tls_flags(&args, false)?;
            let registry = flag(&args, "--registry");
            if let Some(address) = &registry {
                bootstrap = bootstrap.registry("default", RegistryConfig::new(address));
            }
            for (name, mut reference) in references {
                reference.protocol = Some(protocol.clone());
                if registry.is_none() {
                    let default_port = oxidubbo::config::default_port(&protocol);
                    let url = url
                        .clone()
                        .unwrap_or_else(|| format!("{protocol}://127.0.0.1:{default_port}"));
                    let url = if ssl.is_some() {
                        with_ssl_enabled(&url)
                    } else {
                        url
                    };
                    reference = reference.with_url(url);
                }
                bootstrap = bootstrap.reference(name, reference);
            }
            if let Some(ssl) = ssl {
                bootstrap.config_mut().ssl = ssl;
            }
            bootstrap
        }
    };
    let running = bootstrap.start().await?;
    let client = running.client::<dyn Greeter>("greeter")?;
    let mut problems = call_each_method(&client).await;
    if running.config().references.contains_key("greet") {
        let greet = running.client::<dyn GreetService>("greet")?;
        problems += call_each_greet_method(&greet).await;
    }
    running.shutdown().await;
    if problems > 0 {
        return Err(format!("{problems} call(s) went wrong").into());
    }
    Ok(())
}
