//! `oxidubbo ls` and `oxidubbo invoke` through an etcd registry (`OXIDUBBO_ETCD`), with a
//! provider key the test writes with `etcdctl` in dubbo-go's `etcdv3` layout.

mod common;

use common::{Greeter, code, oxidubbo, stderr, stdout, stdout_json};
use oxidubbo_common::Url;
use serde_json::json;

#[test]
fn ls_and_invoke_through_etcd() {
    let Some(etcd) = common::etcd("ls and invoke through etcd") else {
        return;
    };
    let greeter = Greeter::start();
    let root = common::unique("oxidubbo-cli-etcd-");
    let provider = Url::builder("dubbo")
        .host("127.0.0.1")
        .port(greeter.port)
        .path(common::GREETER)
        .param("interface", common::GREETER)
        .param("version", "1.0.0")
        .param("side", "provider")
        .build();
    let consumer = Url::builder("consumer")
        .host("10.0.0.9")
        .path(common::GREETER)
        .param("interface", common::GREETER)
        .param("side", "consumer")
        .param("category", "consumers")
        .build();
    for (category, url) in [("providers", &provider), ("consumers", &consumer)] {
        let key = format!(
            "/{root}/{}/{category}/{}",
            Url::encode_component(common::GREETER),
            url.to_node_name()
        );
        common::etcdctl(&etcd, &["put", &key, ""]);
    }
    let registry = format!("etcdv3://{etcd}?group={root}");

    // ls: the service with its provider and consumer, decoded.
    let out = oxidubbo(&["ls", &registry]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let expected = format!(
        "{}\n  providers (1):\n    {}\n  consumers (1):\n    {}\n",
        common::GREETER,
        provider.to_full_string(),
        consumer.to_full_string()
    );
    assert!(stdout(&out).contains(&expected), "{}", stdout(&out));
    // etcd:// is the same registry.
    let out = oxidubbo(&[
        "ls",
        &format!("etcd://{etcd}?group={root}"),
        common::GREETER,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), expected);

    // invoke: the provider is picked from etcd.
    let out = oxidubbo(&[
        "invoke",
        &registry,
        "--interface",
        common::GREETER,
        "sayHello",
        r#"["etcd"]"#,
    ]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(stdout_json(&out), json!("Hello, etcd"));
    // The same with --registry: the target is the interface.
    let out = oxidubbo(&[
        "invoke",
        "--registry",
        &registry,
        common::GREETER,
        "sayHello",
        r#"["etcd"]"#,
    ]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(stdout_json(&out), json!("Hello, etcd"));
    // A version nobody registered: no provider (exit 3).
    let out = oxidubbo(&[
        "invoke",
        &registry,
        "--interface",
        common::GREETER,
        "--version",
        "2.0.0",
        "sayHello",
        r#"["etcd"]"#,
    ]);
    assert_eq!(code(&out), 3, "stderr: {}", stderr(&out));

    // The application level, as dubbo-go writes it on etcd: the mapping and an instance
    // (DefaultServiceInstance JSON) under the instances root (here the group).
    common::etcdctl(
        &etcd,
        &[
            "put",
            &format!("/{root}/mapping/{}", common::GREETER),
            "app-x",
        ],
    );
    let instance = r#"{"ID":"10.0.0.5:20880","ServiceName":"app-x","Host":"10.0.0.5","Port":20880,"Enable":true,"Healthy":true,"Metadata":{"dubbo.metadata.revision":"r1"},"ServiceMetadata":null,"Address":"10.0.0.5:20880","GroupName":"","Tag":""}"#;
    common::etcdctl(
        &etcd,
        &["put", &format!("/{root}/app-x/10.0.0.5:20880"), instance],
    );
    let out = oxidubbo(&["ls", &registry]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("applications (1):\n  app-x (1):\n    10.0.0.5:20880 revision=r1\n"),
        "{text}"
    );
    common::etcdctl(&etcd, &["del", "--prefix", &format!("/{root}/")]);
}

#[test]
fn unreachable_etcd_exits_3() {
    // Nothing listens on this port (a port of the discard range, refused at once).
    let out = oxidubbo(&["ls", "etcdv3://127.0.0.1:9", "--timeout", "1000"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
}
