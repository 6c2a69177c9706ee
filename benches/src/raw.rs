//! The raw-frame side of echo-bench: a dubbo2 client and server with no RPC layer.
//!
//! They move 16-byte-header frames with oxidubbo's transport shape (one connection, a
//! writer task batching queued frames, a reader task waking callers by request id; a
//! server task per connection answering every complete frame of a read into one buffer)
//! and never decode a body. They are the ceiling oxidubbo is measured against, and the
//! independent peer of the split modes: a raw client loads an oxidubbo provider, an
//! oxidubbo consumer calls a raw server that answers a canned response.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxidubbo_protocol::dubbo::header::{HEADER_LEN, Header};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

use crate::{Report, allocs, micros, process_cpu};

/// What a raw server answers each request frame with.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The request's own body, in a response header (status OK): not a valid dubbo
    /// response body, the cheapest answer of the same size.
    Echo,
    /// This whole response frame (header and body), with the request's id patched in.
    Canned(Arc<[u8]>),
}

/// Serves every connection `listener` accepts with `reply`, until the listener fails.
pub async fn serve(listener: TcpListener, reply: Reply) -> std::io::Result<()> {
    serve_with_work(listener, reply, Duration::ZERO).await
}

/// [`serve`], spending `work` of CPU time (a busy wait) on each frame before answering it:
/// a stand-in for what an RPC server does per call, to see how the ceiling moves with it.
pub async fn serve_with_work(
    listener: TcpListener,
    reply: Reply,
    work: Duration,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(serve_connection(stream, reply.clone(), work));
    }
}

/// Answers every frame of one connection with `reply`, built as oxidubbo's server is: reads
/// what has arrived, answers every complete frame into one buffer and writes it (at most
/// 32 KiB at a time) before reading again. Ends when the peer closes or sends garbage.
pub async fn serve_connection(
    stream: TcpStream,
    reply: Reply,
    work: Duration,
) -> std::io::Result<()> {
    const FLUSH_AT: usize = 32 * 1024;
    stream.set_nodelay(true)?;
    let (mut rd, mut wr) = stream.into_split();
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut out = Vec::with_capacity(64 * 1024);
    loop {
        buf.reserve(16 * 1024);
        if rd.read_buf(&mut buf).await? == 0 {
            return Ok(());
        }
        let mut pos = 0;
        while let Some(head) = buf.get(pos..pos + HEADER_LEN) {
            let Some(h) = head.try_into().ok().and_then(Header::parse) else {
                return Ok(());
            };
            let end = pos + HEADER_LEN + h.body_len as usize;
            let Some(body) = buf.get(pos + HEADER_LEN..end) else {
                break;
            };
            match &reply {
                Reply::Echo => {
                    let header = Header {
                        flag: 0x02,
                        status: 20,
                        id: h.id,
                        body_len: h.body_len,
                    };
                    out.extend_from_slice(&header.to_bytes());
                    out.extend_from_slice(body);
                }
                Reply::Canned(frame) => {
                    let at = out.len();
                    out.extend_from_slice(frame);
                    set_id(&mut out[at..], h.id);
                }
            }
            pos = end;
            if !work.is_zero() {
                let started = Instant::now();
                while started.elapsed() < work {
                    std::hint::spin_loop();
                }
            }
            if out.len() >= FLUSH_AT {
                wr.write_all(&out).await?;
                out.clear();
            }
        }
        buf.drain(..pos);
        if !out.is_empty() {
            wr.write_all(&out).await?;
            out.clear();
        }
    }
}

/// Writes `id` into the header of the frame `frame` starts with.
pub fn set_id(frame: &mut [u8], id: i64) {
    frame[4..12].copy_from_slice(&id.to_be_bytes());
}

/// A request frame of `body_len` bytes of `x` (what the raw server's [`Reply::Echo`]
/// needs; an oxidubbo provider would refuse it).
pub fn filler_request(body_len: usize) -> Arc<[u8]> {
    let mut frame = Vec::with_capacity(HEADER_LEN + body_len);
    frame.extend_from_slice(
        &Header {
            flag: 0xc2,
            status: 0,
            id: 0,
            body_len: u32::try_from(body_len).unwrap_or(u32::MAX),
        }
        .to_bytes(),
    );
    frame.resize(HEADER_LEN + body_len, b'x');
    frame.into()
}

/// Writes frames as they come, several per syscall when they queue up; under concurrent
/// load it lets the callers about to send run first, as oxidubbo's writer does.
async fn write_frames(mut wr: tokio::net::tcp::OwnedWriteHalf, mut rx: mpsc::Receiver<Vec<u8>>) {
    let mut batch = Vec::with_capacity(64 * 1024);
    let mut last_batch = 1;
    while let Some(first) = rx.recv().await {
        batch.clear();
        batch.extend_from_slice(&first);
        if rx.is_empty() && last_batch > 1 {
            tokio::task::yield_now().await;
        }
        last_batch = 1;
        while let Ok(more) = rx.try_recv() {
            batch.extend_from_slice(&more);
            last_batch += 1;
        }
        if wr.write_all(&batch).await.is_err() {
            break;
        }
    }
}

type Waiters = Arc<std::sync::Mutex<Vec<Option<oneshot::Sender<()>>>>>;

/// Loads `addr` for `seconds` from `concurrency` callers over one connection, each sending
/// `request` (a whole frame; its id is set per call) and waiting for the answer with the
/// same id, whose body is not read. The report's CPU time is this process's.
pub async fn client(
    addr: std::net::SocketAddr,
    concurrency: usize,
    seconds: u64,
    request: Arc<[u8]>,
) -> std::io::Result<Report> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (rd, wr) = stream.into_split();
    let (tx, rx) = mpsc::channel::<Vec<u8>>(1024);
    let writer = tokio::spawn(write_frames(wr, rx));
    let waiters: Waiters = Arc::new(std::sync::Mutex::new(
        (0..concurrency).map(|_| None).collect(),
    ));
    let reader = {
        let waiters = Arc::clone(&waiters);
        tokio::spawn(async move {
            let mut rd = BufReader::with_capacity(64 * 1024, rd);
            let mut head = [0u8; HEADER_LEN];
            let mut body = Vec::new();
            while rd.read_exact(&mut head).await.is_ok() {
                let Some(h) = Header::parse(&head) else { break };
                body.resize(h.body_len as usize, 0);
                if rd.read_exact(&mut body).await.is_err() {
                    break;
                }
                let slot = (h.id as usize) % waiters.lock().map(|w| w.len()).unwrap_or(1);
                let waiter = waiters.lock().ok().and_then(|mut w| w[slot].take());
                if let Some(w) = waiter {
                    let _ = w.send(());
                }
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let cpu_before = process_cpu();
    let allocs_before = allocs::count();
    let mut tasks = Vec::new();
    for slot in 0..concurrency {
        let (tx, waiters, request) = (tx.clone(), Arc::clone(&waiters), Arc::clone(&request));
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(1 << 16);
            let mut id = slot as i64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let (done, wait) = oneshot::channel();
                if let Ok(mut w) = waiters.lock() {
                    w[slot] = Some(done);
                }
                let mut frame = request.to_vec();
                set_id(&mut frame, id);
                if tx.send(frame).await.is_err() || wait.await.is_err() {
                    break;
                }
                lat.push(micros(t.elapsed()));
                id += concurrency as i64;
            }
            lat
        }));
    }
    drop(tx);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.map_err(std::io::Error::other)?);
    }
    let elapsed = started.elapsed();
    let cpu = process_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let allocs = allocs::counting().then(|| allocs::count() - allocs_before);
    let _ = writer.await;
    reader.abort();
    Ok(Report::new(elapsed, all).with_cpu(cpu).with_allocs(allocs))
}
