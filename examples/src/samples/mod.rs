//! Ports of dubbo-go-samples (`helloworld`, `direct`, `registry/zookeeper`): the services,
//! and what their servers and clients do, shared by the sample binaries
//! (`examples/samples/*/main.rs`) and their tests.
//!
//! Each sample binary takes `server`, `client`, or nothing: then it starts the server on a
//! free port, runs the client against it and shuts the server down — one command shows
//! the whole sample.

pub mod direct;
pub mod helloworld;
pub mod zookeeper;

use std::time::Duration;

use oxidubbo::Running;

/// What a sample binary is asked to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The server: serves until Ctrl-C or SIGTERM.
    Server,
    /// The client: calls once and exits.
    Client,
    /// Both in one process: the server on a free port, then the client, then the shutdown.
    Both,
}

impl Role {
    /// The role the first command-line argument names (`server`, `client`, none).
    ///
    /// # Errors
    ///
    /// A message for any other argument.
    pub fn from_args(args: &[String]) -> Result<Role, String> {
        match args.get(1).map(String::as_str) {
            Some("server") => Ok(Role::Server),
            Some("client") => Ok(Role::Client),
            None => Ok(Role::Both),
            Some(other) => Err(format!("{other}: expected `server`, `client` or nothing")),
        }
    }
}

/// Prints `READY <address>` for each service `running` exported (what the tests wait
/// for), then serves until Ctrl-C or SIGTERM and shuts down gracefully.
///
/// # Errors
///
/// When the signal handlers cannot be installed.
pub async fn serve_until_signal(running: &Running) -> Result<(), oxidubbo::Error> {
    announce(running);
    let report = running.run_until_signal().await?;
    println!("server shut down: {report:?}");
    Ok(())
}

/// Prints `READY <address> <service>` for each exported URL.
pub fn announce(running: &Running) {
    for (name, url) in running.exported_urls() {
        println!("READY {} {name}", url.address());
    }
}

/// The port `running` serves `protocol` on (the first exported URL of that protocol).
pub fn served_port(running: &Running, protocol: &str) -> Option<u16> {
    running
        .exported_urls()
        .into_iter()
        .find(|(_, url)| url.protocol() == protocol)
        .map(|(_, url)| url.port())
}

/// Runs `call` until it succeeds, at most `tries` times `pause` apart (a client whose
/// providers come from a registry, with `check` off as dubbo-go's, may start before they
/// arrived); the last error otherwise.
pub async fn until_ok<T, E, F, Fut>(tries: usize, pause: Duration, mut call: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt >= tries => return Err(e),
            Err(_) => {
                attempt += 1;
                tokio::time::sleep(pause).await;
            }
        }
    }
}
