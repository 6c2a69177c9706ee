//! `accesslog`: a line per call through `tracing` or appended to a file.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use oxidubbo_filter::{Side, build_chain};
use oxidubbo_invoker::{Invocation, Value};
use support::{capture_logs, recording_service, say_hello, url};

#[tokio::test]
async fn accesslog_true_logs_through_tracing() {
    let (_guard, logs) = capture_logs();
    let u = url("accesslog=true");
    let (service, _) = recording_service(u.clone());
    let chain = build_chain(&u, Side::Provider, service).unwrap();
    let call = say_hello("x").with_attachment("remote.address", "10.1.2.3:4567");
    chain.invoke(call).await.unwrap();
    let fail = Invocation::new("fail", "Ljava/lang/String;", vec![Value::from("business")]);
    let _ = chain.invoke(fail).await;
    let text = logs.text();
    assert!(text.contains("oxidubbo::accesslog"), "{text}");
    assert!(
        text.contains(
            "10.1.2.3:4567 -> 127.0.0.1:20880 - org.example.Greeter:1.0.0 \
             sayHello(Ljava/lang/String;) [\"x\"] ok"
        ),
        "{text}"
    );
    assert!(
        text.contains("fail(Ljava/lang/String;) [\"business\"] error"),
        "{text}"
    );
    assert!(text.contains("no such user"), "{text}");
}

#[tokio::test]
async fn without_accesslog_nothing_is_logged() {
    let (_guard, logs) = capture_logs();
    let (service, _) = recording_service(url(""));
    let chain = build_chain(&url("accesslog=false"), Side::Provider, service).unwrap();
    chain.invoke(say_hello("x")).await.unwrap();
    assert!(!logs.text().contains("oxidubbo::accesslog"));
}

fn temp_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("oxidubbo-accesslog-{}-{nanos}", std::process::id()))
}

#[tokio::test]
async fn a_path_appends_lines_to_that_file() {
    let dir = temp_dir();
    let path = dir.join("logs").join("access.log");
    std::fs::create_dir_all(&dir).unwrap();
    // Not a consumer default: listed explicitly.
    let u = url(&format!(
        "reference.filter=accesslog&accesslog={}",
        path.display()
    ));
    let (service, _) = recording_service(u.clone());
    let chain = build_chain(&u, Side::Consumer, service).unwrap();
    chain.invoke(say_hello("one")).await.unwrap();
    chain.invoke(say_hello("two")).await.unwrap();

    let mut text = String::new();
    for _ in 0..250 {
        text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.lines().count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with('[') && lines[0].contains("sayHello(Ljava/lang/String;) [\"one\"] ok")
    );
    assert!(
        lines[1].contains("- -> 127.0.0.1:20880 - org.example.Greeter:1.0.0"),
        "{}",
        lines[1]
    );
    chain.destroy();
    drop(chain);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_unwritable_path_is_a_config_error() {
    let dir = temp_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let blocker = dir.join("file");
    std::fs::write(&blocker, b"x").unwrap();
    // A path *under* a regular file cannot be created.
    let u = url(&format!(
        "accesslog={}",
        blocker.join("access.log").display()
    ));
    let (service, _) = recording_service(u.clone());
    let made = build_chain(&u, Side::Provider, service);
    assert!(matches!(made, Err(oxidubbo_invoker::RpcError::Config(_))));
    let _ = std::fs::remove_dir_all(&dir);
}
