//! `oxidubbo invoke` against the greeter provider, run in-process on a free port.

mod common;

use common::{Greeter, code, oxidubbo, oxidubbo_with_stdin, stderr, stdout, stdout_json};
use serde_json::json;

#[test]
fn say_hello_returns_a_string() {
    let greeter = Greeter::start();
    let out = oxidubbo(&[
        "invoke",
        &greeter.target(),
        "--version",
        "1.0.0",
        "sayHello",
        r#"["world"]"#,
    ]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(stdout_json(&out), json!("Hello, world"));
}

#[test]
fn add_returns_an_int_and_version_may_come_from_the_url() {
    let greeter = Greeter::start();
    let target = format!("{}?version=1.0.0", greeter.target());
    let out = oxidubbo(&["invoke", &target, "add", "[2,3]", "--compact"]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "5");
}

#[test]
fn get_user_returns_a_pojo() {
    let greeter = Greeter::start();
    let out = oxidubbo(&[
        "invoke",
        &greeter.target(),
        "--version",
        "1.0.0",
        "getUser",
        "[42]",
        "--types",
        "long",
        "-v",
    ]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(
        stdout_json(&out),
        json!({"$class": "com.example.User", "id": 42, "name": "user-42", "tags": ["a", "b"]})
    );
    // --verbose tells what was sent.
    assert!(
        stderr(&out).contains("getUser(long) [J]"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn remote_exception_exits_1_with_class_and_message() {
    let greeter = Greeter::start();
    let out = oxidubbo(&[
        "invoke",
        &greeter.target(),
        "--version",
        "1.0.0",
        "fail",
        r#"["boom"]"#,
    ]);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.contains("java.lang.RuntimeException"), "{err}");
    assert!(err.contains("boom"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn echo_round_trips_every_json_escape() {
    let greeter = Greeter::start();
    let arg = json!({
        "$class": "com.example.Thing",
        "id": 7,
        "count": 3,
        "when": {"$date": 1_700_000_000_000i64},
        "data": {"$binary": "AAEC"},
        "big": {"$long": 5},
        "tags": {"$type": "java.util.LinkedList", "$list": ["x"]},
        "byId": {"$map": [[1, "one"]]},
        "plain": {"k": [1.5, null, true]}
    });
    let args = json!([arg]).to_string();
    // Arguments from stdin.
    let out = oxidubbo_with_stdin(
        &[
            "invoke",
            &greeter.target(),
            "--version",
            "1.0.0",
            "echo",
            "-",
            "--tag-longs",
        ],
        args.as_bytes(),
    );
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    // `id` went as a long (the id rule), `count` as an int.
    let mut expected = arg.clone();
    expected["id"] = json!({"$long": 7});
    assert_eq!(stdout_json(&out), expected);
    // Without --tag-longs, longs print as plain numbers.
    let out = oxidubbo_with_stdin(
        &[
            "invoke",
            &greeter.target(),
            "--version",
            "1.0.0",
            "echo",
            "-",
        ],
        args.as_bytes(),
    );
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let mut plain = arg.clone();
    plain["big"] = json!(5);
    assert_eq!(stdout_json(&out), plain);
}

#[test]
fn wrong_version_is_a_failed_call() {
    let greeter = Greeter::start();
    let out = oxidubbo(&[
        "invoke",
        &greeter.target(),
        "--version",
        "9.9.9",
        "sayHello",
        r#"["x"]"#,
    ]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("not found"), "{}", stderr(&out));
}

#[test]
fn attachments_and_timeout_are_accepted() {
    let greeter = Greeter::start();
    let out = oxidubbo(&[
        "invoke",
        &greeter.target(),
        "--version",
        "1.0.0",
        "--attachment",
        "trace=abc",
        "-a",
        "x=1",
        "--timeout",
        "2000",
        "sayHello",
        r#"["a"]"#,
    ]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(stdout_json(&out), json!("Hello, a"));
}

#[test]
fn dry_run_frame_decodes_back() {
    let out = oxidubbo(&[
        "invoke",
        "--dry-run",
        "dubbo://127.0.0.1:20880/com.example.Svc",
        "--group",
        "g1",
        "--attachment",
        "k=v",
        "find",
        r#"[{"id": 1}, [1, 2]]"#,
        "--types",
        "com.example.Query,long[]",
    ]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let hex = stdout(&out);
    let decoded = oxidubbo(&["decode", "--tag-longs", "--hex", hex.trim()]);
    assert_eq!(code(&decoded), 0, "stderr: {}", stderr(&decoded));
    let body = &stdout_json(&decoded)["frames"][0]["body"];
    assert_eq!(body["method"], "find");
    assert_eq!(body["parameter_types"], "Lcom/example/Query;[J");
    assert_eq!(
        body["arguments"],
        json!([
            {"$class": "com.example.Query", "id": {"$long": 1}},
            {"$type": "[long", "$list": [{"$long": 1}, {"$long": 2}]}
        ])
    );
    assert_eq!(body["attachments"]["group"], "g1");
    assert_eq!(body["attachments"]["k"], "v");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        // Not an array.
        vec!["invoke", "dubbo://127.0.0.1:1/a.B", "m", r#"{"x":1}"#],
        // Bad JSON.
        vec!["invoke", "dubbo://127.0.0.1:1/a.B", "m", "[1,"],
        // Type count mismatch.
        vec![
            "invoke",
            "dubbo://127.0.0.1:1/a.B",
            "m",
            "[1]",
            "--types",
            "int,int",
        ],
        // Value does not fit the declared type.
        vec![
            "invoke",
            "dubbo://127.0.0.1:1/a.B",
            "m",
            r#"["x"]"#,
            "--types",
            "int",
        ],
        // Unknown escape.
        vec!["invoke", "dubbo://127.0.0.1:1/a.B", "m", r#"[{"$nope":1}]"#],
        // Registry without an interface.
        vec!["invoke", "zookeeper://127.0.0.1:2181", "m", "[]"],
        // Bad attachment.
        vec![
            "invoke",
            "dubbo://127.0.0.1:1/a.B",
            "m",
            "--attachment",
            "novalue",
        ],
        // Missing method.
        vec!["invoke", "dubbo://127.0.0.1:1/a.B"],
    ] {
        let out = oxidubbo(&args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn unreachable_provider_exits_3() {
    // A port that was free a moment ago.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let target = format!("dubbo://127.0.0.1:{port}/a.B");
    let out = oxidubbo(&["invoke", &target, "m", "[]", "--timeout", "2000"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
}

#[test]
fn through_a_zookeeper_registry() {
    let Some(zk) = common::zookeeper("invoke through a zookeeper registry") else {
        return;
    };
    let greeter = Greeter::start();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // The provider serves the real greeter interface, so the test registers it under a
    // registry root of its own (the registry URL's `group`) to stay apart from other runs.
    let root = common::unique("oxidubbo-cli-");
    let client = rt.block_on(common::zk_client(&zk));
    let url = oxidubbo_common::Url::builder("dubbo")
        .host("127.0.0.1")
        .port(greeter.port)
        .path(common::GREETER)
        .param("interface", common::GREETER)
        .param("version", "1.0.0")
        .param("side", "provider")
        .build();
    rt.block_on(common::zk_register(
        &client,
        &root,
        common::GREETER,
        "providers",
        &url,
    ));
    let registry = format!("zookeeper://{zk}?group={root}");
    let out = oxidubbo(&[
        "invoke",
        &registry,
        "--interface",
        common::GREETER,
        "sayHello",
        r#"["zk"]"#,
    ]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(stdout_json(&out), json!("Hello, zk"));
    // A version nobody registered: no provider (exit 3).
    let out = oxidubbo(&[
        "invoke",
        &format!("zookeeper://{zk}/{}?group={root}", common::GREETER),
        "--version",
        "2.0.0",
        "sayHello",
        r#"["zk"]"#,
    ]);
    assert_eq!(code(&out), 3, "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("no dubbo provider"),
        "{}",
        stderr(&out)
    );
}
