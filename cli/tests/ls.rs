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

/// Writes a node at `path` with `data` (its folders persistent, created as needed).
async fn zk_write(
    client: &zookeeper_client::Client,
    path: &str,
    data: &[u8],
    mode: zookeeper_client::CreateMode,
) {
    use zookeeper_client::{Acls, CreateMode};
    let folder = &path[..path.rfind('/').expect("a folder")];
    match client
        .mkdir(
            folder,
            &CreateMode::Persistent.with_acls(Acls::anyone_all()),
        )
        .await
    {
        Ok(()) | Err(zookeeper_client::Error::NodeExists) => {}
        Err(e) => panic!("mkdir {folder}: {e}"),
    }
    client
        .create(path, data, &mode.with_acls(Acls::anyone_all()))
        .await
        .expect("create node");
}

#[test]
fn ls_shows_the_applications_and_their_instances() {
    let Some(zk) = common::zookeeper("ls_shows_the_applications_and_their_instances") else {
        return;
    };
    use oxidubbo_metadata::ServiceInstance;
    use zookeeper_client::CreateMode;
    let root = common::unique("oxitest-cli-apps-");
    let interface = "com.example.cli.AppService";
    let provider = Url::builder("dubbo")
        .host("10.0.0.7")
        .port(20880)
        .path(interface)
        .param("interface", interface)
        .param("side", "provider")
        .build();
    // Two applications mapped to the interface: one with two instances (the second with no
    // revision), one with none; and a node that is not an instance.
    let mut first = ServiceInstance::new("cli-app", "10.0.0.7", 20880);
    first
        .metadata
        .insert("dubbo.metadata.revision".into(), "a1b2c3".into());
    let second = ServiceInstance::new("cli-app", "10.0.0.8", 20881);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let client = rt.block_on(common::zk_client(&zk));
    rt.block_on(async {
        common::zk_register(&client, &root, interface, "providers", &provider).await;
        zk_write(
            &client,
            &format!("/{root}/mapping/{interface}"),
            b"cli-app,cli-idle",
            CreateMode::Persistent,
        )
        .await;
        for i in [&first, &second] {
            let path = format!("/{root}/cli-app/{}", i.id);
            zk_write(
                &client,
                &path,
                i.to_curator_json().as_bytes(),
                CreateMode::Ephemeral,
            )
            .await;
        }
        zk_write(
            &client,
            &format!("/{root}/cli-app/junk"),
            b"{",
            CreateMode::Ephemeral,
        )
        .await;
    });
    let registry = format!("zookeeper://{zk}?group={root}");

    // Text: the interfaces as before (no application, mapping or metadata folder among
    // them), then the applications.
    let out = oxidubbo(&["ls", &registry]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let expected_head = format!(
        "{interface}\n  providers (1):\n    {}\n  consumers (0):\n\
         applications (2):\n  cli-app (3):\n    10.0.0.7:20880 revision=a1b2c3\n    10.0.0.8:20881 revision=-\n    junk (undecodable: ",
        provider.to_full_string()
    );
    assert!(text.starts_with(&expected_head), "{text}");
    assert!(text.ends_with("\n  cli-idle (0):\n"), "{text}");

    // One interface: its applications.
    let out = oxidubbo(&["ls", &registry, interface]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with(&expected_head), "{}", stdout(&out));

    // JSON.
    let out = oxidubbo(&["ls", &registry, "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json = stdout_json(&out);
    assert_eq!(json["services"].as_array().map(Vec::len), Some(1), "{json}");
    let apps = &json["applications"];
    assert_eq!(apps[0]["name"], "cli-app", "{json}");
    assert_eq!(
        apps[0]["instances"][0],
        json!({ "address": "10.0.0.7:20880", "revision": "a1b2c3" })
    );
    assert_eq!(
        apps[0]["instances"][1],
        json!({ "address": "10.0.0.8:20881", "revision": null })
    );
    assert_eq!(apps[0]["instances"][2]["node"], "junk", "{json}");
    assert_eq!(apps[1], json!({ "name": "cli-idle", "instances": [] }));
    drop(client);
}
