//! Helpers shared by the command tests: running the real binary, an in-process greeter
//! provider, and the ZooKeeper the registry tests need.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use oxidubbo_examples::{greeter_provider_url, serve_greeter};
use oxidubbo_protocol::{DubboProtocol, Protocol};

/// The greeter's interface.
pub const GREETER: &str = oxidubbo_examples::INTERFACE;

/// Runs `oxidubbo args…` with `stdin` as its input, bounded by a 60 s watchdog.
pub fn oxidubbo_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oxidubbo"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn oxidubbo");
    let pid = child.id();
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin).expect("write stdin");
    }
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            // Still running after 60 s: kill exactly the child we started.
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    });
    let out = child.wait_with_output().expect("wait for oxidubbo");
    let _ = done_tx.send(());
    let _ = watchdog.join();
    out
}

/// Runs `oxidubbo args…` with empty stdin.
pub fn oxidubbo(args: &[&str]) -> Output {
    oxidubbo_with_stdin(args, b"")
}

/// Stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Stdout parsed as JSON.
pub fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

/// The exit code (panics on a signal).
pub fn code(out: &Output) -> i32 {
    out.status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal; stderr:\n{}", stderr(out)))
}

/// A greeter provider served on 127.0.0.1 (a free port) by a runtime of its own, until
/// dropped.
pub struct Greeter {
    /// Its port.
    pub port: u16,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Greeter {
    /// Starts the provider.
    pub fn start() -> Greeter {
        let (port_tx, port_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let protocol = DubboProtocol::new();
                let exporter = serve_greeter(&protocol, greeter_provider_url(0))
                    .await
                    .expect("export the greeter");
                let addrs = protocol.server_addresses().await;
                port_tx.send(addrs[0].port()).expect("send port");
                // Wait (bounded) for the test to finish.
                let _ = tokio::task::spawn_blocking(move || {
                    let _ = stop_rx.recv_timeout(Duration::from_secs(300));
                })
                .await;
                drop(exporter);
                protocol.destroy().await;
            });
        });
        let port = port_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("greeter did not start");
        Greeter {
            port,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `dubbo://127.0.0.1:<port>/<interface>`.
    pub fn target(&self) -> String {
        format!("dubbo://127.0.0.1:{}/{GREETER}", self.port)
    }
}

impl Drop for Greeter {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The ZooKeeper address from `OXIDUBBO_ZK`; `None` (after a loud note) when it is unset
/// and peers are optional, a panic when they are required (`OXIDUBBO_REQUIRE_PEERS=1` or
/// `CI`).
pub fn zookeeper(test: &str) -> Option<String> {
    match std::env::var("OXIDUBBO_ZK") {
        Ok(addr) if !addr.trim().is_empty() => Some(addr.trim().to_owned()),
        _ => {
            let required = std::env::var("OXIDUBBO_REQUIRE_PEERS").is_ok_and(|v| v == "1")
                || std::env::var_os("CI").is_some();
            assert!(
                !required,
                "{test}: OXIDUBBO_ZK is not set but peers are required (run scripts/test.sh)"
            );
            eprintln!(
                "\n*** SKIPPING {test}: OXIDUBBO_ZK is not set. Run `bash scripts/zookeeper.sh start` \
                 and export what it prints, or use scripts/test.sh. ***\n"
            );
            None
        }
    }
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}{}x{nanos}", std::process::id())
}

/// A ZooKeeper session for the test (ephemeral nodes it creates vanish with it).
pub async fn zk_client(addr: &str) -> zookeeper_client::Client {
    tokio::time::timeout(
        Duration::from_secs(20),
        zookeeper_client::Client::connector()
            .with_session_timeout(Duration::from_secs(10))
            .connect(addr),
    )
    .await
    .expect("zookeeper connect timed out")
    .expect("zookeeper connect")
}

/// Registers `url` under `/<root>/<interface>/<category>` the way Dubbo does (persistent
/// folders, ephemeral leaf named by the encoded full URL).
pub async fn zk_register(
    client: &zookeeper_client::Client,
    root: &str,
    interface: &str,
    category: &str,
    url: &oxidubbo_common::Url,
) {
    use zookeeper_client::{Acls, CreateMode};
    let folder = format!(
        "/{root}/{}/{category}",
        oxidubbo_common::Url::encode_component(interface)
    );
    match client
        .mkdir(
            &folder,
            &CreateMode::Persistent.with_acls(Acls::anyone_all()),
        )
        .await
    {
        Ok(()) | Err(zookeeper_client::Error::NodeExists) => {}
        Err(e) => panic!("mkdir {folder}: {e}"),
    }
    let leaf = format!("{folder}/{}", url.to_node_name());
    client
        .create(
            &leaf,
            &[],
            &CreateMode::Ephemeral.with_acls(Acls::anyone_all()),
        )
        .await
        .expect("create node");
}

/// The etcd address from `OXIDUBBO_ETCD`; `None` (after a loud note) when it is unset and
/// peers are optional, a panic when they are required (`OXIDUBBO_REQUIRE_PEERS=1` or `CI`).
pub fn etcd(test: &str) -> Option<String> {
    match std::env::var("OXIDUBBO_ETCD") {
        Ok(addr) if !addr.trim().is_empty() => Some(addr.trim().to_owned()),
        _ => {
            let required = std::env::var("OXIDUBBO_REQUIRE_PEERS").is_ok_and(|v| v == "1")
                || std::env::var_os("CI").is_some();
            assert!(
                !required,
                "{test}: OXIDUBBO_ETCD is not set but peers are required (run scripts/test.sh)"
            );
            eprintln!(
                "\n*** SKIPPING {test}: OXIDUBBO_ETCD is not set. Run `bash scripts/etcd.sh start` \
                 and export what it prints, or use scripts/test.sh. ***\n"
            );
            None
        }
    }
}

/// Runs `etcdctl --endpoints=<etcd> <args>` (at most 20 s); panics when it fails.
pub fn etcdctl(etcd: &str, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("20")
        .arg("etcdctl")
        .arg(format!("--endpoints={etcd}"))
        .args(args)
        .env("ETCDCTL_API", "3")
        .stdin(Stdio::null())
        .output()
        .expect("run etcdctl");
    assert!(
        out.status.success(),
        "etcdctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
