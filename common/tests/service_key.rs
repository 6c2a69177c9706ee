//! ServiceKey: `group/interface:version`, as Dubbo Java's buildServiceKey forms it.

use std::collections::{HashMap, HashSet};

use oxidubbo_common::{ServiceKey, Url};

fn parse(s: &str) -> Url {
    Url::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

#[test]
fn text_form_omits_empty_parts() {
    assert_eq!(
        ServiceKey::new("com.Foo", Some("g"), Some("1.0")).to_string(),
        "g/com.Foo:1.0"
    );
    assert_eq!(
        ServiceKey::new("com.Foo", None, Some("1.0")).to_string(),
        "com.Foo:1.0"
    );
    assert_eq!(
        ServiceKey::new("com.Foo", Some("g"), None).to_string(),
        "g/com.Foo"
    );
    assert_eq!(
        ServiceKey::new("com.Foo", None, None).to_string(),
        "com.Foo"
    );
    assert_eq!(
        ServiceKey::new("com.Foo", Some(""), Some("")).to_string(),
        "com.Foo"
    );
}

#[test]
fn version_0_0_0_is_no_version() {
    let java_consumer = ServiceKey::new("com.Foo", None, Some("0.0.0"));
    let provider = ServiceKey::new("com.Foo", None, None);
    assert_eq!(java_consumer, provider);
    assert_eq!(java_consumer.to_string(), "com.Foo");
    assert_eq!(java_consumer.version(), None);
    assert_eq!(
        ServiceKey::new("com.Foo", Some("g"), Some("0.0.0")).to_string(),
        "g/com.Foo"
    );
    // Other versions are kept exactly.
    assert_ne!(ServiceKey::new("com.Foo", None, Some("0.0.1")), provider);
}

#[test]
fn accessors() {
    let key = ServiceKey::new("com.Foo", Some("g"), Some("1.0"));
    assert_eq!(key.interface(), "com.Foo");
    assert_eq!(key.group(), Some("g"));
    assert_eq!(key.version(), Some("1.0"));
    assert_eq!(key.as_str(), "g/com.Foo:1.0");
    let bare = ServiceKey::new("com.Foo", None, None);
    assert_eq!(bare.interface(), "com.Foo");
    assert_eq!(bare.group(), None);
    assert_eq!(bare.version(), None);
}

#[test]
fn parse_reverses_display() {
    for key in [
        ServiceKey::new("com.Foo", Some("g"), Some("1.0")),
        ServiceKey::new("com.Foo", None, Some("1.0")),
        ServiceKey::new("com.Foo", Some("g"), None),
        ServiceKey::new("com.Foo", None, None),
    ] {
        let back = ServiceKey::parse(key.as_str());
        assert_eq!(back, key);
        assert_eq!(back.interface(), key.interface());
        assert_eq!(back.group(), key.group());
        assert_eq!(back.version(), key.version());
    }
    assert_eq!(
        ServiceKey::parse("com.Foo:0.0.0"),
        ServiceKey::new("com.Foo", None, None)
    );
}

#[test]
fn from_url() {
    let url = parse("dubbo://h:1/com.Path?interface=com.Foo&group=g&version=2.0");
    assert_eq!(url.service_key().to_string(), "g/com.Foo:2.0");
    let url = parse("dubbo://h:1/com.Path?version=0.0.0");
    assert_eq!(url.service_key().to_string(), "com.Path");
}

#[test]
fn hash_eq_clone_and_str_lookup() {
    let key = ServiceKey::new("com.Foo", Some("g"), Some("1.0"));
    let mut set = HashSet::new();
    set.insert(key.clone());
    assert!(set.contains(&ServiceKey::parse("g/com.Foo:1.0")));

    let mut map = HashMap::new();
    map.insert(key, 7);
    // Lookup by &str without building a ServiceKey, via a reused buffer.
    let mut buf = String::new();
    ServiceKey::write_key(&mut buf, "com.Foo", Some("g"), Some("1.0"));
    assert_eq!(map.get(buf.as_str()), Some(&7));
    buf.clear();
    ServiceKey::write_key(&mut buf, "com.Foo", Some("g"), Some("0.0.0"));
    assert_eq!(buf, "g/com.Foo");
    assert_eq!(map.get(buf.as_str()), None);
}
