//! `[metrics]` on a provider and a consumer bootstrap: their Prometheus endpoints, scraped
//! over HTTP, count a known number of calls exactly, under dubbo-go's and Java's names
//! and labels; method names from the wire add no series; the shutdown frees the port.
#![allow(missing_docs)]

mod metrics_support;

use std::sync::Arc;

use metrics_support::{
    CONSUMER_PATH, INTERFACE, PROVIDER_APP, call, consumer, provider, scrape, value,
};
use oxidubbo::config::Config;
use oxidubbo::metrics::local_hostname;
use oxidubbo::{Bootstrap, DubboProtocol, Invocation, Protocol, Url};
use oxidubbo_examples::{Greeter, HelloGreeter};
use oxidubbo_integration_tests::{free_port, http_get, prometheus_sample};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_and_consumer_count_calls_exactly() {
    let (dubbo_port, provider_metrics, consumer_metrics) = (free_port(), free_port(), free_port());
    let provider = provider(dubbo_port, provider_metrics).await;
    let consumer = consumer(dubbo_port, consumer_metrics).await;
    assert_eq!(
        provider.metrics_addr().map(|a| a.to_string()),
        Some(format!("127.0.0.1:{provider_metrics}"))
    );
    const HELLOS: usize = 7;
    const FAILS: usize = 3;
    call(&consumer, HELLOS, FAILS).await;

    let text = scrape(&provider, "/metrics").await;
    let hostname = local_hostname();
    let exact = format!(
        "dubbo_provider_requests_total{{application_name=\"{PROVIDER_APP}\",interface=\"{INTERFACE}\",\
         method=\"sayHello\",group=\"\",version=\"1.0.0\",ip=\"127.0.0.1\",hostname=\"{hostname}\"}} {HELLOS}\n"
    );
    assert!(text.contains(&exact), "no {exact} in\n{text}");
    let hellos = HELLOS as f64;
    let fails = FAILS as f64;
    for (side, text) in [
        ("provider", text),
        ("consumer", scrape(&consumer, CONSUMER_PATH).await),
    ] {
        let family = |name: &str| format!("dubbo_{side}_{name}");
        assert_eq!(
            value(&text, &family("requests_total"), "sayHello"),
            hellos,
            "{side}"
        );
        assert_eq!(
            value(&text, &family("requests_succeed_total"), "sayHello"),
            hellos
        );
        assert_eq!(
            value(&text, &family("requests_failed_total"), "sayHello"),
            0.0
        );
        assert_eq!(
            value(&text, &family("requests_total"), "fail"),
            fails,
            "{side}"
        );
        assert_eq!(value(&text, &family("requests_succeed_total"), "fail"), 0.0);
        assert_eq!(
            value(&text, &family("requests_failed_total"), "fail"),
            fails
        );
        assert_eq!(
            value(&text, &family("requests_business_failed_total"), "fail"),
            fails
        );
        for other in [
            "requests_timeout_total",
            "requests_limit_total",
            "requests_failed_service_unavailable_total",
            "requests_failed_codec_total",
            "requests_failed_network_total",
            "requests_unknown_failed_total",
        ] {
            assert_eq!(value(&text, &family(other), "fail"), 0.0, "{side} {other}");
        }
        assert_eq!(
            value(&text, &family("requests_processing"), "sayHello"),
            0.0
        );
        assert!(
            value(&text, &family("qps_total"), "sayHello") > 0.0,
            "{side}"
        );
        let (min, max, avg) = (
            value(&text, &family("rt_milliseconds_min"), "sayHello"),
            value(&text, &family("rt_milliseconds_max"), "sayHello"),
            value(&text, &family("rt_milliseconds_avg"), "sayHello"),
        );
        assert!(min <= avg && avg <= max, "{side}: {min} {avg} {max}");
        let sum = value(&text, &family("rt_milliseconds_sum"), "sayHello");
        assert!(
            (sum - avg * hellos).abs() < 1e-6 * sum.max(1.0),
            "{side}: {sum} {avg}"
        );
        let (p95, p99) = (
            value(&text, &family("rt_milliseconds_p95"), "sayHello"),
            value(&text, &family("rt_milliseconds_p99"), "sayHello"),
        );
        assert!(
            min <= p95 && p95 <= p99 && p99 <= max,
            "{side}: {p95} {p99}"
        );
        let other_side = if side == "provider" {
            "consumer"
        } else {
            "provider"
        };
        assert!(!text.contains(&format!("dubbo_{other_side}_")), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
    // The protocols' gauges: each application runs on a dubbo protocol of its own.
    let provider_text = scrape(&provider, "/metrics").await;
    let consumer_text = scrape(&consumer, CONSUMER_PATH).await;
    let dubbo = [("protocol", "dubbo")];
    for (text, family, expected) in [
        (&provider_text, "dubbo_protocol_exporters", 1.0),
        (&provider_text, "dubbo_protocol_servers", 1.0),
        (&provider_text, "dubbo_protocol_invokers", 0.0),
        (&consumer_text, "dubbo_protocol_exporters", 0.0),
        (&consumer_text, "dubbo_protocol_invokers", 1.0),
        (&consumer_text, "dubbo_protocol_connections", 1.0),
    ] {
        assert_eq!(
            prometheus_sample(text, family, &dubbo),
            Some(expected),
            "{family} in\n{text}"
        );
    }
    // Another path is not the endpoint.
    let addr = provider.metrics_addr().unwrap();
    assert_eq!(http_get(addr, "/other").await.unwrap().0, 404);

    consumer.shutdown().await;
    provider.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_names_from_the_wire_add_no_series() {
    let (dubbo_port, metrics_port) = (free_port(), free_port());
    let provider = provider(dubbo_port, metrics_port).await;
    let metrics = Arc::clone(provider.metrics().expect("enabled"));
    let before = metrics.series_count();
    // One series per method of the interface, made when it was exported.
    assert_eq!(before, 5);

    // A plain consumer (no metrics of its own) sends names the provider does not export.
    let protocol = DubboProtocol::new();
    let url: Url = format!("dubbo://127.0.0.1:{dubbo_port}/{INTERFACE}?interface={INTERFACE}&version=1.0.0&timeout=5000")
        .parse()
        .unwrap();
    let invoker = protocol.refer(Arc::new(url)).await.expect("referred");
    for i in 0..50 {
        let call = Invocation::new(format!("bogus{i}"), "Ljava/lang/String;", vec!["x".into()]);
        invoker.invoke(call).await.unwrap_err();
    }
    // A generic call naming an unknown method, and one naming a real one.
    let generic = |method: &str| {
        let list = |items| oxidubbo::Value::List(oxidubbo::hessian2::List::untyped(items));
        Invocation::new(
            "$invoke",
            "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;",
            vec![
                method.into(),
                list(vec!["java.lang.String".into()]),
                list(vec!["Ann".into()]),
            ],
        )
    };
    invoker.invoke(generic("bogusGeneric")).await.unwrap_err();
    let hello = invoker
        .invoke(generic("sayHello"))
        .await
        .expect("generic call");
    assert_eq!(hello.value.as_str(), Some("Hello, Ann"));

    assert_eq!(metrics.series_count(), before);
    let text = scrape(&provider, "/metrics").await;
    assert!(!text.contains("bogus"), "{text}");
    let series = text
        .lines()
        .filter(|l| l.starts_with("dubbo_provider_requests_total{"))
        .count();
    assert_eq!(series, 5, "{text}");
    // The generic call is counted under the method it named.
    assert_eq!(
        value(&text, "dubbo_provider_requests_total", "sayHello"),
        1.0
    );
    protocol.destroy().await;
    provider.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shutdown_stops_the_endpoint_and_frees_its_port() {
    let (dubbo_port, metrics_port) = (free_port(), free_port());
    let provider = provider(dubbo_port, metrics_port).await;
    let addr = provider.metrics_addr().expect("enabled");
    assert_eq!(http_get(addr, "/metrics").await.unwrap().0, 200);
    // An idle keep-alive connection must not hold the shutdown up, nor outlive it.
    let mut idle = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connected");
    tokio::time::timeout(std::time::Duration::from_secs(10), provider.shutdown())
        .await
        .expect("shutdown within the hang guard");
    assert!(
        http_get(addr, "/metrics").await.is_err(),
        "still answering after the shutdown"
    );
    std::net::TcpListener::bind(addr).expect("the port is free again");
    // Its connection task was ended: the server side is closed.
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio::io::AsyncReadExt::read(&mut idle, &mut buf),
    )
    .await
    .expect("the idle connection was closed");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
}

#[tokio::test]
async fn disabled_metrics_have_no_filter_and_no_endpoint() {
    let text = format!(
        "[protocols.dubbo]\nport = {}\n\n[services.greeter]\nversion = \"1.0.0\"\nfilters = \"metrics\"\n",
        free_port()
    );
    let err = Bootstrap::from_config(Config::parse(&text, "app.toml").unwrap())
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("unknown filter \"metrics\""),
        "{err}"
    );

    let text = format!(
        "[protocols.dubbo]\nport = {}\n\n[services.greeter]\nversion = \"1.0.0\"\n",
        free_port()
    );
    let running = Bootstrap::from_config(Config::parse(&text, "app.toml").unwrap())
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .dubbo_protocol(Arc::new(DubboProtocol::new()))
        .start()
        .await
        .expect("started");
    assert!(running.metrics().is_none());
    assert!(running.metrics_addr().is_none());
    running.shutdown().await;
}

#[tokio::test]
async fn metrics_config_is_checked_and_overridable() {
    let env = [
        ("OXIDUBBO_METRICS__ENABLED".to_owned(), "true".to_owned()),
        ("OXIDUBBO_METRICS__PORT".to_owned(), "9191".to_owned()),
    ];
    let config = Config::from_str_with_env("", "app.toml", env).unwrap();
    assert!(config.metrics.enabled);
    assert_eq!(
        config.metrics.socket_addr().unwrap().to_string(),
        "127.0.0.1:9191"
    );
    assert_eq!(config.metrics.path, "/metrics");
    assert!(!Config::parse("", "app.toml").unwrap().metrics.enabled);

    let text = "[metrics]\nenabled = true\nhost = \"metrics.local\"\n";
    let err = Config::parse(text, "app.toml").unwrap_err();
    assert!(
        err.to_string().starts_with("app.toml:3:1: metrics.host"),
        "{err}"
    );
    let err = Config::parse(
        "[metrics]\nenabled = true\npath = \"metrics\"\n",
        "app.toml",
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("app.toml:3:1: metrics.path"),
        "{err}"
    );
}
