//! What the QoS tests share: a greeter provider with `[qos]` on, and a telnet session.
#![allow(dead_code)] // not every test binary sharing this module uses all of it

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use oxidubbo::config::Config;
use oxidubbo::{Bootstrap, DubboProtocol, Running};
use oxidubbo_examples::{Greeter, HelloGreeter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The greeter's interface.
pub const INTERFACE: &str = "org.apache.dubbo.samples.api.GreeterService";
/// The telnet prompt.
pub const PROMPT: &str = "dubbo>";

/// The configuration of a greeter provider on `dubbo_port` with `[qos]` on `qos_port`, plus
/// `extra` TOML.
pub fn provider_config(dubbo_port: u16, qos_port: u16, extra: &str) -> Config {
    let text = format!(
        "[application]\nname = \"qos-provider\"\n\n\
         [protocols.dubbo]\nport = {dubbo_port}\n\n\
         [services.greeter]\nversion = \"1.0.0\"\n\n\
         [qos]\nenabled = true\nport = {qos_port}\n\n{extra}"
    );
    Config::parse(&text, "provider.toml").expect("config")
}

/// A greeter provider started with `config` on a dubbo protocol of its own.
pub async fn start(config: Config) -> Running {
    Bootstrap::from_config(config)
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .expect("provider started")
}

/// A telnet session on a QoS server.
pub struct Telnet {
    stream: TcpStream,
}

impl Telnet {
    /// Connects and waits for the greeting's prompt (the server sends it when the client
    /// says nothing for 500 ms).
    pub async fn connect(addr: SocketAddr) -> Telnet {
        let stream = TcpStream::connect(addr).await.expect("connected");
        let mut telnet = Telnet { stream };
        let greeting = telnet.read_to_prompt().await;
        assert!(greeting.contains("QoS"), "{greeting:?}");
        telnet
    }

    /// Sends `line`; the answer without the prompt that ends it.
    pub async fn command(&mut self, line: &str) -> String {
        self.send(line).await;
        self.read_to_prompt().await
    }

    /// Sends `bytes` as they are.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("sent");
    }

    /// Sends `line` (and the line end).
    pub async fn send(&mut self, line: &str) {
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .expect("sent");
    }

    /// Reads until the text ends with the prompt (10 s hang guard); the text before it,
    /// without the line end that precedes the prompt.
    pub async fn read_to_prompt(&mut self) -> String {
        let mut text = Vec::new();
        let read = async {
            let mut chunk = [0u8; 4096];
            while !text.ends_with(PROMPT.as_bytes()) {
                let n = self.stream.read(&mut chunk).await.expect("read");
                assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&text));
                text.extend_from_slice(&chunk[..n]);
            }
        };
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .expect("an answer within 10 s");
        let text = String::from_utf8_lossy(&text[..text.len() - PROMPT.len()]).into_owned();
        text.strip_suffix("\r\n").unwrap_or(&text).to_owned()
    }

    /// Reads until the server closes the connection (10 s hang guard).
    pub async fn read_to_end(&mut self) -> String {
        let mut text = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), self.stream.read_to_end(&mut text))
            .await
            .expect("closed within 10 s")
            .expect("read");
        String::from_utf8_lossy(&text).into_owned()
    }
}
