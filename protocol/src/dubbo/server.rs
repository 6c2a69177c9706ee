//! The provider side: a tokio TCP server per exported address.
//!
//! One task per connection (`serve_connection`) reads requests, dispatches them by service
//! key through the protocol's lock-free exporter table, runs each call until it would wait,
//! and writes the answers of a whole read with one write. A call that has to wait moves
//! into a task of its own and sends its answer back to the connection's task, so many calls
//! are in flight per connection.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use oxidubbo_common::ServiceKey;
use oxidubbo_invoker::{Invocation, MethodName, RpcError, RpcResult, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_util::codec::Decoder as _;
use tokio_util::sync::CancellationToken;

use super::DubboState;
use super::codec::{self, Request};
use super::header::{Frame, FrameCodec, HESSIAN2, ReadBuffer};
use crate::exporter::ExporterTable;
use crate::tls::ServerTlsSettings;
use crate::tls::handshake::{Accepted, TlsAcceptor};
use crate::tls::stream::{Stream, WriteHalf};

/// Settings of a server, read from the first exported URL of its address.
#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    /// A connection that has not completed a frame (a request, a heartbeat) for this long
    /// is closed: bytes alone do not keep it open, so a peer dribbling a frame byte by byte
    /// (slowloris) is closed like a silent one.
    pub idle_timeout: Duration,
    pub payload: usize,
    /// Most connections served at once (`accepts`); 0: no limit.
    pub accepts: usize,
    /// TLS settings (`ssl-enabled=true`); `None`: plaintext.
    pub tls: Option<ServerTlsSettings>,
}

/// A listening server and its connections.
pub(crate) struct Server {
    local_addr: SocketAddr,
    shutdown: CancellationToken,
    readonly: CancellationToken,
    connections: Arc<AtomicUsize>,
    task: tokio::sync::Mutex<Option<JoinHandle<()>>>,
    tls: bool,
}

impl Server {
    /// Starts accepting on `reserved` if given (a listener bound ahead for `addr`), else
    /// binds `addr`. Requests are served by the services of `exporters` alone; `owner` is
    /// told when one of them was found destroyed behind its exporter's back.
    pub(crate) async fn bind(
        addr: &str,
        reserved: Option<std::net::TcpListener>,
        exporters: Arc<ExporterTable>,
        config: ServerConfig,
        owner: Weak<DubboState>,
    ) -> Result<Server, RpcError> {
        let failed = |e: std::io::Error| RpcError::Network(format!("failed to bind {addr}: {e}"));
        let listener = match reserved {
            Some(listener) => {
                listener.set_nonblocking(true).map_err(failed)?;
                TcpListener::from_std(listener).map_err(failed)?
            }
            None => TcpListener::bind(addr).await.map_err(failed)?,
        };
        let local_addr = listener.local_addr().map_err(failed)?;
        let tls = match &config.tls {
            Some(settings) => Some(crate::tls::acceptor(settings, &[])?),
            None => None,
        };
        let shutdown = CancellationToken::new();
        let readonly = CancellationToken::new();
        let connections = Arc::new(AtomicUsize::new(0));
        let secure = tls.is_some();
        let ctx = Arc::new(Ctx {
            exporters,
            owner,
            config,
            local_addr,
            connections: Arc::clone(&connections),
            refusing: Arc::new(AtomicUsize::new(0)),
            tls,
        });
        let task = tokio::spawn(accept_loop(
            listener,
            ctx,
            shutdown.clone(),
            readonly.clone(),
        ));
        tracing::info!(%local_addr, tls = secure, "dubbo server listening");
        Ok(Server {
            local_addr,
            shutdown,
            readonly,
            connections,
            task: tokio::sync::Mutex::new(Some(task)),
            tls: secure,
        })
    }

    /// The address the server listens on.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Whether the server speaks TLS.
    pub(crate) fn is_tls(&self) -> bool {
        self.tls
    }

    /// Connections open now.
    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::Acquire)
    }

    /// Sends the read-only event to every connected consumer (graceful shutdown).
    pub(crate) fn send_readonly(&self) {
        self.readonly.cancel();
    }

    /// Stops accepting and closes every connection, without waiting: [`Server::close`]
    /// waits.
    pub(crate) fn cancel(&self) {
        self.shutdown.cancel();
    }

    /// Stops accepting, closes every connection and waits until all its tasks are done;
    /// the port is free again when this returns (also when called again, or concurrently).
    pub(crate) async fn close(&self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
        tracing::info!(local_addr = %self.local_addr, "dubbo server closed");
    }
}

struct Ctx {
    exporters: Arc<ExporterTable>,
    owner: Weak<DubboState>,
    config: ServerConfig,
    local_addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    /// Connections over the limit being told so ([`refuse_over_limit`]).
    refusing: Arc<AtomicUsize>,
    /// Set on a TLS port.
    tls: Option<TlsAcceptor>,
}

async fn accept_loop(
    listener: TcpListener,
    ctx: Arc<Ctx>,
    shutdown: CancellationToken,
    readonly: CancellationToken,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let accepts = ctx.config.accepts;
                    if accepts > 0 && ctx.connections.load(Ordering::Acquire) >= accepts {
                        refuse_over_limit(stream, peer, &ctx, &mut conns, &shutdown);
                        continue;
                    }
                    // Counted from the accept, so the limit holds however fast they come.
                    let counted = Counted::new(&ctx.connections);
                    let (ctx, shutdown, readonly) = (Arc::clone(&ctx), shutdown.clone(), readonly.clone());
                    if ctx.tls.is_some() {
                        conns.spawn(async move {
                            tokio::select! {
                                () = shutdown.cancelled() => {}
                                () = serve_tls(stream, peer, ctx, shutdown.clone(), readonly, counted) => {}
                            }
                        });
                    } else {
                        conns.spawn(serve_connection(Stream::Plain(stream), peer, ctx, shutdown, readonly, counted));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
}

/// Runs the TLS handshake of a connection to a TLS port, then serves it; a plaintext
/// dubbo client gets an error response to its first request, saying the port wants TLS.
async fn serve_tls(
    tcp: TcpStream,
    peer: SocketAddr,
    ctx: Arc<Ctx>,
    shutdown: CancellationToken,
    readonly: CancellationToken,
    counted: Counted,
) {
    let Some(acceptor) = &ctx.tls else {
        return;
    };
    match acceptor.accept(tcp, &peer.to_string()).await {
        Accepted::Tls(stream) => {
            serve_connection(stream, peer, ctx, shutdown, readonly, counted).await;
        }
        Accepted::Plaintext { tcp, .. } => refuse_plaintext(tcp).await,
        Accepted::Failed => {}
    }
}

/// Answers the first request of a plaintext client on a TLS port with an error, then
/// closes: the client fails at once with a reason instead of waiting for its timeout.
async fn refuse_plaintext(mut tcp: TcpStream) {
    let mut head = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(1), tcp.read_exact(&mut head)).await;
    if let Ok(Ok(_)) = read {
        if let Some(header) = super::header::Header::parse(&head) {
            if header.is_request() && header.is_twoway() {
                let mut out = Vec::new();
                codec::encode_error_response(
                    &mut out,
                    header.id,
                    Status::BAD_REQUEST,
                    crate::tls::PLAINTEXT_ON_TLS_PORT,
                );
                let _ = tokio::time::timeout(Duration::from_secs(1), tcp.write_all(&out)).await;
            }
        }
    }
    let _ = tcp.shutdown().await;
}

/// One connection of the count, taken off however the connection ends.
struct Counted(Arc<AtomicUsize>);

impl Counted {
    fn new(count: &Arc<AtomicUsize>) -> Counted {
        count.fetch_add(1, Ordering::AcqRel);
        Counted(Arc::clone(count))
    }
}

/// Refusals that answer the first request with the reason, at most this many at once;
/// past them a connection over the limit is closed at once (as Java's server does).
const EXPLAINED_REFUSALS: usize = 64;
/// How long a refused connection is given to send its first request.
const REFUSAL_WAIT: Duration = Duration::from_secs(1);

/// A connection over the server's `accepts` limit: its first request (if it comes within
/// [`REFUSAL_WAIT`]) is answered with an error saying so, then it is closed, so that the
/// consumer fails at once with a reason rather than waiting out its timeout.
fn refuse_over_limit(
    mut tcp: TcpStream,
    peer: SocketAddr,
    ctx: &Arc<Ctx>,
    conns: &mut JoinSet<()>,
    shutdown: &CancellationToken,
) {
    let accepts = ctx.config.accepts;
    tracing::warn!(%peer, accepts, "closing a connection over the server's limit of {accepts} (accepts)");
    if ctx.tls.is_some() || ctx.refusing.load(Ordering::Acquire) >= EXPLAINED_REFUSALS {
        return; // dropped: closed at once
    }
    let counted = Counted::new(&ctx.refusing);
    let payload = ctx.config.payload;
    let shutdown = shutdown.clone();
    conns.spawn(async move {
        let _counted = counted;
        let message = format!(
            "the server refused the connection: it serves at most {accepts} connections \
             (accepts={accepts})"
        );
        let explain = async {
            let mut head = [0u8; 16];
            tcp.read_exact(&mut head).await.ok()?;
            let header = super::header::Header::parse(&head)?;
            let mut out = Vec::new();
            if header.is_request() && header.is_twoway() {
                codec::encode_error_response(&mut out, header.id, Status::SERVER_ERROR, &message);
            }
            // The body is read too (when not oversized): a socket closed with unread bytes
            // is reset, and a reset may drop the answer before the consumer reads it.
            if let Some(len) = usize::try_from(header.body_len)
                .ok()
                .filter(|len| *len <= payload)
            {
                let mut body = vec![0u8; len];
                tcp.read_exact(&mut body).await.ok()?;
            }
            tcp.write_all(&out).await.ok()?;
            tcp.shutdown().await.ok()
        };
        tokio::select! {
            _ = tokio::time::timeout(REFUSAL_WAIT, explain) => {}
            () = shutdown.cancelled() => {}
        }
    });
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Answers gathered past this size are written before the next request of the same read
/// is served, so the consumer starts on them while the rest are served.
const FLUSH_AT: usize = 32 * 1024;
/// An answer buffer grown past this by a large answer is not kept for the next ones.
const KEEP_AT_MOST: usize = 1024 * 1024;

async fn serve_connection(
    stream: Stream,
    peer: SocketAddr,
    ctx: Arc<Ctx>,
    shutdown: CancellationToken,
    readonly: CancellationToken,
    _counted: Counted,
) {
    let (mut rd, mut wr) = stream.into_split();
    // Answers of the calls that had to wait come back from their tasks through here.
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(1024);
    let mut handlers = JoinSet::new();
    let peer: Arc<str> = Arc::from(peer.to_string());
    let mut codec = FrameCodec::new(ctx.config.payload);
    let mut buf = ReadBuffer::new();
    // When the last whole frame came: bytes that do not complete one keep nothing alive.
    let mut last_frame = Instant::now();
    let check_every = (ctx.config.idle_timeout / 4).max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval(check_every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut readonly_sent = false;
    // Answers are gathered here and written by this task itself, once per read (or per
    // FLUSH_AT bytes): a burst of requests costs one write, and no hand-over to another
    // task stands between a served call and its answer leaving.
    let mut out = Vec::new();
    'conn: loop {
        let mut broken = false;
        let mut more = false;
        let mut framed = false;
        loop {
            match codec.decode(&mut buf.bytes) {
                Ok(Some(frame)) => {
                    framed = true;
                    on_frame(&ctx, frame, &peer, &mut out, &tx, &mut handlers);
                    if out.len() >= FLUSH_AT {
                        more = true;
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    if buf.bytes.first() == Some(&0x16) && ctx.tls.is_none() {
                        tracing::warn!(%peer, "a TLS client connected to this plaintext port; closing");
                    } else {
                        tracing::warn!(%peer, error = %e, "closing connection");
                    }
                    broken = true;
                    break;
                }
            }
        }
        if framed {
            // Once per batch of frames, not per frame.
            last_frame = Instant::now();
        }
        if !out.is_empty() {
            // A consumer that stops reading must not hold up a shutdown; answers the socket
            // takes at once still go out (the last answers of a server retiring itself).
            tokio::select! {
                biased;
                // The flush matters for TLS only (see the client's writer).
                written = write_and_flush(&mut wr, &out) => if written.is_err() { break },
                () = shutdown.cancelled() => break,
            }
            out.clear();
            if out.capacity() > KEEP_AT_MOST {
                out = Vec::new();
            }
        }
        if broken {
            break 'conn;
        }
        if more {
            continue;
        }
        buf.prepare();
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = readonly.cancelled(), if !readonly_sent => {
                readonly_sent = true;
                codec::encode_readonly_event(&mut out, 0);
            }
            Some(answer) = rx.recv() => {
                out.extend_from_slice(&answer);
                while out.len() < FLUSH_AT {
                    match rx.try_recv() {
                        Ok(answer) => out.extend_from_slice(&answer),
                        Err(_) => break,
                    }
                }
            }
            Some(_) = handlers.join_next(), if !handlers.is_empty() => {}
            r = rd.read_buf(&mut buf.bytes) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.read(n),
            },
            _ = ticker.tick() => {
                buf.idle_check();
                if last_frame.elapsed() >= ctx.config.idle_timeout {
                    tracing::info!(%peer, partial = buf.bytes.len(), "closing idle connection (no whole frame within the idle timeout)");
                    break;
                }
            }
        }
    }
    // Let calls in flight finish and their answers go out — until a shutdown, which
    // cancels them, so that closing a server never waits on a slow service or on a
    // consumer that stopped reading.
    drop(tx);
    let drained = async {
        while let Some(answer) = rx.recv().await {
            if write_and_flush(&mut wr, &answer).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        () = drained => {}
        () = shutdown.cancelled() => handlers.shutdown().await,
    }
}

/// Writes `bytes` and flushes: rustls may keep encrypted records it could not write yet
/// until flushed (on plain TCP the flush returns at once).
async fn write_and_flush(wr: &mut WriteHalf, bytes: &[u8]) -> std::io::Result<()> {
    wr.write_all(bytes).await?;
    wr.flush().await
}

fn on_frame(
    ctx: &Arc<Ctx>,
    frame: Frame,
    peer: &Arc<str>,
    out: &mut Vec<u8>,
    tx: &mpsc::Sender<Vec<u8>>,
    handlers: &mut JoinSet<()>,
) {
    match frame {
        Frame::Oversized { header } => {
            if header.is_request() && header.is_twoway() {
                let message = format!(
                    "data length too large: {}, max payload: {}",
                    header.body_len, ctx.config.payload
                );
                codec::encode_error_response(out, header.id, Status::BAD_REQUEST, &message);
            }
        }
        Frame::Complete { header, body } => {
            if !header.is_request() {
                return; // heartbeat replies and the like
            }
            if header.is_event() {
                if header.is_twoway() {
                    codec::encode_heartbeat_response(out, header.id);
                }
                return;
            }
            if header.serialization() != HESSIAN2 {
                if header.is_twoway() {
                    let message =
                        format!("unsupported serialization id {}", header.serialization());
                    codec::encode_error_response(out, header.id, Status::BAD_REQUEST, &message);
                }
                return;
            }
            let payload = ctx.config.payload;
            let (id, twoway) = (header.id, header.is_twoway());
            // Answers are often about as big as their request (echo, CRUD).
            let size_hint = body.len().clamp(64, 64 * 1024) + 64;
            let answer = move |with_attachments, result| Answer {
                id,
                with_attachments,
                result,
                size_hint,
            };
            let (call, with_attachments) = match start_call(ctx, &body, peer) {
                Ok(started) => started,
                Err(e) => {
                    if twoway {
                        answer(false, Err(e)).encode(out, payload);
                    }
                    return;
                }
            };
            let mut call = CatchUnwind(call);
            // Most calls complete without waiting: run them inline and encode their answer
            // straight into the batch; only a call that has to wait moves into its own task
            // (which polls it again with a real waker). This spares a spawn, a worker
            // wake-up and a copy per request.
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            match Pin::new(&mut call).poll(&mut cx) {
                Poll::Ready(Ok(result)) if twoway => {
                    answer(with_attachments, result).encode(out, payload);
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(())) => answer_panic(out, id, twoway),
                Poll::Pending => {
                    let tx = tx.clone();
                    handlers.spawn(async move {
                        let mut frame = Vec::new();
                        match call.await {
                            Ok(result) if twoway => {
                                frame.reserve(size_hint);
                                answer(with_attachments, result).encode(&mut frame, payload);
                            }
                            Ok(_) => return,
                            Err(()) => answer_panic(&mut frame, id, twoway),
                        }
                        if !frame.is_empty() {
                            let _ = tx.send(frame).await;
                        }
                    });
                }
            }
        }
    }
}

/// A service that panicked gets a SERVER_ERROR answer; the connection and its other calls
/// go on.
fn answer_panic(out: &mut Vec<u8>, id: i64, twoway: bool) {
    tracing::error!(id, "a service panicked while serving a call");
    if twoway {
        codec::encode_error_response(
            out,
            id,
            Status::SERVER_ERROR,
            "the service panicked while serving the call",
        );
    }
}

/// Polls a future, turning a panic inside it into `Err(())`.
struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

/// The outcome of a two-way request, to be encoded as its response.
struct Answer {
    id: i64,
    with_attachments: bool,
    result: Result<RpcResult, RpcError>,
    size_hint: usize,
}

impl Answer {
    /// Appends the response frame to `out`: OK with the value or the business exception,
    /// or an error status with its message.
    fn encode(&self, out: &mut Vec<u8>, payload: usize) {
        match &self.result {
            Ok(_) | Err(RpcError::Remote { .. }) => {
                out.reserve(self.size_hint);
                let encoded = codec::encode_response(
                    out,
                    self.id,
                    self.with_attachments,
                    &self.result,
                    payload,
                );
                if let Err(e) = encoded {
                    codec::encode_error_response(
                        out,
                        self.id,
                        Status::SERIALIZATION_ERROR,
                        &e.to_string(),
                    );
                }
            }
            Err(RpcError::Status { status, message }) if *status != Status::OK => {
                codec::encode_error_response(out, self.id, *status, message);
            }
            // Arguments the service could not read (a type mismatch, references expanding
            // past their limit): the request's fault, as when the codec cannot decode it.
            Err(e @ RpcError::Codec(_)) => {
                codec::encode_error_response(out, self.id, Status::BAD_REQUEST, &e.to_string())
            }
            Err(e) => {
                codec::encode_error_response(out, self.id, Status::SERVICE_ERROR, &e.to_string())
            }
        }
    }
}

thread_local! {
    /// Reused to build the service key of each request without allocating.
    static KEY_BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The call of an exported service, boxed once so that it can move into a task of its own.
type Call = Pin<Box<dyn Future<Output = Result<RpcResult, RpcError>> + Send>>;

/// Decodes a request and finds its exported invoker: the call to run (not yet polled) and
/// whether the consumer takes response attachments, or the error to answer at once.
fn start_call(ctx: &Ctx, body: &Bytes, peer: &Arc<str>) -> Result<(Call, bool), RpcError> {
    let request = codec::decode_request(body).map_err(|e| RpcError::Status {
        status: Status::BAD_REQUEST,
        message: format!("failed to decode request: {e}"),
    })?;
    let group = request.group.as_deref().filter(|g| !g.is_empty());
    let found = KEY_BUF.with_borrow_mut(|buf| {
        buf.clear();
        ServiceKey::write_key(buf, &request.path, group, request.version.as_deref());
        ctx.exporters.get_call(buf, &request.method)
    });
    // An invoker destroyed without being unexported serves no more, and leaves the table.
    let found = match found {
        Some((invoker, _)) if invoker.is_destroyed() => {
            if let Some(owner) = ctx.owner.upgrade() {
                owner.forget_destroyed();
            }
            None
        }
        found => found,
    };
    let Some((invoker, shared_method)) = found else {
        let key = ServiceKey::new(&request.path, group, request.version.as_deref());
        return Err(RpcError::NotFound(format!(
            "{key}, may be version or group mismatch, channel: consumer: {peer} --> provider: {}, message: {}",
            ctx.local_addr, request.method
        )));
    };
    let with_attachments = codec::supports_response_attachments(&request.dubbo_version);
    let Request {
        dubbo_version,
        method,
        parameter_types,
        arguments,
        mut attachments,
        ..
    } = request;
    // Shared, not copied per call: a service that reads no attachment pays for neither.
    if dubbo_version == codec::DUBBO_VERSION {
        attachments.insert_static("dubbo", codec::DUBBO_VERSION);
    } else {
        attachments.insert_shared("dubbo", &Arc::from(&*dubbo_version));
    }
    attachments.insert_shared("remote.address", peer);
    // The service's own copy of a method name it lists: shared, not copied per call.
    let method: MethodName = match shared_method {
        Some(name) => name.into(),
        None => method.into_owned().into(),
    };
    let mut invocation = Invocation::new(
        method,
        codec::intern_parameter_types(parameter_types),
        arguments,
    );
    *invocation.attachments_mut() = attachments;
    Ok((
        Box::pin(async move { invoker.invoke(invocation).await }),
        with_attachments,
    ))
}
