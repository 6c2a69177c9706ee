//! `destroy` racing `export` and `refer`, 1,000 times: whatever an export or refer made is
//! either torn down by the destroy or made after it on a clean protocol — never a bound port,
//! a task or an invoker that no table accounts for.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{free_port, greeter, greeter_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_racing_export_and_refer_leaves_nothing_behind() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let baseline = metrics.num_alive_tasks();
    // Refers connect to a provider of their own, so that each one really opens a connection.
    let provider = DubboProtocol::new();
    let provider_port = free_port();
    let _served = provider
        .export(greeter(greeter_url("dubbo", provider_port)))
        .await
        .unwrap();
    let with_provider = metrics.num_alive_tasks();

    let protocol = Arc::new(DubboProtocol::new());
    let port = free_port();
    let (mut exported_live, mut referred_live) = (0, 0);
    let run = async {
        for round in 0..1_000 {
            let p = Arc::clone(&protocol);
            let export =
                tokio::spawn(async move { p.export(greeter(greeter_url("dubbo", port))).await });
            let p = Arc::clone(&protocol);
            let refer =
                tokio::spawn(async move { p.refer(greeter_url("dubbo", provider_port)).await });
            for _ in 0..round % 4 {
                tokio::task::yield_now().await;
            }
            protocol.destroy().await;
            let exported = export.await.expect("export panicked");
            let referred = refer.await.expect("refer panicked");

            // What is still live was made after the destroy, and the tables account for it.
            let exporter = exported
                .ok()
                .filter(|e| e.invoker().is_some_and(|i| !i.is_destroyed()));
            let invoker = referred.ok().filter(|i| !i.is_destroyed());
            exported_live += usize::from(exporter.is_some());
            referred_live += usize::from(invoker.is_some());
            let counts = protocol.counts();
            assert_eq!(
                (counts.exporters, counts.servers),
                (
                    usize::from(exporter.is_some()),
                    usize::from(exporter.is_some())
                ),
                "round {round}: exports and servers the destroy left: {counts:?}"
            );
            assert_eq!(
                (counts.invokers, counts.connections),
                (
                    usize::from(invoker.is_some()),
                    usize::from(invoker.is_some())
                ),
                "round {round}: invokers and connections the destroy left: {counts:?}"
            );
            // Releasing those by hand leaves nothing.
            if let Some(invoker) = invoker {
                invoker.destroy();
            }
            if let Some(exporter) = exporter {
                exporter.unexport().await;
            }
            assert!(
                protocol.counts().is_empty(),
                "round {round}: {:?}",
                protocol.counts()
            );
            drop(
                std::net::TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| {
                    panic!("round {round}: the port is still bound after destroy: {e}")
                }),
            );
        }
    };
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("1,000 rounds took over 120 s");
    println!("made after a destroy: {exported_live} exports, {referred_live} refers (of 1,000)");
    let mut tasks = metrics.num_alive_tasks();
    for _ in 0..250 {
        if tasks == with_provider {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        tasks = metrics.num_alive_tasks();
    }
    assert_eq!(
        tasks, with_provider,
        "tasks left behind (baseline {baseline})"
    );
    provider.destroy().await;
}
