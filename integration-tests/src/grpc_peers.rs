//! The independent Triple (gRPC) peers in `integration-tests/peers/grpc`: a grpcio server
//! and client (Python, in the folder's `.venv`) and a @grpc/grpc-js client (Node.js), each
//! speaking `greet.GreetService` from a `.proto` file they compile at run time.
//!
//! `scripts/install-peers.sh` installs them; a missing one fails the test in CI and skips
//! it loudly elsewhere ([`crate::missing_peer`]).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// The peers folder, if its Python venv and Node modules are installed.
pub fn grpc_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("OXIDUBBO_GRPC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/grpc"));
    if python(&dir).is_file() && dir.join("node_modules/@grpc/grpc-js").is_dir() {
        Some(dir)
    } else {
        crate::missing_peer(&format!(
            "Triple peers grpcio and grpc-js (no .venv or node_modules in {})",
            dir.display()
        ))
    }
}

fn python(dir: &Path) -> PathBuf {
    dir.join(".venv/bin/python")
}

/// A running grpcio `greet.GreetService` server on 127.0.0.1; stopped when dropped.
pub struct GrpcioServer {
    child: Child,
    /// The port it serves on.
    pub port: u16,
}

impl GrpcioServer {
    /// Starts the grpcio server for `proto` on `port` and waits (at most 30 s) until it
    /// serves.
    pub async fn start(dir: &Path, proto: &Path, port: u16) -> GrpcioServer {
        let mut command = Command::new(python(dir));
        command
            .arg(dir.join("greet_peer.py"))
            .arg("server")
            .arg("--proto")
            .arg(proto)
            .arg("--port")
            .arg(port.to_string())
            .current_dir(dir);
        let (child, port) = crate::start_until_ready(command, "ready ", "the grpcio server").await;
        GrpcioServer { child, port }
    }
}

impl Drop for GrpcioServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Runs the grpcio client (`greet_peer.py <args>`), at most 60 s, and returns the JSON
/// object it printed.
pub async fn run_grpcio(dir: &Path, args: &[&str]) -> serde_json::Value {
    run_json(
        Command::new(python(dir)).arg(dir.join("greet_peer.py")),
        dir,
        args,
    )
    .await
}

/// Runs the grpc-js client (`greet_client.js <args>`), at most 60 s, and returns the JSON
/// object it printed.
pub async fn run_grpc_js(dir: &Path, args: &[&str]) -> serde_json::Value {
    run_json(
        Command::new("node").arg(dir.join("greet_client.js")),
        dir,
        args,
    )
    .await
}

async fn run_json(command: &mut Command, dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        command
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the peer client hung")
    .expect("failed to run the peer client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "the peer client ({}) printed no JSON ({e}): {stdout}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
