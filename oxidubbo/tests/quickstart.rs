//! The quickstart's configuration (`examples/config/quickstart.toml`): one application
//! providing and calling the greeter over dubbo on loopback, through the embedded
//! registry, on the process-wide `DubboProtocol` — which is empty after `shutdown()`.
//! (Alone in its test binary: it uses the process-wide protocol.)
#![allow(missing_docs)]

mod common;

use common::{CountingGreeter, Greeter, example_config};
use oxidubbo::config::Config;
use oxidubbo::{Bootstrap, DubboProtocol};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_provides_and_calls_through_the_embedded_registry() {
    let config = Config::from_file_with_env(example_config("quickstart.toml"), []).unwrap();
    let greeter = CountingGreeter::new("quickstart", Default::default());
    let running = Bootstrap::from_config(config)
        .service::<dyn Greeter>("greeter", greeter.clone())
        .start()
        .await
        .unwrap();
    let url = running.provider_urls()["greeter"].clone();
    assert_eq!(url.protocol(), "dubbo");
    assert_eq!(url.host(), "127.0.0.1");
    assert_ne!(url.port(), 0, "port 0 picks a free port");
    assert_eq!(
        url.param("interface"),
        Some("org.apache.dubbo.samples.api.GreeterService"),
        "from the trait"
    );
    let global = DubboProtocol::global().counts();
    assert_eq!(
        (
            global.exporters,
            global.servers,
            global.invokers,
            global.connections
        ),
        (1, 1, 1, 1)
    );

    let client = running.client::<dyn Greeter>("greeter").unwrap();
    for i in 0..10 {
        assert_eq!(
            client.say_hello(format!("{i}")).await.unwrap(),
            format!("Hello, {i} from quickstart")
        );
    }
    assert_eq!(greeter.finished(), 10, "over the wire, to this provider");

    let report = running.shutdown().await;
    assert_eq!(report.unregistered, 1);
    assert!(
        DubboProtocol::global().counts().is_empty(),
        "{:?}",
        DubboProtocol::global().counts()
    );
    assert_eq!(running.shutdown().await, report, "shutdown is idempotent");
    assert!(
        client.say_hello("late".into()).await.is_err(),
        "calls after shutdown fail cleanly"
    );
}
