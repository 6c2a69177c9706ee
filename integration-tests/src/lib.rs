//! Helpers for tests that need real peers (ZooKeeper, etcd, sofa-rpc-node, gRPC): finding them, failing loudly (in CI) or
//! skipping loudly (locally) when they are missing, and running the sofa-rpc-node peers.

pub mod chaos;
pub mod counting_alloc;
pub mod etcd;
pub mod grpc_peers;
pub mod rss;
pub mod runtimes;
pub mod tls_certs;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A port on 127.0.0.1 that is free now, for a test server to bind next.
///
/// Ports come from 10000–29999, below Linux's ephemeral range (32768 and up), so that no
/// outgoing connection of a test running alongside can take the port between this check
/// and the bind, as one taken with `bind(":0")` can be. Each process starts at its own
/// place in the range and hands ports out in turn, so concurrent tests get different ones.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOW: u32 = 10_000;
    const SPAN: u32 = 20_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let start = std::process::id().wrapping_mul(7_919) % SPAN;
    let _ = NEXT.compare_exchange(u32::MAX, start, Ordering::Relaxed, Ordering::Relaxed);
    for _ in 0..SPAN {
        let port = LOW + NEXT.fetch_add(1, Ordering::Relaxed) % SPAN;
        let port = u16::try_from(port).expect("ports below 30000 fit in u16");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!(
        "no free port between {LOW} and {} on 127.0.0.1",
        LOW + SPAN - 1
    );
}

/// Whether a missing peer must fail the test: `OXIDUBBO_REQUIRE_PEERS=1` or `CI` set.
pub fn peers_required() -> bool {
    std::env::var("OXIDUBBO_REQUIRE_PEERS").is_ok_and(|v| v == "1")
        || std::env::var_os("CI").is_some()
}

/// Reports a missing peer: panics when peers are required, else prints a loud skip
/// notice. Returns `None` so callers can `return` early.
pub fn missing_peer<T>(what: &str) -> Option<T> {
    if peers_required() {
        panic!("required peer missing: {what} (run the tests with `bash scripts/test.sh`)");
    }
    eprintln!(
        "\n!!!!!!!! SKIPPED: {what} — run `bash scripts/test.sh` to install and start the peers !!!!!!!!\n"
    );
    None
}

/// The sofa-rpc-node peers folder with its `node_modules` installed, if available.
pub fn sofa_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("OXIDUBBO_SOFA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/sofa"));
    if dir.join("node_modules/sofa-rpc-node").is_dir() {
        Some(dir)
    } else {
        missing_peer(&format!(
            "sofa-rpc-node peers (no node_modules in {})",
            dir.display()
        ))
    }
}

/// The ZooKeeper address of the test run (`OXIDUBBO_ZK`), if available.
pub fn zookeeper() -> Option<String> {
    match std::env::var("OXIDUBBO_ZK") {
        Ok(addr) if !addr.is_empty() => Some(addr),
        _ => missing_peer("ZooKeeper (OXIDUBBO_ZK is not set)"),
    }
}

/// A ZooKeeper of a test's own: `scripts/zookeeper.sh` with a state dir and a port of its
/// own (the installation the test run uses; [`zookeeper`] says there is one), so the test
/// can stop, restart or freeze it without disturbing the others. Stopped when dropped.
pub struct OwnZookeeper {
    state: PathBuf,
    port: u16,
}

impl OwnZookeeper {
    /// Starts one on a free port, with a fresh state dir named after `name`.
    pub fn start(name: &str) -> OwnZookeeper {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let own = OwnZookeeper {
            state: std::env::temp_dir().join(format!("oxidubbo-zk-{name}-{nanos}")),
            port: free_port(),
        };
        own.start_server();
        own
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the server again (with no data: every session and node is forgotten).
    pub fn start_server(&self) {
        let started = self.script("start");
        assert!(started.contains(&self.address()), "{started}");
    }

    /// Stops the server (its clients see their connection refused).
    pub fn stop_server(&self) {
        self.script("stop");
    }

    /// Freezes the server (`SIGSTOP`): connections stay open and nothing answers.
    pub fn freeze(&self) {
        self.signal("STOP");
    }

    /// Lets a frozen server go on (`SIGCONT`).
    pub fn thaw(&self) {
        self.signal("CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = std::fs::read_to_string(self.state.join("pid")).expect("ZooKeeper pid file");
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.trim())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {pid}");
    }

    fn script(&self, command: &str) -> String {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/zookeeper.sh");
        let out = std::process::Command::new("bash")
            .arg(script)
            .arg(command)
            .env("OXIDUBBO_ZK_STATE_DIR", &self.state)
            .env("ZK_PORT", self.port.to_string())
            .stdin(Stdio::null())
            .output()
            .expect("run zookeeper.sh");
        assert!(
            out.status.success(),
            "zookeeper.sh {command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for OwnZookeeper {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| {
            if std::fs::read_to_string(self.state.join("pid")).is_ok() {
                self.thaw();
            }
            self.stop_server()
        });
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

/// Starts a peer process (stdin and stdout piped, killed when its [`Child`] is dropped) and
/// waits, at most 30 s, for the line `<ready><port>` on its stdout; panics, naming `what`,
/// when it does not come.
pub(crate) async fn start_until_ready(
    mut command: Command,
    ready: &str,
    what: &str,
) -> (Child, u16) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("failed to start {what}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let port = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(port) = line.strip_prefix(ready) {
                return port.trim().parse::<u16>().ok();
            }
        }
        None
    })
    .await;
    match port {
        Ok(Some(port)) => (child, port),
        other => panic!("{what} did not become ready: {other:?}"),
    }
}

/// A name no earlier run used (`prefix` and the time in nanoseconds): ZooKeeper roots and
/// groups of their own, so runs never read each other's nodes.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}{nanos}")
}

/// A plain ZooKeeper client of `zk` (`host:port`), connected within 20 s: the independent
/// reader of what a registry wrote.
pub async fn zk_client(zk: &str) -> zookeeper_client::Client {
    tokio::time::timeout(
        Duration::from_secs(20),
        zookeeper_client::Client::connect(zk),
    )
    .await
    .expect("ZooKeeper connects within 20 s")
    .expect("connected to ZooKeeper")
}

/// The node names under `path` (none when it does not exist).
pub async fn zk_children(client: &zookeeper_client::Client, path: &str) -> Vec<String> {
    match client.list_children(path).await {
        Ok(c) => c,
        Err(zookeeper_client::Error::NoNode) => Vec::new(),
        Err(e) => panic!("list {path}: {e}"),
    }
}

/// A running sofa-rpc-node provider; killed when dropped.
pub struct SofaProvider {
    child: Child,
    /// The port it serves on (127.0.0.1).
    pub port: u16,
}

impl SofaProvider {
    /// Starts `provider.js` with `args` and waits (at most 30 s) for its `READY <port>` line.
    pub async fn start(dir: &std::path::Path, args: &[&str]) -> SofaProvider {
        let mut command = Command::new("node");
        command
            .arg(dir.join("provider.js"))
            .args(args)
            .current_dir(dir);
        let (child, port) = start_until_ready(command, "READY ", "provider.js").await;
        SofaProvider { child, port }
    }
}

impl Drop for SofaProvider {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Runs `consumer.js` with `args` (at most 60 s) and returns its JSON lines.
pub async fn run_sofa_consumer(dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    run_sofa_script(dir, "consumer.js", args).await
}

/// Runs the peer script `script` (`consumer.js`, `discover.js`) with `args` (at most 60 s),
/// panics when it fails, and returns its stdout lines.
pub async fn run_sofa_script(dir: &std::path::Path, script: &str, args: &[&str]) -> Vec<String> {
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new("node")
            .arg(dir.join(script))
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("{script} hung"))
    .unwrap_or_else(|e| panic!("failed to run node {script}: {e}"));
    assert!(
        out.status.success(),
        "{script} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `GET path` on `addr` over HTTP/1.1 (`Connection: close`): the status code and the body.
/// For tests of the small HTTP endpoints (metrics); bounded by a 10 s hang guard.
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&response).into_owned())
    };
    let response = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer in 10 s"))??;
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, response.clone());
    let (head, body) = response.split_once("\r\n\r\n").ok_or_else(bad)?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok((status, body.to_owned()))
}

/// The value of the sample of `family` whose labels include every `name="value"` of
/// `labels`, in a Prometheus text exposition; `None` when there is none.
pub fn prometheus_sample(text: &str, family: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter_map(|line| line.strip_prefix(family))
        .filter_map(|rest| rest.strip_prefix('{'))
        .filter_map(|rest| rest.split_once("} "))
        .find(|(set, _)| {
            labels
                .iter()
                .all(|(k, v)| set.split(',').any(|l| l == format!("{k}=\"{v}\"")))
        })
        .and_then(|(_, value)| value.trim().parse().ok())
}
