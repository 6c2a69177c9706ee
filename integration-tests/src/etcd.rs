//! etcd for the etcd registry tests: the test run's etcd (`OXIDUBBO_ETCD`), an etcd of a
//! test's own ([`OwnEtcd`], which can be killed and restarted with its data), and `etcdctl`,
//! the independent client that reads and writes keys beside the registry.

use std::path::PathBuf;
use std::process::Stdio;

use crate::{free_port, missing_peer};

/// The etcd address of the test run (`OXIDUBBO_ETCD`, `127.0.0.1:<port>`), if available.
pub fn etcd() -> Option<String> {
    match std::env::var("OXIDUBBO_ETCD") {
        Ok(addr) if !addr.is_empty() => Some(addr),
        _ => missing_peer("etcd (OXIDUBBO_ETCD is not set)"),
    }
}

/// Runs `etcdctl --endpoints=<etcd> <args>` (at most 20 s) and returns its stdout; panics
/// when it fails.
pub fn etcdctl(etcd: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("timeout")
        .arg("20")
        .arg("etcdctl")
        .arg(format!("--endpoints={etcd}"))
        .arg("--dial-timeout=5s")
        .arg("--command-timeout=10s")
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

/// The keys below `prefix` with their values, as etcdctl reads them (`get --prefix`).
pub fn etcdctl_get_prefix(etcd: &str, prefix: &str) -> Vec<(String, String)> {
    let out = etcdctl(etcd, &["get", "--prefix", prefix]);
    let lines: Vec<&str> = out.lines().collect();
    lines
        .chunks(2)
        .map(|kv| {
            (
                kv[0].to_owned(),
                kv.get(1).map_or(String::new(), |v| (*v).to_owned()),
            )
        })
        .collect()
}

/// An etcd of a test's own: `scripts/etcd.sh` with a state dir and ports of its own, so the
/// test can kill and restart it without disturbing the others. Stopped (and its data
/// removed) when dropped.
pub struct OwnEtcd {
    state: PathBuf,
    port: u16,
    peer_port: u16,
}

impl OwnEtcd {
    /// Starts one on free ports, with a fresh state dir named after `name`.
    pub fn start(name: &str) -> OwnEtcd {
        let own = OwnEtcd::not_started(name);
        own.start_server();
        own
    }

    /// One on free ports, with a fresh state dir named after `name`, not started yet
    /// ([`OwnEtcd::start_server`] starts it): nothing listens on its address until then.
    pub fn not_started(name: &str) -> OwnEtcd {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let port = free_port();
        let mut peer_port = free_port();
        while peer_port == port {
            peer_port = free_port();
        }
        OwnEtcd {
            state: std::env::temp_dir().join(format!("oxidubbo-etcd-{name}-{nanos}")),
            port,
            peer_port,
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the server (again, with the data it had when it was killed).
    pub fn start_server(&self) {
        let started = self.script("start");
        assert!(started.contains(&self.address()), "{started}");
    }

    /// Kills the server (`SIGKILL`), keeping its data: its clients see their connections
    /// reset and refused.
    pub fn kill_server(&self) {
        self.script("kill");
    }

    /// Stops the server and removes its data: the next start is an empty etcd (on the same
    /// ports).
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
        let pid = std::fs::read_to_string(self.state.join("pid")).expect("etcd pid file");
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.trim())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {pid}");
    }

    fn script(&self, command: &str) -> String {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/etcd.sh");
        let out = std::process::Command::new("bash")
            .arg(script)
            .arg(command)
            .env("OXIDUBBO_ETCD_STATE_DIR", &self.state)
            .env("ETCD_PORT", self.port.to_string())
            .env("ETCD_PEER_PORT", self.peer_port.to_string())
            .stdin(Stdio::null())
            .output()
            .expect("run etcd.sh");
        assert!(
            out.status.success(),
            "etcd.sh {command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for OwnEtcd {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| {
            if std::fs::read_to_string(self.state.join("pid")).is_ok() {
                self.thaw();
            }
            self.script("stop")
        });
        let _ = std::fs::remove_dir_all(&self.state);
    }
}
