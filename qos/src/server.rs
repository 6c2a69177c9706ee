//! [`QosServer`]: one port for telnet and HTTP, as Java's QoS server has.
//!
//! A connection from a peer that is not on this host is refused with Java's message
//! unless foreign IPs are accepted. The first bytes decide the protocol: `GET ` or
//! `POST` is an HTTP request (`GET /<command>?<args>`, one per connection); anything
//! else, or nothing within 500 ms (a telnet client waits for the prompt), is a telnet
//! session of `dubbo>`-prompted command lines. Lines and request heads are bounded
//! ([`MAX_LINE`]), sessions too ([`MAX_SESSIONS`] at once, each closed after
//! [`IDLE_TIMEOUT`] without input).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::app::QosApplication;
use crate::command::{execute, unsupported};
use crate::{FOREIGN_IP_REFUSED, MAX_LINE, PROMPT};

/// How many sessions are served at once; more are refused.
pub const MAX_SESSIONS: usize = 64;
/// How long a session may stay without input before it is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the server waits for a first byte before it greets a telnet client.
const GREETING_DELAY: Duration = Duration::from_millis(500);

/// Whether a peer at `peer` may use the server: one on this host's loopback always, any
/// other only with `accept_foreign_ip`.
pub fn permitted(peer: IpAddr, accept_foreign_ip: bool) -> bool {
    accept_foreign_ip || peer.is_loopback() || peer.to_canonical().is_loopback()
}

/// The address to bind: `host` when set, else `127.0.0.1`, or every address
/// (`0.0.0.0`) when foreign IPs are accepted.
///
/// # Errors
///
/// A message when `host` is not an IP address.
pub fn bind_addr(
    host: Option<&str>,
    port: u16,
    accept_foreign_ip: bool,
) -> Result<SocketAddr, String> {
    let ip = match host.map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) => h
            .parse()
            .map_err(|_| format!("{h:?} is not an IP address"))?,
        None if accept_foreign_ip => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        None => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    Ok(SocketAddr::new(ip, port))
}

/// The QoS server. [`QosServer::shutdown`] closes the listener and ends every session,
/// so the port is free and no task is left when it returns.
#[derive(Debug)]
pub struct QosServer {
    local_addr: SocketAddr,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl QosServer {
    /// Binds `addr` (port 0: a free port) and serves `app`'s commands.
    ///
    /// # Errors
    ///
    /// The bind error.
    pub async fn start(
        addr: SocketAddr,
        accept_foreign_ip: bool,
        app: Arc<dyn QosApplication>,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, stopped, accept_foreign_ip, app));
        tracing::info!(%local_addr, "QoS server listening");
        Ok(QosServer {
            local_addr,
            stop: Mutex::new(Some(stop)),
            task: Mutex::new(Some(task)),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the server and waits until its listener and sessions are closed. Later calls
    /// do nothing.
    pub async fn shutdown(&self) {
        let stop = self.stop.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "the QoS server task failed");
            }
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    mut stopped: oneshot::Receiver<()>,
    accept_foreign_ip: bool,
    app: Arc<dyn QosApplication>,
) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((mut stream, peer)) => {
                    if sessions.len() >= MAX_SESSIONS {
                        tracing::warn!(%peer, "QoS: too many sessions, refused");
                        sessions.spawn(async move {
                            let _ = stream.write_all(b"Too many sessions, try again later.\r\n").await;
                        });
                        continue;
                    }
                    sessions.spawn(serve(stream, peer.ip(), accept_foreign_ip, Arc::clone(&app)));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "QoS: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
    drop(listener);
    sessions.shutdown().await;
}

/// Serves one connection from `peer`.
async fn serve(
    mut stream: TcpStream,
    peer: IpAddr,
    accept_foreign_ip: bool,
    app: Arc<dyn QosApplication>,
) {
    if !permitted(peer, accept_foreign_ip) {
        tracing::warn!(%peer, "QoS: foreign peer refused");
        let _ = stream
            .write_all(format!("{FOREIGN_IP_REFUSED}\r\n").as_bytes())
            .await;
        let _ = stream.shutdown().await;
        return;
    }
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    match tokio::time::timeout(GREETING_DELAY, stream.read(&mut chunk)).await {
        Ok(Ok(0) | Err(_)) => return,
        Ok(Ok(n)) => buffer.extend_from_slice(&chunk[..n]),
        Err(_) => {
            let greeting = format!("Welcome to the oxidubbo QoS console; type help.\r\n{PROMPT}");
            if stream.write_all(greeting.as_bytes()).await.is_err() {
                return;
            }
        }
    }
    if buffer.starts_with(b"GET ") || buffer.starts_with(b"POST") {
        http(stream, buffer, app.as_ref()).await;
    } else {
        telnet(stream, buffer, app.as_ref()).await;
    }
}

/// Reads more into `buffer`; `false` at the end of the input, an error or the idle bound.
async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 4096];
    match tokio::time::timeout(IDLE_TIMEOUT, stream.read(&mut chunk)).await {
        Ok(Ok(n)) if n > 0 => {
            buffer.extend_from_slice(&chunk[..n]);
            true
        }
        _ => false,
    }
}

async fn telnet(mut stream: TcpStream, mut buffer: Vec<u8>, app: &dyn QosApplication) {
    loop {
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim();
            let (answer, quit) = telnet_answer(app, line).await;
            if stream.write_all(answer.as_bytes()).await.is_err() || quit {
                let _ = stream.shutdown().await;
                return;
            }
        }
        if buffer.len() > MAX_LINE {
            let refusal = format!("The command line is longer than {MAX_LINE} bytes.\r\n");
            let _ = stream.write_all(refusal.as_bytes()).await;
            let _ = stream.shutdown().await;
            return;
        }
        if !fill(&mut stream, &mut buffer).await {
            return;
        }
    }
}

/// The answer to one telnet line, and whether the session ends.
async fn telnet_answer(app: &dyn QosApplication, line: &str) -> (String, bool) {
    if line.is_empty() {
        return (PROMPT.to_owned(), false);
    }
    let (command, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    if command == "quit" || command == "exit" {
        return ("BYE!\r\n".to_owned(), true);
    }
    let args: Vec<String> = if command == "invoke" {
        vec![rest.trim().to_owned()]
    } else {
        rest.split_whitespace().map(str::to_owned).collect()
    };
    let body = match execute(app, command, &args).await {
        Some(output) => output.body,
        None => unsupported(line),
    };
    (format!("{body}\r\n{PROMPT}"), false)
}

async fn http(mut stream: TcpStream, mut buffer: Vec<u8>, app: &dyn QosApplication) {
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break Some(at);
        }
        if buffer.len() > MAX_LINE || !fill(&mut stream, &mut buffer).await {
            break None;
        }
    };
    let (status, body) = match head_end {
        None if buffer.len() > MAX_LINE => (431, "Request header fields too large".to_owned()),
        None => return,
        Some(end) => {
            let head = String::from_utf8_lossy(&buffer[..end]);
            let target = head
                .lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .unwrap_or("/");
            let (command, args) = parse_target(target);
            match execute(app, &command, &args).await {
                Some(output) => (output.status, output.body),
                None => (404, format!("Unsupported command: {command}")),
            }
        }
    };
    let response = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// `/<command>?<args>`: the command, and the query's values in order (a parameter
/// without `=` is a value of its own), percent- and `+`-decoded.
fn parse_target(target: &str) -> (String, Vec<String>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let command = decode(path.trim_start_matches('/'));
    let args = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| decode(p.split_once('=').map_or(p, |(_, v)| v)))
        .collect();
    (command, args)
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_peers_are_refused_unless_accepted() {
        let foreign: IpAddr = "10.1.2.3"
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::BROADCAST));
        let mapped: IpAddr = "::ffff:127.0.0.1"
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::BROADCAST));
        assert!(!permitted(foreign, false));
        assert!(permitted(foreign, true));
        assert!(permitted(IpAddr::V4(Ipv4Addr::LOCALHOST), false));
        assert!(permitted("::1".parse().unwrap_or(foreign), false));
        assert!(permitted(mapped, false));
    }

    struct NoApplication;

    #[async_trait::async_trait]
    impl QosApplication for NoApplication {
        fn providers(&self) -> Vec<crate::ProviderService> {
            Vec::new()
        }
        fn consumers(&self) -> Vec<crate::ConsumerService> {
            Vec::new()
        }
        fn ports(&self) -> Vec<u16> {
            Vec::new()
        }
        fn probe(&self, _: crate::Probe) -> bool {
            true
        }
        fn config_text(&self) -> String {
            String::new()
        }
        fn metrics_text(&self) -> Option<String> {
            None
        }
        async fn set_online(&self, _: Option<&str>, _: bool) -> Result<usize, String> {
            Ok(0)
        }
    }

    /// What a session with a peer at `peer` answers to `GET /live`.
    async fn session_from(peer: IpAddr, accept_foreign_ip: bool) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
        let addr = listener.local_addr().expect("addr");
        let mut client = TcpStream::connect(addr).await.expect("connected");
        let (stream, _) = listener.accept().await.expect("accepted");
        let session = tokio::spawn(serve(
            stream,
            peer,
            accept_foreign_ip,
            Arc::new(NoApplication),
        ));
        client
            .write_all(b"GET /live HTTP/1.1\r\n\r\n")
            .await
            .expect("sent");
        let mut answer = String::new();
        let read = client.read_to_string(&mut answer);
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .expect("closed within 10 s")
            .expect("read");
        session.await.expect("session ended");
        answer
    }

    #[tokio::test]
    async fn a_foreign_peer_gets_java_refusal_and_nothing_else() {
        let foreign: IpAddr = "192.0.2.7".parse().expect("ip");
        assert_eq!(
            session_from(foreign, false).await,
            format!("{FOREIGN_IP_REFUSED}\r\n")
        );
        assert!(
            session_from(foreign, true)
                .await
                .starts_with("HTTP/1.1 200 OK")
        );
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        assert!(session_from(local, false).await.ends_with("\r\n\r\ntrue"));
    }

    #[test]
    fn binds_loopback_unless_foreign_ips_are_accepted() {
        assert_eq!(
            bind_addr(None, 22222, false),
            Ok("127.0.0.1:22222"
                .parse()
                .unwrap_or(SocketAddr::from(([0, 0, 0, 1], 1))))
        );
        assert_eq!(
            bind_addr(None, 1, true).map(|a| a.ip().is_unspecified()),
            Ok(true)
        );
        assert_eq!(
            bind_addr(Some("::1"), 1, true).map(|a| a.ip().is_loopback()),
            Ok(true)
        );
        assert!(bind_addr(Some("localhost-ish"), 1, false).is_err());
    }

    #[test]
    fn http_targets_give_the_command_and_the_query_values() {
        assert_eq!(parse_target("/ls"), ("ls".to_owned(), vec![]));
        assert_eq!(
            parse_target("/invoke?a=S.m(%22Hello,+world%22)&x"),
            (
                "invoke".to_owned(),
                vec!["S.m(\"Hello, world\")".to_owned(), "x".to_owned()]
            )
        );
    }
}
