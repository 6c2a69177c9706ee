//! Configuration errors name the file, the line and the key — or the environment variable
//! that set the value — and say what was expected.
#![allow(missing_docs)]

use oxidubbo::config::{Config, ConfigError};

const FILE: &str = "examples/config/app.toml";

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, FILE)
}

#[test]
fn a_missing_key_names_its_table_line_and_the_key() {
    let text = "\
[application]
name = \"app\"

[registries.zk]
group = \"dubbo\"
";
    let err = parse(text).unwrap_err();
    assert_eq!(err.file, FILE);
    assert_eq!(err.line, 4, "{err}");
    assert_eq!(err.key, "registries.zk.address", "{err}");
    assert!(err.message.contains("missing field `address`"), "{err}");
    let shown = err.to_string();
    assert!(shown.starts_with("examples/config/app.toml:4:"), "{shown}");
    assert!(shown.contains("registries.zk.address"), "{shown}");
}

#[test]
fn a_wrong_type_names_the_line_key_and_what_was_expected() {
    let text = "\
[references.greeter]
interface = \"org.apache.dubbo.samples.api.GreeterService\"
# a comment
timeout = \"abc\"
";
    let err = parse(text).unwrap_err();
    assert_eq!((err.line, err.column), (4, 11), "{err}");
    assert_eq!(err.key, "references.greeter.timeout", "{err}");
    assert_eq!(
        err.to_string(),
        "examples/config/app.toml:4:11: references.greeter.timeout: invalid type: string \"abc\", expected u64"
    );
}

#[test]
fn a_wrong_type_in_a_dotted_key_is_located_too() {
    let text = "[protocols]\ndubbo.port = 70000\n";
    let err = parse(text).unwrap_err();
    assert_eq!(err.line, 2, "{err}");
    assert_eq!(err.key, "protocols.dubbo.port", "{err}");
    assert!(err.message.contains("u16"), "{err}");
}

#[test]
fn an_unknown_registry_name_points_at_the_registry_key() {
    let text = "\
[registries.zk]
address = \"zookeeper://127.0.0.1:2181\"

[services.greeter]
version = \"1.0.0\"
registry = \"zk, nacos\"
";
    let err = parse(text).unwrap_err();
    assert_eq!((err.line, err.column), (6, 1), "{err}");
    assert_eq!(err.key, "services.greeter.registry", "{err}");
    assert!(err.message.contains("unknown registry \"nacos\""), "{err}");
    assert!(err.message.contains("configured: zk"), "{err}");
    assert!(
        err.to_string()
            .starts_with("examples/config/app.toml:6:1: services.greeter.registry: ")
    );

    // The same for a reference.
    let text = "[references.greeter]\ninterface = \"x.Y\"\n  registry = \"default2\"\n";
    let err = parse(text).unwrap_err();
    assert_eq!(
        (err.line, err.column, err.key.as_str()),
        (3, 3, "references.greeter.registry"),
        "{err}"
    );
}

#[test]
fn unknown_names_of_protocols_clusters_and_load_balancers_are_located() {
    let err = parse("[services.s]\nprotocol = \"tri\"\n").unwrap_err();
    assert_eq!(
        (err.line, err.key.as_str()),
        (2, "services.s.protocol"),
        "{err}"
    );

    let err = parse("[references.r]\ninterface = \"x.Y\"\nurl = \"dubbo://127.0.0.1:1\"\ncluster = \"mergeable\"\n").unwrap_err();
    assert_eq!(
        (err.line, err.key.as_str()),
        (4, "references.r.cluster"),
        "{err}"
    );

    let err =
        parse("[references.r]\ninterface = \"x.Y\"\nloadbalance = \"fastest\"\n").unwrap_err();
    assert_eq!(
        (err.line, err.key.as_str()),
        (3, "references.r.loadbalance"),
        "{err}"
    );

    let err = parse("[protocols.p]\nname = \"http\"\n").unwrap_err();
    assert_eq!(
        (err.line, err.key.as_str()),
        (2, "protocols.p.name"),
        "{err}"
    );
}

#[test]
fn a_syntax_error_names_the_line() {
    let err = parse("[services.greeter]\nversion = \"1.0.0\nweight = 3\n").unwrap_err();
    assert_eq!(err.line, 2, "{err}");
    assert!(
        err.to_string().starts_with("examples/config/app.toml:2:"),
        "{err}"
    );
}

#[test]
fn a_file_that_cannot_be_read_is_named() {
    let err = Config::from_file_with_env("no/such/oxidubbo.toml", []).unwrap_err();
    assert_eq!(err.file, "no/such/oxidubbo.toml");
    assert!(
        err.to_string()
            .starts_with("no/such/oxidubbo.toml: cannot read the file"),
        "{err}"
    );
}

#[test]
fn register_mode_takes_dubbos_names_and_refuses_others_at_its_line() {
    let ok =
        "[registries.zk]\naddress = \"zookeeper://127.0.0.1:2181\"\nregister-mode = \"Instance\"\n";
    let config = parse(ok).expect("a known register-mode");
    assert_eq!(
        config.registries["zk"].register_mode.as_deref(),
        Some("instance")
    );
    let bad =
        "[registries.zk]\naddress = \"zookeeper://127.0.0.1:2181\"\nregister-mode = \"instanse\"\n";
    let err = parse(bad).unwrap_err();
    assert_eq!(err.line, 3, "{err}");
    assert_eq!(err.key, "registries.zk.register-mode", "{err}");
    assert!(err.message.contains("interface, instance, all"), "{err}");
}

#[test]
fn application_level_keys_take_dubbos_names_and_refuse_others_at_their_line() {
    for (table, key, bad, expected) in [
        (
            "registries.zk",
            "metadata-type",
            "remot",
            "neither local nor remote",
        ),
        (
            "registries.zk",
            "migration-step",
            "APP_FIRST",
            "APPLICATION_FIRST",
        ),
        (
            "references.g",
            "migration-step",
            "forced",
            "FORCE_APPLICATION",
        ),
    ] {
        let head = if table.starts_with("registries") {
            "[registries.zk]\naddress = \"zookeeper://127.0.0.1:2181\"\n"
        } else {
            "[references.g]\ninterface = \"com.example.G\"\n"
        };
        let err = parse(&format!("{head}{key} = \"{bad}\"\n")).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert_eq!(err.key, format!("{table}.{key}"), "{err}");
        assert!(err.message.contains(expected), "{err}");
    }
}
