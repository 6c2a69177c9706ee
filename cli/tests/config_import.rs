//! `oxidubbo config import`: a dubbo-go YAML file printed as oxidubbo TOML that reads back
//! into the same configuration, its unapplied keys listed with their line.
#![allow(missing_docs)]

mod common;

use std::path::PathBuf;

use common::oxidubbo;
use oxidubbo::config::Config;

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../oxidubbo/tests/dubbogo")
        .join(name)
}

#[test]
fn import_prints_toml_that_reads_back_the_same() {
    for name in [
        "zookeeper-server.yml",
        "zookeeper-client.yml",
        "helloworld-server.yml",
    ] {
        let path = sample(name);
        let out = oxidubbo(&["config", "import", path.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let from_toml =
            Config::parse(&text, "imported.toml").unwrap_or_else(|e| panic!("{e}\n{text}"));
        let from_yaml = Config::from_file(&path).unwrap();
        assert_eq!(from_toml.registries, from_yaml.registries, "{name}");
        assert_eq!(from_toml.protocols, from_yaml.protocols, "{name}");
        assert_eq!(from_toml.services, from_yaml.services, "{name}");
        assert_eq!(from_toml.references, from_yaml.references, "{name}");
        assert_eq!(from_toml.application, from_yaml.application, "{name}");
        assert_eq!(from_toml.shutdown, from_yaml.shutdown, "{name}");
    }
}

#[test]
fn import_lists_the_keys_not_applied_and_fails_on_bad_files() {
    let dir = std::env::temp_dir().join(format!("oxidubbo-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("dubbogo.yml");
    std::fs::write(
        &file,
        "dubbo:\n  consumer:\n    references:\n      R:\n        interface: a.S\n        sticky: true\n",
    )
    .unwrap();
    let out = oxidubbo(&["config", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("dubbogo.yml:6:9: dubbo.consumer.references.R.sticky: not supported by oxidubbo; ignored"),
        "{text}"
    );
    assert!(text.contains("[references.R]"), "{text}");

    std::fs::write(&file, "dubbo:\n  protocols:\n    p:\n      port: many\n").unwrap();
    let out = oxidubbo(&["config", "import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("dubbogo.yml:4:"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
