//! The quickstart, run as the README runs it: it calls every greeter method over dubbo,
//! says where its metrics and QoS listen, reads both, and shuts down leaving nothing.
#![allow(missing_docs)]

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn the_quickstart_calls_prints_its_metrics_and_qos_and_shuts_down_clean() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("spawn quickstart");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        assert!(
            Instant::now() < deadline,
            "quickstart still running after 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "quickstart failed:\n{stdout}");
    let has = |prefix: &str| stdout.lines().any(|l| l.starts_with(prefix));
    assert!(has("sayHello(\"world\") -> Hello, world"), "{stdout}");
    assert!(has("metrics: http://127.0.0.1:"), "{stdout}");
    assert!(has("qos: telnet 127.0.0.1 "), "{stdout}");
    // Read from the endpoint: one sayHello call, counted by the provider.
    let hello = stdout
        .lines()
        .find(|l| l.contains("dubbo_provider_requests_total{") && l.contains("method=\"sayHello\""))
        .unwrap_or_else(|| panic!("no sayHello count:\n{stdout}"));
    assert!(hello.ends_with("} 1"), "{hello}");
    assert!(
        stdout.contains("| org.apache.dubbo.samples.api.GreeterService:1.0.0 | Y   |"),
        "qos ls:\n{stdout}"
    );
    assert!(
        has(
            "protocol after shutdown: ProtocolCounts { exporters: 0, invokers: 0, servers: 0, connections: 0 }"
        ),
        "{stdout}"
    );
}
