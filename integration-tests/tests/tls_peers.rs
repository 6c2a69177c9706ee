//! Independent peers over TLS and mutual TLS against oxidubbo's TLS ports, with
//! certificates made at test time:
//! - grpcio (gRPC's C core, `ssl_channel_credentials`, with and without a client
//!   certificate) against the Triple TLS port;
//! - curl (`--cacert`, OpenSSL) calling Triple with JSON over HTTPS, HTTP/2 and HTTP/1.1
//!   negotiated by ALPN on the one port;
//! - Python's `ssl` module around a hand-built dubbo2 request against the dubbo TLS port.
//!
//! Each also checks that a client without the required certificate is turned away and the
//! server goes on serving. The peers are required in CI (`OXIDUBBO_REQUIRE_PEERS=1`) and
//! skipped loudly elsewhere.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use oxidubbo::config::Config;
use oxidubbo::{Bootstrap, Running};
use oxidubbo_examples::greet::{GreetService, HelloGreetService};
use oxidubbo_examples::{Greeter, HelloGreeter};
use oxidubbo_integration_tests::grpc_peers::{grpc_dir, run_grpcio};
use oxidubbo_integration_tests::missing_peer;
use oxidubbo_integration_tests::tls_certs::TestPki;
use serde_json::{Value as Json, json};
use tokio::process::Command;

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";

/// greet.GreetService on a Triple TLS port and the greeter on a dubbo TLS port; with
/// `mutual`, client certificates signed by the test CA are required.
async fn serve(pki: &TestPki, mutual: bool) -> (Running, String, String) {
    let trust = if mutual {
        format!("server-trust-cert-collection-path = {:?}\n", pki.ca)
    } else {
        String::new()
    };
    let text = format!(
        "[protocols.tri]\nport = 0\nssl-enabled = true\n\n\
         [protocols.dubbo]\nport = 0\nssl-enabled = true\n\n\
         [ssl]\nserver-key-cert-chain-path = {:?}\nserver-private-key-path = {:?}\n{trust}\n\
         [services.greet]\nprotocol = \"tri\"\nregister = false\n\n\
         [services.greeter]\nprotocol = \"dubbo\"\nregister = false\n",
        pki.server.cert, pki.server.key
    );
    let running = Bootstrap::from_config(Config::parse(&text, "tls.toml").expect("config"))
        .application("oxidubbo-tls")
        .service::<dyn GreetService>("greet", Arc::new(HelloGreetService))
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .start()
        .await
        .expect("the TLS application starts");
    let urls = running.provider_urls();
    let tri = urls["greet"].address();
    let dubbo = urls["greeter"].address();
    (running, tri, dubbo)
}

fn greet_proto() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/proto/greet.proto")
        .to_string_lossy()
        .into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcio_calls_over_tls_and_mutual_tls() {
    let Some(dir) = grpc_dir() else { return };
    let pki = TestPki::new();
    let proto = greet_proto();
    let (app, tri, _) = serve(&pki, false).await;
    let got = run_grpcio(
        &dir,
        &[
            "client",
            "--proto",
            &proto,
            "--target",
            &tri,
            "--names",
            "a,b,c",
            "--ca",
            s(&pki.ca),
        ],
    )
    .await;
    assert_eq!(
        got,
        json!({
            "Greet": "Hello, a",
            "GreetServerStream": ["Hello, a #1", "Hello, a #2", "Hello, a #3"],
            "GreetClientStream": "a,b,c",
            "GreetStream": ["Hello, a", "Hello, b", "Hello, c"],
        })
    );
    app.shutdown().await;

    let (app, tri, _) = serve(&pki, true).await;
    let call = |cert: bool| {
        let mut args = vec![
            "call".to_owned(),
            "--proto".into(),
            proto.clone(),
            "--target".into(),
            tri.clone(),
            "--name".into(),
            "m".into(),
            "--ca".into(),
            s(&pki.ca).into(),
        ];
        if cert {
            args.extend([
                "--cert".into(),
                s(&pki.client.cert).into(),
                "--key".into(),
                s(&pki.client.key).into(),
            ]);
        }
        let dir = dir.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_grpcio(&dir, &args).await
        }
    };
    assert_eq!(call(true).await, json!({"ok": "Hello, m"}));
    let refused = call(false).await;
    assert_eq!(refused["code"], "UNAVAILABLE", "{refused}");
    assert_eq!(call(true).await, json!({"ok": "Hello, m"}), "still serving");
    app.shutdown().await;
}

/// `curl --cacert <ca> [client cert] <http> https://<address><path>` with a JSON body;
/// returns (success, stdout, stderr).
async fn curl(
    pki: &TestPki,
    cert: bool,
    http: &str,
    address: &str,
    body: &str,
) -> (bool, String, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--noproxy", "*", "--max-time", "20", http])
        .args(["--cacert", s(&pki.ca)]);
    if cert {
        cmd.args(["--cert", s(&pki.client.cert), "--key", s(&pki.client.key)]);
    }
    cmd.args(["-X", "POST", "-H", "Content-Type: application/json"])
        .args(["--data-binary", body])
        .args(["--write-out", "\n%{http_version}"])
        .arg(format!("https://{address}/greet.GreetService/Greet"))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .expect("curl ends within 30 s")
        .expect("curl runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn have_curl() -> bool {
    let ok = Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success());
    if !ok {
        missing_peer::<()>("curl (apt-get install curl)");
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_calls_triple_with_json_over_https_h2_and_http1() {
    if !have_curl().await {
        return;
    }
    let pki = TestPki::new();
    let (app, tri, _) = serve(&pki, false).await;
    for (http, version) in [("--http2", "2"), ("--http1.1", "1.1")] {
        let (ok, stdout, stderr) = curl(&pki, false, http, &tri, r#"{"name":"x"}"#).await;
        assert!(ok, "curl {http}: {stderr}");
        assert_eq!(
            stdout,
            format!("{{\"greeting\":\"Hello, x\"}}\n{version}"),
            "curl {http}"
        );
    }
    app.shutdown().await;

    let (app, tri, _) = serve(&pki, true).await;
    let (ok, stdout, stderr) = curl(&pki, true, "--http2", &tri, r#"{"name":"m"}"#).await;
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with(r#"{"greeting":"Hello, m"}"#), "{stdout}");
    let (ok, _, stderr) = curl(&pki, false, "--http2", &tri, r#"{"name":"m"}"#).await;
    assert!(!ok, "a client without a certificate must be refused");
    assert!(
        stderr.contains("alert") || stderr.contains("SSL"),
        "{stderr}"
    );
    let (ok, _, stderr) = curl(&pki, true, "--http1.1", &tri, r#"{"name":"m"}"#).await;
    assert!(ok, "still serving: {stderr}");
    app.shutdown().await;
}

/// Runs the Python dubbo2-over-TLS client; returns the JSON object it printed.
async fn python_dubbo(dir: &Path, pki: &TestPki, address: &str, cert: bool) -> Json {
    let (host, port) = address.rsplit_once(':').expect("host:port");
    let mut cmd = Command::new(dir.join(".venv/bin/python"));
    cmd.arg(dir.join("dubbo_tls_client.py"))
        .args(["--host", host, "--port", port, "--ca", s(&pki.ca)])
        .args(["--interface", GREETER, "--version", "1.0.0"])
        .args(["--method", "sayHello", "--arg", "python-ssl"]);
    if cert {
        cmd.args(["--cert", s(&pki.client.cert), "--key", s(&pki.client.key)]);
    }
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("the python client ends within 60 s")
        .expect("the python client runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_ssl_calls_the_dubbo_tls_port_with_a_hand_built_dubbo2_request() {
    let Some(dir) = grpc_dir() else { return };
    let pki = TestPki::new();
    let (app, _, dubbo) = serve(&pki, false).await;
    let got = python_dubbo(&dir, &pki, &dubbo, false).await;
    assert_eq!(got["ok"], "Hello, python-ssl", "{got}");
    assert!(
        got["tls"].as_str().is_some_and(|v| v.starts_with("TLSv1.")),
        "{got}"
    );
    app.shutdown().await;

    let (app, _, dubbo) = serve(&pki, true).await;
    let got = python_dubbo(&dir, &pki, &dubbo, true).await;
    assert_eq!(got["ok"], "Hello, python-ssl", "{got}");
    let refused = python_dubbo(&dir, &pki, &dubbo, false).await;
    assert!(refused["error"].is_string(), "{refused}");
    let got = python_dubbo(&dir, &pki, &dubbo, true).await;
    assert_eq!(got["ok"], "Hello, python-ssl", "still serving: {got}");
    app.shutdown().await;
}
