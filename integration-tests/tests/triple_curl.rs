//! curl, an independent HTTP client, calls oxidubbo's Triple port with JSON (TRIPLE.md §8)
//! over HTTP/1.1 and HTTP/2 (prior knowledge): the IDL `greet.GreetService` (generated,
//! `HelloGreetService`) and the interface-style greeter
//! `org.apache.dubbo.samples.api.GreeterService`, exported on one port; and the errors.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use oxidubbo::DubboService;
use oxidubbo_examples::greet::{GreetService, GreetServiceProvider, HelloGreetService};
use oxidubbo_examples::{Greeter, greeter_service};
use oxidubbo_integration_tests::{free_port, missing_peer};
use oxidubbo_invoker::{ServiceInvoker, Url};
use oxidubbo_protocol::{Protocol, TripleProtocol};
use serde_json::{Value as Json, json};
use tokio::process::Command;

/// The body limit of the port (URL `payload`).
const PAYLOAD: usize = 4096;

/// Both services on one Triple port.
async fn serve() -> (TripleProtocol, u16) {
    let protocol = TripleProtocol::new();
    let port = free_port();
    let url = |service: &str, methods: &[&str], extra: &[(&str, &str)]| {
        let mut methods = methods.to_vec();
        methods.sort_unstable();
        let url = Url::builder("tri")
            .host("127.0.0.1")
            .port(port)
            .path(service)
            .param("interface", service)
            .param("methods", methods.join(","))
            .param("payload", PAYLOAD.to_string())
            .params(extra.iter().copied())
            .build();
        Arc::new(url)
    };
    let greet = url(
        <dyn GreetService as DubboService>::INTERFACE,
        <dyn GreetService as DubboService>::METHODS,
        &[("serialization", "protobuf")],
    );
    let greeter = url(
        <dyn Greeter as DubboService>::INTERFACE,
        <dyn Greeter as DubboService>::METHODS,
        &[("version", oxidubbo_examples::VERSION)],
    );
    protocol
        .export(Arc::new(ServiceInvoker::new(
            greet,
            Arc::new(GreetServiceProvider::new(Arc::new(HelloGreetService))),
        )))
        .await
        .expect("greet.GreetService exports");
    protocol
        .export(Arc::new(ServiceInvoker::new(greeter, greeter_service())))
        .await
        .expect("the greeter exports");
    (protocol, port)
}

/// Whether curl runs here (else the test is skipped, or fails when peers are required).
async fn have_curl() -> bool {
    let ok = Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success());
    if !ok {
        missing_peer::<()>("curl (apt-get install curl)");
    }
    ok
}

/// What curl got.
#[derive(Debug)]
struct Got {
    status: u16,
    content_type: String,
    http_version: String,
    body: String,
}

impl Got {
    fn json(&self) -> Json {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// §8's error form: the HTTP status and the code's name; returns the message.
    fn error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.content_type, "application/json", "{self:?}");
        let j = self.json();
        assert_eq!(j["code"], code, "{j}");
        j["message"].as_str().unwrap_or_default().to_owned()
    }
}

const MARK: &str = "\n@@curl@@";

/// `curl -X POST -H 'Content-Type: application/json' -d <body> http://127.0.0.1:<port><path>`
/// over `http` (`--http1.1` or `--http2-prior-knowledge`), with `headers`; at most 20 s.
async fn curl(http: &str, port: u16, path: &str, headers: &[&str], body: &str) -> Got {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "--noproxy",
        "*",
        "--max-time",
        "20",
        http,
        "-X",
        "POST",
    ])
    .args(["-H", "Content-Type: application/json"]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    cmd.args(["--data-binary", body])
        .args([
            "--write-out",
            &format!("{MARK}%{{http_code}} %{{http_version}} %{{content_type}}"),
        ])
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .expect("curl ends within 30 s")
        .expect("curl runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "curl {http} {path} failed ({}): {stdout} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let (body, tail) = stdout
        .rsplit_once(MARK)
        .unwrap_or_else(|| panic!("no write-out in {stdout:?}"));
    let mut tail = tail.splitn(3, ' ');
    let mut next = || tail.next().unwrap_or_default().to_owned();
    Got {
        status: next().parse().unwrap_or_default(),
        http_version: next(),
        content_type: next(),
        body: body.to_owned(),
    }
}

const HTTP: [(&str, &str); 2] = [("--http1.1", "1.1"), ("--http2-prior-knowledge", "2")];

const GREET: &str = "/greet.GreetService/Greet";
const SAY_HELLO: &str = "/org.apache.dubbo.samples.api.GreeterService/sayHello";

#[tokio::test]
async fn curl_calls_the_idl_greet_service_in_json() {
    if !have_curl().await {
        return;
    }
    let (protocol, port) = serve().await;
    for (http, version) in HTTP {
        let got = curl(http, port, GREET, &[], r#"{"name":"x"}"#).await;
        assert_eq!(got.status, 200, "{got:?}");
        assert_eq!(got.http_version, version);
        assert_eq!(got.content_type, "application/json");
        assert_eq!(got.body, r#"{"greeting":"Hello, x"}"#);
        // The method's first letter in the other case, as Java and dubbo-go route.
        let got = curl(
            http,
            port,
            "/greet.GreetService/greet",
            &[],
            r#"{"name":"y"}"#,
        )
        .await;
        assert_eq!(got.json(), json!({"greeting": "Hello, y"}));
    }
    protocol.destroy().await;
}

#[tokio::test]
async fn curl_calls_the_interface_greeter_in_json() {
    if !have_curl().await {
        return;
    }
    let (protocol, port) = serve().await;
    let greeter = "/org.apache.dubbo.samples.api.GreeterService";
    for (http, version) in HTTP {
        let got = curl(http, port, SAY_HELLO, &[], r#""x""#).await;
        assert_eq!(got.status, 200, "{got:?}");
        assert_eq!(got.http_version, version);
        assert_eq!(got.content_type, "application/json");
        assert_eq!(got.body, r#""Hello, x""#);
        let got = curl(
            http,
            port,
            SAY_HELLO,
            &["tri-service-version: 1.0.0"],
            r#"["x"]"#,
        )
        .await;
        assert_eq!(got.body, r#""Hello, x""#);
        let got = curl(http, port, &format!("{greeter}/add"), &[], "[2, 3]").await;
        assert_eq!(got.body, "5");
        let got = curl(http, port, &format!("{greeter}/getUser"), &[], "42").await;
        assert_eq!(
            got.json(),
            json!({"id": 42, "name": "user-42", "tags": ["a", "b"]})
        );
        let got = curl(
            http,
            port,
            &format!("{greeter}/echo"),
            &[],
            r#"{"k": [1, "v"]}"#,
        )
        .await;
        assert_eq!(got.json(), json!({"k": [1, "v"]}));
    }
    protocol.destroy().await;
}

#[tokio::test]
async fn curl_sees_errors_as_json_and_the_port_keeps_serving() {
    if !have_curl().await {
        return;
    }
    let (protocol, port) = serve().await;
    let greeter = "/org.apache.dubbo.samples.api.GreeterService";
    for (http, _) in HTTP {
        let m = curl(http, port, "/no.Such/Greet", &[], "{}")
            .await
            .error(404, "unimplemented");
        assert!(m.contains("no.Such"), "{m}");
        curl(http, port, "/greet.GreetService/Nope", &[], "{}")
            .await
            .error(404, "unimplemented");
        curl(http, port, &format!("{greeter}/nope"), &[], "1")
            .await
            .error(404, "unimplemented");
        for bad in [r#"{"name":"#, "not json"] {
            curl(http, port, GREET, &[], bad)
                .await
                .error(400, "invalid_argument");
            curl(http, port, SAY_HELLO, &[], bad)
                .await
                .error(400, "invalid_argument");
        }
        // JSON that is not a GreetRequest; arguments that do not fit sayHello(String).
        let m = curl(http, port, GREET, &[], r#"{"nmae":"x"}"#)
            .await
            .error(400, "invalid_argument");
        assert!(m.contains("nmae"), "{m}");
        curl(http, port, SAY_HELLO, &[], r#"["x", "y"]"#)
            .await
            .error(500, "internal");
        // A business exception.
        let m = curl(http, port, &format!("{greeter}/fail"), &[], r#""boom""#)
            .await
            .error(500, "unknown");
        assert!(m.contains("fail called: boom"), "{m}");
        // Streaming methods are not HTTP-unary ones, whichever side streams.
        for method in ["GreetServerStream", "GreetClientStream", "GreetStream"] {
            let m = curl(
                http,
                port,
                &format!("/greet.GreetService/{method}"),
                &[],
                "{}",
            )
            .await
            .error(404, "unimplemented");
            assert!(m.contains("streaming method"), "{method}: {m}");
        }
        // Over the port's body limit.
        let big = format!(r#"{{"name":"{}"}}"#, "a".repeat(PAYLOAD));
        curl(http, port, GREET, &[], &big)
            .await
            .error(413, "resource_exhausted");
        curl(http, port, GREET, &["Connect-Timeout-Ms: soon"], "{}")
            .await
            .error(400, "invalid_argument");
    }
    let got = curl("--http1.1", port, GREET, &[], r#"{"name":"still"}"#).await;
    assert_eq!(got.body, r#"{"greeting":"Hello, still"}"#);
    protocol.destroy().await;
}
