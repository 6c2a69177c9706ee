//! oxidubbo's Triple server against tonic's, unary echo over h2c on loopback, in one run.
//!
//! ```sh
//! cargo run --release -p oxidubbo-benches --bin triple-bench -- --concurrency 64 --payload 1024 --seconds 5
//! ```
//!
//! Each server runs in a process of its own (this binary started again with `--serve`),
//! so that its CPU time can be read alone from `/proc/<pid>/task/*/schedstat`:
//!
//! 1. **oxidubbo**: a `TripleProtocol` provider exporting the IDL service
//!    `bench.EchoService` (`serialization=protobuf`), whose `Echo` method answers the
//!    request message unchanged;
//! 2. **tonic** (0.13, the Rust gRPC reference): the same service, hand-written on
//!    `tonic::server::Grpc` with a bytes codec, so neither side spends time on protobuf.
//!
//! One load generator drives both the same way: `concurrency` tasks on one HTTP/2
//! connection (hyper's client), each sending `POST /bench.EchoService/Echo` with one gRPC
//! message of `payload` bytes (a protobuf `bytes` field) and checking the echoed message
//! and `grpc-status: 0`. Rounds alternate between the two servers; the figures are medians.
//!
//! Prints QPS, p50/p99 latency, server CPU seconds, requests per server CPU-second and the
//! server's read/write system calls per call for each, and last
//! `ratio=<oxidubbo requests per server CPU-second / tonic's>` (the median of the rounds'
//! ratios). A failed call (an error, a status other than 0, an echo that differs) is
//! counted and shown, and makes the run fail.
//!
//! With `--tls`, the pair is oxidubbo's Triple server in plaintext (h2c) and over TLS
//! (rustls, ALPN `h2`, certificates made at start; the load generator's handshake is done
//! before the measured part), and `ratio` is TLS QPS / plaintext QPS (`cpu_ratio`: the same
//! for requests per server CPU-second): the cost of TLS.
//!
//! Options: `--concurrency N` (64), `--payload BYTES` (1024), `--seconds S` (5), `--rounds
//! R` (3), `--only oxidubbo|tonic`, and `--server-wrapper '<command line>'` to run the
//! servers under a profiler (`valgrind --tool=callgrind`, `heaptrack`; the CPU figures are
//! then the wrapper's).

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use oxidubbo_benches::{Report, arg, micros};
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invocation, RpcError, RpcResult, Service, ServiceInvoker, Url};
use oxidubbo_protocol::Protocol;
use oxidubbo_protocol::triple::TripleProtocol;
use oxidubbo_protocol::triple::call::IdlCall;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const PATH: &str = "/bench.EchoService/Echo";

// ---------------------------------------------------------------------------------------
// The servers (run in a child process: `triple-bench --serve oxidubbo|tonic --port N`).

/// `bench.EchoService/Echo` for oxidubbo: the request message, unchanged.
struct OxidubboEcho;

#[async_trait::async_trait]
impl Service for OxidubboEcho {
    async fn call(&self, mut invocation: Invocation) -> Result<RpcResult, RpcError> {
        if let Some(Value::Binary(message)) = invocation.take_arguments().pop() {
            return Ok(RpcResult::new(Value::Binary(message)));
        }
        let call = invocation
            .attributes()
            .get::<IdlCall>()
            .ok_or_else(|| RpcError::Codec("not an IDL call".into()))?;
        let mut requests = call
            .take_requests()
            .ok_or_else(|| RpcError::Codec("no request message".into()))?;
        let first = std::future::poll_fn(|cx| requests.as_mut().poll_next(cx)).await;
        match first {
            Some(Ok(message)) => Ok(RpcResult::new(Value::Binary(Vec::from(message)))),
            Some(Err(e)) => Err(e),
            None => Err(RpcError::Codec("no request message".into())),
        }
    }
}

/// Serves oxidubbo's echo; with `tls_dir` (a folder of test certificates), over TLS.
async fn serve_oxidubbo(port: u16, tls_dir: Option<&str>) -> Result<(), BoxError> {
    let tls = match tls_dir {
        Some(dir) => format!(
            "&ssl-enabled=true&server-key-cert-chain-path={dir}/server.crt&server-private-key-path={dir}/server.key"
        ),
        None => String::new(),
    };
    let url = Arc::new(Url::parse(&format!(
        "tri://127.0.0.1:{port}/bench.EchoService?serialization=protobuf&timeout=10000{tls}"
    ))?);
    let protocol = TripleProtocol::new();
    let _exporter = protocol
        .export(Arc::new(ServiceInvoker::new(url, OxidubboEcho)))
        .await?;
    ready_and_wait(port).await;
    protocol.destroy().await;
    Ok(())
}

mod tonic_echo {
    //! `bench.EchoService/Echo` on tonic, written as tonic's generated code is, with a
    //! codec that passes the message bytes through.

    use std::convert::Infallible;
    use std::task::{Context, Poll};

    use bytes::{Buf, BufMut, Bytes};
    use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
    use tonic::codegen::{BoxFuture, Service, http};
    use tonic::{Status, server::NamedService, server::UnaryService};

    /// Messages as bytes, unparsed.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct BytesCodec;

    impl Codec for BytesCodec {
        type Encode = Bytes;
        type Decode = Bytes;
        type Encoder = BytesCodec;
        type Decoder = BytesCodec;
        fn encoder(&mut self) -> Self::Encoder {
            BytesCodec
        }
        fn decoder(&mut self) -> Self::Decoder {
            BytesCodec
        }
    }

    impl Encoder for BytesCodec {
        type Item = Bytes;
        type Error = Status;
        fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
            dst.put(item);
            Ok(())
        }
    }

    impl Decoder for BytesCodec {
        type Item = Bytes;
        type Error = Status;
        fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
            Ok(Some(src.copy_to_bytes(src.remaining())))
        }
    }

    #[derive(Clone)]
    struct Echo;

    impl UnaryService<Bytes> for Echo {
        type Response = Bytes;
        type Future = std::future::Ready<Result<tonic::Response<Bytes>, Status>>;
        fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
            std::future::ready(Ok(tonic::Response::new(request.into_inner())))
        }
    }

    /// The service, routed as generated tonic servers route.
    #[derive(Clone)]
    pub struct EchoServer;

    impl NamedService for EchoServer {
        const NAME: &'static str = "bench.EchoService";
    }

    impl Service<http::Request<tonic::body::Body>> for EchoServer {
        type Response = http::Response<tonic::body::Body>;
        type Error = Infallible;
        type Future = BoxFuture<Self::Response, Self::Error>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
            if request.uri().path() == super::PATH {
                Box::pin(async move {
                    let mut grpc = tonic::server::Grpc::new(BytesCodec);
                    Ok(grpc.unary(Echo, request).await)
                })
            } else {
                Box::pin(async move { Ok(Status::unimplemented("no such method").into_http()) })
            }
        }
    }
}

/// tonic with the HTTP/2 settings oxidubbo's Triple server uses (windows, frame and header
/// list sizes, concurrent streams, PING keep-alive), so that the two differ only in their
/// code.
async fn serve_tonic(port: u16) -> Result<(), BoxError> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let server = tonic::transport::Server::builder()
        .initial_stream_window_size(1024 * 1024)
        .initial_connection_window_size(4 * 1024 * 1024)
        .max_frame_size(256 * 1024)
        .http2_max_header_list_size(64 * 1024)
        .max_concurrent_streams(256)
        .http2_keepalive_interval(Some(Duration::from_secs(60)))
        .http2_keepalive_timeout(Some(Duration::from_secs(20)))
        .add_service(tonic_echo::EchoServer)
        .serve_with_shutdown(addr, ready_and_wait(port));
    server.await?;
    Ok(())
}

/// Tells the parent the server is up, then waits until the parent closes stdin.
async fn ready_and_wait(port: u16) {
    println!("ready {port}");
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(_)) = lines.next_line().await {}
}

// ---------------------------------------------------------------------------------------
// The load generator.

/// A server process of this binary, killed when dropped.
struct ServerProcess {
    child: tokio::process::Child,
    pid: u32,
}

impl ServerProcess {
    /// Starts `kind`'s server on `port`; a non-empty `wrapper` (say `valgrind
    /// --tool=callgrind`) is the command line it runs under.
    async fn start(
        kind: &str,
        port: u16,
        wrapper: &str,
        tls_dir: Option<&str>,
    ) -> Result<ServerProcess, BoxError> {
        let exe = std::env::current_exe()?;
        let mut words = wrapper.split_whitespace();
        let mut command = match words.next() {
            Some(program) => {
                let mut command = tokio::process::Command::new(program);
                command.args(words).arg(&exe);
                command
            }
            None => tokio::process::Command::new(&exe),
        };
        if let Some(dir) = tls_dir {
            command.args(["--tls-dir", dir]);
        }
        let mut child = command
            .args(["--serve", kind, "--port", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().ok_or("the server exited at once")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        // A wrapper may print lines of its own first.
        let ready = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match lines.next_line().await {
                    Ok(Some(line)) if !line.starts_with("ready") => continue,
                    other => return other,
                }
            }
        })
        .await;
        match ready {
            Ok(Ok(Some(line))) if line.starts_with("ready") => Ok(ServerProcess { child, pid }),
            other => Err(format!("the {kind} server did not start: {other:?}").into()),
        }
    }

    /// CPU time the process has used so far, all threads (from the scheduler's counts).
    fn cpu_time(&self) -> Duration {
        let mut nanos: u64 = 0;
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.pid)) {
            for task in tasks.flatten() {
                let stat =
                    std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
                nanos += stat
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
        Duration::from_nanos(nanos)
    }

    /// Read and write system calls the process has made so far (`/proc/<pid>/io`).
    fn syscalls(&self) -> u64 {
        let io = std::fs::read_to_string(format!("/proc/{}/io", self.pid)).unwrap_or_default();
        io.lines()
            .filter(|l| l.starts_with("syscr:") || l.starts_with("syscw:"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    }

    async fn stop(mut self) {
        drop(self.child.stdin.take());
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// One gRPC message: a protobuf `bytes payload = 1` of `payload` bytes, framed.
fn request_body(payload: usize) -> Bytes {
    let mut message = BytesMut::new();
    message.put_u8(0x0a);
    let mut n = payload as u64;
    while n >= 0x80 {
        message.put_u8((n as u8) | 0x80);
        n >>= 7;
    }
    message.put_u8(n as u8);
    message.put_bytes(b'x', payload);
    let mut frame = BytesMut::with_capacity(5 + message.len());
    frame.put_u8(0);
    frame.put_u32(message.len() as u32);
    frame.put(message);
    frame.freeze()
}

/// Why one call failed.
type CallError = String;

/// Makes one call and checks its answer: HTTP 200, `grpc-status: 0` and the request's
/// message echoed byte for byte.
async fn call(
    sender: &mut hyper::client::conn::http2::SendRequest<Full<Bytes>>,
    uri: &http::Uri,
    body: &Bytes,
) -> Result<(), CallError> {
    let request = http::Request::post(uri.clone())
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(Full::new(body.clone()))
        .map_err(|e| format!("request: {e}"))?;
    sender
        .ready()
        .await
        .map_err(|e| format!("connection: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("send: {e}"))?;
    if response.status() != http::StatusCode::OK {
        return Err(format!("HTTP {}", response.status()));
    }
    let headers_status = response.headers().get("grpc-status").cloned();
    let collected = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?;
    let status = collected
        .trailers()
        .and_then(|t| t.get("grpc-status").cloned())
        .or(headers_status);
    if status.as_ref().map(|s| s.as_bytes()) != Some(b"0") {
        return Err(format!("grpc-status {status:?}"));
    }
    let answer = collected.to_bytes();
    if answer != *body {
        return Err(format!(
            "the echo of a {}-byte frame came back as {} different bytes",
            body.len(),
            answer.len()
        ));
    }
    Ok(())
}

/// Failed calls: how many, and the first few reasons.
#[derive(Default)]
struct Errors {
    count: usize,
    first: Vec<CallError>,
}

impl Errors {
    const KEPT: usize = 5;

    fn record(&mut self, error: CallError) {
        self.count += 1;
        if self.first.len() < Self::KEPT {
            self.first.push(error);
        }
    }

    fn merge(&mut self, other: Errors) {
        self.count += other.count;
        for e in other.first {
            if self.first.len() < Self::KEPT {
                self.first.push(e);
            }
        }
    }
}

struct Measured {
    report: Report,
    server_cpu: Duration,
    /// The server's read and write system calls in the measured window.
    server_syscalls: u64,
    errors: Errors,
}

impl Measured {
    fn per_cpu_second(&self) -> f64 {
        self.report.calls as f64 / self.server_cpu.as_secs_f64().max(1e-9)
    }
}

/// Calls in a loop until `deadline`: the latencies of the good calls, and the failures. A
/// closed connection ends the loop (every further call would fail at once).
async fn call_until(
    mut sender: hyper::client::conn::http2::SendRequest<Full<Bytes>>,
    uri: http::Uri,
    body: Bytes,
    deadline: Instant,
) -> (Vec<u32>, Errors) {
    let (mut latencies, mut errors) = (Vec::with_capacity(1 << 16), Errors::default());
    while Instant::now() < deadline && !sender.is_closed() {
        let t = Instant::now();
        match call(&mut sender, &uri, &body).await {
            Ok(()) => latencies.push(micros(t.elapsed())),
            Err(e) => errors.record(e),
        }
    }
    (latencies, errors)
}

/// How a run loads a server.
struct Load {
    concurrency: usize,
    payload: usize,
    seconds: u64,
    /// The command line the server runs under (empty: none).
    server_wrapper: String,
    /// With `--tls`: the folder of the certificates and the client's TLS config.
    tls: Option<(String, Arc<rustls::ClientConfig>)>,
}

/// A rustls client trusting the CA in `dir`, asking for ALPN `h2`.
fn tls_client(dir: &str) -> Result<Arc<rustls::ClientConfig>, BoxError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(format!("{dir}/ca.crt"))? {
        roots.add(cert?)?;
    }
    #[allow(deprecated)] // ring: no post-quantum key exchange, as in the server
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

type Sender = hyper::client::conn::http2::SendRequest<Full<Bytes>>;

/// An HTTP/2 connection over `io`: the sender and the task driving it.
async fn h2_over<T>(io: T) -> Result<(Sender, tokio::task::JoinHandle<()>), BoxError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .initial_stream_window_size(1 << 20)
        .initial_connection_window_size(1 << 22)
        .max_concurrent_reset_streams(1024)
        .handshake(TokioIo::new(io))
        .await?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok((sender, driver))
}

async fn bench(kind: &str, load: &Load) -> Result<Measured, BoxError> {
    let port = free_port()?;
    let tls = load.tls.as_ref().filter(|_| kind == "oxidubbo-tls");
    let server = ServerProcess::start(
        kind,
        port,
        &load.server_wrapper,
        tls.map(|(dir, _)| dir.as_str()),
    )
    .await?;
    let authority = format!("127.0.0.1:{port}");
    let scheme = if tls.is_some() { "https" } else { "http" };
    let uri: http::Uri = format!("{scheme}://{authority}{PATH}").parse()?;
    let stream = TcpStream::connect(&authority).await?;
    stream.set_nodelay(true)?;
    let (sender, driver) = match tls {
        Some((_, config)) => {
            let name = rustls_pki_types::ServerName::try_from("127.0.0.1")?;
            let tls = tokio_rustls::TlsConnector::from(Arc::clone(config))
                .connect(name, stream)
                .await?;
            h2_over(tls).await?
        }
        None => h2_over(stream).await?,
    };
    let body = request_body(load.payload);
    let mut errors = Errors::default();
    // Warm up.
    let mut warm = sender.clone();
    for _ in 0..1000 {
        if let Err(e) = call(&mut warm, &uri, &body).await {
            errors.record(e);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(load.seconds);
    let (cpu_before, syscalls_before) = (server.cpu_time(), server.syscalls());
    let started = Instant::now();
    let tasks: Vec<_> = (0..load.concurrency)
        .map(|_| {
            tokio::spawn(call_until(
                sender.clone(),
                uri.clone(),
                body.clone(),
                deadline,
            ))
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        let (latencies, failed) = t.await?;
        all.extend(latencies);
        errors.merge(failed);
    }
    let elapsed = started.elapsed();
    let server_cpu = server.cpu_time().saturating_sub(cpu_before);
    let server_syscalls = server.syscalls().saturating_sub(syscalls_before);
    drop(sender);
    drop(warm);
    driver.abort();
    server.stop().await;
    Ok(Measured {
        report: Report::new(elapsed, all),
        server_cpu,
        server_syscalls,
        errors,
    })
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The median (the mean of the middle two of an even count).
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    match xs.len() {
        0 => 0.0,
        n if n % 2 == 1 => xs[n / 2],
        n => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

fn line(name: &str, m: &Measured) -> String {
    format!(
        "{} server_cpu={:.2}s req_per_cpu_s={:.0} syscalls_per_call={:.2} errors={}",
        m.report.line(name),
        m.server_cpu.as_secs_f64(),
        m.per_cpu_second(),
        m.server_syscalls as f64 / m.report.calls.max(1) as f64,
        m.errors.count
    )
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Some(kind) = args
        .iter()
        .position(|a| a == "--serve")
        .and_then(|i| args.get(i + 1))
    {
        let port: u16 = arg(&args, "--port", 50051);
        let tls_dir: String = arg(&args, "--tls-dir", String::new());
        return rt.block_on(async {
            match kind.as_str() {
                "oxidubbo" => serve_oxidubbo(port, None).await,
                "oxidubbo-tls" => serve_oxidubbo(port, Some(&tls_dir)).await,
                "tonic" => serve_tonic(port).await,
                other => Err(format!("unknown server {other:?}").into()),
            }
        });
    }
    let load = Load {
        concurrency: arg(&args, "--concurrency", 64).max(1),
        payload: arg(&args, "--payload", 1024),
        seconds: arg(&args, "--seconds", 5).max(1),
        server_wrapper: arg(&args, "--server-wrapper", String::new()),
        tls: None,
    };
    let pki = args
        .iter()
        .any(|a| a == "--tls")
        .then(oxidubbo_integration_tests::tls_certs::TestPki::new);
    let mut load = load;
    if let Some(pki) = &pki {
        let dir = pki.dir.to_str().ok_or("a non-UTF-8 temp dir")?.to_owned();
        let config = tls_client(&dir)?;
        load.tls = Some((dir, config));
    }
    let load = load;
    let (first, second) = if load.tls.is_some() {
        ("oxidubbo", "oxidubbo-tls")
    } else {
        ("oxidubbo", "tonic")
    };
    let rounds: usize = arg(&args, "--rounds", 3).max(1);
    println!(
        "triple-bench: concurrency={} payload={}B seconds={} rounds={rounds} tls={} cores={}",
        load.concurrency,
        load.payload,
        load.seconds,
        load.tls.is_some(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    // `--only oxidubbo|tonic` runs one server alone (for profiling).
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let runs = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let (mut ox, mut tonic, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut qps_ratios = Vec::new();
    for round in 1..=rounds {
        for (name, measured) in [(first, &mut ox), (second, &mut tonic)] {
            if runs(name) {
                let m = rt.block_on(bench(name, &load))?;
                println!("  round {round} {}", line(name, &m));
                for e in &m.errors.first {
                    println!("    {name} error: {e}");
                }
                measured.push(m);
            }
        }
        if let (Some(a), Some(b)) = (ox.get(round - 1), tonic.get(round - 1)) {
            ratios.push(a.per_cpu_second() / b.per_cpu_second().max(1e-9));
            qps_ratios.push(b.report.qps() / a.report.qps().max(1e-9));
        }
    }
    let summary = |name: &str, ms: &[Measured]| {
        if ms.is_empty() {
            return;
        }
        let q = |f: &dyn Fn(&Measured) -> f64| median(ms.iter().map(f).collect());
        println!(
            "{name}: qps={:.0} p50={:.0}us p99={:.0}us server_cpu={:.2}s req_per_cpu_s={:.0} (medians of {} rounds)",
            q(&|m| m.report.qps()),
            q(&|m| f64::from(m.report.quantile_us(0.5))),
            q(&|m| f64::from(m.report.quantile_us(0.99))),
            q(&|m| m.server_cpu.as_secs_f64()),
            q(&|m| m.per_cpu_second()),
            ms.len()
        );
    };
    summary(first, &ox);
    summary(second, &tonic);
    if !ratios.is_empty() {
        if load.tls.is_some() {
            // TLS over plaintext: QPS, and requests per server CPU-second.
            let cpu: Vec<f64> = ratios.iter().map(|r| 1.0 / r.max(1e-9)).collect();
            println!(
                "ratio={:.3} cpu_ratio={:.3}",
                median(qps_ratios),
                median(cpu)
            );
        } else {
            println!("ratio={:.3}", median(ratios));
        }
    }
    let failed = |ms: &[Measured]| ms.iter().map(|m| m.errors.count).sum::<usize>();
    let (ox_failed, tonic_failed) = (failed(&ox), failed(&tonic));
    if ox_failed + tonic_failed > 0 {
        return Err(format!(
            "FAILED: {ox_failed} oxidubbo and {tonic_failed} tonic calls failed; the figures do not count"
        )
        .into());
    }
    Ok(())
}
