//! The consumer side: one multiplexed connection per provider address.
//!
//! A [`Connection`] owns a supervisor task that connects, runs the reader loop, sends
//! heartbeats, closes the socket when the provider goes quiet past the idle timeout, and
//! reconnects with capped exponential backoff. Calls are matched to responses by request
//! id; a lost connection fails every pending call at once.
//!
//! Timeouts are kept the way Dubbo keeps them: each pending call records its deadline, and
//! the reader task sweeps out the expired ones, sleeping until the earliest deadline. A call
//! thus costs no timer of its own, only a clock read.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use oxidubbo_invoker::{Invocation, RpcError, RpcResult, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::codec::Decoder as _;
use tokio_util::sync::CancellationToken;

use super::codec::{self, READONLY_EVENT, Target};
use super::header::{Frame, FrameCodec, HEADER_LEN, Header, ReadBuffer};
use crate::tls::ClientTlsSettings;
use crate::tls::handshake::TlsConnector;
use crate::tls::stream::{ReadHalf, Stream, WriteHalf};

/// Settings of a client connection, read from the consumer URL once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ClientConfig {
    pub heartbeat: Duration,
    pub idle_timeout: Duration,
    pub connect_timeout: Duration,
    pub payload: usize,
    pub reconnect_max: Duration,
    /// TLS settings (`ssl-enabled=true`); `None`: plaintext. Part of the pool key, so no
    /// plaintext connection serves a TLS reference, nor the other way round.
    pub tls: Option<ClientTlsSettings>,
}

/// What a shared connection is found by: its address and every setting that makes one
/// connection differ from another (invokers asking for other settings get a connection of
/// their own), TLS included.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    pub address: String,
    pub config: ClientConfig,
    /// The `serialization` asked for.
    pub serialization: String,
    /// The `connections` asked for (Dubbo's count of connections per provider).
    pub connections: String,
}

type Reply = Result<(u8, Bytes), RpcError>;

/// Request ids are sequential integers: a multiplicative hash spreads them over the table
/// far cheaper than SipHash, which has nothing to defend against here.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_i64(&mut self, id: i64) {
        self.0 = (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A call waiting for its answer.
struct PendingCall {
    tx: oneshot::Sender<Reply>,
    deadline: Instant,
}

type Pending = HashMap<i64, PendingCall, std::hash::BuildHasherDefault<IdHasher>>;

/// The pending calls and when the reader next sweeps them for expired deadlines.
#[derive(Default)]
struct Calls {
    pending: Pending,
    /// When the next sweep is due; `None` while the sweeper sleeps with nothing to watch.
    next_sweep: Option<Instant>,
}

/// A multiplexed connection to one provider address, shared by all its invokers.
pub(crate) struct Connection {
    inner: Arc<Inner>,
    task: Mutex<Option<JoinHandle<()>>>,
}

struct Inner {
    addr: String,
    config: ClientConfig,
    sender: ArcSwapOption<mpsc::Sender<Vec<u8>>>,
    calls: Mutex<Calls>,
    /// Wakes the sweeper when a call's deadline comes before its next sweep.
    sweep_changed: Notify,
    next_id: AtomicI64,
    readonly: AtomicBool,
    shutdown: CancellationToken,
    /// Size of the last request frame: the next one is allocated that big at once.
    frame_hint: AtomicUsize,
    /// Set for a TLS connection.
    tls: Option<TlsConnector>,
    /// Why the provider turned this connection away (a TLS port answering a plaintext
    /// client), told with later "not connected" errors.
    refused: Mutex<Option<&'static str>>,
}

impl Connection {
    /// Connects to `addr` (failing if the first attempt fails) and starts the supervisor.
    pub(crate) async fn connect(
        addr: String,
        config: ClientConfig,
    ) -> Result<Connection, RpcError> {
        let tls = match &config.tls {
            Some(settings) => Some(crate::tls::connector(settings, &[])?),
            None => None,
        };
        let stream = connect_once(&addr, config.connect_timeout, tls.as_ref()).await?;
        let inner = Arc::new(Inner {
            addr,
            config,
            sender: ArcSwapOption::empty(),
            calls: Mutex::new(Calls::default()),
            sweep_changed: Notify::new(),
            next_id: AtomicI64::new(1),
            readonly: AtomicBool::new(false),
            shutdown: CancellationToken::new(),
            frame_hint: AtomicUsize::new(256),
            tls,
            refused: Mutex::new(None),
        });
        let attached = attach(&inner, stream);
        let task = tokio::spawn(supervise(Arc::clone(&inner), attached));
        Ok(Connection {
            inner,
            task: Mutex::new(Some(task)),
        })
    }

    /// Whether calls can be sent now: connected and not told the provider is read-only.
    pub(crate) fn is_available(&self) -> bool {
        self.inner.sender.load().is_some() && !self.inner.readonly.load(Ordering::Acquire)
    }

    /// Encodes one call into a request frame with a fresh id; nothing is sent yet.
    pub(crate) fn encode(
        &self,
        target: &Target,
        invocation: &Invocation,
        timeout_ms: &str,
        twoway: bool,
    ) -> Result<(i64, Vec<u8>), RpcError> {
        let inner = &self.inner;
        if inner.sender.load().is_none() {
            return Err(RpcError::Network(format!(
                "not connected to {}{}",
                inner.addr,
                inner.refusal()
            )));
        }
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut frame = Vec::with_capacity(inner.frame_hint.load(Ordering::Relaxed));
        codec::encode_request(
            &mut frame,
            id,
            twoway,
            target,
            timeout_ms,
            invocation,
            inner.config.payload,
        )?;
        let hint = frame.len().clamp(256, 64 * 1024);
        if inner.frame_hint.load(Ordering::Relaxed) != hint {
            // Written only on change: every caller shares this cache line.
            inner.frame_hint.store(hint, Ordering::Relaxed);
        }
        Ok((id, frame))
    }

    /// Sends a frame made by [`Connection::encode`] and waits for its response, at most
    /// `timeout`.
    pub(crate) async fn request(
        &self,
        (id, frame): (i64, Vec<u8>),
        invocation: &Invocation,
        timeout: Duration,
        twoway: bool,
    ) -> Result<RpcResult, RpcError> {
        let inner = &self.inner;
        if !twoway {
            // Only the send can wait, for room in the queue, and at most the timeout.
            let sent = match inner.try_send(frame) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(frame)) => {
                    // Boxed: the rare wait keeps its timer out of every call's future.
                    match Box::pin(tokio::time::timeout(timeout, inner.send(frame))).await {
                        Ok(sent) => sent.map_err(|()| closed(inner)),
                        Err(_) => Err(RpcError::Timeout {
                            elapsed_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                            message: format!(
                                "sending {} to {}",
                                invocation.method_name(),
                                inner.addr
                            ),
                        }),
                    }
                }
                Err(TrySendError::Closed(_)) => Err(closed(inner)),
            };
            return sent.map(|()| RpcResult::default());
        }
        let (tx, mut rx) = oneshot::channel();
        inner.add_pending(id, tx, deadline_after(timeout));
        // However this call ends — answered, timed out, failed, or dropped by its caller
        // (a forking loser, a select!) — its pending entry goes with it.
        let mut pending = PendingGuard {
            inner,
            id,
            armed: true,
        };
        // The send counts in the call's timeout: a full queue waits for room or the sweep
        // (boxed, so that the rare wait does not grow every call's future).
        let reply = match inner.try_send(frame) {
            Ok(()) => None,
            Err(TrySendError::Full(frame)) => {
                Box::pin(async {
                    tokio::select! {
                        sent = inner.send(frame) => sent.is_err().then_some(Err(closed(inner))),
                        reply = &mut rx => Some(reply.unwrap_or_else(|_| Err(closed(inner)))),
                    }
                })
                .await
            }
            Err(TrySendError::Closed(_)) => Some(Err(closed(inner))),
        };
        let reply = match reply {
            Some(reply) => reply,
            None => rx.await.unwrap_or_else(|_| Err(closed(inner))),
        };
        // An answer, a timeout or a failure sent by the reader means the entry is gone.
        pending.armed = matches!(reply, Err(RpcError::Network(_)));
        match reply {
            Ok((status, body)) => codec::decode_response_kept(status, &body),
            Err(RpcError::Timeout { .. }) => Err(RpcError::Timeout {
                elapsed_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                message: format!(
                    "waiting for {} on {} (id {id})",
                    invocation.method_name(),
                    inner.addr
                ),
            }),
            Err(e) => Err(e),
        }
    }

    /// Calls sent on this connection and still waiting for their answer.
    pub(crate) fn pending(&self) -> usize {
        self.inner.lock_calls().pending.len()
    }

    /// Closes the connection: no reconnect; pending calls fail at once.
    pub(crate) fn close(&self) {
        self.inner.shutdown.cancel();
        self.inner.sender.store(None);
        self.inner.fail_pending("the connection was closed");
    }

    /// Whether the connection's task has ended (or is being waited for).
    pub(crate) fn is_finished(&self) -> bool {
        self.task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_none_or(JoinHandle::is_finished)
    }

    /// Closes the connection and waits for its task to end.
    pub(crate) async fn close_and_wait(&self) {
        self.close();
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.close();
    }
}

/// Removes a call's pending entry when the call ends, however it ends.
struct PendingGuard<'a> {
    inner: &'a Inner,
    id: i64,
    armed: bool,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let removed = self.inner.lock_calls().pending.remove(&self.id);
            drop(removed);
        }
    }
}

/// How long the sweeper keeps watching a connection with no calls pending.
const SWEEP_IDLE: Duration = Duration::from_secs(1);

/// The deadline of a call with `timeout`; an absurd timeout means "about never".
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400))
}

fn closed(inner: &Inner) -> RpcError {
    RpcError::Network(format!(
        "connection to {} closed{}",
        inner.addr,
        inner.refusal()
    ))
}

impl Inner {
    /// `": <why>"` when the provider turned the connection away, else nothing.
    fn refusal(&self) -> String {
        match *self.refused.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(why) => format!(": {why}"),
            None => String::new(),
        }
    }

    /// Queues a frame for the writer without waiting; `Closed` when not connected.
    fn try_send(&self, frame: Vec<u8>) -> Result<(), TrySendError<Vec<u8>>> {
        // A borrowed load: no reference count shared by every caller is touched.
        match &*self.sender.load() {
            Some(sender) => sender.try_send(frame),
            None => Err(TrySendError::Closed(frame)),
        }
    }

    /// Waits for room in the writer's queue, then queues `frame`.
    async fn send(&self, frame: Vec<u8>) -> Result<(), ()> {
        let sender = self.sender.load_full().ok_or(())?;
        sender.send(frame).await.map_err(drop)
    }

    fn lock_calls(&self) -> std::sync::MutexGuard<'_, Calls> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a call; wakes the sweeper if this deadline comes before its next sweep.
    fn add_pending(&self, id: i64, tx: oneshot::Sender<Reply>, deadline: Instant) {
        let mut calls = self.lock_calls();
        calls.pending.insert(id, PendingCall { tx, deadline });
        if calls.next_sweep.is_none_or(|next| deadline < next) {
            calls.next_sweep = Some(deadline);
            drop(calls);
            self.sweep_changed.notify_one();
        }
    }

    /// The waiter of the answer `id`, if the call is still pending.
    fn take_pending(&self, id: i64) -> Option<oneshot::Sender<Reply>> {
        self.lock_calls().pending.remove(&id).map(|call| call.tx)
    }

    fn fail_pending(&self, why: &str) {
        let pending: Vec<_> = {
            let mut calls = self.lock_calls();
            calls.next_sweep = None;
            calls.pending.drain().collect()
        };
        for (_, call) in pending {
            let _ = call
                .tx
                .send(Err(RpcError::Network(format!("{why}: {}", self.addr))));
        }
    }

    /// Fails the calls whose deadline has passed and returns when the next sweep is due.
    ///
    /// With nothing pending the sweeper stays on for one more round (calls come in runs,
    /// and a call whose deadline is after the planned sweep need not wake it), then sleeps
    /// until a call arrives.
    fn sweep(&self, now: Instant, idle_round: &mut bool) -> Option<Instant> {
        let mut calls = self.lock_calls();
        let expired_ids: Vec<i64> = calls
            .pending
            .iter()
            .filter(|(_, call)| call.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        let expired: Vec<PendingCall> = expired_ids
            .iter()
            .filter_map(|id| calls.pending.remove(id))
            .collect();
        let earliest = calls.pending.values().map(|call| call.deadline).min();
        let next = match earliest {
            Some(at) => {
                *idle_round = false;
                Some(at)
            }
            None if !*idle_round => {
                *idle_round = true;
                Some(now + SWEEP_IDLE)
            }
            None => {
                *idle_round = false;
                None
            }
        };
        calls.next_sweep = next;
        drop(calls);
        for call in expired {
            // The caller names its method and its timeout in the error it returns.
            let _ = call.tx.send(Err(RpcError::Timeout {
                elapsed_ms: 0,
                message: String::new(),
            }));
        }
        next
    }
}

async fn connect_once(
    addr: &str,
    timeout: Duration,
    tls: Option<&TlsConnector>,
) -> Result<Stream, RpcError> {
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            stream
        }
        Ok(Err(e)) => {
            return Err(RpcError::Network(format!(
                "failed to connect to {addr}: {e}"
            )));
        }
        Err(_) => return Err(RpcError::Network(format!("timed out connecting to {addr}"))),
    };
    let Some(tls) = tls else {
        return Ok(Stream::Plain(tcp));
    };
    let mut stream = tls.connect(tcp, addr, timeout).await?;
    heartbeat_round_trip(&mut stream, addr, timeout).await?;
    Ok(stream)
}

/// Sends a heartbeat on a fresh TLS connection and waits for its answer. With TLS 1.3 the
/// client's handshake ends before the server has judged the client's certificate, so a
/// server that turns the client away says so only afterwards: this round trip makes the
/// connect (and so the refer) fail with the server's reason, not the first call.
async fn heartbeat_round_trip(
    stream: &mut Stream,
    addr: &str,
    timeout: Duration,
) -> Result<(), RpcError> {
    let mut frame = Vec::with_capacity(HEADER_LEN + 1);
    codec::encode_heartbeat(&mut frame, 0);
    let exchange = async {
        stream.write_all(&frame).await?;
        stream.flush().await?;
        let mut head = [0u8; HEADER_LEN];
        stream.read_exact(&mut head).await?;
        let body_len = Header::parse(&head).map_or(0, |h| h.body_len as usize);
        let mut body = vec![0u8; body_len.min(64 * 1024)];
        stream.read_exact(&mut body).await?;
        Ok::<_, std::io::Error>(())
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(RpcError::Network(format!(
            "TLS connection to {addr} failed: {}: {e}",
            crate::tls::handshake::client_side(&e)
        ))),
        Err(_) => Err(RpcError::Network(format!(
            "TLS connection to {addr}: no answer to a heartbeat within {timeout:?}"
        ))),
    }
}

/// A socket in use: its read half, its writer task and the sender feeding that task.
struct Attached {
    rd: ReadHalf,
    writer: JoinHandle<()>,
    tx: mpsc::Sender<Vec<u8>>,
}

/// Starts the writer task of a fresh socket and makes it the one calls are sent on.
fn attach(inner: &Inner, stream: Stream) -> Attached {
    let (rd, wr) = stream.into_split();
    let (tx, rx) = mpsc::channel::<Vec<u8>>(1024);
    let writer = tokio::spawn(write_loop(wr, rx));
    inner.sender.store(Some(Arc::new(tx.clone())));
    Attached { rd, writer, tx }
}

/// Runs the connection until shutdown, reconnecting with capped backoff.
async fn supervise(inner: Arc<Inner>, first: Attached) {
    let _ended = TaskEnded(&inner);
    let mut current = Some(first);
    let mut backoff = Duration::from_millis(50);
    loop {
        if let Some(Attached { rd, writer, tx }) = current.take() {
            read_loop(&inner, rd, &tx).await;
            inner.sender.store(None);
            drop(tx);
            writer.abort();
            let _ = writer.await;
            inner.fail_pending("the connection was lost");
            backoff = Duration::from_millis(50);
        }
        if inner.shutdown.is_cancelled() {
            break;
        }
        tokio::select! {
            () = inner.shutdown.cancelled() => break,
            () = tokio::time::sleep(backoff) => {}
        }
        match connect_once(
            &inner.addr,
            inner.config.connect_timeout,
            inner.tls.as_ref(),
        )
        .await
        {
            Ok(s) if !inner.shutdown.is_cancelled() => {
                tracing::info!(addr = %inner.addr, "reconnected");
                inner.readonly.store(false, Ordering::Release);
                current = Some(attach(&inner, s));
            }
            Ok(_) => break,
            Err(e) => {
                tracing::debug!(addr = %inner.addr, error = %e, "reconnect failed");
                backoff = (backoff * 2).min(inner.config.reconnect_max);
            }
        }
    }
}

/// Closes the connection to new calls and fails the pending ones however its task ends:
/// also when the task is dropped unfinished, as when the runtime it was spawned on shuts
/// down while callers on other runtimes still use the connection (a process-wide protocol
/// shared by several runtimes, as tests make them). Nothing else would then answer them or
/// sweep their deadlines.
struct TaskEnded<'a>(&'a Inner);

impl Drop for TaskEnded<'_> {
    fn drop(&mut self) {
        self.0.sender.store(None);
        self.0.fail_pending("the connection's task ended");
    }
}

async fn read_loop(inner: &Inner, mut rd: ReadHalf, tx: &mpsc::Sender<Vec<u8>>) {
    let mut codec = FrameCodec::new(inner.config.payload);
    let mut buf = ReadBuffer::new();
    let mut last_read = Instant::now();
    let mut ticker = tokio::time::interval(inner.config.heartbeat.min(inner.config.idle_timeout));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    // Sweeps out calls past their deadline; woken early when a call's deadline comes first.
    let first_sweep = inner.lock_calls().next_sweep;
    let sweep = tokio::time::sleep_until(first_sweep.unwrap_or_else(Instant::now));
    tokio::pin!(sweep);
    let mut sweep_armed = first_sweep.is_some();
    let mut idle_round = false;
    let changed = inner.sweep_changed.notified();
    tokio::pin!(changed);
    loop {
        loop {
            match codec.decode(&mut buf.bytes) {
                Ok(Some(frame)) => on_frame(inner, frame, tx),
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(addr = %inner.addr, error = %e, "closing connection");
                    return;
                }
            }
        }
        buf.prepare();
        tokio::select! {
            () = inner.shutdown.cancelled() => return,
            () = &mut sweep, if sweep_armed => {
                let next = inner.sweep(Instant::now(), &mut idle_round);
                sweep_armed = next.is_some();
                if let Some(at) = next {
                    sweep.as_mut().reset(at);
                }
            }
            () = &mut changed => {
                changed.set(inner.sweep_changed.notified());
                if let Some(at) = inner.lock_calls().next_sweep {
                    sweep_armed = true;
                    sweep.as_mut().reset(at);
                }
            }
            r = rd.read_buf(&mut buf.bytes) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    buf.read(n);
                    last_read = Instant::now();
                }
            },
            _ = ticker.tick() => {
                buf.idle_check();
                let quiet = last_read.elapsed();
                if quiet >= inner.config.idle_timeout {
                    tracing::warn!(addr = %inner.addr, ?quiet, "provider idle past the timeout; reconnecting");
                    return;
                }
                if quiet >= inner.config.heartbeat {
                    let mut frame = Vec::with_capacity(17);
                    codec::encode_heartbeat(&mut frame, inner.next_id.fetch_add(1, Ordering::Relaxed));
                    let _ = tx.try_send(frame);
                }
            }
        }
    }
}

fn on_frame(inner: &Inner, frame: Frame, tx: &mpsc::Sender<Vec<u8>>) {
    match frame {
        Frame::Complete { header, body } if !header.is_request() => {
            if header.is_event() {
                return; // heartbeat reply
            }
            if header.status == Status::BAD_REQUEST.0 && plaintext_refused(&body) {
                *inner.refused.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(crate::tls::PLAINTEXT_ON_TLS_PORT);
            }
            if let Some(waiter) = inner.take_pending(header.id) {
                let _ = waiter.send(Ok((header.status, body)));
            }
        }
        Frame::Complete { header, body } => on_server_request(inner, header, &body, tx),
        Frame::Oversized { header } => {
            if !header.is_request() {
                if let Some(waiter) = inner.take_pending(header.id) {
                    let _ = waiter.send(Err(RpcError::Status {
                        status: Status::CLIENT_ERROR,
                        message: format!(
                            "data length too large: {}, max payload: {}",
                            header.body_len, inner.config.payload
                        ),
                    }));
                }
            }
        }
    }
}

fn on_server_request(inner: &Inner, header: Header, body: &[u8], tx: &mpsc::Sender<Vec<u8>>) {
    if !header.is_event() {
        return; // a provider never sends calls to a consumer
    }
    match codec::decode_event(body) {
        Some(event) if event == READONLY_EVENT => {
            tracing::info!(addr = %inner.addr, "provider is read-only (shutting down)");
            inner.readonly.store(true, Ordering::Release);
        }
        _ if header.is_twoway() => {
            let mut frame = Vec::with_capacity(17);
            codec::encode_heartbeat_response(&mut frame, header.id);
            let _ = tx.try_send(frame);
        }
        _ => {}
    }
}

/// Whether an error answer is a TLS port's refusal of this plaintext client.
fn plaintext_refused(body: &[u8]) -> bool {
    let needle = crate::tls::PLAINTEXT_ON_TLS_PORT.as_bytes();
    body.windows(needle.len()).any(|w| w == needle)
}

/// Writes frames as they come, several per syscall (vectored, no copy) when they queue up.
async fn write_loop(mut wr: WriteHalf, mut rx: mpsc::Receiver<Vec<u8>>) {
    const MAX_BATCH: usize = 64;
    let mut frames: Vec<Vec<u8>> = Vec::with_capacity(MAX_BATCH);
    // Frames in the previous write: more than one means callers are sending concurrently.
    let mut last_batch = 1;
    while let Some(first) = rx.recv().await {
        frames.push(first);
        if rx.is_empty() && last_batch > 1 {
            // Under concurrent load, let the tasks that are about to send run first: one
            // write then carries their frames too. A syscall per frame is what costs most
            // (this halves the system time per call in echo-bench at concurrency 64); a lone
            // caller is not made to wait for company.
            tokio::task::yield_now().await;
        }
        while frames.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(more) => frames.push(more),
                Err(_) => break,
            }
        }
        // The flush matters for TLS only (rustls may keep encrypted records it could not
        // write yet until flushed); on plain TCP it returns at once.
        if write_all_vectored(&mut wr, &frames).await.is_err() || wr.flush().await.is_err() {
            break;
        }
        last_batch = frames.len();
        frames.clear();
    }
}

/// Writes every byte of `frames`, as few syscalls as the socket allows.
async fn write_all_vectored(wr: &mut WriteHalf, frames: &[Vec<u8>]) -> std::io::Result<()> {
    let (mut index, mut offset) = (0, 0);
    while index < frames.len() {
        let mut slices = [std::io::IoSlice::new(&[]); 64];
        let mut count = 0;
        for (i, frame) in frames[index..].iter().take(slices.len()).enumerate() {
            let start = if i == 0 { offset } else { 0 };
            slices[i] = std::io::IoSlice::new(frame.get(start..).unwrap_or_default());
            count += 1;
        }
        let mut written = wr.write_vectored(&slices[..count]).await?;
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        while written > 0 && index < frames.len() {
            let left = frames[index].len() - offset;
            if written >= left {
                written -= left;
                index += 1;
                offset = 0;
            } else {
                offset += written;
                written = 0;
            }
        }
    }
    Ok(())
}
