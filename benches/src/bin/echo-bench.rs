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

use oxidubbo_benches::child::{self, Child, Stats};
use oxidubbo_benches::raw::{self, Reply};
use oxidubbo_benches::{Report, allocs, arg, micros};
use oxidubbo_filter::{ChainBuilder, FilterRegistry, Side};
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invocation, Invoker, RpcResult, ServiceInvoker, Url, service_fn};
use oxidubbo_metrics::RpcMetrics;
use oxidubbo_protocol::dubbo::codec::{Target, encode_request, encode_response};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use tokio::net::TcpListener;

#[global_allocator]
static ALLOC: allocs::Counting = allocs::Counting;

/// The benchmark's service.
const SERVICE: &str = "org.apache.dubbo.bench.EchoService";

/// The provider URL of the echo service on `port`.
fn service_url(port: u16) -> String {
    format!("dubbo://127.0.0.1:{port}/{SERVICE}?version=1.0.0&timeout=10000&methods=echo")
}

/// The provider's service: `echo(byte[])` answers its argument.
fn echo_service(url: Arc<Url>) -> Arc<dyn Invoker> {
    let echo = service_fn(|mut inv: Invocation| async move {
        let mut args = inv.take_arguments();
        Ok(RpcResult::new(args.pop().unwrap_or_default()))
    });
    Arc::new(ServiceInvoker::new(url, echo))
}

/// `--string`: the echoed argument is a `String` of `payload` characters instead of a
/// `byte[]` (set once, at start).
static STRING_PAYLOAD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--raw-work-ns N` (with `--split`): the raw server busy-waits N ns on each frame before
/// answering it, a stand-in for an RPC server's work per call (set once, at start).
static RAW_WORK_NS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The parameter descriptor and argument of one `echo` call of `payload` bytes.
fn echo_arg(payload: usize) -> (&'static str, Value) {
    if STRING_PAYLOAD.load(std::sync::atomic::Ordering::Relaxed) {
        ("Ljava/lang/String;", Value::from("x".repeat(payload)))
    } else {
        ("[B", Value::Binary(vec![b'x'; payload]))
    }
}

/// The request frame of one `echo` call of `payload` bytes, as an oxidubbo consumer
/// sends it (id 0).
fn echo_request(payload: usize) -> Result<Arc<[u8]>, Box<dyn std::error::Error>> {
    let mut frame = Vec::new();
    let target = Target::new(SERVICE, "1.0.0", None, None);
    let (descriptor, arg) = echo_arg(payload);
    let call = Invocation::new("echo", descriptor, vec![arg]);
    encode_request(&mut frame, 0, true, &target, "10000", &call, 0)?;
    Ok(frame.into())
}

/// The response frame a provider answers [`echo_request`] with (id 0).
fn echo_response(payload: usize) -> Result<Arc<[u8]>, Box<dyn std::error::Error>> {
    let mut frame = Vec::new();
    let result = Ok(RpcResult::new(echo_arg(payload).1));
    encode_response(&mut frame, 0, true, &result, 0)?;
    Ok(frame.into())
}

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
    let base = service_url(free_port()?);
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
    let mut service = echo_service(Arc::clone(&url));
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
    let report = consumer_load(&invoker, concurrency, payload, seconds).await;
    protocol.destroy().await;
    report
}

/// Calls `echo` through `invoker` from `concurrency` tasks for `seconds` (after 1,000
/// warm-up calls); the report's CPU time is this process's.
async fn consumer_load(
    invoker: &Arc<dyn Invoker>,
    concurrency: usize,
    payload: usize,
    seconds: u64,
) -> Result<Report, Box<dyn std::error::Error>> {
    let (descriptor, body) = echo_arg(payload);
    for _ in 0..1000 {
        invoker
            .invoke(Invocation::new("echo", descriptor, vec![body.clone()]))
            .await?;
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let cpu_before = oxidubbo_benches::process_cpu();
    let allocs_before = allocs::count();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let invoker = Arc::clone(invoker);
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(1 << 16);
            while Instant::now() < deadline {
                let t = Instant::now();
                let inv = Invocation::new("echo", descriptor, vec![body.clone()]);
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
    Ok(Report::new(elapsed, all)
        .with_cpu(cpu)
        .with_allocs(allocs::counting().then(|| allocs::count() - allocs_before)))
}

/// The in-process ceiling: the raw client against a raw server answering each frame with
/// its own body.
async fn bench_raw(
    concurrency: usize,
    payload: usize,
    seconds: u64,
) -> Result<Report, Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(raw::serve(listener, Reply::Echo));
    let report = raw::client(
        addr,
        concurrency,
        seconds,
        raw::filler_request(payload + 100),
    )
    .await;
    server.abort();
    Ok(report?)
}

/// `--child <provider|raw|canned>`: serves in this process until stdin closes (see
/// [`child`]): an oxidubbo provider of the echo service, a raw server answering each frame
/// with its body, or one answering each with [`echo_response`].
fn run_child(
    kind: &str,
    payload: usize,
    count_allocs: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let protocol = DubboProtocol::new();
    let (port, _exporter) = match kind {
        "provider" => {
            let port = free_port()?;
            let url = Arc::new(Url::parse(&service_url(port))?);
            (port, Some(rt.block_on(protocol.export(echo_service(url)))?))
        }
        "raw" | "canned" => {
            let listener = rt.block_on(TcpListener::bind("127.0.0.1:0"))?;
            let port = listener.local_addr()?.port();
            let reply = match kind {
                "raw" => Reply::Echo,
                _ => Reply::Canned(echo_response(payload)?),
            };
            let work = RAW_WORK_NS.load(std::sync::atomic::Ordering::Relaxed);
            rt.spawn(raw::serve_with_work(
                listener,
                reply,
                Duration::from_nanos(work),
            ));
            (port, None)
        }
        other => return Err(format!("unknown --child {other}").into()),
    };
    if count_allocs {
        allocs::start();
    }
    child::serve_stats(port)?;
    Ok(())
}

/// One measured run against a server of `kind` in a child process: `load` gets its port.
/// Returns the load's report and the child's CPU time and allocations over it.
fn against_child<F>(
    kind: &str,
    payload: usize,
    count_allocs: bool,
    load: impl FnOnce(u16) -> F,
) -> Result<(Report, Stats), Box<dyn std::error::Error>>
where
    F: std::future::Future<Output = Result<Report, Box<dyn std::error::Error>>>,
{
    let mut args = vec![
        "--child".to_owned(),
        kind.to_owned(),
        "--payload".to_owned(),
        payload.to_string(),
    ];
    if count_allocs {
        args.push("--allocs".to_owned());
    }
    if STRING_PAYLOAD.load(std::sync::atomic::Ordering::Relaxed) {
        args.push("--string".to_owned());
    }
    let work = RAW_WORK_NS.load(std::sync::atomic::Ordering::Relaxed);
    if work > 0 {
        args.extend(["--raw-work-ns".to_owned(), work.to_string()]);
    }
    let mut server = Child::spawn(&args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let before = server.stats()?;
    let report = rt.block_on(load(server.port))?;
    let after = server.stats()?;
    Ok((
        report,
        Stats {
            cpu: after.cpu.saturating_sub(before.cpu),
            allocs: after.allocs - before.allocs,
        },
    ))
}

/// `--split`: the server alone. A raw client (no oxidubbo code) loads an oxidubbo provider
/// in a process of its own, then a raw server in one; each round prints QPS and the
/// server's calls per CPU-second of its process (and allocations per call with `--allocs`).
///
/// `--consumer`: the client alone. An oxidubbo consumer, then the raw client, call a raw
/// server in a process of its own that answers a canned echo response; each round prints
/// the client's calls per CPU-second of this process.
fn run_split(
    consumer: bool,
    concurrency: usize,
    payload: usize,
    seconds: u64,
    rounds: usize,
    count_allocs: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let request = echo_request(payload)?;
    let addr = |port: u16| std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let raw_load = |port: u16| {
        let request = Arc::clone(&request);
        async move { Ok(raw::client(addr(port), concurrency, seconds, request).await?) }
    };
    let ox_load = |port: u16| async move {
        let protocol = DubboProtocol::new();
        let invoker = protocol
            .refer(Arc::new(Url::parse(&service_url(port))?))
            .await?;
        let report = consumer_load(&invoker, concurrency, payload, seconds).await;
        protocol.destroy().await;
        report
    };
    let (names, side) = if consumer {
        (["oxidubbo-consumer", "raw-client"], "client")
    } else {
        (["oxidubbo-provider", "raw-server"], "server")
    };
    println!(
        "echo-bench --{}: concurrency={concurrency} payload={payload}B seconds={seconds} rounds={rounds}",
        if consumer { "consumer" } else { "split" }
    );
    let mut per_cpu: [Vec<f64>; 2] = Default::default();
    let mut qps: [Vec<f64>; 2] = Default::default();
    let mut allocs_per_call: [Vec<f64>; 2] = Default::default();
    let (mut qps_ratios, mut cpu_ratios) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        for (i, name) in names.iter().enumerate() {
            let (report, server) = match (consumer, i) {
                (true, 0) => against_child("canned", payload, false, ox_load)?,
                (true, _) => against_child("canned", payload, false, raw_load)?,
                (false, 0) => against_child("provider", payload, count_allocs, raw_load)?,
                (false, _) => against_child("raw", payload, count_allocs, raw_load)?,
            };
            let calls = report.calls.max(1) as f64;
            let (cpu, allocs) = if consumer {
                (report.cpu.unwrap_or_default(), report.allocs)
            } else {
                (server.cpu, count_allocs.then_some(server.allocs))
            };
            let cps = calls / cpu.as_secs_f64().max(1e-9);
            let allocs_text = allocs
                .map(|a| format!(" {side}_allocs_per_call={:.2}", a as f64 / calls))
                .unwrap_or_default();
            println!(
                "  round {round} {}{side}_calls_per_cpu_s={cps:.0}{allocs_text}",
                report
                    .line(name)
                    .replace("calls_per_cpu_s", "process_calls_per_cpu_s")
                    + " "
            );
            per_cpu[i].push(cps);
            qps[i].push(report.qps());
            if let Some(a) = allocs {
                allocs_per_call[i].push(a as f64 / calls);
            }
        }
        let last = |v: &[f64]| v.last().copied().unwrap_or(0.0);
        qps_ratios.push(last(&qps[0]) / last(&qps[1]).max(1e-9));
        cpu_ratios.push(last(&per_cpu[0]) / last(&per_cpu[1]).max(1e-9));
    }
    for (i, name) in names.iter().enumerate() {
        let allocs = if allocs_per_call[i].is_empty() {
            String::new()
        } else {
            format!(
                " {side}_allocs_per_call={:.2}",
                median(allocs_per_call[i].clone())
            )
        };
        println!(
            "{name}: qps={:.0} {side}_calls_per_cpu_s={:.0}{allocs} (medians of {rounds} rounds)",
            median(qps[i].clone()),
            median(per_cpu[i].clone())
        );
    }
    println!("ratio={:.3}", median(qps_ratios));
    println!("{side}_cpu_ratio={:.3}", median(cpu_ratios));
    Ok(())
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
    let count_allocs = args.iter().any(|a| a == "--allocs");
    if args.iter().any(|a| a == "--string") {
        STRING_PAYLOAD.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    RAW_WORK_NS.store(
        arg(&args, "--raw-work-ns", 0),
        std::sync::atomic::Ordering::Relaxed,
    );
    if let Some(kind) = args
        .iter()
        .position(|a| a == "--child")
        .and_then(|i| args.get(i + 1))
    {
        return run_child(kind, payload, count_allocs);
    }
    let (split, consumer) = (
        args.iter().any(|a| a == "--split"),
        args.iter().any(|a| a == "--consumer"),
    );
    if split || consumer {
        if count_allocs {
            allocs::start();
        }
        return run_split(
            consumer,
            concurrency,
            payload,
            seconds,
            rounds,
            count_allocs,
        );
    }
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
