//! `OXIDUBBO_…` environment overrides: applied over the file, typed like TOML scalars,
//! and a bad one names its variable. The environment is injected, never the process's.
#![allow(missing_docs)]

use oxidubbo::config::Config;

const TEXT: &str = "\
[application]
name = \"consumer\"

[references.greeter]
interface = \"org.apache.dubbo.samples.api.GreeterService\"
version = \"1.0.0\"
url = \"dubbo://127.0.0.1:20880\"
timeout = 1000
";

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn overrides_replace_file_values_and_add_new_ones() {
    let config = Config::from_str_with_env(
        TEXT,
        "consumer.toml",
        env(&[
            ("OXIDUBBO_REFERENCES__GREETER__TIMEOUT", "5000"),
            ("OXIDUBBO_REFERENCES__GREETER__CHECK", "false"),
            (
                "OXIDUBBO_REFERENCES__GREETER__URL",
                "dubbo://10.0.0.1:20880;dubbo://10.0.0.2:20880",
            ),
            ("OXIDUBBO_REFERENCES__GREETER__PARAMS__ACTIVES", "4"),
            ("OXIDUBBO_SHUTDOWN__TIMEOUT", "2500"),
            (
                "OXIDUBBO_REGISTRIES__ZK__ADDRESS",
                "zookeeper://127.0.0.1:2181",
            ),
            ("OXIDUBBO_APPLICATION__NAME", "from-env"),
            ("OXIDUBBO_CONFIG", "not an override"),
            ("HOME", "/root"),
        ]),
    )
    .unwrap();
    let greeter = &config.references["greeter"];
    assert_eq!(greeter.timeout, Some(5000));
    assert_eq!(greeter.check, Some(false));
    assert_eq!(
        greeter.url.as_deref(),
        Some("dubbo://10.0.0.1:20880;dubbo://10.0.0.2:20880")
    );
    assert_eq!(greeter.params["actives"], "4");
    assert_eq!(greeter.version.as_deref(), Some("1.0.0"), "untouched");
    assert_eq!(config.shutdown.timeout, 2500);
    assert_eq!(
        config.registries["zk"].address,
        "zookeeper://127.0.0.1:2181"
    );
    assert_eq!(config.application.name.as_deref(), Some("from-env"));
}

#[test]
fn without_overrides_the_file_values_stand() {
    let config = Config::from_str_with_env(TEXT, "consumer.toml", env(&[])).unwrap();
    assert_eq!(config.references["greeter"].timeout, Some(1000));
    assert_eq!(config.shutdown.timeout, 10_000);
}

#[test]
fn a_bad_override_names_the_variable_and_the_key() {
    let err = Config::from_str_with_env(
        TEXT,
        "consumer.toml",
        env(&[("OXIDUBBO_REFERENCES__GREETER__TIMEOUT", "soon")]),
    )
    .unwrap_err();
    assert_eq!(
        err.env_var.as_deref(),
        Some("OXIDUBBO_REFERENCES__GREETER__TIMEOUT"),
        "{err}"
    );
    assert_eq!(err.key, "references.greeter.timeout");
    assert_eq!(
        err.to_string(),
        "OXIDUBBO_REFERENCES__GREETER__TIMEOUT (overriding consumer.toml): \
         references.greeter.timeout: invalid type: string \"soon\", expected u64"
    );
}

#[test]
fn an_override_of_an_unknown_key_names_the_variable() {
    let err = Config::from_str_with_env(
        TEXT,
        "consumer.toml",
        env(&[("OXIDUBBO_REFERENCES__GREETER__TIMEOUT_MS", "5")]),
    )
    .unwrap_err();
    assert_eq!(
        err.env_var.as_deref(),
        Some("OXIDUBBO_REFERENCES__GREETER__TIMEOUT_MS"),
        "{err}"
    );
    assert!(err.message.contains("unknown field `timeout_ms`"), "{err}");
}

#[test]
fn an_override_through_a_value_names_the_variable() {
    let err = Config::from_str_with_env(
        TEXT,
        "consumer.toml",
        env(&[("OXIDUBBO_APPLICATION__NAME__FIRST", "x")]),
    )
    .unwrap_err();
    assert_eq!(
        err.env_var.as_deref(),
        Some("OXIDUBBO_APPLICATION__NAME__FIRST"),
        "{err}"
    );
    assert!(err.message.contains("not a table"), "{err}");
}

#[test]
fn a_semantic_error_in_an_override_names_the_variable() {
    let err = Config::from_str_with_env(
        TEXT,
        "consumer.toml",
        env(&[
            ("OXIDUBBO_REFERENCES__GREETER__URL", ""),
            ("OXIDUBBO_REFERENCES__GREETER__REGISTRY", "nacos"),
        ]),
    )
    .unwrap_err();
    assert_eq!(
        err.env_var.as_deref(),
        Some("OXIDUBBO_REFERENCES__GREETER__REGISTRY"),
        "{err}"
    );
    assert!(err.message.contains("unknown registry \"nacos\""), "{err}");
}
