//! dubbo-go-samples' `direct`, in its dubbo-protocol form, ported (see `README.md` beside
//! this file).
//!
//! `cargo run -p oxidubbo-examples --bin direct` runs both sides in one process (the
//! provider on a free port); `direct server [--config go-server/conf/dubbogo.yml]` and
//! `direct client [--config go-client/conf/dubbogo.yml]` run one side each, configured by
//! the sample's files (`DIRECT_PORT` in the environment changes their port 20000).

use std::path::Path;

use oxidubbo_examples::samples::direct;
use oxidubbo_examples::samples::{Role, announce, serve_until_signal, served_port};
use oxidubbo_examples::{flag, init_logging};

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
    let config = flag(&args, "--config");
    let config = config.as_deref().map(Path::new);
    match Role::from_args(&args)? {
        Role::Server => {
            let running = direct::server(direct::server_config(config)?).await?;
            serve_until_signal(&running).await?;
        }
        Role::Client => {
            let user = direct::client(direct::client_config(config)?).await?;
            println!("response result: {user:?}");
        }
        Role::Both => {
            let mut server_config = direct::server_config(None)?;
            for protocol in server_config.protocols.values_mut() {
                protocol.port = 0;
            }
            let running = direct::server(server_config).await?;
            announce(&running);
            let port = served_port(&running, "dubbo").ok_or("no dubbo port")?;
            let mut client_config = direct::client_config(None)?;
            for reference in client_config.references.values_mut() {
                reference.url = Some(format!("dubbo://127.0.0.1:{port}"));
            }
            let outcome = direct::client(client_config).await;
            running.shutdown().await;
            println!("response result: {:?}", outcome?);
        }
    }
    Ok(())
}
