//! Faults under load (issue #19's harness): provider processes killed with `kill -9`,
//! restarted on their port and shut down gracefully with SIGTERM; a TCP proxy that
//! blackholes a connection or cuts it in the middle of a response frame. Each scenario runs
//! a steady failover load and reports calls made / succeeded / failed / lost (a call is lost
//! when neither a result nor an error came within its timeout plus a margin).
#![allow(missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oxidubbo::hessian2::Value;
use oxidubbo::{Bootstrap, Config, DubboProtocol, Running};
use oxidubbo_examples::{Greeter, HelloGreeter};
use oxidubbo_integration_tests::chaos::{
    ChaosProxy, ChildProvider, Fault, Load, PROVIDER_ENV, REGISTRY_ENV, open_files,
    raise_open_files,
};
use oxidubbo_integration_tests::rss::rss_of;
use oxidubbo_integration_tests::{OwnZookeeper, free_port, zk_children, zk_client, zookeeper};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const INTERFACE: &str = "org.apache.dubbo.samples.api.GreeterService";
/// Each call's timeout (ms) in the failover scenarios, and the margin after which an
/// unanswered call counts as lost.
const CALL_TIMEOUT_MS: u64 = 3000;
const MARGIN: Duration = Duration::from_secs(2);

/// The variable giving a provider process more lines of its `[protocols.dubbo]` table.
const PROTOCOL_ENV: &str = "OXIDUBBO_CHAOS_PROTOCOL";

/// A greeter provider on `port`, registered at `registry` if given (else nowhere), with
/// `protocol` added to its `[protocols.dubbo]` table.
fn provider_config(port: u16, registry: Option<&str>, protocol: &str) -> Config {
    let registry = registry.map_or(String::new(), |address| {
        // `check = false`: a provider started while the registry is down starts anyway and
        // registers once it is back (Java's failback).
        format!("[registries.zk]\naddress = \"{address}\"\ncheck = false\n")
    });
    Config::parse(
        &format!(
            "[application]\nname = \"chaos-provider\"\n\n\
             [protocols.dubbo]\nport = {port}\n{protocol}\n\n\
             [services.greeter]\nversion = \"1.0.0\"\n\n\
             [shutdown]\ntimeout = 5000\n\n{registry}"
        ),
        "provider.toml",
    )
    .expect("provider config")
}

/// Not a test of its own: the entry of the provider processes the scenarios start (this
/// binary run again with `OXIDUBBO_CHAOS_PROVIDER=<port>`). It serves the greeter until
/// SIGTERM (graceful shutdown) or SIGKILL, registered where `OXIDUBBO_CHAOS_REGISTRY` says.
/// Run without the variables, it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_process() {
    let Some(port) = std::env::var(PROVIDER_ENV)
        .ok()
        .and_then(|p| p.parse().ok())
    else {
        return;
    };
    let registry = std::env::var(REGISTRY_ENV).ok();
    let protocol = std::env::var(PROTOCOL_ENV).unwrap_or_default();
    let running = Bootstrap::from_config(provider_config(port, registry.as_deref(), &protocol))
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .start()
        .await
        .expect("provider started");
    println!("READY {port}");
    let report = running.run_until_signal().await.expect("signals");
    println!("STOPPED {report:?}");
}

/// An in-process provider on a protocol of its own.
async fn provider(port: u16) -> Running {
    Bootstrap::from_config(provider_config(port, None, ""))
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .expect("provider started")
}

/// A consumer of the greeter at the direct `url`s, on a protocol of its own (2 retries
/// unless `extra` says otherwise).
async fn consumer(urls: &str, extra: &str) -> Running {
    let retries = if extra.contains("retries") {
        ""
    } else {
        "retries = 2\n"
    };
    let text = format!(
        "[application]\nname = \"chaos-consumer\"\n\n\
         [references.greeter]\ninterface = \"{INTERFACE}\"\nversion = \"1.0.0\"\n\
         url = \"{urls}\"\ncluster = \"failover\"\n{retries}{extra}"
    );
    Bootstrap::from_config(Config::parse(&text, "consumer.toml").expect("consumer config"))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .expect("consumer started")
}

/// A steady load of `sayHello` calls from `tasks` callers of `consumer`.
fn hello_load(consumer: &Running, tasks: usize, limit: Duration) -> Load {
    let client = consumer.client::<dyn Greeter>("greeter").expect("client");
    Load::start(tasks, limit, move |n| {
        let client = client.clone();
        async move {
            let name = format!("n{n}");
            match client.say_hello(name.clone()).await {
                Ok(answer) if answer == format!("Hello, {name}") => Ok(()),
                Ok(answer) => Err(format!("wrong answer {answer:?}")),
                Err(e) => Err(e.to_string()),
            }
        }
    })
}

/// Waits until `cond` holds, at most `limit` (a hang guard, not a speed check).
async fn until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Scenarios 1 and 2: one of two provider processes killed with `kill -9` under failover
/// load → no call fails or is lost; restarted on the same port, the consumer uses it again
/// (the other is then killed, and calls still succeed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_one_provider_fails_no_call_and_a_restart_is_used_again() {
    let (p1, p2) = (free_port(), free_port());
    let mut first = ChildProvider::start("provider_process", p1).await;
    let second = ChildProvider::start("provider_process", p2).await;
    let consumer = consumer(
        &format!("dubbo://127.0.0.1:{p1};dubbo://127.0.0.1:{p2}"),
        &format!("timeout = {CALL_TIMEOUT_MS}\n"),
    )
    .await;
    let limit = Duration::from_millis(CALL_TIMEOUT_MS) * 3 + MARGIN;
    let load = hello_load(&consumer, 8, limit);
    until(Duration::from_secs(20), "calls before the kill", || {
        load.outcome().succeeded >= 200
    })
    .await;

    first.signal("KILL").await;
    assert_eq!(first.wait(Duration::from_secs(10)).await, Some(false));
    let at_kill = load.outcome();
    until(Duration::from_secs(20), "calls after the kill", || {
        load.outcome().succeeded >= at_kill.succeeded + 200
    })
    .await;

    // Scenario 2: the same port again, then the other one gone: only the restarted
    // provider can answer.
    let restarted = ChildProvider::start("provider_process", p1).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    second.signal("KILL").await;
    let at_second_kill = load.outcome();
    until(
        Duration::from_secs(20),
        "calls served by the restarted provider",
        || load.outcome().succeeded >= at_second_kill.succeeded + 200,
    )
    .await;

    let (outcome, errors) = load.stop().await;
    eprintln!("chaos kill -9 + restart: {outcome:?}");
    assert_eq!(outcome.failed, 0, "failed calls: {errors:?}");
    assert_eq!(outcome.lost, 0, "{outcome:?}");
    assert_eq!(outcome.made, outcome.succeeded, "{outcome:?}");
    consumer.shutdown().await;
    drop(restarted);
}

/// Scenario 7: a provider process shut down gracefully (SIGTERM) under load → no call fails
/// or is lost, and the process exits cleanly within its shutdown timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_of_a_provider_under_load_fails_no_call() {
    let (p1, p2) = (free_port(), free_port());
    let mut first = ChildProvider::start("provider_process", p1).await;
    let second = ChildProvider::start("provider_process", p2).await;
    let consumer = consumer(
        &format!("dubbo://127.0.0.1:{p1};dubbo://127.0.0.1:{p2}"),
        &format!("timeout = {CALL_TIMEOUT_MS}\n"),
    )
    .await;
    let limit = Duration::from_millis(CALL_TIMEOUT_MS) * 3 + MARGIN;
    let load = hello_load(&consumer, 8, limit);
    until(Duration::from_secs(20), "calls before the shutdown", || {
        load.outcome().succeeded >= 200
    })
    .await;
    first.signal("TERM").await;
    assert_eq!(
        first.wait(Duration::from_secs(15)).await,
        Some(true),
        "the provider exits cleanly within its shutdown timeout"
    );
    let at_exit = load.outcome();
    until(Duration::from_secs(20), "calls after the shutdown", || {
        load.outcome().succeeded >= at_exit.succeeded + 200
    })
    .await;
    let (outcome, errors) = load.stop().await;
    eprintln!("chaos graceful shutdown: {outcome:?}");
    assert_eq!(outcome.failed, 0, "failed calls: {errors:?}");
    assert_eq!(outcome.lost, 0, "{outcome:?}");
    consumer.shutdown().await;
    drop(second);
}

/// Scenario 4: the proxy blackholes the connection (no FIN, no RST) → the consumer's
/// heartbeat notices within its idle timeout, the calls waiting on it fail (long before
/// their own 20 s timeout), none is lost; once the path heals the consumer reconnects and
/// calls succeed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blackholed_connection_is_detected_by_heartbeat_and_healed() {
    let port = free_port();
    let provider = provider(port).await;
    let proxy = ChaosProxy::start(SocketAddr::from(([127, 0, 0, 1], port))).await;
    // Heartbeat every 300 ms, idle after 900 ms; each call may wait 20 s.
    let consumer = consumer(
        &format!("dubbo://{}", proxy.addr()),
        "timeout = 20000\n[references.greeter.params]\nheartbeat = \"300\"\n\
         \"heartbeat.timeout\" = \"900\"\n",
    )
    .await;
    let limit = Duration::from_secs(20) * 3 + MARGIN;
    let load = hello_load(&consumer, 4, limit);
    until(
        Duration::from_secs(20),
        "calls before the blackhole",
        || load.outcome().succeeded >= 100,
    )
    .await;

    proxy.set(Fault::Blackhole);
    let blackholed = Instant::now();
    let before = load.outcome();
    // The 4 calls caught in the hole fail once the idle timeout passes.
    until(
        Duration::from_secs(10),
        "calls failed by the idle check",
        || load.outcome().failed >= before.failed + 4,
    )
    .await;
    let detected = blackholed.elapsed();

    proxy.set(Fault::Pass);
    let healed = load.outcome();
    until(
        Duration::from_secs(15),
        "calls after the path healed",
        || load.outcome().succeeded >= healed.succeeded + 100,
    )
    .await;
    let (outcome, errors) = load.stop().await;
    eprintln!("chaos blackhole: detected after {detected:?}; {outcome:?}; errors {errors:?}");
    assert!(
        detected < Duration::from_secs(10),
        "detected by the idle check, not the 20 s call timeout"
    );
    assert_eq!(outcome.lost, 0, "{outcome:?}");
    assert!(outcome.failed > 0);
    consumer.shutdown().await;
    provider.shutdown().await;
}

/// Scenario 5: the proxy cuts a connection in the middle of a response frame → the calls
/// waiting on that connection fail at once with a connection error (nothing is decoded from
/// the partial frame), a consumer on another connection is unaffected, and the cut consumer
/// reconnects and calls again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_mid_frame_fails_its_calls_at_once_and_only_them() {
    let port = free_port();
    let provider = provider(port).await;
    let proxy = ChaosProxy::start(SocketAddr::from(([127, 0, 0, 1], port))).await;
    let cut = consumer(&format!("dubbo://{}", proxy.addr()), "timeout = 20000\n").await;
    let direct = consumer(&format!("dubbo://127.0.0.1:{port}"), "timeout = 20000\n").await;
    // Answers of 20 KB: a cut lands inside a frame.
    let big = Value::Binary(vec![b'x'; 20_000]);
    let echo_load = |consumer: &Running| {
        let client = consumer.client::<dyn Greeter>("greeter").expect("client");
        let big = big.clone();
        Load::start(4, Duration::from_secs(20) + MARGIN, move |_| {
            let (client, big) = (client.clone(), big.clone());
            async move {
                match client.echo(big.clone()).await {
                    Ok(answer) if answer == big => Ok(()),
                    Ok(_) => Err("wrong answer: not the bytes sent".to_owned()),
                    Err(e) => Err(e.to_string()),
                }
            }
        })
    };
    let cut_load = echo_load(&cut);
    let direct_load = echo_load(&direct);
    until(Duration::from_secs(20), "calls before the cut", || {
        cut_load.outcome().succeeded >= 50 && direct_load.outcome().succeeded >= 50
    })
    .await;

    let connections = proxy.accepted();
    let cut_at = Instant::now();
    proxy.set(Fault::CutAfter(7001));
    until(Duration::from_secs(10), "the cut calls failed", || {
        cut_load.outcome().failed > 0
    })
    .await;
    let failed_after = cut_at.elapsed();
    proxy.set(Fault::Pass);
    let healed = cut_load.outcome();
    until(Duration::from_secs(15), "calls after the reconnect", || {
        cut_load.outcome().succeeded >= healed.succeeded + 50
    })
    .await;

    let (cut_outcome, cut_errors) = cut_load.stop().await;
    let (direct_outcome, direct_errors) = direct_load.stop().await;
    eprintln!(
        "chaos cut mid-frame: failed {failed_after:?} after the cut; cut {cut_outcome:?} \
         {cut_errors:?}; direct {direct_outcome:?}"
    );
    assert!(
        failed_after < Duration::from_secs(10),
        "failed by the cut, not the 20 s timeout"
    );
    assert_eq!(cut_outcome.lost, 0, "{cut_outcome:?}");
    assert!(
        proxy.accepted() > connections,
        "the cut consumer reconnected"
    );
    for e in &cut_errors {
        let lower = e.to_lowercase();
        assert!(
            !lower.contains("decode")
                && !lower.contains("codec")
                && !lower.contains("wrong answer"),
            "nothing may be read from a partial frame: {e}"
        );
    }
    assert_eq!(direct_outcome.failed, 0, "{direct_errors:?}");
    assert_eq!(direct_outcome.lost, 0);
    cut.shutdown().await;
    direct.shutdown().await;
    provider.shutdown().await;
}

/// Scenario 3: a provider process frozen with SIGSTOP for 10 s under failover load → the
/// calls sent to it time out on schedule and are retried on the other provider (none fails
/// or is lost); after SIGCONT it serves again (the other is then killed, and calls still
/// succeed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_frozen_for_10_s_costs_no_call_and_comes_back() {
    let (p1, p2) = (free_port(), free_port());
    let frozen = ChildProvider::start("provider_process", p1).await;
    let other = ChildProvider::start("provider_process", p2).await;
    // Calls time out after 1 s; the heartbeat finds a quiet provider after 1.5 s.
    let consumer = consumer(
        &format!("dubbo://127.0.0.1:{p1};dubbo://127.0.0.1:{p2}"),
        "timeout = 1000\n[references.greeter.params]\nheartbeat = \"500\"\n\
         \"heartbeat.timeout\" = \"1500\"\n",
    )
    .await;
    let limit = Duration::from_secs(3) + MARGIN;
    let load = hello_load(&consumer, 8, limit);
    until(Duration::from_secs(20), "calls before the freeze", || {
        load.outcome().succeeded >= 200
    })
    .await;
    let at_freeze = load.outcome();
    frozen.signal("STOP").await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let during = load.outcome();
    frozen.signal("CONT").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    other.signal("KILL").await;
    let at_kill = load.outcome();
    until(
        Duration::from_secs(20),
        "calls served by the thawed provider",
        || load.outcome().succeeded >= at_kill.succeeded + 200,
    )
    .await;
    let (outcome, errors) = load.stop().await;
    eprintln!("chaos SIGSTOP 10 s: during the freeze {during:?}; in all {outcome:?}");
    assert!(
        during.succeeded >= at_freeze.succeeded + 200,
        "traffic went on during the freeze: {at_freeze:?} then {during:?}"
    );
    assert_eq!(outcome.failed, 0, "failed calls: {errors:?}");
    assert_eq!(outcome.lost, 0, "{outcome:?}");
    consumer.shutdown().await;
    drop(frozen);
}

/// Scenario 6: ZooKeeper stopped for 30 s and started again (with no data: every session and
/// node is gone, as after a session expiry) under load → the consumer keeps calling the
/// providers it knows (no call fails or is lost), the providers' nodes come back by
/// themselves, and a provider started during the outage is found afterwards (the first two
/// are then killed, and calls still succeed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_s_zookeeper_outage_costs_no_call_and_everyone_comes_back() {
    let Some(_) = zookeeper() else { return };
    let own = OwnZookeeper::start("chaos");
    let registry = format!("zookeeper://{}", own.address());
    let env = [(REGISTRY_ENV, registry.as_str())];
    let first = ChildProvider::start_with("provider_process", free_port(), &env).await;
    let second = ChildProvider::start_with("provider_process", free_port(), &env).await;
    let consumer = {
        let text = format!(
            "[application]\nname = \"chaos-consumer\"\n\n\
             [registries.zk]\naddress = \"{registry}\"\n\n\
             [references.greeter]\ninterface = \"{INTERFACE}\"\nversion = \"1.0.0\"\n\
             cluster = \"failover\"\nretries = 2\ntimeout = {CALL_TIMEOUT_MS}\n"
        );
        Bootstrap::from_config(Config::parse(&text, "consumer.toml").expect("consumer config"))
            .dubbo_protocol(Arc::new(DubboProtocol::new()))
            .start()
            .await
            .expect("consumer started")
    };
    let limit = Duration::from_millis(CALL_TIMEOUT_MS) * 3 + MARGIN;
    let load = hello_load(&consumer, 8, limit);
    until(Duration::from_secs(20), "calls before the outage", || {
        load.outcome().succeeded >= 200
    })
    .await;

    own.stop_server();
    let at_stop = load.outcome();
    let third = ChildProvider::start_with("provider_process", free_port(), &env).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    let during = load.outcome();
    own.start_server();

    let zk = zk_client(&own.address()).await;
    let providers = format!("/dubbo/{INTERFACE}/providers");
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let nodes = zk_children(&zk, &providers).await.len();
        if nodes == 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{nodes} provider nodes 40 s after the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The consumer hears of the third provider from its watches; give the notification
    // time to arrive (the nodes are there), then leave it the only provider.
    tokio::time::sleep(Duration::from_secs(3)).await;
    first.signal("KILL").await;
    second.signal("KILL").await;
    let at_kill = load.outcome();
    until(
        Duration::from_secs(30),
        "calls served by the provider started in the outage",
        || load.outcome().succeeded >= at_kill.succeeded + 200,
    )
    .await;
    let (outcome, errors) = load.stop().await;
    eprintln!(
        "chaos ZooKeeper outage: at the stop {at_stop:?}; after 30 s {during:?}; in all {outcome:?}"
    );
    assert!(
        during.succeeded >= at_stop.succeeded + 200,
        "calls went on during the outage: {at_stop:?} then {during:?}"
    );
    assert_eq!(outcome.failed, 0, "failed calls: {errors:?}");
    assert_eq!(outcome.lost, 0, "{outcome:?}");
    consumer.shutdown().await;
    drop(third);
}

/// Opens `count` TCP connections to `port` that send nothing, in turn (each bounded).
async fn idle_connections(port: u16, count: usize) -> Vec<TcpStream> {
    let mut open = Vec::with_capacity(count);
    for i in 0..count {
        let stream = tokio::time::timeout(
            Duration::from_secs(10),
            TcpStream::connect(("127.0.0.1", port)),
        )
        .await
        .unwrap_or_else(|_| panic!("connection {i} not made within 10 s"))
        .unwrap_or_else(|e| panic!("connection {i}: {e}"));
        open.push(stream);
    }
    open
}

/// Whether the peer has closed `stream` (end of stream or an error), waiting at most `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(wait, stream.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// Scenario 8: 10,000 idle connections (`OXIDUBBO_CHAOS_IDLE_CONNECTIONS` sets another
/// count) to one provider process → it holds them all and goes on serving a consumer's
/// calls (0 failed, 0 lost); its RSS per idle connection is measured and printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_idle_connections_are_held_and_calls_go_on() {
    // `OXIDUBBO_CHAOS_IDLE_CONNECTIONS` asks for another count.
    let idle_count: usize = std::env::var("OXIDUBBO_CHAOS_IDLE_CONNECTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let limit = raise_open_files();
    assert!(
        limit >= idle_count as u64 + 1_000,
        "{idle_count} connections need an open-files limit above {}, and the hard limit is \
         {limit}",
        idle_count + 1_000
    );
    let port = free_port();
    let provider = ChildProvider::start("provider_process", port).await;
    let pid = provider.pid().to_string();
    let consumer = consumer(
        &format!("dubbo://127.0.0.1:{port}"),
        &format!("timeout = {CALL_TIMEOUT_MS}\n"),
    )
    .await;
    let load = hello_load(
        &consumer,
        4,
        Duration::from_millis(CALL_TIMEOUT_MS) * 3 + MARGIN,
    );
    until(
        Duration::from_secs(20),
        "calls before the connections",
        || load.outcome().succeeded >= 100,
    )
    .await;
    let (rss_before, fds_before) = (rss_of(&pid), open_files(&pid));

    let opened = Instant::now();
    let mut idle = idle_connections(port, idle_count).await;
    until(
        Duration::from_secs(60),
        "the provider accepted every connection",
        || open_files(&pid) >= fds_before + idle_count,
    )
    .await;
    let accepted_in = opened.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = rss_of(&pid);
    let at_full = load.outcome();
    until(
        Duration::from_secs(30),
        "calls with every connection open",
        || load.outcome().succeeded >= at_full.succeeded + 200,
    )
    .await;
    let mut closed = 0;
    for stream in &mut idle {
        if closed_within(stream, Duration::ZERO).await {
            closed += 1;
        }
    }
    let (outcome, errors) = load.stop().await;
    let per_connection = rss_after.saturating_sub(rss_before) / idle_count as u64;
    eprintln!(
        "chaos {idle_count} idle connections: accepted in {accepted_in:?}; provider RSS {} KiB → {} \
         KiB, {} bytes per idle connection; {closed} closed by the provider; {outcome:?}",
        rss_before >> 10,
        rss_after >> 10,
        per_connection
    );
    assert_eq!(
        closed, 0,
        "the provider closed idle connections it should hold"
    );
    assert_eq!(outcome.failed, 0, "failed calls: {errors:?}");
    assert_eq!(outcome.lost, 0, "{outcome:?}");
    assert!(
        rss_after > rss_before,
        "the connections cost no memory at all?"
    );
    consumer.shutdown().await;
    drop(idle);
    drop(provider);
}

/// Scenario 8, with a limit: a provider process with `accepts = 200` under a consumer's load
/// → connections past the 200th are closed (within the 1 s it waits for a first request),
/// a consumer arriving past the limit fails at once with an error naming the limit (not
/// after its 20 s timeout), the served consumer's calls go on (0 failed, 0 lost), and once
/// connections are let go a new consumer is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_accepts_limit_are_refused_with_a_reason() {
    const ACCEPTS: usize = 200;
    const EXTRA: usize = 100;
    raise_open_files();
    let port = free_port();
    let provider = ChildProvider::start_with(
        "provider_process",
        port,
        &[(PROTOCOL_ENV, &format!("accepts = {ACCEPTS}"))],
    )
    .await;
    let served = consumer(
        &format!("dubbo://127.0.0.1:{port}"),
        &format!("timeout = {CALL_TIMEOUT_MS}\n"),
    )
    .await;
    let load = hello_load(
        &served,
        4,
        Duration::from_millis(CALL_TIMEOUT_MS) * 3 + MARGIN,
    );
    until(
        Duration::from_secs(20),
        "calls before the connections",
        || load.outcome().succeeded >= 100,
    )
    .await;

    // The consumer holds one connection: 199 more are served, the other 100 refused.
    let connections = idle_connections(port, ACCEPTS - 1 + EXTRA).await;
    let mut watching = tokio::task::JoinSet::new();
    for (i, mut stream) in connections.into_iter().enumerate() {
        watching.spawn(async move {
            let closed = closed_within(&mut stream, Duration::from_secs(4)).await;
            (i, closed, stream)
        });
    }
    let (mut held, mut refused) = (Vec::new(), 0);
    while let Some(watched) = watching.join_next().await {
        let (_, closed, stream) = watched.expect("watch");
        if closed {
            refused += 1;
        } else {
            held.push(stream);
        }
    }

    // A consumer past the limit is told why, long before its 20 s timeout.
    let late = consumer(
        &format!("dubbo://127.0.0.1:{port}"),
        "timeout = 20000\nretries = 0\ncheck = false\n",
    )
    .await;
    let late_client = late.client::<dyn Greeter>("greeter").expect("client");
    let asked = Instant::now();
    let refusal = late_client.say_hello("late".into()).await;
    let refused_in = asked.elapsed();

    // Connections let go make room again.
    held.truncate(held.len() - 50);
    let deadline = Instant::now() + Duration::from_secs(20);
    let served_later = loop {
        match late_client.say_hello("later".into()).await {
            Ok(answer) => break answer,
            Err(e) => assert!(
                Instant::now() < deadline,
                "not served 20 s after connections were let go: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (outcome, errors) = load.stop().await;
    eprintln!(
        "chaos accepts = {ACCEPTS}: {} held, {refused} refused; the late consumer's call \
         failed in {refused_in:?} with {refusal:?}; served consumer {outcome:?}",
        held.len() + 50
    );
    assert_eq!(held.len() + 50, ACCEPTS - 1, "connections served");
    assert_eq!(refused, EXTRA, "connections refused");
    let message = refusal
        .expect_err("a consumer past the limit is refused")
        .to_string();
    assert!(message.contains("accepts=200"), "{message}");
    assert!(refused_in < Duration::from_secs(10), "{refused_in:?}");
    assert_eq!(served_later, "Hello, later");
    assert_eq!(outcome.failed, 0, "failed calls: {errors:?}");
    assert_eq!(outcome.lost, 0, "{outcome:?}");
    late.shutdown().await;
    served.shutdown().await;
    drop(provider);
}

/// Scenario 9: slowloris — 1,000 connections each sending a request frame one byte per
/// second to a provider process whose idle timeout is 3 s (heartbeat 1 s) → each is closed
/// about 3 s after its last whole frame (none: bytes that complete no frame keep nothing
/// alive), and a consumer's calls meanwhile all succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connections_are_closed_by_the_idle_timeout_and_cost_no_call() {
    const SLOW: usize = 1_000;
    raise_open_files();
    let port = free_port();
    let provider = ChildProvider::start_with(
        "provider_process",
        port,
        &[(PROTOCOL_ENV, "heartbeat = 1000")],
    )
    .await;
    let consumer = consumer(
        &format!("dubbo://127.0.0.1:{port}"),
        &format!("timeout = {CALL_TIMEOUT_MS}\n"),
    )
    .await;
    let load = hello_load(
        &consumer,
        4,
        Duration::from_millis(CALL_TIMEOUT_MS) * 3 + MARGIN,
    );
    until(
        Duration::from_secs(20),
        "calls before the slowloris",
        || load.outcome().succeeded >= 100,
    )
    .await;

    // The header of a two-way hessian2 request with a 100-byte body, then the body.
    let mut frame = vec![0xda, 0xbb, 0xc2, 0x00, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 100];
    frame.extend_from_slice(&[0x4e; 100]);
    let frame: Arc<[u8]> = frame.into();
    let at_start = load.outcome();
    let started = Instant::now();
    let mut dribbling = tokio::task::JoinSet::new();
    for _ in 0..SLOW {
        let frame = Arc::clone(&frame);
        dribbling.spawn(async move {
            let mut stream = tokio::time::timeout(
                Duration::from_secs(10),
                TcpStream::connect(("127.0.0.1", port)),
            )
            .await
            .expect("connected within 10 s")
            .expect("connected");
            // One byte a second until the provider closes the connection (20 s at most).
            let mut sent = 0;
            let mut buf = [0u8; 64];
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline && sent < frame.len() {
                tokio::select! {
                    read = stream.read(&mut buf) => match read {
                        Ok(0) | Err(_) => return Some(sent),
                        Ok(_) => {}
                    },
                    _ = tick.tick() => {
                        if stream.write_all(&frame[sent..=sent]).await.is_err() {
                            return Some(sent);
                        }
                        sent += 1;
                    }
                }
            }
            None
        });
    }
    let (mut closed, mut bytes) = (0, 0);
    while let Some(done) = dribbling.join_next().await {
        if let Some(sent) = done.expect("dribbler") {
            closed += 1;
            bytes += sent;
        }
    }
    let took = started.elapsed();
    let during = load.outcome();
    let (outcome, errors) = load.stop().await;
    eprintln!(
        "chaos slowloris: {closed} of {SLOW} connections closed by the provider in {took:?} \
         after {:.1} bytes each on average; calls meanwhile {} succeeded; in all {outcome:?}",
        bytes as f64 / SLOW.max(1) as f64,
        during.succeeded - at_start.succeeded
    );
    assert_eq!(closed, SLOW, "every dribbling connection is closed");
    assert!(
        bytes >= 2 * SLOW,
        "the connections kept sending bytes before they were closed"
    );
    assert!(during.succeeded >= at_start.succeeded + 100);
    assert_eq!(outcome.failed, 0, "failed calls: {errors:?}");
    assert_eq!(outcome.lost, 0, "{outcome:?}");
    consumer.shutdown().await;
    drop(provider);
}

/// Provider nodes of the greeter in ZooKeeper (`zk` a client to the server itself).
async fn provider_nodes(zk: &zookeeper_client::Client) -> usize {
    zk_children(zk, &format!("/dubbo/{INTERFACE}/providers"))
        .await
        .len()
}

/// ZooKeeper session expiry under load: the providers' and the consumer's ZooKeeper
/// connections go through a proxy that blackholes them for 15 s, well past their 4 s
/// session timeout, so the server expires every session (their provider nodes vanish) →
/// the consumer calls the providers it knows meanwhile (0 failed, 0 lost); when the path
/// heals each registry opens a new session by itself, the providers register again and the
/// consumer subscribes again: a provider started after the heal is found and serves alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_sessions_expired_under_load_are_renewed_and_cost_no_call() {
    let Some(_) = zookeeper() else { return };
    let own = OwnZookeeper::start("expiry");
    let server: SocketAddr = own.address().parse().expect("ZooKeeper address");
    let proxy = ChaosProxy::start(server).await;
    let registry = format!("zookeeper://{}?session=4000", proxy.addr());
    let env = [(REGISTRY_ENV, registry.as_str())];
    let first = ChildProvider::start_with("provider_process", free_port(), &env).await;
    let second = ChildProvider::start_with("provider_process", free_port(), &env).await;
    let consumer = {
        let text = format!(
            "[application]\nname = \"chaos-consumer\"\n\n\
             [registries.zk]\naddress = \"{registry}\"\n\n\
             [references.greeter]\ninterface = \"{INTERFACE}\"\nversion = \"1.0.0\"\n\
             cluster = \"failover\"\nretries = 2\ntimeout = {CALL_TIMEOUT_MS}\n"
        );
        Bootstrap::from_config(Config::parse(&text, "consumer.toml").expect("consumer config"))
            .dubbo_protocol(Arc::new(DubboProtocol::new()))
            .start()
            .await
            .expect("consumer started")
    };
    let zk = zk_client(&own.address()).await;
    let limit = Duration::from_millis(CALL_TIMEOUT_MS) * 3 + MARGIN;
    let load = hello_load(&consumer, 8, limit);
    until(
        Duration::from_secs(20),
        "calls before the blackhole",
        || load.outcome().succeeded >= 200,
    )
    .await;
    assert_eq!(provider_nodes(&zk).await, 2);

    proxy.set(Fault::Blackhole);
    let at_blackhole = load.outcome();
    let blackholed = Instant::now();
    // The server expires the sessions: their ephemeral nodes go.
    let mut expired_after = None;
    while blackholed.elapsed() < Duration::from_secs(15) {
        if expired_after.is_none() && provider_nodes(&zk).await == 0 {
            expired_after = Some(blackholed.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let during = load.outcome();
    proxy.set(Fault::Pass);
    let healed = Instant::now();
    let deadline = healed + Duration::from_secs(40);
    while provider_nodes(&zk).await < 2 {
        assert!(
            Instant::now() < deadline,
            "providers not back 40 s after the heal"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let registered_again = healed.elapsed();
    let third = ChildProvider::start_with("provider_process", free_port(), &env).await;
    while provider_nodes(&zk).await < 3 {
        assert!(
            Instant::now() < deadline,
            "the third provider never registered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The consumer hears of it through the watches of its new session.
    tokio::time::sleep(Duration::from_secs(3)).await;
    first.signal("KILL").await;
    second.signal("KILL").await;
    let at_kill = load.outcome();
    until(
        Duration::from_secs(30),
        "calls served by the provider that came after the expiry",
        || load.outcome().succeeded >= at_kill.succeeded + 200,
    )
    .await;
    let (outcome, errors) = load.stop().await;
    eprintln!(
        "chaos ZooKeeper session expiry: nodes gone {expired_after:?} into the blackhole; \
         registered again {registered_again:?} after the heal; at the blackhole {at_blackhole:?}; \
         after 15 s {during:?}; in all {outcome:?}"
    );
    assert!(
        expired_after.is_some(),
        "the server never expired the sessions"
    );
    assert!(
        during.succeeded >= at_blackhole.succeeded + 200,
        "calls went on while ZooKeeper was unreachable"
    );
    assert_eq!(outcome.failed, 0, "failed calls: {errors:?}");
    assert_eq!(outcome.lost, 0, "{outcome:?}");
    consumer.shutdown().await;
    drop(third);
}

/// etcd stopped for 30 s and started again empty (every lease and key gone) under load, as
/// scenario 6 does to ZooKeeper → the consumer calls the providers it knows (0 failed,
/// 0 lost), the providers put their keys again under new leases, and a provider started
/// after the restart is found through the consumer's renewed watch (the first two are then
/// killed, and calls still succeed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_s_etcd_outage_costs_no_call_and_everyone_comes_back() {
    use oxidubbo_integration_tests::etcd::{OwnEtcd, etcd, etcdctl_get_prefix};
    let Some(_) = etcd() else { return };
    let own = OwnEtcd::start("chaos");
    let address = own.address();
    let registry = format!("etcdv3://{address}?ttl=6&timeout=1000");
    let env = [(REGISTRY_ENV, registry.as_str())];
    let first = ChildProvider::start_with("provider_process", free_port(), &env).await;
    let second = ChildProvider::start_with("provider_process", free_port(), &env).await;
    let consumer = {
        let text = format!(
            "[application]\nname = \"chaos-consumer\"\n\n\
             [registries.etcd]\naddress = \"{registry}\"\n\n\
             [references.greeter]\ninterface = \"{INTERFACE}\"\nversion = \"1.0.0\"\n\
             cluster = \"failover\"\nretries = 2\ntimeout = {CALL_TIMEOUT_MS}\n"
        );
        Bootstrap::from_config(Config::parse(&text, "consumer.toml").expect("consumer config"))
            .dubbo_protocol(Arc::new(DubboProtocol::new()))
            .start()
            .await
            .expect("consumer started")
    };
    let prefix = format!("/dubbo/{INTERFACE}/providers/");
    let keys = || etcdctl_get_prefix(&address, &prefix).len();
    let limit = Duration::from_millis(CALL_TIMEOUT_MS) * 3 + MARGIN;
    let load = hello_load(&consumer, 8, limit);
    until(Duration::from_secs(20), "calls before the outage", || {
        load.outcome().succeeded >= 200
    })
    .await;
    assert_eq!(keys(), 2, "both providers registered");

    own.stop_server();
    let at_stop = load.outcome();
    tokio::time::sleep(Duration::from_secs(30)).await;
    let during = load.outcome();
    own.start_server();
    let restarted = Instant::now();
    let deadline = restarted + Duration::from_secs(40);
    while keys() < 2 {
        assert!(
            Instant::now() < deadline,
            "{} provider keys 40 s after the restart",
            keys()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let back_in = restarted.elapsed();
    // (The etcd registry has no `check = false`: a provider cannot start while etcd is
    // down, so the third one starts once it is back.)
    let third = ChildProvider::start_with("provider_process", free_port(), &env).await;
    while keys() < 3 {
        assert!(
            Instant::now() < deadline,
            "{} provider keys 40 s after the restart",
            keys()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    first.signal("KILL").await;
    second.signal("KILL").await;
    let at_kill = load.outcome();
    until(
        Duration::from_secs(30),
        "calls served by the provider started in the outage",
        || load.outcome().succeeded >= at_kill.succeeded + 200,
    )
    .await;
    let (outcome, errors) = load.stop().await;
    eprintln!(
        "chaos etcd outage: at the stop {at_stop:?}; after 30 s {during:?}; the 2 provider keys \
         back {back_in:?} after the restart; in all {outcome:?}"
    );
    assert!(
        during.succeeded >= at_stop.succeeded + 200,
        "calls went on during the outage: {at_stop:?} then {during:?}"
    );
    assert_eq!(outcome.failed, 0, "failed calls: {errors:?}");
    assert_eq!(outcome.lost, 0, "{outcome:?}");
    consumer.shutdown().await;
    drop(third);
}
