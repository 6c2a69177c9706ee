//! The ports of dubbo-go-samples (`examples/samples/`), run as a user runs them: each
//! sample's server as a process of its own on a free port, then its client, and the
//! output checked against what the Go sample prints; and each in one command (both sides
//! in one process). `registry/zookeeper` needs a ZooKeeper (`OXIDUBBO_ZK`).
#![allow(missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running sample server; killed when dropped.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `binary server args…` with `env` and waits (at most 60 s) for `services`
    /// READY lines.
    fn start(binary: &str, args: &[&str], env: &[(&str, String)], services: usize) -> Server {
        let mut child = Command::new(binary)
            .arg("server")
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the sample server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let server = Server { child, lines };
        let mut ready = 0;
        while ready < services {
            match server.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.starts_with("READY ") => ready += 1,
                Ok(_) => {}
                Err(e) => panic!("{binary} server not ready: {e}"),
            }
        }
        server
    }

    /// Stops it with SIGTERM; returns what it printed after READY (at most 30 s).
    fn stop(self) -> String {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(killed.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let mut rest = String::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(30)) {
            rest.push_str(&line);
            rest.push('\n');
        }
        rest
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `binary args…` with `env` (killed after 60 s); its stdout, after checking it
/// succeeded.
fn run(binary: &str, args: &[&str], env: &[(&str, String)]) -> String {
    let child = Command::new(binary)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the sample");
    let pid = child.id().to_string();
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = Command::new("kill").args(["-9", &pid]).status();
        }
    });
    let out: Output = child.wait_with_output().expect("wait for the sample");
    let _ = done.send(());
    let _ = watchdog.join();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{binary} {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

const HELLOWORLD: &str = env!("CARGO_BIN_EXE_helloworld");
const DIRECT: &str = env!("CARGO_BIN_EXE_direct");
const ZOOKEEPER: &str = env!("CARGO_BIN_EXE_registry-zookeeper");

#[test]
fn helloworld_server_and_client() {
    let port = oxidubbo_integration_tests::free_port().to_string();
    let server = Server::start(HELLOWORLD, &["--port", &port], &[], 1);
    let url = format!("tri://127.0.0.1:{port}");
    let out = run(HELLOWORLD, &["client", "--url", &url], &[]);
    // The Go server answers the name itself as the greeting.
    assert_eq!(out, "Greet response: hello world\n");
    // The sample's README calls it with curl too (JSON over HTTP/1.1 on the same port).
    match Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "10",
            "--header",
            "Content-Type: application/json",
        ])
        .args(["--data", r#"{"name": "Dubbo"}"#])
        .arg(format!("http://127.0.0.1:{port}/greet.GreetService/Greet"))
        .output()
    {
        Ok(curl) => {
            let body = String::from_utf8_lossy(&curl.stdout);
            assert!(curl.status.success(), "curl: {body}");
            let reply: serde_json::Value = serde_json::from_str(&body).expect("a JSON reply");
            assert_eq!(reply["greeting"], "Dubbo", "{body}");
        }
        Err(e) => {
            let _: Option<()> = oxidubbo_integration_tests::missing_peer(&format!("curl ({e})"));
        }
    }
    let rest = server.stop();
    assert!(rest.contains("server shut down"), "{rest}");
}

#[test]
fn helloworld_in_one_command() {
    let out = run(HELLOWORLD, &[], &[]);
    assert!(out.starts_with("READY 127.0.0.1:"), "{out}");
    assert!(out.ends_with("\nGreet response: hello world\n"), "{out}");
}

#[test]
fn helloworld_client_without_server_fails() {
    let port = oxidubbo_integration_tests::free_port().to_string();
    let url = format!("tri://127.0.0.1:{port}");
    let out = Command::new(HELLOWORLD)
        .args(["client", "--url", &url])
        .env("RUST_LOG", "off")
        .output()
        .expect("run the client");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
}

/// The user line the Go sample's consumer logs, up to the time (which varies).
const DIRECT_USER: &str =
    "response result: User { id: \"A001\", name: \"Alex Stocks\", age: 18, time: Date(";

#[test]
fn direct_server_and_client() {
    let env = [(
        "DIRECT_PORT",
        oxidubbo_integration_tests::free_port().to_string(),
    )];
    let server = Server::start(DIRECT, &[], &env, 1);
    let out = run(DIRECT, &["client"], &env);
    assert!(out.starts_with(DIRECT_USER), "{out}");
    // A java.util.Date of about now came back.
    let millis: i64 = out[DIRECT_USER.len()..]
        .split(')')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("no time in {out}"));
    let now = oxidubbo::hessian2::Date::now().millis();
    assert!((now - 600_000..=now).contains(&millis), "{millis} vs {now}");
    let rest = server.stop();
    assert!(rest.starts_with("req: \"A001\"\nrsp: User {"), "{rest}");
}

#[test]
fn direct_in_one_command() {
    let out = run(DIRECT, &[], &[]);
    assert!(out.contains(&format!("\n{DIRECT_USER}")), "{out}");
    assert!(out.contains("req: \"A001\"\n"), "{out}");
}

const ZK_USERS: &str = "client response result: User { name: \"Hello laurence\", id: \"12345\", age: 21 }\n\
client response result: User { name: \"Hello laurence from UserProviderWithCustomRegistryGroupAndVersion\", id: \"12345\", age: 21 }\n";

/// Both forms in one test, one after the other: they register the same interfaces in the
/// same root (`myGroup`, as the sample's files say).
#[test]
fn registry_zookeeper_server_and_client_then_in_one_command() {
    let Some(zk) = oxidubbo_integration_tests::zookeeper() else {
        return;
    };
    let env = [
        ("ZK_ADDRESS", zk.clone()),
        (
            "ZK_SAMPLE_PORT",
            oxidubbo_integration_tests::free_port().to_string(),
        ),
    ];
    let server = Server::start(ZOOKEEPER, &[], &env, 2);
    let out = run(ZOOKEEPER, &["client"], &env);
    assert_eq!(out, ZK_USERS);
    let rest = server.stop();
    assert!(
        rest.contains("GreeterProvider get user name = laurence\n"),
        "{rest}"
    );

    let out = run(ZOOKEEPER, &[], &[("ZK_ADDRESS", zk)]);
    assert!(out.ends_with(ZK_USERS), "{out}");
}
