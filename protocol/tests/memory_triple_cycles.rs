//! Triple's lifecycle over real HTTP/2, counted: 1,000 cycles of export
//! (`tri://127.0.0.1:<port>`) → refer → one unary call (a wrapper call on odd cycles, an IDL
//! call on even ones) → destroy the invoker and unexport, on a fresh `TripleProtocol` per
//! cycle and on one protocol throughout. After every cycle, with the destroyed invoker and
//! the exporter still held, the protocol holds no exporter, server, invoker or connection,
//! tokio's live tasks are back at their baseline, the port can be bound again and the
//! provider URL's data is released; after the 1,000 cycles the live heap (counting
//! allocator) is within 4 KiB of where it was after the warm-up cycles.

mod triple_support;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use oxidubbo_integration_tests::counting_alloc::{CountingAllocator, live_bytes};
use oxidubbo_invoker::{Invocation, Value};
use oxidubbo_protocol::triple::call::{IdlCall, PayloadFormat};
use oxidubbo_protocol::{Protocol, TripleProtocol};
use triple_support::{echo, echo_url, free_port, greeter, greeter_url, say_hello};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const CYCLES: usize = 1_000;
/// Cycles that settle one-time allocations (tokio's, hyper's, the tracing callsites').
const WARM_UP: usize = 100;
/// How far the live heap may move between the end of the warm-up and the last cycle.
const SLACK: isize = 4 * 1024;
/// A bound on the whole loop (it takes a few seconds in a debug build).
const TIME_LIMIT: Duration = Duration::from_secs(120);

/// Both tests read the heap of the whole process: they run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// One cycle on `protocol`, checking what it must leave behind.
async fn cycle(protocol: &TripleProtocol, port: u16, n: usize, baseline_tasks: usize) {
    let idl = n % 2 == 0;
    let (provider, consumer) = if idl {
        (echo_url(port), echo_url(port))
    } else {
        (greeter_url(port, ""), greeter_url(port, ""))
    };
    let provider_data = provider.downgrade();
    let service = if idl {
        echo(provider)
    } else {
        greeter(provider)
    };
    let exporter = protocol.export(service).await.unwrap();
    let invoker = protocol.refer(consumer).await.unwrap();
    if idl {
        let call = Invocation::new("Unary", "", vec![Value::Binary(b"m".to_vec())])
            .with_attribute(IdlCall::unary(PayloadFormat::Protobuf));
        let r = invoker.invoke(call).await.unwrap();
        assert_eq!(r.value, Value::Binary(b"re:m".to_vec()), "cycle {n}");
    } else {
        let r = invoker.invoke(say_hello("c")).await.unwrap();
        assert_eq!(r.value.as_str(), Some("Hello, c"), "cycle {n}");
    }
    // Destroy releases everything, whoever still holds the handles.
    invoker.destroy();
    exporter.unexport().await;

    assert!(
        !provider_data.is_alive(),
        "cycle {n}: the provider URL outlived unexport"
    );
    assert!(
        protocol.counts().is_empty(),
        "cycle {n}: {:?}",
        protocol.counts()
    );
    assert_eq!(protocol.server_connections().await, 0, "cycle {n}");
    drop(std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free again"));
    // The consumer's connection closes behind destroy: its tasks end soon after.
    let closing = Instant::now();
    while alive_tasks() > baseline_tasks {
        assert!(
            closing.elapsed() < Duration::from_secs(5),
            "cycle {n}: {} tasks alive, {baseline_tasks} before",
            alive_tasks()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    drop((invoker, exporter));
}

/// Runs the cycles, `fresh` choosing a new protocol per cycle or one for all of them.
fn run_cycles(fresh: bool) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let port = free_port();
        let shared = TripleProtocol::new();
        let baseline_tasks = alive_tasks();
        let started = Instant::now();
        let mut after_warm_up = 0;
        for n in 1..=CYCLES {
            assert!(
                started.elapsed() < TIME_LIMIT,
                "only {n} cycles in {TIME_LIMIT:?}"
            );
            if fresh {
                let protocol = TripleProtocol::new();
                cycle(&protocol, port, n, baseline_tasks).await;
            } else {
                cycle(&shared, port, n, baseline_tasks).await;
            }
            if n == WARM_UP {
                after_warm_up = live_bytes();
            }
        }
        let after = live_bytes();
        let kind = if fresh {
            "a fresh protocol per cycle"
        } else {
            "one protocol"
        };
        println!(
            "{CYCLES} triple cycles on {kind} in {:?}: live heap after cycle {WARM_UP}: \
             {after_warm_up} bytes, after cycle {CYCLES}: {after} bytes ({:+}); tasks {}",
            started.elapsed(),
            after - after_warm_up,
            alive_tasks()
        );
        assert!(
            (after - after_warm_up).abs() <= SLACK,
            "the live heap moved by {} bytes over {} cycles",
            after - after_warm_up,
            CYCLES - WARM_UP
        );
        assert_eq!(alive_tasks(), baseline_tasks, "tasks");
        shared.destroy().await;
    });
}

#[test]
fn cycles_on_a_fresh_protocol_each_leave_nothing() {
    run_cycles(true);
}

#[test]
fn cycles_on_one_protocol_leave_nothing() {
    run_cycles(false);
}
