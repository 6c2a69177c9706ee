//! The example binaries, run as a user runs them: `greeter-provider` and
//! `greeter-consumer` over Triple (both services on one port: the greeter in wrapper mode,
//! `greet.GreetService` in IDL mode, all four call kinds), over Triple through ZooKeeper,
//! and over dubbo as by default (the greeter alone).
#![allow(missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `greeter-provider`; killed when dropped.
struct Provider {
    child: Child,
    /// Its `READY <address> <service> <url>` lines.
    ready: Vec<String>,
    lines: mpsc::Receiver<String>,
}

impl Provider {
    /// Starts `greeter-provider args…` and waits (at most 60 s) until it printed one READY
    /// line per service it serves.
    fn start(args: &[&str], services: usize) -> Provider {
        let mut child = Command::new(env!("CARGO_BIN_EXE_greeter-provider"))
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn greeter-provider");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut provider = Provider {
            child,
            ready: Vec::new(),
            lines,
        };
        while provider.ready.len() < services {
            match provider.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.starts_with("READY ") => provider.ready.push(line),
                Ok(_) => {}
                Err(e) => panic!("greeter-provider {args:?} not ready: {e}"),
            }
        }
        provider
    }

    /// The address its services are served on.
    fn address(&self) -> &str {
        self.ready[0].split(' ').nth(1).expect("READY <address> …")
    }

    /// Stops it with SIGTERM and returns what it printed then (a graceful shutdown).
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

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `greeter-consumer args…` (at most 60 s).
fn consumer(args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_greeter-consumer"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn greeter-consumer");
    let pid = child.id().to_string();
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = Command::new("kill").args(["-9", &pid]).status();
        }
    });
    let out = child.wait_with_output().expect("wait for greeter-consumer");
    let _ = done.send(());
    let _ = watchdog.join();
    out
}

/// The consumer's stdout, after checking it succeeded.
fn succeeded(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "greeter-consumer failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

const GREETER_LINES: &[&str] = &[
    "sayHello(\"world\") -> Hello, world",
    "add(2, 3) -> 5",
    "getUser(42) -> User { id: 42, name: \"user-42\", tags: [\"a\", \"b\"] }",
    "fail(\"boom\") -> error (as expected): remote exception java.lang.RuntimeException: fail called: boom",
];

const GREET_LINES: &[&str] = &[
    "Greet(world) -> Hello, world",
    "GreetServerStream(world) -> Hello, world #1 | Hello, world #2 | Hello, world #3",
    "GreetClientStream(a, b, c) -> a,b,c",
    "GreetStream(a, b, c) -> Hello, a | Hello, b | Hello, c",
];

fn assert_lines(stdout: &str, expected: &[&str]) {
    for line in expected {
        assert!(
            stdout.lines().any(|l| l == *line),
            "missing {line:?} in:\n{stdout}"
        );
    }
}

#[test]
fn over_tri_the_consumer_calls_every_method_of_both_services_on_one_port() {
    let provider = Provider::start(&["--protocol", "tri", "--port", "0"], 2);
    let urls: Vec<&str> = provider
        .ready
        .iter()
        .filter_map(|l| l.split(' ').nth(3))
        .collect();
    assert!(
        urls.iter()
            .any(|u| u.starts_with("tri://") && u.contains("/greet.GreetService?")),
        "{urls:?}"
    );
    assert!(
        urls.iter().any(|u| u.starts_with("tri://")
            && u.contains("/org.apache.dubbo.samples.api.GreeterService?")),
        "{urls:?}"
    );
    assert!(
        provider
            .ready
            .iter()
            .all(|l| l.contains(provider.address())),
        "one port for both: {:?}",
        provider.ready
    );
    let url = format!("tri://{}", provider.address());
    let stdout = succeeded(&consumer(&["--url", &url]));
    assert_lines(&stdout, GREETER_LINES);
    assert_lines(&stdout, GREET_LINES);
    let rest = provider.stop();
    assert!(rest.contains("shut down: "), "{rest}");
}

#[test]
fn over_tri_through_zookeeper_the_consumer_finds_both_services() {
    let Some(zk) = oxidubbo_integration_tests::zookeeper() else {
        return;
    };
    // A root group of its own, away from other tests' providers.
    let registry = format!("zookeeper://{zk}?group=oxidubbo-examples-tri");
    let provider = Provider::start(
        &["--protocol", "tri", "--port", "0", "--registry", &registry],
        2,
    );
    let stdout = succeeded(&consumer(&["--protocol", "tri", "--registry", &registry]));
    assert_lines(&stdout, GREETER_LINES);
    assert_lines(&stdout, GREET_LINES);
    let rest = provider.stop();
    assert!(rest.contains("unregistered: 2"), "{rest}");
}

#[test]
fn by_default_they_talk_dubbo_and_only_the_greeter() {
    let provider = Provider::start(&["--port", "0"], 1);
    assert!(
        provider.ready[0].contains(" dubbo://"),
        "{:?}",
        provider.ready
    );
    let url = format!("dubbo://{}", provider.address());
    let stdout = succeeded(&consumer(&["--url", &url]));
    assert_lines(&stdout, GREETER_LINES);
    assert!(!stdout.contains("Greet("), "{stdout}");
    provider.stop();
}

#[test]
fn with_tls_flags_the_binaries_talk_mutual_tls_and_a_consumer_without_a_certificate_is_refused() {
    let pki = oxidubbo_integration_tests::tls_certs::TestPki::new();
    let path = |p: &std::path::Path| p.to_str().expect("a UTF-8 temp path").to_owned();
    let (ca, server_cert, server_key) =
        (path(&pki.ca), path(&pki.server.cert), path(&pki.server.key));
    let (client_cert, client_key) = (path(&pki.client.cert), path(&pki.client.key));
    for protocol in ["dubbo", "tri"] {
        let services = if protocol == "tri" { 2 } else { 1 };
        let provider = Provider::start(
            &[
                "--protocol",
                protocol,
                "--port",
                "0",
                "--tls-cert",
                &server_cert,
                "--tls-key",
                &server_key,
                "--tls-ca",
                &ca,
                "--tls-client-auth",
            ],
            services,
        );
        assert!(
            provider
                .ready
                .iter()
                .all(|l| l.contains("ssl-enabled=true")),
            "{:?}",
            provider.ready
        );
        let url = format!("{protocol}://{}", provider.address());
        let out = consumer(&[
            "--url",
            &url,
            "--tls-ca",
            &ca,
            "--tls-cert",
            &client_cert,
            "--tls-key",
            &client_key,
        ]);
        assert_lines(&succeeded(&out), GREETER_LINES);
        // Without a client certificate: refused, with the reason.
        let out = consumer(&["--url", &url, "--tls-ca", &ca]);
        assert!(!out.status.success());
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            all.contains("the server requires a client certificate"),
            "{protocol}: {all}"
        );
        // Plaintext against the TLS port: told to use TLS.
        let out = consumer(&["--url", &url]);
        assert!(!out.status.success());
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            all.contains("this port serves TLS only"),
            "{protocol}: {all}"
        );
        provider.stop();
    }
}
