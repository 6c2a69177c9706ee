//! dubbo-go-samples' `registry/zookeeper`, ported (see `README.md` beside this file);
//! it needs a ZooKeeper (`bash scripts/zookeeper.sh start` runs one and prints its
//! address), at 127.0.0.1:2181 or where `ZK_ADDRESS` says.
//!
//! `cargo run -p oxidubbo-examples --bin registry-zookeeper` runs both sides in one process
//! (the server on a free port); `registry-zookeeper server [--config …]` and
//! `registry-zookeeper client [--config …]` run one side each, configured by the sample's
//! `go-server/conf/dubbogo.yml` and `go-client/conf/dubbogo.yml` (`ZK_SAMPLE_PORT`
//! changes the server's port 20000).

use std::path::Path;

use oxidubbo_examples::samples::zookeeper;
use oxidubbo_examples::samples::{Role, announce, serve_until_signal};
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

fn print(users: &[zookeeper::api::User]) {
    for user in users {
        println!("client response result: {user:?}");
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let config = flag(&args, "--config");
    let config = config.as_deref().map(Path::new);
    match Role::from_args(&args)? {
        Role::Server => {
            let running = zookeeper::server(zookeeper::server_config(config)?).await?;
            serve_until_signal(&running).await?;
        }
        Role::Client => print(&zookeeper::client(zookeeper::client_config(config)?).await?),
        Role::Both => {
            let mut server_config = zookeeper::server_config(None)?;
            for protocol in server_config.protocols.values_mut() {
                protocol.port = 0;
            }
            let running = zookeeper::server(server_config).await?;
            announce(&running);
            let outcome = zookeeper::client(zookeeper::client_config(None)?).await;
            running.shutdown().await;
            print(&outcome?);
        }
    }
    Ok(())
}
