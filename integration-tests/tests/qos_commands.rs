//! The QoS commands over telnet and HTTP on one port: Java's names and output shapes
//! (`help`, `ls`, `ps`, `version`, probes, `getConfig`, `metrics`), Java's error texts for
//! unknown commands; the server binds 127.0.0.1 by default.
#![allow(missing_docs)]

mod qos_support;

use oxidubbo_integration_tests::{free_port, http_get};
use qos_support::{INTERFACE, Telnet, provider_config, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_answer_over_telnet_and_http() {
    let (dubbo_port, qos_port) = (free_port(), free_port());
    let running = start(provider_config(
        dubbo_port,
        qos_port,
        "[metrics]\nenabled = true\nport = 0\n",
    ))
    .await;
    let addr = running.qos_addr().expect("qos enabled");
    assert_eq!(addr.to_string(), format!("127.0.0.1:{qos_port}"));
    let mut telnet = Telnet::connect(addr).await;

    let ls = telnet.command("ls").await;
    let service_key = format!("{INTERFACE}:1.0.0");
    assert!(ls.starts_with("As Provider side:\r\n+"), "{ls}");
    assert!(ls.contains("| Provider Service Name "), "{ls}");
    assert!(ls.contains(&format!("| {service_key} | Y   |")), "{ls}");
    assert!(ls.contains("As Consumer side:\r\n"), "{ls}");
    assert_eq!(http_get(addr, "/ls").await.expect("ls"), (200, ls));

    let help = telnet.command("help").await;
    for command in [
        "ls",
        "online",
        "offline",
        "invoke",
        "ready",
        "startup",
        "live",
        "getConfig",
    ] {
        assert!(
            help.contains(&format!("| {command} ")),
            "{command} in {help}"
        );
    }
    assert!(
        telnet
            .command("help online")
            .await
            .contains("| COMMAND NAME | online")
    );

    assert_eq!(telnet.command("ps").await, dubbo_port.to_string());
    let version = telnet.command("version").await;
    assert!(version.starts_with("dubbo version \""), "{version}");
    for probe in ["live", "ready", "startup"] {
        assert_eq!(telnet.command(probe).await, "true");
        assert_eq!(
            http_get(addr, &format!("/{probe}")).await.expect(probe),
            (200, "true".to_owned())
        );
    }
    let config = telnet.command("getConfig").await;
    assert!(config.contains(&format!("port = {qos_port}")), "{config}");
    assert!(config.contains("name = \"qos-provider\""), "{config}");

    let (status, metrics) = http_get(addr, "/metrics").await.expect("metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains("dubbo_provider_requests_total"),
        "{metrics}"
    );

    assert_eq!(
        telnet.command("nosuch 1 2").await,
        "nosuch 1 2 :no such command"
    );
    assert_eq!(
        http_get(addr, "/nosuch").await.expect("nosuch"),
        (404, "Unsupported command: nosuch".to_owned())
    );
    telnet.send("quit").await;
    assert_eq!(telnet.read_to_end().await, "BYE!\r\n");

    running.shutdown().await;
    assert!(running.qos_addr().is_some());
    std::net::TcpListener::bind(addr).expect("the shutdown freed the QoS port");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_answer_503_when_disabled() {
    let running = start(provider_config(free_port(), 0, "")).await;
    let addr = running.qos_addr().expect("qos enabled");
    assert_eq!(
        http_get(addr, "/metrics").await.expect("metrics"),
        (503, "metrics is disabled".to_owned())
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qos_is_off_by_default() {
    let config = oxidubbo::config::Config::parse(
        "[services.greeter]\nversion = \"1.0.0\"\n[protocols.dubbo]\nport = 0\n",
        "provider.toml",
    )
    .expect("config");
    assert!(!config.qos.enabled);
    assert_eq!(config.qos.port, 22222);
    let running = start(config).await;
    assert_eq!(running.qos_addr(), None);
    running.shutdown().await;
}
