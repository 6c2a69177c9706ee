//! The registry node form (wire spec §6.1): sorted parameters, Java URL encoding, and
//! registry URLs that carry an encoded provider URL (`export=`).

use oxidubbo_common::{Url, keys};
use proptest::prelude::*;

/// The provider URL from wire spec §6.1 (a Dubbo Java test fixture).
const SPEC_PROVIDER: &str = "dubbo://127.0.0.1:12345/com.example.TestService?anyhost=true&application=test&category=providers&dubbo=2.0.2&generic=false&interface=com.example.TestService&methods=testMethod&pid=26716&side=provider&timestamp=1633863896653";

fn parse(s: &str) -> Url {
    Url::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

#[test]
fn spec_example_parses_and_prints_identically() {
    let url = parse(SPEC_PROVIDER);
    assert_eq!(url.interface(), "com.example.TestService");
    assert_eq!(url.param(keys::SIDE), Some("provider"));
    assert_eq!(url.int_param(keys::PID, 0), 26716);
    assert_eq!(url.to_full_string(), SPEC_PROVIDER);
}

#[test]
fn full_string_sorts_parameters_by_key() {
    let shuffled = parse(
        "dubbo://127.0.0.1:12345/com.example.TestService?timestamp=1633863896653&side=provider&pid=26716&methods=testMethod&interface=com.example.TestService&generic=false&dubbo=2.0.2&category=providers&application=test&anyhost=true",
    );
    assert_eq!(shuffled.to_full_string(), SPEC_PROVIDER);
    // Display keeps the order it was given.
    assert!(
        shuffled
            .to_string()
            .contains("?timestamp=1633863896653&side=provider")
    );
}

#[test]
fn sort_order_is_java_string_order() {
    // Java's TreeMap compares UTF-16 code units: U+FF61 sorts after U+1F600 (a surrogate
    // pair starting 0xD83D), although Rust's byte order puts it before.
    let url = Url::builder("dubbo")
        .host("h")
        .param("k\u{FF61}", "1")
        .param("k\u{1F600}", "2")
        .param("a", "0")
        .build();
    assert_eq!(
        url.to_full_string(),
        "dubbo://h?a=0&k\u{1F600}=2&k\u{FF61}=1"
    );
}

#[test]
fn node_name_is_java_url_encoded_full_string() {
    let url = parse(SPEC_PROVIDER);
    let expected = "dubbo%3A%2F%2F127.0.0.1%3A12345%2Fcom.example.TestService%3Fanyhost%3Dtrue%26application%3Dtest%26category%3Dproviders%26dubbo%3D2.0.2%26generic%3Dfalse%26interface%3Dcom.example.TestService%26methods%3DtestMethod%26pid%3D26716%26side%3Dprovider%26timestamp%3D1633863896653";
    assert_eq!(url.to_node_name(), expected);
    assert_eq!(Url::encode_component(&url.to_full_string()), expected);
    assert_eq!(Url::from_node_name(expected), Ok(url));
}

#[test]
fn encode_component_is_java_form_encoding() {
    assert_eq!(Url::encode_component("a b"), "a+b");
    assert_eq!(Url::encode_component("*-._"), "*-._");
    assert_eq!(Url::encode_component("~!'()"), "%7E%21%27%28%29");
    assert_eq!(Url::encode_component("a,b:c"), "a%2Cb%3Ac");
    assert_eq!(Url::encode_component("é"), "%C3%A9");
    assert_eq!(
        Url::decode_component("a+b%2Bc%C3%A9"),
        Ok("a b+cé".to_owned())
    );
}

#[test]
fn node_with_comma_separated_methods() {
    // Java writes values raw inside the full string; the outer encoding escapes ',' etc.
    let node = "dubbo%3A%2F%2F10.0.0.1%3A20880%2Fcom.Foo%3Fmethods%3Da%2Cb%26side%3Dprovider";
    let url = Url::from_node_name(node).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(url.param(keys::METHODS), Some("a,b"));
    assert_eq!(url.to_node_name(), node);
}

#[test]
fn registry_url_carrying_an_encoded_export_url() {
    // As Dubbo Java writes it: export=URL.encode(provider.toFullString()).
    let provider = parse("dubbo://10.0.0.1:20880/com.Foo?anyhost=true&methods=a,b&side=provider");
    let registry = format!(
        "registry://127.0.0.1:2181/org.apache.dubbo.registry.RegistryService?application=demo&export={}&registry=zookeeper",
        Url::encode_component(&provider.to_full_string())
    );
    assert!(registry.contains(
        "export=dubbo%3A%2F%2F10.0.0.1%3A20880%2Fcom.Foo%3Fanyhost%3Dtrue%26methods%3Da%2Cb"
    ));
    let registry = parse(&registry);
    assert_eq!(registry.param(keys::REGISTRY), Some("zookeeper"));
    assert_eq!(registry.param(keys::APPLICATION), Some("demo"));
    let exported = registry
        .sub_url(keys::EXPORT)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exported, Some(provider));
    assert_eq!(registry.sub_url(keys::REFER), Ok(None));
}

#[test]
fn with_sub_url_round_trips_any_embedded_url() {
    let provider = Url::builder("dubbo")
        .host("10.0.0.1")
        .port(20880)
        .path("com.Foo")
        .param("weird", "a&b=c%d e+f")
        .param("methods", "a,b")
        .build();
    let registry = parse(
        "registry://127.0.0.1:2181/org.apache.dubbo.registry.RegistryService?registry=zookeeper",
    )
    .with_sub_url(keys::EXPORT, &provider);
    let reparsed = parse(&registry.to_string());
    assert_eq!(reparsed, registry);
    assert_eq!(reparsed.sub_url(keys::EXPORT), Ok(Some(provider)));
}

#[test]
fn still_encoded_sub_url_is_decoded() {
    let provider = parse("dubbo://10.0.0.1:20880/com.Foo?a=1");
    let registry = parse("registry://h:2181/x").with_param(keys::EXPORT, provider.to_node_name());
    assert_eq!(registry.sub_url(keys::EXPORT), Ok(Some(provider)));
}

#[test]
fn bad_sub_url_names_the_parameter() {
    let registry = parse("registry://h:2181/x?export=dubbo%3A%2F%2Fh%3A99999");
    let err = registry.sub_url(keys::EXPORT).unwrap_err().to_string();
    assert!(err.contains("\"export\""), "{err}");
    assert!(err.contains("99999"), "{err}");
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z0-9&=?/%@:#+ .,*\\-_é]{0,12}"]
}

prop_compose! {
    fn url()(
        protocol in "[a-z][a-z0-9]{0,6}",
        user in proptest::option::of(text()),
        host in prop_oneof!["[a-z0-9.\\-]{1,15}", any::<std::net::Ipv6Addr>().prop_map(|ip| ip.to_string())],
        port in any::<u16>(),
        path in text(),
        params in proptest::collection::vec((text(), text()), 0..10),
    ) -> Url {
        let mut b = Url::builder(&protocol).host(host).port(port).path(path).params(params);
        if let Some(user) = user {
            b = b.username(user);
        }
        b.build()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn node_name_round_trip(u in url()) {
        let full = u.to_full_string();
        let node = Url::encode_component(&full);
        prop_assert!(node.bytes().all(|b| b.is_ascii_alphanumeric() || b"*-._+%".contains(&b)));
        let decoded = Url::decode_component(&node);
        prop_assert_eq!(decoded.as_deref(), Ok(full.as_str()));
        let back = Url::parse(&full);
        prop_assert!(back.as_ref().is_ok_and(|b| b.eq_ignoring_param_order(&u)), "{:?} vs {:?}", back, u);
    }

    #[test]
    fn full_string_keys_are_sorted(u in url()) {
        let back = Url::parse(&u.to_full_string()).unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<Vec<u16>> = back.params().map(|(k, _)| k.encode_utf16().collect()).collect();
        prop_assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn component_round_trip(s in any::<String>()) {
        prop_assert_eq!(Url::decode_component(&Url::encode_component(&s)), Ok(s));
    }
}
