//! The soak of issue #19: mixed traffic for a while — failover calls of a steady load,
//! provider churn through the registry (a provider joins and the one before it leaves, every
//! cycle), consumers that subscribe, call and unsubscribe — while the process's resident set
//! (RSS), live heap (the counting allocator), tokio tasks and file descriptors are sampled.
//! The verdict: after the warm-up (the first fifth of the run, at least 20 s) RSS and
//! descriptors stay flat, within 5 % (descriptors: or one on average), the live heap grows
//! by no more than 5 % (or 64 KiB), and no call failed or was lost.
//!
//! A test binary with a `main` of its own (`harness = false`), so that it takes
//! `--soak <minutes>`:
//!
//! ```sh
//! cargo test -p oxidubbo-integration-tests --test soak                  # 1 minute, asserted
//! cargo test -p oxidubbo-integration-tests --test soak -- --soak 30     # 30 minutes
//! ```
//!
//! `--every <seconds>` sets the sampling period (default 5 s); `--no-churn` and
//! `--no-short-consumers` leave out a part of the traffic, to tell where a growth comes from. With `OXIDUBBO_ZK` set the
//! registry is that ZooKeeper (a group of the run's own), else the embedded `memory://`
//! registry. Every sample is printed as a `SOAK,` CSV line, then a table and the verdict.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxidubbo::hessian2::Value;
use oxidubbo::{Bootstrap, Config, DubboProtocol, Running};
use oxidubbo_examples::{Greeter, HelloGreeter};
use oxidubbo_integration_tests::chaos::{Load, Outcome};
use oxidubbo_integration_tests::counting_alloc::{CountingAllocator, live_bytes};
use oxidubbo_integration_tests::free_port;
use oxidubbo_integration_tests::rss::rss_bytes;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const NAME: &str = "soak_mixed_traffic";
const INTERFACE: &str = "org.apache.dubbo.samples.api.GreeterService";
/// How far RSS and descriptors may move after the warm-up (the issue's goal).
const FLAT: f64 = 0.05;

struct Options {
    minutes: f64,
    every: Duration,
    /// `--no-churn`: no provider joins or leaves (to tell what a growth comes from).
    churn: bool,
    /// `--no-short-consumers`: no consumer comes and goes.
    short_consumers: bool,
}

/// Parses the arguments the way libtest would leave them alone: `--soak`, `--every`, and
/// filters (the soak runs when none is given or one is part of its name); other flags
/// (`--nocapture`, `--test-threads=1`, …) are ignored. `None`: nothing to run.
fn options() -> Option<Options> {
    let mut minutes = std::env::var("OXIDUBBO_SOAK_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(1.0);
    let mut every = Duration::from_secs(5);
    let mut filters = Vec::new();
    let (mut churn, mut short_consumers) = (true, true);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--soak" => {
                minutes = args
                    .next()
                    .and_then(|m| m.parse().ok())
                    .expect("--soak <minutes>");
            }
            "--every" => {
                every = Duration::from_secs_f64(
                    args.next()
                        .and_then(|s| s.parse().ok())
                        .expect("--every <seconds>"),
                );
            }
            "--no-churn" => churn = false,
            "--no-short-consumers" => short_consumers = false,
            "--list" => {
                println!("{NAME}: test");
                std::process::exit(0);
            }
            "--skip" => {
                if args.next().is_some_and(|s| NAME.contains(&s)) {
                    return None;
                }
            }
            "--ignored" => return None,
            // libtest's options that take a value in the next argument.
            "--test-threads" | "--format" | "--color" | "--logfile" | "-Z" => {
                args.next();
            }
            flag if flag.starts_with('-') => {}
            filter => filters.push(filter.to_owned()),
        }
    }
    if !filters.is_empty() && !filters.iter().any(|f| NAME.contains(f.as_str())) {
        return None;
    }
    Some(Options {
        minutes,
        every,
        churn,
        short_consumers,
    })
}

fn main() {
    let Some(options) = options() else {
        println!("running 0 tests");
        return;
    };
    println!("running 1 test\ntest {NAME} ...");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let figures = runtime.block_on(soak(&options));
    let verdict = figures.verdict();
    print!("{}", figures.table());
    println!("{verdict}");
    assert!(verdict.passed, "{NAME} failed: {verdict}");
    println!("test {NAME} ... ok");
}

/// The metadata cache of each consumer's registry, in (application, revision) entries:
/// each provider that joins on a new port has a revision of its own (the port is part of
/// it, as in Java), so under churn the cache fills up to its size (default 1,000, about
/// 3.6 KiB each) before it stays flat. The soak keeps it small so that it is full early in
/// the warm-up and what is measured after it is the rest.
const METADATA_CACHE: usize = 16;

/// The registry the run uses: its TOML section and a label.
fn registry() -> (String, String) {
    match std::env::var("OXIDUBBO_ZK") {
        Ok(zk) if !zk.is_empty() => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            (
                format!(
                    "[registries.zk]\naddress = \"zookeeper://{zk}\"\ngroup = \"soak-{nanos}\"\n\
                     [registries.zk.params]\n\"metadata.cache.size\" = {METADATA_CACHE}\n"
                ),
                format!("ZooKeeper {zk}"),
            )
        }
        _ => (
            format!(
                "[registries.mem]\naddress = \"memory://\"\n\
                 [registries.mem.params]\n\"metadata.cache.size\" = {METADATA_CACHE}\n"
            ),
            "the embedded memory:// registry (OXIDUBBO_ZK not set)".to_owned(),
        ),
    }
}

async fn provider(registry: &str) -> Running {
    let text = format!(
        "[application]\nname = \"soak-provider\"\n\n\
         [protocols.dubbo]\nport = {}\n\n\
         [services.greeter]\nversion = \"1.0.0\"\n\n\
         [shutdown]\ntimeout = 5000\n\n{registry}",
        free_port()
    );
    Bootstrap::from_config(Config::parse(&text, "provider.toml").expect("provider config"))
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .expect("provider started")
}

async fn consumer(registry: &str, name: &str) -> Running {
    let text = format!(
        "[application]\nname = \"{name}\"\n\n\
         [references.greeter]\ninterface = \"{INTERFACE}\"\nversion = \"1.0.0\"\n\
         cluster = \"failover\"\nretries = 2\ntimeout = 3000\n\n{registry}"
    );
    Bootstrap::from_config(Config::parse(&text, "consumer.toml").expect("consumer config"))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .expect("consumer started")
}

/// Callers of `sayHello` (one in flight each) and of `echo` with 4 KiB.
fn loads(consumer: &Running) -> (Load, Load) {
    let limit = Duration::from_secs(3 * 3 + 2);
    let client = consumer.client::<dyn Greeter>("greeter").expect("client");
    let hello = Load::start(6, limit, move |n| {
        let client = client.clone();
        async move {
            let name = format!("n{n}");
            match client.say_hello(name.clone()).await {
                Ok(answer) if answer == format!("Hello, {name}") => Ok(()),
                Ok(answer) => Err(format!("wrong answer {answer:?}")),
                Err(e) => Err(e.to_string()),
            }
        }
    });
    let client = consumer.client::<dyn Greeter>("greeter").expect("client");
    let echo = Load::start(2, limit, move |_| {
        let client = client.clone();
        async move {
            let bytes = Value::Binary(vec![7u8; 4096]);
            match client.echo(bytes.clone()).await {
                Ok(answer) if answer == bytes => Ok(()),
                Ok(_) => Err("wrong echo".to_owned()),
                Err(e) => Err(e.to_string()),
            }
        }
    });
    (hello, echo)
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Duration,
    rss: u64,
    heap: isize,
    tasks: usize,
    fds: usize,
    calls: u64,
    cycles: u64,
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

fn sample(started: Instant, calls: u64, cycles: u64) -> Sample {
    Sample {
        at: started.elapsed(),
        rss: rss_bytes(),
        heap: live_bytes(),
        tasks: tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks(),
        fds: fds(),
        calls,
        cycles,
    }
}

struct Figures {
    registry: String,
    length: Duration,
    samples: Vec<Sample>,
    outcome: Outcome,
    errors: Vec<String>,
    short_consumer_failures: u64,
}

struct Verdict {
    passed: bool,
    text: String,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The change from the mean of the first third of `values` to the mean of the last third.
fn drift(values: &[f64]) -> f64 {
    let third = (values.len() / 3).max(1);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let first = mean(&values[..third]);
    let last = mean(&values[values.len() - third..]);
    if first == 0.0 {
        return 0.0;
    }
    last / first - 1.0
}

impl Figures {
    /// The samples after the warm-up (the first fifth of the run, at least 20 s).
    fn settled(&self) -> &[Sample] {
        let warm_up = (self.length / 5).max(Duration::from_secs(20));
        let from = self
            .samples
            .iter()
            .position(|s| s.at >= warm_up)
            .unwrap_or(self.samples.len());
        &self.samples[from..]
    }

    fn table(&self) -> String {
        let mut out = String::from(
            "| t (s) | RSS (KiB) | heap (KiB) | tasks | fds | calls | churn cycles |\n\
             |---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for s in &self.samples {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                s.at.as_secs(),
                s.rss >> 10,
                s.heap >> 10,
                s.tasks,
                s.fds,
                s.calls,
                s.cycles
            ));
        }
        out
    }

    fn verdict(&self) -> Verdict {
        let settled = self.settled();
        let mut text = format!(
            "soak of {:?} with {}: {:?}; short-lived consumers that failed: {}; errors: {:?}\n",
            self.length, self.registry, self.outcome, self.short_consumer_failures, self.errors
        );
        if settled.len() < 6 {
            text.push_str(&format!(
                "only {} samples after the warm-up: too few to judge",
                settled.len()
            ));
            return Verdict {
                passed: false,
                text,
            };
        }
        let column = |f: fn(&Sample) -> f64| settled.iter().map(f).collect::<Vec<_>>();
        let rss = drift(&column(|s| s.rss as f64));
        let fds = drift(&column(|s| s.fds as f64));
        let heap = drift(&column(|s| s.heap as f64));
        let tasks = drift(&column(|s| s.tasks as f64));
        text.push_str(&format!(
            "after the warm-up ({} samples; mean of the last third against the first): \
             RSS {:+.1} %, descriptors {:+.1} %, heap {:+.1} %, tasks {:+.1} %\n",
            settled.len(),
            rss * 100.0,
            fds * 100.0,
            heap * 100.0,
            tasks * 100.0
        ));
        // How far the mean of the last third is from the first's, in the column's unit.
        let moved = |values: Vec<f64>| {
            let third = (values.len() / 3).max(1);
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            mean(&values[values.len() - third..]) - mean(&values[..third])
        };
        // The live heap is small (hundreds of KiB): a growth of 64 KiB passes as noise; a
        // few dozen descriptors move by one while a provider is closing.
        let heap_flat = heap <= FLAT || moved(column(|s| s.heap as f64)) <= 64.0 * 1024.0;
        let fds_flat = fds.abs() <= FLAT || moved(column(|s| s.fds as f64)).abs() <= 1.0;
        let flat = rss.abs() <= FLAT && fds_flat && heap_flat;
        let clean = self.outcome.failed == 0
            && self.outcome.lost == 0
            && self.outcome.succeeded > 0
            && self.short_consumer_failures == 0;
        text.push_str(if flat {
            "RSS and descriptors flat within 5 %, the heap not growing"
        } else {
            "NOT FLAT: RSS moved by more than 5 %, descriptors by more than 5 % and one, or \
             the heap grew by more than 5 % and 64 KiB"
        });
        text.push_str(if clean {
            "; every call succeeded"
        } else {
            "; CALLS FAILED OR WERE LOST"
        });
        Verdict {
            passed: flat && clean,
            text,
        }
    }
}

/// A consumer of its own for one cycle: subscribes, makes 20 calls, shuts down. Whether
/// all of them succeeded.
async fn short_consumer(registry: &str) -> bool {
    let consumer = consumer(registry, "soak-short-consumer").await;
    let client = consumer.client::<dyn Greeter>("greeter").expect("client");
    let mut ok = true;
    for i in 0..20 {
        ok &= client.add(i, 1).await == Ok(i + 1);
    }
    consumer.shutdown().await;
    ok
}

async fn soak(options: &Options) -> Figures {
    let length = Duration::from_secs_f64(options.minutes * 60.0);
    let (registry, label) = registry();
    println!(
        "soak: {length:?} with {label}, sampled every {:?}",
        options.every
    );
    let started = Instant::now();
    let stable = provider(&registry).await;
    let consumer = consumer(&registry, "soak-consumer").await;
    let (hello, echo) = loads(&consumer);
    let calls = |hello: &Load, echo: &Load| hello.outcome().made + echo.outcome().made;

    let mut churned: Option<Running> = None;
    let mut samples = Vec::new();
    let mut cycles = 0u64;
    let mut short_consumer_failures = 0;
    let mut next_sample = Duration::ZERO;
    while started.elapsed() < length {
        // A provider joins, runs a while beside the others, and the one before it leaves.
        if options.churn {
            let joined = provider(&registry).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            if let Some(left) = churned.replace(joined) {
                left.shutdown().await;
            }
        } else {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if options.short_consumers && !short_consumer(&registry).await {
            short_consumer_failures += 1;
        }
        cycles += 1;
        // Sampled at the same point of each cycle, once the one leaving is gone.
        if started.elapsed() >= next_sample {
            let s = sample(started, calls(&hello, &echo), cycles);
            println!(
                "SOAK,{},{},{},{},{},{},{}",
                s.at.as_secs(),
                s.rss >> 10,
                s.heap >> 10,
                s.tasks,
                s.fds,
                s.calls,
                s.cycles
            );
            if std::env::var_os("OXIDUBBO_SOAK_DEBUG").is_some() {
                println!(
                    "consumer protocol: {:?}",
                    consumer.dubbo_protocol().counts()
                );
            }
            samples.push(s);
            next_sample += options.every;
        }
    }
    let (hello, hello_errors) = hello.stop().await;
    let (echo, echo_errors) = echo.stop().await;
    if let Some(left) = churned {
        left.shutdown().await;
    }
    consumer.shutdown().await;
    stable.shutdown().await;
    let outcome = Outcome {
        made: hello.made + echo.made,
        succeeded: hello.succeeded + echo.succeeded,
        failed: hello.failed + echo.failed,
        lost: hello.lost + echo.lost,
    };
    Figures {
        registry: label,
        length,
        samples,
        outcome,
        errors: hello_errors.into_iter().chain(echo_errors).collect(),
        short_consumer_failures,
    }
}
