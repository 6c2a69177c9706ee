//! The fault-injection harness of the `chaos` tests: a TCP proxy the test controls
//! ([`ChaosProxy`]), a steady load that counts what happens to each call ([`Load`]), and
//! provider processes the test can kill ([`ChildProvider`]).

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// What the proxy does to the bytes it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwards as it comes.
    Pass,
    /// Forwards each read after this delay.
    Delay(Duration),
    /// Forwards nothing either way and keeps the sockets open: no FIN, no RST.
    Blackhole,
    /// Writes provider → consumer bytes one at a time.
    SliceBytes,
    /// Forwards this many more provider → consumer bytes, then closes both sides of that
    /// connection: a cut in the middle of whatever frame is passing.
    CutAfter(usize),
}

/// A TCP proxy on 127.0.0.1 in front of `upstream`, doing the [`Fault`] it is set to.
pub struct ChaosProxy {
    addr: SocketAddr,
    fault: watch::Sender<Fault>,
    accepted: Arc<AtomicUsize>,
    carried: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl ChaosProxy {
    /// Starts a proxy to `upstream`, passing bytes through.
    pub async fn start(upstream: SocketAddr) -> ChaosProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
        let addr = listener.local_addr().expect("proxy addr");
        let (fault, faults) = watch::channel(Fault::Pass);
        let accepted = Arc::new(AtomicUsize::new(0));
        let carried = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(accept(
            listener,
            upstream,
            faults,
            Arc::clone(&accepted),
            Arc::clone(&carried),
        ));
        ChaosProxy {
            addr,
            fault,
            accepted,
            carried,
            task,
        }
    }

    /// Where consumers connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets the fault for the bytes from now on (on every connection).
    pub fn set(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Provider → consumer bytes forwarded so far.
    pub fn carried(&self) -> u64 {
        self.carried.load(Ordering::Relaxed)
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(
    listener: TcpListener,
    upstream: SocketAddr,
    faults: watch::Receiver<Fault>,
    accepted: Arc<AtomicUsize>,
    carried: Arc<AtomicU64>,
) {
    let mut connections = JoinSet::new();
    while let Ok((downstream, _)) = listener.accept().await {
        accepted.fetch_add(1, Ordering::Relaxed);
        let faults = faults.clone();
        let carried = Arc::clone(&carried);
        connections.spawn(async move {
            let Ok(up) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = up.set_nodelay(true);
            let _ = downstream.set_nodelay(true);
            let (down_read, down_write) = downstream.into_split();
            let (up_read, up_write) = up.into_split();
            // Either direction ending ends the connection (both sockets dropped).
            tokio::select! {
                _ = pump(down_read, up_write, faults.clone(), false, None) => {}
                _ = pump(up_read, down_write, faults, true, Some(carried)) => {}
            }
        });
        while connections.try_join_next().is_some() {}
    }
}

/// Copies `from` → `to` under the current fault; `to_consumer` marks the provider →
/// consumer direction (the one `SliceBytes` and `CutAfter` act on).
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut faults: watch::Receiver<Fault>,
    to_consumer: bool,
    carried: Option<Arc<AtomicU64>>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut cut_left: Option<usize> = None;
    loop {
        // A blackhole reads nothing (the sender's window fills) until the fault changes.
        while *faults.borrow_and_update() == Fault::Blackhole {
            if faults.changed().await.is_err() {
                return;
            }
        }
        let n = tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            changed = faults.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
        };
        let fault = *faults.borrow();
        let mut chunk = &buf[..n];
        match fault {
            Fault::Blackhole => continue, // read just as it began: dropped, as a black hole does
            Fault::Delay(d) => tokio::time::sleep(d).await,
            Fault::CutAfter(bytes) if to_consumer => {
                let left = *cut_left.get_or_insert(bytes);
                if chunk.len() >= left {
                    let _ = to.write_all(&chunk[..left]).await;
                    let _ = to.flush().await;
                    return;
                }
                cut_left = Some(left - chunk.len());
            }
            _ => {}
        }
        if to_consumer {
            if let Some(carried) = &carried {
                carried.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }
        if fault == Fault::SliceBytes && to_consumer {
            while let Some((first, rest)) = chunk.split_first() {
                if to.write_all(std::slice::from_ref(first)).await.is_err() {
                    return;
                }
                chunk = rest;
            }
        } else if to.write_all(chunk).await.is_err() {
            return;
        }
    }
}

/// What became of the calls of a [`Load`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Calls begun.
    pub made: u64,
    /// Calls that returned a result.
    pub succeeded: u64,
    /// Calls that returned an error.
    pub failed: u64,
    /// Calls that returned neither within their timeout plus the margin.
    pub lost: u64,
}

#[derive(Default)]
struct Counters {
    made: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    lost: AtomicU64,
    errors: Mutex<Vec<String>>,
}

/// A steady load: `tasks` callers each calling in a loop until stopped, at most one call in
/// flight each, every call bounded by `limit` (its timeout plus a margin).
pub struct Load {
    counters: Arc<Counters>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Load {
    /// Starts `tasks` callers running `call`; a call not answered within `limit` is lost.
    pub fn start<F, Fut>(tasks: usize, limit: Duration, call: F) -> Load
    where
        F: Fn(u64) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        let counters = Arc::new(Counters::default());
        let (stop, stopped) = watch::channel(false);
        let call = Arc::new(call);
        let mut set = JoinSet::new();
        for _ in 0..tasks {
            let counters = Arc::clone(&counters);
            let stopped = stopped.clone();
            let call = Arc::clone(&call);
            set.spawn(async move {
                while !*stopped.borrow() {
                    let n = counters.made.fetch_add(1, Ordering::Relaxed);
                    match tokio::time::timeout(limit, call(n)).await {
                        Ok(Ok(())) => counters.succeeded.fetch_add(1, Ordering::Relaxed),
                        Ok(Err(e)) => {
                            let mut errors = counters.errors.lock().unwrap();
                            if errors.len() < 20 {
                                errors.push(e);
                            }
                            counters.failed.fetch_add(1, Ordering::Relaxed)
                        }
                        Err(_) => counters.lost.fetch_add(1, Ordering::Relaxed),
                    };
                    // A pause keeps the load steady rather than flat out.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            });
        }
        Load {
            counters,
            stop,
            tasks: set,
        }
    }

    /// The counts so far.
    pub fn outcome(&self) -> Outcome {
        let c = &self.counters;
        Outcome {
            made: c.made.load(Ordering::Relaxed),
            succeeded: c.succeeded.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            lost: c.lost.load(Ordering::Relaxed),
        }
    }

    /// Stops the callers, waits for their last calls (bounded by their limit) and returns
    /// the counts and the first errors seen.
    pub async fn stop(mut self) -> (Outcome, Vec<String>) {
        self.stop.send_replace(true);
        while self.tasks.join_next().await.is_some() {}
        let errors = self.counters.errors.lock().unwrap().clone();
        (self.outcome(), errors)
    }
}

/// A provider in a process of its own: this test binary run again with
/// `OXIDUBBO_CHAOS_PROVIDER=<dubbo port>`, whose `child` test serves until signalled.
pub struct ChildProvider {
    child: Child,
    /// The port its dubbo protocol serves on.
    pub port: u16,
}

/// The variable that makes a `chaos` test binary a provider process.
pub const PROVIDER_ENV: &str = "OXIDUBBO_CHAOS_PROVIDER";
/// The variable giving such a provider a registry address (else it registers nowhere).
pub const REGISTRY_ENV: &str = "OXIDUBBO_CHAOS_REGISTRY";

impl ChildProvider {
    /// Runs the test `child_test` of this binary as a provider on `port` and waits (at
    /// most 30 s) for its `READY` line.
    pub async fn start(child_test: &str, port: u16) -> ChildProvider {
        ChildProvider::start_with(child_test, port, &[]).await
    }

    /// The same, with more environment variables for the child.
    pub async fn start_with(child_test: &str, port: u16, env: &[(&str, &str)]) -> ChildProvider {
        let exe = std::env::current_exe().expect("the test binary");
        let mut child = Command::new(exe)
            .args([child_test, "--exact", "--nocapture", "--test-threads=1"])
            .envs(env.iter().copied())
            .env(PROVIDER_ENV, port.to_string())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn the provider process");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                // libtest writes `test provider_process ... ` before the test's own output.
                if line.contains("READY ") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(ready, Ok(true), "provider on {port} did not start");
        // Keep reading (and dropping) its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        ChildProvider { child, port }
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .expect("running")
    }

    /// Sends `signal` (`KILL`, `TERM`, `STOP`, `CONT`) with kill(1).
    pub async fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .await
            .expect("kill(1)");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits (at most `limit`) for the process to end; its exit success.
    pub async fn wait(&mut self, limit: Duration) -> Option<bool> {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .ok()
            .and_then(Result::ok)
            .map(|s| s.success())
    }
}

/// Raises this process's soft limit of open files to its hard limit with prlimit(1) (the
/// processes it starts afterwards inherit it) and returns the soft limit now.
pub fn raise_open_files() -> u64 {
    let limits = || {
        let text = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let line = text
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .unwrap_or_default()
            .to_owned();
        let mut numbers = line.split_whitespace().filter_map(|w| {
            w.parse::<u64>()
                .ok()
                .or((w == "unlimited").then_some(u64::MAX))
        });
        (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0))
    };
    let (soft, hard) = limits();
    if soft < hard {
        let hard = if hard == u64::MAX {
            "unlimited".to_owned()
        } else {
            hard.to_string()
        };
        let status = std::process::Command::new("prlimit")
            .args([
                "--pid",
                &std::process::id().to_string(),
                &format!("--nofile={hard}:{hard}"),
            ])
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "prlimit could not raise the open-files limit"
        );
    }
    limits().0
}

/// The number of open file descriptors of process `pid` (a number, or `self`).
pub fn open_files(pid: &str) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}
