//! `invoke` with Java's syntax, over telnet and HTTP, through the provider filter chain of
//! the exported service (the `metrics` filter of that chain counts the calls); bad lines get
//! Java's error texts.
#![allow(missing_docs)]

mod qos_support;

use oxidubbo_integration_tests::{free_port, http_get, prometheus_sample};
use qos_support::{INTERFACE, Telnet, provider_config, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_calls_through_the_filter_chain() {
    let running = start(provider_config(
        free_port(),
        0,
        "[metrics]\nenabled = true\nport = 0\n",
    ))
    .await;
    let addr = running.qos_addr().expect("qos enabled");
    let mut telnet = Telnet::connect(addr).await;

    let answer = telnet
        .command(&format!("invoke {INTERFACE}.sayHello(\"world\")"))
        .await;
    let (result, elapsed) = answer.split_once("\r\n").expect("two lines");
    assert_eq!(result, "result: \"Hello, world\"");
    let ms = elapsed
        .strip_prefix("elapsed: ")
        .and_then(|e| e.strip_suffix(" ms."))
        .expect("elapsed: N ms.");
    ms.parse::<u64>().expect("a number of ms");

    assert!(
        telnet
            .command("invoke GreeterService.add(2, 40)")
            .await
            .starts_with("result: 42\r\n")
    );
    assert!(
        telnet
            .command(r#"invoke echo({"k": [1, true, null, "s"]})"#)
            .await
            .starts_with(r#"result: {"k":[1,true,null,"s"]}"#)
    );
    let (status, body) = http_get(addr, &format!("/invoke?a={INTERFACE}.sayHello(%22http%22)"))
        .await
        .expect("invoke");
    assert_eq!(status, 200);
    assert!(
        body.starts_with("result: \"Hello, http\"\r\nelapsed: "),
        "{body}"
    );

    // Java's error texts.
    assert_eq!(
        telnet.command("invoke sayHello").await,
        "Invalid parameters, format: service.method(args)"
    );
    assert_eq!(
        telnet.command("invoke com.nosuch.Svc.m()").await,
        "No such service com.nosuch.Svc"
    );
    assert_eq!(
        telnet
            .command(&format!("invoke {INTERFACE}.nosuch()"))
            .await,
        format!("No such method nosuch in service {INTERFACE}")
    );
    assert!(
        telnet
            .command("invoke sayHello(\"unterminated)")
            .await
            .starts_with("Invalid json argument, cause: ")
    );
    let failed = telnet.command("invoke fail(\"boom\")").await;
    assert!(
        failed.starts_with("Failed to invoke method fail, cause: ") && failed.contains("boom"),
        "{failed}"
    );

    // Every call went through the provider chain: its metrics filter counted them.
    let metrics = running.metrics_addr().expect("metrics enabled");
    let (_, text) = http_get(metrics, "/metrics").await.expect("scraped");
    let count = |method| {
        prometheus_sample(
            &text,
            "dubbo_provider_requests_total",
            &[("method", method)],
        )
    };
    assert_eq!(count("sayHello"), Some(2.0), "{text}");
    assert_eq!(count("add"), Some(1.0));
    assert_eq!(count("fail"), Some(1.0));
    running.shutdown().await;
}
