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
    ChaosProxy, ChildProvider, Fault, Load, PROVIDER_ENV, REGISTRY_ENV,
};
use oxidubbo_integration_tests::{OwnZookeeper, free_port, zk_children, zk_client, zookeeper};

const INTERFACE: &str = "org.apache.dubbo.samples.api.GreeterService";
/// Each call's timeout (ms) in the failover scenarios, and the margin after which an
/// unanswered call counts as lost.
const CALL_TIMEOUT_MS: u64 = 3000;
const MARGIN: Duration = Duration::from_secs(2);

/// A greeter provider on `port`, registered at `registry` if given (else nowhere).
fn provider_config(port: u16, registry: Option<&str>) -> Config {
    let registry = registry.map_or(String::new(), |address| {
        // `check = false`: a provider started while the registry is down starts anyway and
        // registers once it is back (Java's failback).
        format!("[registries.zk]\naddress = \"{address}\"\ncheck = false\n")
    });
    Config::parse(
        &format!(
            "[application]\nname = \"chaos-provider\"\n\n\
             [protocols.dubbo]\nport = {port}\n\n\
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
    let running = Bootstrap::from_config(provider_config(port, registry.as_deref()))
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
    Bootstrap::from_config(provider_config(port, None))
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .expect("provider started")
}

/// A consumer of the greeter at the direct `url`s, on a protocol of its own.
async fn consumer(urls: &str, extra: &str) -> Running {
    let text = format!(
        "[application]\nname = \"chaos-consumer\"\n\n\
         [references.greeter]\ninterface = \"{INTERFACE}\"\nversion = \"1.0.0\"\n\
         url = \"{urls}\"\ncluster = \"failover\"\nretries = 2\n{extra}"
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
