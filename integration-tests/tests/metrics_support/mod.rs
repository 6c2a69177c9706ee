//! What the metrics tests share: a greeter provider and consumer with `[metrics]` on, the
//! calls they make, and reading a scrape.
#![allow(dead_code)] // not every test binary sharing this module uses all of it

use std::sync::Arc;

use oxidubbo::config::Config;
use oxidubbo::{Bootstrap, DubboProtocol, Running};
use oxidubbo_examples::{Greeter, HelloGreeter};
use oxidubbo_integration_tests::{http_get, prometheus_sample};

/// The greeter's interface.
pub const INTERFACE: &str = "org.apache.dubbo.samples.api.GreeterService";
/// The provider's application name.
pub const PROVIDER_APP: &str = "metrics-provider";
/// The consumer's application name.
pub const CONSUMER_APP: &str = "metrics-consumer";
/// The path of the consumer's endpoint (the provider's is the default, `/metrics`).
pub const CONSUMER_PATH: &str = "/prometheus";

/// A provider of the greeter on `dubbo_port`, metrics at `127.0.0.1:<metrics_port>/metrics`.
pub async fn provider(dubbo_port: u16, metrics_port: u16) -> Running {
    let text = format!(
        "[application]\nname = \"{PROVIDER_APP}\"\n\n\
         [protocols.dubbo]\nport = {dubbo_port}\n\n\
         [services.greeter]\nversion = \"1.0.0\"\n\n\
         [metrics]\nenabled = true\nport = {metrics_port}\n"
    );
    Bootstrap::from_config(Config::parse(&text, "provider.toml").expect("config"))
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .expect("provider started")
}

/// A consumer of the greeter at `127.0.0.1:<dubbo_port>` (no retries), metrics at
/// `127.0.0.1:<metrics_port>/prometheus`.
pub async fn consumer(dubbo_port: u16, metrics_port: u16) -> Running {
    let text = format!(
        "[application]\nname = \"{CONSUMER_APP}\"\n\n\
         [references.greeter]\ninterface = \"{INTERFACE}\"\nversion = \"1.0.0\"\n\
         url = \"dubbo://127.0.0.1:{dubbo_port}\"\nretries = 0\n\n\
         [metrics]\nenabled = true\nport = {metrics_port}\npath = \"{CONSUMER_PATH}\"\n"
    );
    Bootstrap::from_config(Config::parse(&text, "consumer.toml").expect("config"))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .expect("consumer started")
}

/// Makes `hellos` `sayHello` calls and `fails` `fail` calls (each a business exception)
/// through the consumer's `greeter` reference.
pub async fn call(consumer: &Running, hellos: usize, fails: usize) {
    let client = consumer.client::<dyn Greeter>("greeter").expect("client");
    for i in 0..hellos {
        let answer = client.say_hello(format!("n{i}")).await.expect("sayHello");
        assert_eq!(answer, format!("Hello, n{i}"));
    }
    for _ in 0..fails {
        client.fail("on purpose".into()).await.unwrap_err();
    }
}

/// The body of a `GET path` on the application's metrics endpoint (status 200).
pub async fn scrape(running: &Running, path: &str) -> String {
    let addr = running.metrics_addr().expect("metrics are enabled");
    let (status, body) = http_get(addr, path).await.expect("scraped");
    assert_eq!(status, 200, "{body}");
    body
}

/// The value of `family{method="<method>"}` in a scrape (panics when there is none).
pub fn value(text: &str, family: &str, method: &str) -> f64 {
    prometheus_sample(text, family, &[("method", method)])
        .unwrap_or_else(|| panic!("no {family}{{method={method:?}}} in\n{text}"))
}
