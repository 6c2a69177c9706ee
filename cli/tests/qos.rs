//! `oxidubbo qos`: the real binary runs QoS commands on an application's `[qos]` server
//! and exits 0 on 200, 1 on another status, 3 when nothing listens.
#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use common::oxidubbo_with_stdin;
use oxidubbo::config::Config;
use oxidubbo::{Bootstrap, DubboProtocol};
use oxidubbo_examples::{Greeter, HelloGreeter};

#[test]
fn qos_runs_commands_on_a_qos_server() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let config = Config::parse(
        "[protocols.dubbo]\nport = 0\n[services.greeter]\nversion = \"1.0.0\"\n[qos]\nenabled = true\nport = 0\n",
        "provider.toml",
    )
    .expect("config");
    let running = runtime
        .block_on(
            Bootstrap::from_config(config)
                .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
                .dubbo_protocol(Arc::new(DubboProtocol::new()))
                .start(),
        )
        .expect("started");
    let addr = running.qos_addr().expect("qos enabled").to_string();
    let run = |args: &[&str]| {
        let mut all = vec!["qos"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--addr", &addr]);
        let out = oxidubbo_with_stdin(&all, b"");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, ls) = run(&["ls"]);
    assert_eq!(code, Some(0));
    assert!(ls.contains("GreeterService:1.0.0 | Y"), "{ls}");
    assert_eq!(run(&["ready"]), (Some(0), "true\n".to_owned()));
    let (code, invoked) = run(&["invoke", "GreeterService.sayHello(\"cli\")"]);
    assert_eq!(code, Some(0));
    assert!(invoked.starts_with("result: \"Hello, cli\""), "{invoked}");
    assert_eq!(run(&["nosuch"]).0, Some(1));

    runtime.block_on(running.shutdown());
    assert_eq!(
        run(&["ready"]).0,
        Some(3),
        "nothing listens after the shutdown"
    );
}
