//! A real Prometheus server (the `prometheus` command; `scripts/install-peers.sh` installs
//! Debian's package) scrapes an oxidubbo provider and consumer every second, and its HTTP
//! query API returns exactly the calls they made. Required in CI
//! (`OXIDUBBO_REQUIRE_PEERS=1`), skipped loudly elsewhere.
#![allow(missing_docs)]

mod metrics_support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use metrics_support::{
    CONSUMER_APP, CONSUMER_PATH, INTERFACE, PROVIDER_APP, call, consumer, provider,
};
use oxidubbo::metrics::local_hostname;
use oxidubbo_integration_tests::{free_port, http_get, missing_peer};
use serde_json::Value;
use tokio::process::{Child, Command};

/// The `prometheus` command: `OXIDUBBO_PROMETHEUS`, else the one on `PATH`.
fn prometheus_command() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OXIDUBBO_PROMETHEUS") {
        return Some(PathBuf::from(path));
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("prometheus"))
            .find(|p| p.is_file())
    });
    found.or_else(|| missing_peer("Prometheus (no `prometheus` on PATH, nor OXIDUBBO_PROMETHEUS)"))
}

/// Starts Prometheus on `127.0.0.1:<port>` with its configuration and data in `dir`,
/// scraping `targets` (`(job, address, path)`) every second.
fn start_prometheus(
    command: &Path,
    dir: &Path,
    port: u16,
    targets: &[(&str, String, &str)],
) -> Child {
    let mut config =
        String::from("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n");
    for (job, address, path) in targets {
        config.push_str(&format!(
            "  - job_name: {job}\n    metrics_path: {path}\n    static_configs:\n      - targets: ['{address}']\n"
        ));
    }
    let config_file = dir.join("prometheus.yml");
    std::fs::write(&config_file, config).expect("config written");
    let log = std::fs::File::create(dir.join("prometheus.log")).expect("log file");
    Command::new(command)
        .arg(format!("--config.file={}", config_file.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("prometheus started")
}

/// `%`-encodes everything but letters and digits (a query string value).
fn encode(query: &str) -> String {
    query
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The instant vector Prometheus answers for `query` (its `data.result`).
async fn query(prometheus: std::net::SocketAddr, query: &str) -> Vec<Value> {
    let Ok((200, body)) = http_get(
        prometheus,
        &format!("/api/v1/query?query={}", encode(query)),
    )
    .await
    else {
        return Vec::new();
    };
    let answer: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    answer["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Queries until Prometheus has scraped a sample equal to `expected` (within 60 s, four
/// tries a second), and returns the series; panics with what it last saw otherwise.
async fn wait_for(prometheus: std::net::SocketAddr, q: &str, expected: &str, log: &Path) -> Value {
    let mut last = Vec::new();
    for _ in 0..240 {
        last = query(prometheus, q).await;
        if let [series] = last.as_slice() {
            if series["value"][1] == expected {
                return series.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let log = std::fs::read_to_string(log).unwrap_or_default();
    panic!("{q}: expected one series of {expected}, last answer {last:?}\nprometheus log:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_counts_the_calls_exactly() {
    let Some(command) = prometheus_command() else {
        return;
    };
    let (dubbo_port, provider_metrics, consumer_metrics) = (free_port(), free_port(), free_port());
    let provider = provider(dubbo_port, provider_metrics).await;
    let consumer = consumer(dubbo_port, consumer_metrics).await;
    const HELLOS: usize = 25;
    const FAILS: usize = 4;
    call(&consumer, HELLOS, FAILS).await;

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("prometheus-{}-{dubbo_port}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("prometheus dir");
    let port = free_port();
    let mut prometheus = start_prometheus(
        &command,
        &dir,
        port,
        &[
            (
                "oxidubbo-provider",
                format!("127.0.0.1:{provider_metrics}"),
                "/metrics",
            ),
            (
                "oxidubbo-consumer",
                format!("127.0.0.1:{consumer_metrics}"),
                CONSUMER_PATH,
            ),
        ],
    );
    let api = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let log = dir.join("prometheus.log");

    let hellos = HELLOS.to_string();
    let series = wait_for(
        api,
        "dubbo_provider_requests_total{method=\"sayHello\"}",
        &hellos,
        &log,
    )
    .await;
    let labels = &series["metric"];
    let hostname = local_hostname();
    for (label, expected) in [
        ("application_name", PROVIDER_APP),
        ("interface", INTERFACE),
        ("version", "1.0.0"),
        ("ip", "127.0.0.1"),
        ("hostname", hostname.as_str()),
        ("job", "oxidubbo-provider"),
    ] {
        assert_eq!(labels[label], expected, "{label} in {series}");
    }
    let fails = FAILS.to_string();
    wait_for(
        api,
        "dubbo_provider_requests_failed_total{method=\"fail\"}",
        &fails,
        &log,
    )
    .await;
    wait_for(
        api,
        "dubbo_provider_requests_business_failed_total{method=\"fail\"}",
        &fails,
        &log,
    )
    .await;
    wait_for(
        api,
        "dubbo_provider_requests_failed_total{method=\"sayHello\"}",
        "0",
        &log,
    )
    .await;
    let series = wait_for(
        api,
        "dubbo_consumer_requests_total{method=\"sayHello\"}",
        &hellos,
        &log,
    )
    .await;
    assert_eq!(
        series["metric"]["application_name"], CONSUMER_APP,
        "{series}"
    );
    wait_for(
        api,
        "dubbo_consumer_requests_failed_total{method=\"fail\"}",
        &fails,
        &log,
    )
    .await;
    // Both targets parse: Prometheus saw every family, gauges included.
    wait_for(api, "count(up{job=~\"oxidubbo-.*\"} == 1)", "2", &log).await;
    wait_for(
        api,
        "dubbo_provider_requests_processing{method=\"sayHello\"}",
        "0",
        &log,
    )
    .await;

    prometheus.kill().await.expect("prometheus stopped");
    consumer.shutdown().await;
    provider.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
