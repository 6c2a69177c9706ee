//! Typed getters with defaults, method-level parameters, interface/group/version.

use std::time::Duration;

use oxidubbo_common::{Url, keys};

fn parse(s: &str) -> Url {
    Url::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

#[test]
fn string_params() {
    let url = parse("dubbo://h/p?a=x&empty=");
    assert_eq!(url.param("a"), Some("x"));
    assert_eq!(url.param("empty"), Some(""));
    assert_eq!(url.param("missing"), None);
    assert_eq!(url.param_or("a", "d"), "x");
    assert_eq!(url.param_or("empty", "d"), "d");
    assert_eq!(url.param_or("missing", "d"), "d");
    assert!(url.has_param("empty"));
    assert!(!url.has_param("missing"));
}

#[test]
fn bool_params() {
    let url = parse("dubbo://h/p?t=true&T=TRUE&one=1&f=false&zero=0&junk=yes&empty=");
    assert!(url.bool_param("t", false));
    assert!(url.bool_param("T", false));
    assert!(url.bool_param("one", false));
    assert!(!url.bool_param("f", true));
    assert!(!url.bool_param("zero", true));
    assert!(url.bool_param("junk", true));
    assert!(!url.bool_param("junk", false));
    assert!(url.bool_param("empty", true));
    assert!(!url.bool_param("missing", false));
    assert!(url.bool_param(keys::DYNAMIC, true));
}

#[test]
fn int_params() {
    let url = parse("dubbo://h/p?retries=3&neg=-5&spaced=%207%20&bad=12x&big=99999999999999999999");
    assert_eq!(url.int_param(keys::RETRIES, 2), 3);
    assert_eq!(url.int_param("neg", 0), -5);
    assert_eq!(url.int_param("spaced", 0), 7);
    assert_eq!(url.int_param("bad", 42), 42);
    assert_eq!(url.int_param("big", 42), 42);
    assert_eq!(url.int_param("missing", 42), 42);
}

#[test]
fn duration_params_are_milliseconds() {
    let url = parse("dubbo://h/p?timeout=3000&neg=-1&bad=1s");
    let d = Duration::from_millis(1000);
    assert_eq!(
        url.duration_ms_param(keys::TIMEOUT, d),
        Duration::from_secs(3)
    );
    assert_eq!(url.duration_ms_param("neg", d), d);
    assert_eq!(url.duration_ms_param("bad", d), d);
    assert_eq!(url.duration_ms_param("missing", d), d);
}

#[test]
fn method_params_prefer_the_most_specific_form() {
    let url = parse(
        "dubbo://h/p?timeout=1000&methods.sayHello.timeout=200&sayBye.timeout=300&methods.empty.timeout=&retries=1",
    );
    // dubbo-go's `methods.<m>.<k>`
    assert_eq!(url.method_param("sayHello", keys::TIMEOUT), Some("200"));
    // Dubbo Java's `<m>.<k>`
    assert_eq!(url.method_param("sayBye", keys::TIMEOUT), Some("300"));
    // fallback to `<k>`, also when the method-level value is empty
    assert_eq!(url.method_param("other", keys::TIMEOUT), Some("1000"));
    assert_eq!(url.method_param("empty", keys::TIMEOUT), Some("1000"));
    assert_eq!(url.method_param("sayHello", keys::RETRIES), Some("1"));
    assert_eq!(url.method_param("sayHello", "missing"), None);

    let d = Duration::from_millis(5);
    assert_eq!(
        url.method_duration_ms_param("sayHello", keys::TIMEOUT, d),
        Duration::from_millis(200)
    );
    assert_eq!(
        url.method_duration_ms_param("other", keys::TIMEOUT, d),
        Duration::from_millis(1000)
    );
    assert_eq!(url.method_duration_ms_param("x", "missing", d), d);
    assert_eq!(url.method_int_param("sayHello", keys::TIMEOUT, 0), 200);
    assert_eq!(url.method_int_param("x", "missing", 9), 9);
    assert_eq!(url.method_param_or("x", "missing", "d"), "d");
    assert!(!url.method_bool_param("x", "missing", false));
}

#[test]
fn method_param_does_not_match_partial_keys() {
    let url = parse("dubbo://h/p?methods.sayHello.timeoutX=1&methods.sayHell.timeout=2");
    assert_eq!(url.method_param("sayHello", keys::TIMEOUT), None);
}

#[test]
fn interface_falls_back_to_path() {
    let url = parse("dubbo://h/com.example.Path?interface=com.example.Iface");
    assert_eq!(url.interface(), "com.example.Iface");
    let url = parse("dubbo://h/com.example.Path?interface=");
    assert_eq!(url.interface(), "com.example.Path");
    let url = parse("dubbo://h/com.example.Path");
    assert_eq!(url.interface(), "com.example.Path");
}

#[test]
fn group_and_version() {
    let url = parse("dubbo://h/p?group=g&version=1.0");
    assert_eq!(url.group(), Some("g"));
    assert_eq!(url.version(), Some("1.0"));
    let url = parse("dubbo://h/p?group=&version=");
    assert_eq!(url.group(), None);
    assert_eq!(url.version(), None);
    // The raw version is kept; ServiceKey is where "0.0.0" counts as none.
    assert_eq!(parse("dubbo://h/p?version=0.0.0").version(), Some("0.0.0"));
}

#[test]
fn sorted_params_and_count() {
    let url = parse("dubbo://h/p?b=2&c=3&a=1");
    assert_eq!(url.param_count(), 3);
    let sorted: Vec<_> = url.sorted_params().collect();
    assert_eq!(sorted, [("a", "1"), ("b", "2"), ("c", "3")]);
}

#[test]
fn lookups_work_for_every_key_of_a_large_url() {
    let mut b = Url::builder("dubbo").host("h");
    for i in (0..200).rev() {
        b = b.param(format!("key{i}"), format!("v{i}"));
    }
    let url = b.build();
    for i in 0..200 {
        assert_eq!(
            url.param(&format!("key{i}")),
            Some(format!("v{i}").as_str())
        );
    }
    assert_eq!(url.param("key200"), None);
    assert_eq!(url.param(""), None);
}

#[test]
fn clones_share_storage_and_compare_equal() {
    let url = parse("dubbo://h/p?a=1");
    let clone = url.clone();
    assert_eq!(clone, url);
    assert!(std::ptr::eq(clone.protocol(), url.protocol()));
}

#[test]
fn url_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Url>();
    assert_send_sync::<oxidubbo_common::ServiceKey>();
    assert_send_sync::<oxidubbo_common::UrlError>();
}
