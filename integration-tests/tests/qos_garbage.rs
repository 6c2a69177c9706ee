//! Bad input on the QoS port: 1,000 garbage lines over telnet each get Java's
//! `no such command` answer, an over-long line closes that session only, bad HTTP requests
//! get an error status; the server keeps serving throughout.

mod qos_support;

use oxidubbo_integration_tests::{free_port, http_get};
use qos_support::{Telnet, provider_config, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_is_answered_and_the_server_keeps_serving() {
    let running = start(provider_config(free_port(), 0, "")).await;
    let addr = running.qos_addr().expect("qos enabled");
    let mut telnet = Telnet::connect(addr).await;
    let mut seed = 0x2545_f491_u32;
    for i in 0..1_000 {
        let mut line = Vec::new();
        for _ in 0..(i % 97 + 1) {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            // Any byte but the line ends; invalid UTF-8 and telnet IAC bytes included.
            let b = (seed & 0xff) as u8;
            line.push(if b == b'\n' || b == b'\r' { b'x' } else { b });
        }
        line.extend_from_slice(b"\r\n");
        // A garbage line may begin with a real command name: "zz" makes it unknown.
        let mut framed = b"zz".to_vec();
        framed.extend_from_slice(&line);
        telnet.send_raw(&framed).await;
        let answer = telnet.read_to_prompt().await;
        assert!(
            answer.ends_with(" :no such command"),
            "line {i}: {answer:?}"
        );
    }
    assert_eq!(telnet.command("ready").await, "true");

    // An over-long line ends its own session, not the server.
    let mut long = TcpStream::connect(addr).await.expect("connected");
    let huge = vec![b'a'; 70 * 1024];
    let _ = long.write_all(&huge).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        long.read_to_end(&mut answer),
    )
    .await
    .expect("closed within 10 s");
    assert!(String::from_utf8_lossy(&answer).contains("longer than 65536 bytes"));

    // Bad HTTP.
    assert_eq!(
        http_get(addr, "/%ff%fe?%zz").await.expect("answered").0,
        404
    );
    assert_eq!(http_get(addr, "/").await.expect("answered").0, 404);
    let mut raw = TcpStream::connect(addr).await.expect("connected");
    raw.write_all(b"GET \r\n\r\n").await.expect("sent");
    let mut answer = String::new();
    let _ = raw.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");

    assert_eq!(
        http_get(addr, "/live").await.expect("live"),
        (200, "true".to_owned())
    );
    assert_eq!(telnet.command("live").await, "true");
    running.shutdown().await;
}
