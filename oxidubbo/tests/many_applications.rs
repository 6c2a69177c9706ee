//! One process, many applications: bootstraps on the process-wide protocols are
//! independent. Shutting one down unexports only its services, destroys only its
//! references, and sends the read-only event only on its own server; a failed start undoes
//! only what that start did. The process-wide protocol is never destroyed by them.
//! (Alone in its test binary: it uses the process-wide protocol.)
#![allow(missing_docs)]

mod common;

use std::time::Duration;

use common::{CountingGreeter, Greeter, free_port};
use oxidubbo::config::{ProtocolConfig, ReferenceConfig, ServiceConfig};
use oxidubbo::{Bootstrap, DubboProtocol, Error, ProtocolCounts, RpcError, Running};

/// An application that provides the greeter as version `version` on a port of its own and
/// refers the greeter versions `refers` (name = version) through the embedded registry.
fn application(name: &str, version: &str, refers: &[&str]) -> Bootstrap {
    let mut bootstrap = Bootstrap::new()
        .application(name)
        .protocol("dubbo", ProtocolConfig::dubbo(free_port()))
        .service_config(
            "greeter",
            ServiceConfig {
                version: Some(version.to_owned()),
                ..ServiceConfig::default()
            },
        )
        .service::<dyn Greeter>("greeter", CountingGreeter::new(name, Duration::ZERO));
    for refers in refers {
        let mut reference = ReferenceConfig::of::<dyn Greeter>().with_registry("default");
        reference.version = Some((*refers).to_owned());
        bootstrap = bootstrap.reference(*refers, reference);
    }
    bootstrap
}

async fn hello(app: &Running, reference: &str) -> Result<String, RpcError> {
    app.client::<dyn Greeter>(reference)
        .unwrap()
        .say_hello(reference.to_owned())
        .await
}

fn port_of(app: &Running) -> u16 {
    app.provider_urls()["greeter"].port()
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Whether `reference` of `app` stays available for a while: a read-only event sent to
/// its provider's connection would make it unavailable.
async fn stays_available(app: &Running, reference: &str) -> bool {
    let invoker = app.invoker(reference).unwrap();
    for _ in 0..30 {
        if !invoker.is_available() {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

fn global() -> ProtocolCounts {
    DubboProtocol::global().counts()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_on_the_global_protocol_are_independent() {
    let a = application("app-a", "a", &["a"]).start().await.unwrap();
    let b = application("app-b", "b", &["b", "a"])
        .start()
        .await
        .unwrap();
    assert_eq!(hello(&a, "a").await.unwrap(), "Hello, a from app-a");
    assert_eq!(hello(&b, "b").await.unwrap(), "Hello, b from app-b");
    assert_eq!(hello(&b, "a").await.unwrap(), "Hello, a from app-a");
    let both = global();
    assert_eq!((both.exporters, both.servers, both.invokers), (2, 2, 3));

    // A third application fails to start (nobody provides version "none", check=true)
    // after it exported and registered its own greeter: only that is undone.
    let err = application("app-c", "c", &["none"])
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Rpc {
                source: RpcError::Unavailable(_),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        global(),
        both,
        "the failed start left the others' state alone"
    );
    for (app, reference) in [(&a, "a"), (&b, "b"), (&b, "a")] {
        assert!(
            stays_available(app, reference).await,
            "{reference} got a read-only event from the failed start"
        );
        assert!(hello(app, reference).await.is_ok());
    }

    // A shuts down: its service and reference go, B serves and calls on.
    let (a_port, b_port) = (port_of(&a), port_of(&b));
    let a_client = a.client::<dyn Greeter>("a").unwrap();
    let report = a.shutdown().await;
    assert_eq!(report.unregistered, 1);
    assert!(port_is_free(a_port), "A's server is closed");
    assert!(!port_is_free(b_port), "B's server is not");
    assert!(
        stays_available(&b, "b").await,
        "A's read-only event reached B's own consumers"
    );
    for i in 0..10 {
        assert_eq!(
            hello(&b, "b").await.unwrap(),
            "Hello, b from app-b",
            "call {i}"
        );
    }
    let gone = hello(&b, "a").await.unwrap_err();
    assert!(matches!(gone, RpcError::Unavailable(_)), "{gone:?}");
    assert!(
        a_client.say_hello("late".into()).await.is_err(),
        "A's reference is destroyed with A"
    );
    let left = global();
    assert_eq!(
        (
            left.exporters,
            left.servers,
            left.invokers,
            left.connections
        ),
        (1, 1, 1, 1),
        "B's service, server, invoker and connection: {left:?}"
    );

    // The last application leaves the process-wide protocol empty, not destroyed.
    b.shutdown().await;
    assert!(global().is_empty(), "{:?}", global());
    let again = application("app-d", "d", &["d"]).start().await.unwrap();
    assert_eq!(hello(&again, "d").await.unwrap(), "Hello, d from app-d");
    again.shutdown().await;
    assert!(global().is_empty(), "{:?}", global());
}
