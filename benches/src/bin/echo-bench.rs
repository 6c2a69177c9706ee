//! oxidubbo echo throughput against a raw-frame ceiling, on loopback, in one run.
//!
//! ```sh
//! cargo run --release -p oxidubbo-benches --bin echo-bench -- --concurrency 64 --payload 1024 --seconds 5
//! ```
//!
//! 1. **oxidubbo**: a `DubboProtocol` provider exporting `echo(byte[])` and a consumer
//!    invoker referring it (one shared connection); `concurrency` tasks call in a loop.
//! 2. **raw**: the same traffic shape with no RPC layer: a tokio client and server exchanging
//!    16-byte-header frames of the same sizes over one connection, with oxidubbo's transport.
//!    `concurrency` client tasks each send a frame and wait for its answer (a writer task
//!    that lets concurrent callers batch into one write, a reader task waking the caller by
//!    request id); the server's connection task answers every frame of a read into one
//!    buffer and writes it itself. No serialization, no dispatch, no invoker: the ceiling
//!    for this concurrency model on this machine. `ratio` is measured against it.
//!
//! Prints QPS and p50/p99 latency for each, and last `ratio=<oxidubbo_qps/raw_qps>`.
//!
//! `--metrics` measures what `[metrics] enabled = true` costs: both sides of oxidubbo get
//! the default filter chains the bootstrap builds, and each round runs them twice, without
//! and with the `metrics` filter (recording into a live `RpcMetrics`, as the bootstrap's);
//! it prints `metrics_ratio=<with/without>` as well, and `metrics_cpu_ratio`, the same
//! ratio of calls per CPU-second of the process (steady when other processes load the
//! machine; each round line shows `calls_per_cpu_s`).
//!
//! With `--tls`, the pair is oxidubbo in plaintext and oxidubbo over mutual TLS (rustls,
//! certificates made at start; the handshake is done before the measured part), and
//! `ratio` is TLS QPS / plaintext QPS: the cost of TLS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxidubbo_benches::{Report, arg, micros};
use oxidubbo_filter::{ChainBuilder, FilterRegistry, Side};
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invocation, Invoker, RpcResult, ServiceInvoker, Url, service_fn};
use oxidubbo_metrics::RpcMetrics;
use oxidubbo_protocol::dubbo::header::{HEADER_LEN, Header};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The URL parameters of the provider and of the consumer, for TLS.
type TlsParams = (String, String);

/// The filters of both sides' chains: the built-in defaults, as the bootstrap's, with the
/// `metrics` filter added as `[metrics] enabled = true` adds it when `metrics` is given.
fn chain_filters(
    metrics: Option<&Arc<RpcMetrics>>,
) -> Result<Arc<FilterRegistry>, Box<dyn std::error::Error>> {
    let mut filters = FilterRegistry::with_builtins();
    if let Some(metrics) = metrics {
        filters.register_default_filter(
            oxidubbo_metrics::filter::NAME,
            oxidubbo_metrics::filter::factory(Arc::clone(metrics)),
        )?;
    }
    Ok(Arc::new(filters))
}

/// Runs the oxidubbo echo; with `filters`, both sides are wrapped in chains of them; with
/// `tls`, over mutual TLS.
async fn bench_oxidubbo(
    concurrency: usize,
    payload: usize,
    seconds: u64,
    filters: Option<Arc<FilterRegistry>>,
    tls: Option<&TlsParams>,
) -> Result<Report, Box<dyn std::error::Error>> {
    let port = free_port()?;
    let base = format!(
        "dubbo://127.0.0.1:{port}/org.apache.dubbo.bench.EchoService?version=1.0.0&timeout=10000&methods=echo"
    );
    let (url, consumer_url) = match tls {
        Some((server, client)) => (
            Arc::new(Url::parse(&format!("{base}&{server}"))?),
            Arc::new(Url::parse(&format!("{base}&{client}"))?),
        ),
        None => {
            let url = Arc::new(Url::parse(&base)?);
            (Arc::clone(&url), url)
        }
    };
    let protocol = DubboProtocol::new();
    let echo = service_fn(|mut inv: Invocation| async move {
        let mut args = inv.take_arguments();
        Ok(RpcResult::new(args.pop().unwrap_or_default()))
    });
    let mut service: Arc<dyn Invoker> = Arc::new(ServiceInvoker::new(url.clone(), echo));
    if let Some(filters) = &filters {
        service = ChainBuilder::new(Side::Provider)
            .registry(Arc::clone(filters))
            .build(&url, service)?;
    }
    let _exporter = protocol.export(service).await?;
    let mut invoker = protocol.refer(consumer_url.clone()).await?;
    if let Some(filters) = &filters {
        invoker = ChainBuilder::new(Side::Consumer)
            .registry(Arc::clone(filters))
            .build(&consumer_url, invoker)?;
    }
    let body = Value::Binary(vec![b'x'; payload]);
    // Warm up.
    for _ in 0..1000 {
        invoker
            .invoke(Invocation::new("echo", "[B", vec![body.clone()]))
            .await?;
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let cpu_before = oxidubbo_benches::process_cpu();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let invoker = Arc::clone(&invoker);
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(1 << 16);
            while Instant::now() < deadline {
                let t = Instant::now();
                let inv = Invocation::new("echo", "[B", vec![body.clone()]);
                match invoker.invoke(inv).await {
                    Ok(_) => lat.push(micros(t.elapsed())),
                    Err(e) => return Err(e),
                }
            }
            Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let elapsed = started.elapsed();
    let cpu = oxidubbo_benches::process_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    protocol.destroy().await;
    Ok(Report::new(elapsed, all).with_cpu(cpu))
}

/// The raw server of the task-based ceiling, built as oxidubbo's server is: one task per
/// connection reads what has arrived, answers every complete frame into one buffer and
/// writes it (at most 32 KiB at a time) before reading again.
async fn raw_task_server(listener: TcpListener) -> std::io::Result<()> {
    const FLUSH_AT: usize = 32 * 1024;
    let (stream, _) = listener.accept().await?;
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
            let reply = Header {
                flag: 0x02,
                status: 20,
                id: h.id,
                body_len: h.body_len,
            };
            out.extend_from_slice(&reply.to_bytes());
            out.extend_from_slice(body);
            pos = end;
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

async fn bench_raw(
    concurrency: usize,
    payload: usize,
    seconds: u64,
) -> Result<Report, Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(raw_task_server(listener));
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
    let body_len = payload + 100;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let cpu_before = oxidubbo_benches::process_cpu();
    let mut tasks = Vec::new();
    for slot in 0..concurrency {
        let (tx, waiters) = (tx.clone(), Arc::clone(&waiters));
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(1 << 16);
            let mut id = slot as i64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let (done, wait) = oneshot::channel();
                if let Ok(mut w) = waiters.lock() {
                    w[slot] = Some(done);
                }
                let mut frame = Vec::with_capacity(HEADER_LEN + body_len);
                frame.extend_from_slice(
                    &Header {
                        flag: 0xc2,
                        status: 0,
                        id,
                        body_len: body_len as u32,
                    }
                    .to_bytes(),
                );
                frame.resize(HEADER_LEN + body_len, b'x');
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
        all.extend(t.await?);
    }
    let elapsed = started.elapsed();
    let cpu = oxidubbo_benches::process_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let _ = writer.await;
    reader.abort();
    let _ = server.await;
    Ok(Report::new(elapsed, all).with_cpu(cpu))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let concurrency: usize = arg(&args, "--concurrency", 64).max(1);
    let payload: usize = arg(&args, "--payload", 1024);
    let seconds: u64 = arg(&args, "--seconds", 5).max(1);
    // Thread placement on a small machine makes single runs vary by tens of percent:
    // alternate oxidubbo and raw for several rounds and report medians.
    let rounds: usize = arg(&args, "--rounds", 5).max(1);
    // `--tls`: plaintext against mutual TLS instead of oxidubbo against raw.
    let pki = args
        .iter()
        .any(|a| a == "--tls")
        .then(oxidubbo_integration_tests::tls_certs::TestPki::new);
    let tls: Option<TlsParams> = pki
        .as_ref()
        .map(|pki| (pki.server_params(true), pki.client_params(true)));
    let (first, second) = if tls.is_some() {
        ("plain", "tls")
    } else {
        ("oxidubbo", "raw")
    };
    // `--only oxidubbo|raw` (`plain|tls` with `--tls`) runs one part alone (for profiling).
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let runs = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let metrics = args.iter().any(|a| a == "--metrics");
    // `--single-thread` runs everything on one thread (no cross-thread wake-ups): what is
    // left is the CPU cost per call.
    let rt = if args.iter().any(|a| a == "--single-thread") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
    };
    println!(
        "echo-bench: concurrency={concurrency} payload={payload}B seconds={seconds} rounds={rounds} tls={} cores={}",
        tls.is_some(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let (mut ox, mut raw, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ox_metrics, mut metrics_ratios, mut metrics_cpu_ratios) =
        (Vec::new(), Vec::new(), Vec::new());
    // One registry for every round, as one process's: series are made once.
    let rpc_metrics = Arc::new(RpcMetrics::new("echo-bench", "127.0.0.1"));
    for round in 1..=rounds {
        let mut pair = (None, None);
        if runs(first) {
            let filters = metrics.then(|| chain_filters(None)).transpose()?;
            let r = rt.block_on(bench_oxidubbo(concurrency, payload, seconds, filters, None))?;
            println!("  round {round} {}", r.line(first));
            pair.0 = Some(r.qps());
            ox.push(r);
        }
        if metrics && runs("oxidubbo+metrics") {
            let filters = Some(chain_filters(Some(&rpc_metrics))?);
            let r = rt.block_on(bench_oxidubbo(concurrency, payload, seconds, filters, None))?;
            println!("  round {round} {}", r.line("oxidubbo+metrics"));
            if let Some(plain) = ox.last().filter(|_| pair.0.is_some()) {
                metrics_ratios.push(r.qps() / plain.qps().max(1e-9));
                if let Some((with, without)) = r.calls_per_cpu_s().zip(plain.calls_per_cpu_s()) {
                    metrics_cpu_ratios.push(with / without.max(1e-9));
                }
            }
            ox_metrics.push(r);
        }
        if runs(second) {
            let r = match &tls {
                Some(tls) => rt.block_on(bench_oxidubbo(
                    concurrency,
                    payload,
                    seconds,
                    None,
                    Some(tls),
                ))?,
                None => rt.block_on(bench_raw(concurrency, payload, seconds))?,
            };
            println!("  round {round} {}", r.line(second));
            pair.1 = Some(r.qps());
            raw.push(r);
        }
        if let (Some(a), Some(b)) = pair {
            ratios.push(a / b.max(1e-9));
        }
    }
    let summary = |name: &str, reports: &[Report]| {
        if reports.is_empty() {
            return;
        }
        let q = |f: &dyn Fn(&Report) -> f64| median(reports.iter().map(f).collect());
        println!(
            "{name}: qps={:.0} p50={:.0}us p99={:.0}us (medians of {} rounds)",
            q(&|r| r.qps()),
            q(&|r| f64::from(r.quantile_us(0.5))),
            q(&|r| f64::from(r.quantile_us(0.99))),
            reports.len()
        );
    };
    summary(first, &ox);
    summary("oxidubbo+metrics", &ox_metrics);
    summary(second, &raw);
    if !ratios.is_empty() {
        // With --tls: TLS over plaintext (the first of each pair over the second inverted).
        let ratios = if tls.is_some() {
            ratios.iter().map(|r| 1.0 / r.max(1e-9)).collect()
        } else {
            ratios
        };
        println!("ratio={:.3}", median(ratios));
    }
    if !metrics_ratios.is_empty() {
        println!("metrics_ratio={:.3}", median(metrics_ratios));
    }
    if !metrics_cpu_ratios.is_empty() {
        // Calls per CPU-second with metrics over without: the QPS ratio a saturated,
        // otherwise idle machine would show, and steady when other processes run.
        println!("metrics_cpu_ratio={:.4}", median(metrics_cpu_ratios));
    }
    if !ox_metrics.is_empty() {
        // What the metrics saw, against the calls made (each run also makes 1000 warm-up
        // calls): the filter recorded every call.
        let made: usize = ox_metrics.iter().map(|r| r.calls + 1000).sum();
        let text = oxidubbo_metrics::encode(&rpc_metrics.registry());
        for line in text.lines().filter(|l| l.contains("_requests_total{")) {
            println!("  {line}");
        }
        println!("  calls made with metrics: {made}");
    }
    Ok(())
}
