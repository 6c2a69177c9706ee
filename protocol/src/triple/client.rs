//! The consumer side: one multiplexed HTTP/2 connection per provider address.
//!
//! A supervisor task connects (h2c, prior knowledge), keeps the connection alive with
//! PINGs, and when it ends (GOAWAY, a lost socket, a missed PING) or a call finds it
//! refusing new streams, connects again with capped exponential backoff. Calls wait for a
//! usable connection (at most their own timeout); a broken connection fails only the calls
//! it carried. A connection whose supervisor ended (also dropped with the runtime it was
//! spawned on, while another runtime still uses it) is closed: its calls fail at once, and
//! the next refer of its address makes a new one.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http2::{self, SendRequest};
use hyper_util::rt::{TokioIo, TokioTimer};
use oxidubbo_invoker::RpcError;
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};

use super::body::TripleBody;
use super::exec::Exec;
use crate::tls::ClientTlsSettings;
use crate::tls::handshake::TlsConnector;
use crate::tls::loader::ALPN_TRIPLE_CLIENT;
use crate::tls::stream::Stream;

/// Settings of a client connection, read from the consumer URL once.
#[derive(Debug, Clone)]
pub(crate) struct ClientConfig {
    pub connect_timeout: Duration,
    pub keep_alive: Duration,
    pub reconnect_max: Duration,
    /// TLS settings (`ssl-enabled=true`, ALPN `h2`); `None`: h2c.
    pub tls: Option<ClientTlsSettings>,
}

/// The HTTP/2 settings of a client (TRIPLE.md §12.2).
const MAX_HEADER_LIST: u32 = 64 * 1024;
const MAX_FRAME: u32 = 256 * 1024;
const STREAM_WINDOW: u32 = 2 * 1024 * 1024;
const CONNECTION_WINDOW: u32 = 8 * 1024 * 1024;

type Sender = SendRequest<TripleBody>;

/// A connection to one provider address, shared by all its invokers.
pub(crate) struct Connection {
    inner: Arc<Inner>,
}

struct Inner {
    addr: String,
    config: ClientConfig,
    sender: watch::Sender<Option<Sender>>,
    reconnect: Notify,
    exec: Exec,
    tls: Option<TlsConnector>,
    /// Why the last connection ended, as its driver saw it: a TLS 1.3 server that refuses
    /// the client's certificate says so after the handshake, and a call then sent may only
    /// see its stream cancelled.
    last_error: Arc<Mutex<Option<String>>>,
}

impl Connection {
    /// Connects to `addr` (failing if the first attempt fails) and starts the supervisor.
    pub(crate) async fn connect(
        addr: String,
        config: ClientConfig,
    ) -> Result<Connection, RpcError> {
        let exec = Exec::default();
        let tls = match &config.tls {
            Some(settings) => Some(crate::tls::connector(settings, ALPN_TRIPLE_CLIENT)?),
            None => None,
        };
        let first = handshake(&addr, &config, &exec, tls.as_ref()).await?;
        let inner = Arc::new(Inner {
            addr,
            config,
            sender: watch::Sender::new(Some(first.0.clone())),
            reconnect: Notify::new(),
            exec,
            tls,
            last_error: Arc::default(),
        });
        inner.exec.spawn(supervise(Arc::clone(&inner), first));
        Ok(Connection { inner })
    }

    /// Whether a connection is up and takes new streams.
    pub(crate) fn is_available(&self) -> bool {
        self.inner
            .sender
            .borrow()
            .as_ref()
            .is_some_and(|s| !s.is_closed())
    }

    /// Sends a request, waiting at most `wait` for a usable connection; a request the
    /// connection refused before sending it is sent again on a fresh one.
    pub(crate) async fn send(
        &self,
        mut request: Request<TripleBody>,
        wait: Duration,
    ) -> Result<Response<Incoming>, RpcError> {
        let inner = &self.inner;
        let mut rx = inner.sender.subscribe();
        for attempt in 0..2 {
            if rx.borrow().as_ref().is_some_and(|s| s.is_closed()) {
                inner.reconnect.notify_one();
            }
            // A usable connection answers first: only a call that waits watches the close
            // (registering as the token's waiter takes its lock).
            let closed = &inner.exec.shutdown;
            let ready = tokio::time::timeout(wait, async {
                tokio::select! {
                    biased;
                    s = rx.wait_for(|s| s.as_ref().is_some_and(|s| !s.is_closed())) => {
                        s.ok().and_then(|s| s.as_ref().cloned())
                    }
                    () = closed.cancelled() => None,
                }
            })
            .await;
            let Some(mut sender) = ready.ok().flatten() else {
                return Err(self.not_connected());
            };
            match sender.try_send_request(request).await {
                Ok(response) => return Ok(response),
                Err(mut e) => match e.take_message() {
                    Some(unsent) if attempt == 0 => {
                        inner.reconnect.notify_one();
                        request = unsent;
                    }
                    _ => {
                        let mut text = with_sources(e.error());
                        let explained =
                            crate::tls::handshake::client_side_in_chain(e.error()).is_some();
                        if inner.tls.is_some() && !explained {
                            if let Some(why) = self.connection_error().await {
                                text = format!("{why}; {text}");
                            }
                        }
                        return Err(RpcError::Network(format!(
                            "call to {} failed: {text}",
                            inner.addr
                        )));
                    }
                },
            }
        }
        Err(self.not_connected())
    }

    /// Why the connection ended, once its driver has said (waiting at most 200 ms for it):
    /// the reason behind a call that only saw its stream cancelled.
    async fn connection_error(&self) -> Option<String> {
        for _ in 0..40 {
            let why = lock(&self.inner.last_error).clone();
            if why.is_some() {
                return why;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        None
    }

    fn not_connected(&self) -> RpcError {
        let addr = &self.inner.addr;
        if self.is_finished() {
            RpcError::Network(format!("the connection to {addr} is closed"))
        } else {
            RpcError::Network(format!("not connected to {addr}"))
        }
    }

    /// Whether the connection was closed, or its supervisor ended (also when dropped with
    /// the runtime it was spawned on): it takes no more calls and never connects again.
    pub(crate) fn is_finished(&self) -> bool {
        self.inner.exec.shutdown.is_cancelled()
    }

    /// Closes the connection without waiting.
    pub(crate) fn close(&self) {
        self.inner.exec.shutdown.cancel();
    }

    /// Closes the connection and waits until its tasks ended.
    pub(crate) async fn close_and_wait(&self) {
        self.inner.sender.send_replace(None);
        self.inner.exec.shut_down().await;
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.close();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// An error and its sources, `: `-separated (hyper's own message alone says little: the
/// TLS alert or I/O error behind it is in the sources).
fn with_sources(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    let mut meaning = crate::tls::handshake::client_side_in_chain(e);
    while let Some(inner) = source {
        let more = inner.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        meaning = meaning.or_else(|| crate::tls::handshake::client_side_in_chain(inner));
        source = inner.source();
    }
    match meaning {
        Some(meaning) => format!("{meaning}: {text}"),
        None => text,
    }
}

type Driver = http2::Connection<TokioIo<Stream>, TripleBody, Exec>;

async fn handshake(
    addr: &str,
    config: &ClientConfig,
    exec: &Exec,
    tls: Option<&TlsConnector>,
) -> Result<(Sender, Driver), RpcError> {
    let failed =
        |e: &dyn std::fmt::Display| RpcError::Network(format!("failed to connect to {addr}: {e}"));
    let stream = tokio::time::timeout(config.connect_timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| failed(&"connect timed out"))?
        .map_err(|e| failed(&e))?;
    let _ = stream.set_nodelay(true);
    let stream = match tls {
        Some(tls) => tls.connect(stream, addr, config.connect_timeout).await?,
        None => Stream::Plain(stream),
    };
    let mut builder = http2::Builder::new(exec.clone());
    builder
        .timer(TokioTimer::new())
        .max_header_list_size(MAX_HEADER_LIST)
        .max_frame_size(MAX_FRAME)
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .keep_alive_interval(config.keep_alive)
        .keep_alive_timeout(Duration::from_secs(20))
        .keep_alive_while_idle(true);
    tokio::time::timeout(
        config.connect_timeout,
        builder.handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| failed(&"HTTP/2 handshake timed out"))?
    .map_err(|e| failed(&with_sources(&e)))
}

async fn supervise(inner: Arc<Inner>, first: (Sender, Driver)) {
    let _ended = SupervisorEnded(&inner);
    let mut current = first;
    loop {
        let (sender, driver) = current;
        inner.sender.send_replace(Some(sender));
        // The old driver goes on (its streams finish) while a new connection takes calls.
        let last_error = Arc::clone(&inner.last_error);
        let mut running = inner.exec.spawn(async move {
            if let Err(e) = driver.await {
                let why = with_sources(&e);
                tracing::debug!(error = %why, "triple connection ended");
                *lock(&last_error) = Some(why);
            }
        });
        tokio::select! {
            _ = &mut running => {}
            () = inner.reconnect.notified() => {}
        }
        inner.sender.send_replace(None);
        tracing::info!(addr = %inner.addr, "triple connection lost, reconnecting");
        let mut backoff = Duration::from_millis(20);
        current = loop {
            match handshake(&inner.addr, &inner.config, &inner.exec, inner.tls.as_ref()).await {
                Ok(fresh) => {
                    *lock(&inner.last_error) = None;
                    break fresh;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "triple reconnect failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(inner.config.reconnect_max);
                }
            }
        };
    }
}

/// Closes the connection however its supervisor ends: also when the task is dropped
/// unfinished, as when the runtime it was spawned on shuts down while callers on other
/// runtimes still use the connection (a process-wide protocol shared by several runtimes,
/// as tests make them). Its drivers went with that runtime, nothing would reconnect, and
/// new calls would otherwise wait their whole timeout for a connection that never comes.
struct SupervisorEnded<'a>(&'a Inner);

impl Drop for SupervisorEnded<'_> {
    fn drop(&mut self) {
        self.0.sender.send_replace(None);
        self.0.exec.shutdown.cancel();
    }
}
