//! dubbo-go-samples' `helloworld`, ported (see `README.md` beside this file).
//!
//! `cargo run -p oxidubbo-examples --bin helloworld` runs both sides in one process (the
//! server on a free port); `helloworld server [--port 20000]` and
//! `helloworld client [--url tri://127.0.0.1:20000]` run one side each, as the Go
//! sample's `go-server` and `go-client`.

use oxidubbo_examples::samples::helloworld::{self, PORT};
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
    match Role::from_args(&args)? {
        Role::Server => {
            let port = flag(&args, "--port").map_or(Ok(PORT), |p| p.parse())?;
            let running = helloworld::server(port).await?;
            serve_until_signal(&running).await?;
        }
        Role::Client => {
            let url = flag(&args, "--url").unwrap_or_else(|| format!("tri://127.0.0.1:{PORT}"));
            let greeting = helloworld::client(&url).await?;
            println!("Greet response: {greeting}");
        }
        Role::Both => {
            let running = helloworld::server(0).await?;
            announce(&running);
            let port = served_port(&running, "tri").ok_or("no tri port")?;
            let outcome = helloworld::client(&format!("tri://127.0.0.1:{port}")).await;
            running.shutdown().await;
            println!("Greet response: {}", outcome?);
        }
    }
    Ok(())
}
