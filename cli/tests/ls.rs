//! `oxidubbo ls` against a real ZooKeeper (`OXIDUBBO_ZK`), with provider and consumer nodes
//! the test registers itself in the Dubbo layout.

mod common;

use common::{code, oxidubbo, stderr, stdout, stdout_json};
use oxidubbo_common::Url;
use serde_json::json;

#[test]
fn ls_prints_providers_and_consumers_decoded() {
    let Some(zk) = common::zookeeper("ls_prints_providers_and_consumers_decoded") else {
        return;
    };
    let interface = common::unique("com.example.cli.LsService");
    let provider = Url::builder("dubbo")
        .host("10.0.0.7")
        .port(20880)
        .path(interface.clone())
        .param("interface", interface.clone())
        .param("version", "1.0.0")
        .param("methods", "a,b")
        .param("side", "provider")
        .param("category", "providers")
        .build();
    let consumer = Url::builder("consumer")
        .host("10.0.0.9")
        .path(interface.clone())
        .param("interface", interface.clone())
        .param("side", "consumer")
        .param("category", "consumers")
        .param("application", "demo app")
        .build();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // The session (and so the ephemeral nodes) lives until the end of the test.
    let client = rt.block_on(common::zk_client(&zk));
    rt.block_on(async {
        common::zk_register(&client, "dubbo", &interface, "providers", &provider).await;
        common::zk_register(&client, "dubbo", &interface, "consumers", &consumer).await;
    });

    // Text, one service.
    let registry = format!("zookeeper://{zk}");
    let out = oxidubbo(&["ls", &registry, &interface]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let expected = format!(
        "{interface}\n  providers (1):\n    {}\n  consumers (1):\n    {}\n",
        provider.to_full_string(),
        consumer.to_full_string()
    );
    assert_eq!(text, expected);
    // Decoded: the raw node names are percent-encoded, the output is not.
    assert!(text.contains("dubbo://10.0.0.7:20880/"), "{text}");
    assert!(text.contains("application=demo app"), "{text}");

    // JSON, all services: ours is among them.
    let out = oxidubbo(&["ls", &format!("zk://{zk}"), "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json = stdout_json(&out);
    let ours = json["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["interface"] == interface.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{interface} not listed: {json}"));
    assert_eq!(
        ours,
        json!({
            "interface": interface,
            "providers": [provider.to_full_string()],
            "consumers": [consumer.to_full_string()],
            "configurators": [],
            "routers": []
        })
    );

    // Without an interface, text output lists our service too.
    let out = oxidubbo(&["ls", &zk]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains(&expected), "{}", stdout(&out));

    // An unknown service: exit 1.
    let out = oxidubbo(&["ls", &registry, &common::unique("com.example.cli.Missing")]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("no service"), "{}", stderr(&out));
    drop(client);
}

#[test]
fn ls_of_an_unreachable_registry_exits_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let out = oxidubbo(&[
        "ls",
        &format!("zookeeper://127.0.0.1:{port}"),
        "--timeout",
        "1500",
    ]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("zookeeper"), "{}", stderr(&out));
}

#[test]
fn ls_rejects_other_registries() {
    let out = oxidubbo(&["ls", "nacos://127.0.0.1:8848"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}
