//! The kubelet probes on the QoS port: `ready` and `startup` answer 503 while the bootstrap
//! is starting, 200 once it has started, 503 again as soon as its shutdown begins (while a
//! call is still in flight); `live` answers 200 throughout; the shutdown frees the port.

mod qos_support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo::{Bootstrap, DubboProtocol, RpcError};
use oxidubbo_integration_tests::{free_port, http_get};
use qos_support::{Telnet, provider_config};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// Hang guard (not a speed check).
const LIMIT: Duration = Duration::from_secs(20);

/// A service whose one method answers when the test lets it.
#[oxidubbo::service(interface = "com.example.Gate")]
pub trait Gate {
    /// `String hold()`: waits for the gate to open.
    async fn hold(&self) -> Result<String, RpcError>;
}

struct OpenOnNotify(Arc<Notify>);

#[oxidubbo::async_trait]
impl Gate for OpenOnNotify {
    async fn hold(&self) -> Result<String, RpcError> {
        self.0.notified().await;
        Ok("opened".to_owned())
    }
}

/// Polls `GET path` until it answers (the server may not listen yet), bounded.
async fn probe(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    for _ in 0..200 {
        if let Ok(answer) = http_get(addr, path).await {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no answer on {addr}{path}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_answer_503_while_starting() {
    // A "ZooKeeper" that accepts and never answers: the start waits on it, then fails.
    let blackhole = TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let zk = blackhole.local_addr().expect("addr");
    let held = tokio::spawn(async move {
        let mut held = Vec::new();
        for _ in 0..16 {
            match blackhole.accept().await {
                Ok((stream, _)) => held.push(stream),
                Err(_) => break,
            }
        }
    });
    let qos_port = free_port();
    let registry = format!("[registries.zk]\naddress = \"zookeeper://{zk}\"\ntimeout = 3000\n");
    let config = provider_config(free_port(), qos_port, &registry);
    let starting = tokio::spawn(
        Bootstrap::from_config(config)
            .service::<dyn oxidubbo_examples::Greeter>(
                "greeter",
                Arc::new(oxidubbo_examples::HelloGreeter),
            )
            .dubbo_protocol(Arc::new(DubboProtocol::new()))
            .start(),
    );
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], qos_port).into();
    assert_eq!(probe(addr, "/ready").await, (503, "false".to_owned()));
    assert_eq!(probe(addr, "/startup").await, (503, "false".to_owned()));
    assert_eq!(probe(addr, "/live").await, (200, "true".to_owned()));
    let started = tokio::time::timeout(LIMIT, starting)
        .await
        .expect("start ended");
    assert!(matches!(started, Ok(Err(_))), "the registry never answered");
    std::net::TcpListener::bind(addr).expect("the failed start freed the QoS port");
    held.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_answer_200_once_started_and_503_once_shutdown_began() {
    let gate = Arc::new(Notify::new());
    let mut config = provider_config(free_port(), 0, "[services.gate]\n");
    config.shutdown.timeout = 15_000;
    let running = Bootstrap::from_config(config)
        .service::<dyn oxidubbo_examples::Greeter>(
            "greeter",
            Arc::new(oxidubbo_examples::HelloGreeter),
        )
        .service::<dyn Gate>("gate", Arc::new(OpenOnNotify(Arc::clone(&gate))))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .expect("started");
    let addr = running.qos_addr().expect("qos enabled");
    for path in ["/ready", "/startup", "/live"] {
        assert_eq!(
            http_get(addr, path).await.expect(path),
            (200, "true".to_owned())
        );
    }

    // A call in flight holds the shutdown in its wait.
    let mut telnet = Telnet::connect(addr).await;
    telnet.send("invoke com.example.Gate.hold()").await;
    for _ in 0..200 {
        if running.provider_calls_in_flight() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(running.provider_calls_in_flight(), 1);
    let shutting_down = tokio::spawn({
        let running = running.clone();
        async move { running.shutdown().await }
    });
    let mut ready = (0, String::new());
    for _ in 0..200 {
        ready = http_get(addr, "/ready").await.expect("ready");
        if ready.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(ready, (503, "false".to_owned()));
    assert_eq!(http_get(addr, "/startup").await.expect("startup").0, 503);
    assert_eq!(http_get(addr, "/live").await.expect("live").0, 200);
    assert!(!shutting_down.is_finished(), "held by the call in flight");

    gate.notify_one();
    let answer = telnet.read_to_prompt().await;
    assert!(answer.starts_with("result: \"opened\""), "{answer}");
    let report = tokio::time::timeout(LIMIT, shutting_down)
        .await
        .expect("shut down")
        .expect("joined");
    assert_eq!(report.provider_calls_abandoned, 0);
    std::net::TcpListener::bind(addr).expect("the shutdown freed the QoS port");
}
