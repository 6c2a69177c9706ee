//! Protocols in the configuration: `[protocols.tri]` is Triple on 50051 unless it says
//! otherwise, a service may be served on several protocols (`protocol = "dubbo,tri"`), a
//! reference calls with one (`protocol`, else its `url`'s scheme, else dubbo) — and every
//! mistake is a located error.
#![allow(missing_docs)]

use oxidubbo::config::{Config, ConfigError, KNOWN_PROTOCOLS, ProtocolConfig};

const FILE: &str = "app.toml";

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, FILE)
}

#[test]
fn a_tri_table_is_triple_on_50051_and_a_dubbo_table_dubbo_on_20880() {
    let config = parse("[protocols.tri]\n\n[protocols.dubbo]\nhost = \"0.0.0.0\"\n").unwrap();
    let tri = &config.protocols["tri"];
    assert_eq!((tri.name.as_str(), tri.port), ("tri", 50051));
    assert_eq!(tri.host, "127.0.0.1");
    let dubbo = &config.protocols["dubbo"];
    assert_eq!((dubbo.name.as_str(), dubbo.port), ("dubbo", 20880));
    assert_eq!(dubbo.host, "0.0.0.0");
    assert_eq!(KNOWN_PROTOCOLS, ["dubbo", "tri", "injvm"]);
}

#[test]
fn a_table_of_another_name_says_its_protocol_or_is_dubbo() {
    let config = parse(
        "[protocols.grpc]\nname = \"tri\"\npayload = 1024\n\n[protocols.legacy]\nport = 20881\n",
    )
    .unwrap();
    let grpc = &config.protocols["grpc"];
    assert_eq!(
        (grpc.name.as_str(), grpc.port, grpc.payload),
        ("tri", 50051, Some(1024))
    );
    let legacy = &config.protocols["legacy"];
    assert_eq!((legacy.name.as_str(), legacy.port), ("dubbo", 20881));
}

#[test]
fn accepts_is_read_and_left_unset_by_default() {
    let config = parse("[protocols.dubbo]\naccepts = 200\n\n[protocols.other]\n").unwrap();
    assert_eq!(config.protocols["dubbo"].accepts, Some(200));
    assert_eq!(config.protocols["other"].accepts, None);
    let wrong = parse("[protocols.dubbo]\naccepts = \"many\"\n");
    assert!(wrong.is_err(), "{wrong:?}");
}

#[test]
fn an_override_can_make_a_tri_table() {
    let env = [("OXIDUBBO_PROTOCOLS__TRI__PORT".to_owned(), "0".to_owned())];
    let config = Config::from_str_with_env("", FILE, env).unwrap();
    assert_eq!(config.protocols["tri"], ProtocolConfig::tri(0));
}

#[test]
fn a_service_lists_its_protocols_in_order_once_each() {
    let text = "[protocols.dubbo]\n[protocols.tri]\n\n[services.both]\nprotocol = \"tri, dubbo,tri\"\n\n[services.plain]\n";
    let config = parse(text).unwrap();
    assert_eq!(config.service_protocols("both").unwrap(), ["tri", "dubbo"]);
    assert_eq!(
        config.service_protocols("plain").unwrap(),
        ["dubbo"],
        "dubbo is the default among several"
    );
}

#[test]
fn an_unknown_protocol_in_a_services_list_is_located() {
    let text = "[protocols.dubbo]\n[protocols.tri]\n\n[services.s]\nprotocol = \"dubbo,trpc\"\n";
    let err = parse(text).unwrap_err();
    assert_eq!(
        (err.line, err.key.as_str()),
        (5, "services.s.protocol"),
        "{err}"
    );
    assert!(
        err.message
            .contains("unknown protocol \"trpc\" (configured: dubbo, tri)"),
        "{err}"
    );
}

#[test]
fn a_reference_calls_with_its_protocol_else_its_urls_scheme_else_dubbo() {
    let text = "\
[references.named]
interface = \"x.Y\"
protocol = \"tri\"

[references.direct]
interface = \"x.Y\"
url = \"tri://127.0.0.1:50051;tri://127.0.0.1:50052\"

[references.bare]
interface = \"x.Y\"
url = \"127.0.0.1:20880\"

[references.found]
interface = \"x.Y\"
";
    let config = parse(text).unwrap();
    for (name, protocol) in [
        ("named", "tri"),
        ("direct", "tri"),
        ("bare", "dubbo"),
        ("found", "dubbo"),
    ] {
        assert_eq!(config.reference_protocol(name).unwrap(), protocol, "{name}");
    }
}

#[test]
fn a_references_unknown_or_conflicting_protocol_is_located() {
    let err = parse("[references.r]\ninterface = \"x.Y\"\nprotocol = \"grpc\"\n").unwrap_err();
    assert_eq!(
        (err.line, err.key.as_str()),
        (3, "references.r.protocol"),
        "{err}"
    );
    assert!(err.message.contains("unknown protocol \"grpc\""), "{err}");

    let err = parse(
        "[references.r]\ninterface = \"x.Y\"\nprotocol = \"tri\"\nurl = \"dubbo://127.0.0.1:20880\"\n",
    )
    .unwrap_err();
    assert_eq!(
        (err.line, err.key.as_str()),
        (4, "references.r.url"),
        "{err}"
    );
    assert!(
        err.message
            .contains("a dubbo:// address for a reference of protocol \"tri\""),
        "{err}"
    );

    let err = parse(
        "[references.r]\ninterface = \"x.Y\"\nurl = \"dubbo://127.0.0.1:20880;tri://127.0.0.1:50051\"\n",
    )
    .unwrap_err();
    assert_eq!(
        (err.line, err.key.as_str()),
        (3, "references.r.url"),
        "{err}"
    );
    assert!(err.message.contains("two protocols"), "{err}");

    let err =
        parse("[references.r]\ninterface = \"x.Y\"\nurl = \"rest://127.0.0.1:80\"\n").unwrap_err();
    assert_eq!(
        (err.line, err.key.as_str()),
        (3, "references.r.url"),
        "{err}"
    );
    assert!(err.message.contains("unknown protocol \"rest\""), "{err}");
}

#[test]
fn two_protocols_on_one_port_are_located() {
    let text = "[protocols.dubbo]\nport = 20880\n\n[protocols.tri]\nport = 20880\n";
    let err = parse(text).unwrap_err();
    assert_eq!(
        (err.line, err.key.as_str()),
        (5, "protocols.tri.port"),
        "{err}"
    );
    assert!(
        err.message
            .contains("127.0.0.1:20880 is also the port of protocols.dubbo (dubbo)"),
        "{err}"
    );
    // Port 0 is a free port each; other hosts are other sockets.
    parse("[protocols.dubbo]\nport = 0\n\n[protocols.tri]\nport = 0\n").unwrap();
    parse("[protocols.dubbo]\nport = 1\n\n[protocols.tri]\nport = 1\nhost = \"127.0.0.2\"\n")
        .unwrap();
}
