//! `oxidubbo bench` for about two seconds against the greeter provider.

mod common;

use common::{Greeter, code, oxidubbo, stderr, stdout};

fn field<'a>(text: &'a str, key: &str) -> &'a str {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} in:\n{text}"))
}

#[test]
fn bench_prints_qps_and_percentiles() {
    let greeter = Greeter::start();
    let out = oxidubbo(&[
        "bench",
        &greeter.target(),
        "--version",
        "1.0.0",
        "sayHello",
        r#"["bench"]"#,
        "--concurrency",
        "4",
        "--duration",
        "2s",
        "--progress",
    ]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let text = stdout(&out);
    for key in ["qps=", "p50=", "p90=", "p99=", "max=", "errors="] {
        assert!(text.contains(key), "missing {key} in:\n{text}");
    }
    let ok: u64 = field(&text, "ok=").parse().expect("ok count");
    let requests: u64 = field(&text, "requests=").parse().expect("request count");
    assert!(ok > 0, "{text}");
    assert_eq!(field(&text, "errors="), "0", "{text}");
    assert_eq!(ok, requests);
    let qps: f64 = field(&text, "qps=").parse().expect("qps");
    assert!(qps > 0.0);
    // --progress: at least one progress line on stderr.
    assert!(stderr(&out).contains(" qps"), "{}", stderr(&out));
}

#[test]
fn bench_counts_errors_and_fails_when_nothing_succeeds() {
    let greeter = Greeter::start();
    let out = oxidubbo(&[
        "bench",
        &greeter.target(),
        "--version",
        "1.0.0",
        "fail",
        r#"["x"]"#,
        "-c",
        "2",
        "-d",
        "500ms",
        "-n",
        "50",
    ]);
    assert_eq!(code(&out), 1, "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(field(&text, "requests="), "50", "{text}");
    assert_eq!(field(&text, "errors="), "50", "{text}");
    assert!(text.contains("remote_exception=50"), "{text}");
}

#[test]
fn bench_rejects_bad_flags() {
    for args in [
        vec!["bench", "dubbo://127.0.0.1:1/a.B", "m", "[]", "-c", "0"],
        vec!["bench", "dubbo://127.0.0.1:1/a.B", "m", "[]", "-d", "soon"],
    ] {
        let out = oxidubbo(&args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
    }
}
