//! Parsing: the parts of a URL, IPv6 hosts, empty paths, percent-decoding, repeated keys.

use oxidubbo_common::Url;

fn parse(s: &str) -> Url {
    match Url::parse(s) {
        Ok(url) => url,
        Err(e) => panic!("{s:?} should parse: {e}"),
    }
}

#[test]
fn all_parts() {
    let url = parse("dubbo://admin:secret@10.0.0.1:20880/com.example.Greeter?timeout=3000&group=g");
    assert_eq!(url.protocol(), "dubbo");
    assert_eq!(url.username(), Some("admin"));
    assert_eq!(url.password(), Some("secret"));
    assert_eq!(url.host(), "10.0.0.1");
    assert_eq!(url.port(), 20880);
    assert_eq!(url.path(), "com.example.Greeter");
    assert_eq!(url.address(), "10.0.0.1:20880");
    let params: Vec<_> = url.params().collect();
    assert_eq!(params, [("timeout", "3000"), ("group", "g")]);
}

#[test]
fn username_without_password() {
    let url = parse("zookeeper://user@zk:2181");
    assert_eq!(url.username(), Some("user"));
    assert_eq!(url.password(), None);
}

#[test]
fn empty_user_info_is_none() {
    let url = parse("zookeeper://@zk:2181");
    assert_eq!(url.username(), None);
    assert_eq!(url.password(), None);
}

#[test]
fn missing_port_is_zero() {
    let url = parse("consumer://10.0.0.2/com.example.Greeter?category=consumers");
    assert_eq!(url.port(), 0);
    assert_eq!(url.address(), "10.0.0.2");
}

#[test]
fn empty_path() {
    for s in [
        "dubbo://h:1",
        "dubbo://h:1/",
        "dubbo://h:1?a=b",
        "dubbo://h:1/?a=b",
    ] {
        let url = parse(s);
        assert_eq!(url.path(), "", "{s}");
        assert_eq!(url.host(), "h", "{s}");
        assert_eq!(url.port(), 1, "{s}");
    }
    assert_eq!(parse("dubbo://h:1?a=b").param("a"), Some("b"));
}

#[test]
fn leading_slashes_are_not_part_of_the_path() {
    assert_eq!(parse("dubbo://h:1//a/b").path(), "a/b");
    assert_eq!(parse("dubbo://h:1/a/b").path(), "a/b");
}

#[test]
fn no_host_but_a_path() {
    let url = parse("file:///tmp/registry.cache");
    assert_eq!(url.host(), "");
    assert_eq!(url.path(), "tmp/registry.cache");
}

#[test]
fn ipv6_in_brackets() {
    let url = parse("dubbo://[::1]:20880/com.example.Greeter");
    assert_eq!(url.host(), "::1");
    assert_eq!(url.port(), 20880);
    assert_eq!(url.address(), "[::1]:20880");

    let url = parse("dubbo://[fe80::1%en0]/p");
    assert_eq!(url.host(), "fe80::1%en0");
    assert_eq!(url.port(), 0);
    assert_eq!(url.address(), "[fe80::1%en0]");
}

#[test]
fn ipv6_without_brackets_follows_java() {
    // Java writes IPv6 hosts raw; the last ':' starts the port...
    let url = parse("dubbo://fe80:0:0:0:894:aeec:f37d:23e1:20880/p");
    assert_eq!(url.host(), "fe80:0:0:0:894:aeec:f37d:23e1");
    assert_eq!(url.port(), 20880);
    // ...unless a zone id follows it.
    let url = parse("dubbo://fe80:0:0:0:894:aeec:f37d:23e1%en0/p");
    assert_eq!(url.host(), "fe80:0:0:0:894:aeec:f37d:23e1%en0");
    assert_eq!(url.port(), 0);
}

#[test]
fn percent_decoding() {
    let url = parse("http://us%40er:p%3Ass@h/a%20b%3Fc?k%3Dx=v%26w%25&sp=a+b&utf=%C3%A9");
    assert_eq!(url.username(), Some("us@er"));
    assert_eq!(url.password(), Some("p:ss"));
    assert_eq!(url.path(), "a b?c");
    assert_eq!(url.param("k=x"), Some("v&w%"));
    // '+' is a literal plus inside a URL (as in Java's URL parser), not a space.
    assert_eq!(url.param("sp"), Some("a+b"));
    assert_eq!(url.param("utf"), Some("é"));
}

#[test]
fn raw_non_ascii_and_spaces_are_accepted() {
    let url = parse("dubbo://h/p?name=日本 語&x=a=b");
    assert_eq!(url.param("name"), Some("日本 語"));
    // Only the first '=' separates key and value.
    assert_eq!(url.param("x"), Some("a=b"));
}

#[test]
fn repeated_keys_keep_the_last_value_at_the_first_position() {
    let url = parse("dubbo://h/p?a=1&b=2&a=3");
    assert_eq!(url.param("a"), Some("3"));
    let params: Vec<_> = url.params().collect();
    assert_eq!(params, [("a", "3"), ("b", "2")]);
    // ...and the printed form holds each key once.
    assert_eq!(url.to_string(), "dubbo://h/p?a=3&b=2");
}

#[test]
fn empty_segments_and_bare_keys() {
    let url = parse("dubbo://h/p?&a=1&&flag&b=&");
    let params: Vec<_> = url.params().collect();
    assert_eq!(params, [("a", "1"), ("flag", ""), ("b", "")]);
    assert_eq!(url.param("b"), Some(""));
    assert_eq!(url.param("missing"), None);
    assert_eq!(parse("dubbo://h/p?").param_count(), 0);
}

#[test]
fn from_str_and_try_from_agree_with_parse() {
    let s = "tri://h:50051/svc?x=1";
    let a: Url = s.parse().unwrap_or_else(|e| panic!("{e}"));
    let b = Url::try_from(s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, parse(s));
    assert_eq!(b, parse(s));
}

#[test]
fn default_protocol_for_bare_addresses() {
    let url = Url::parse_with_default_protocol("127.0.0.1:2181", "zookeeper")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(url.protocol(), "zookeeper");
    assert_eq!(url.address(), "127.0.0.1:2181");
    let url = Url::parse_with_default_protocol("nacos://n:8848", "zookeeper")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(url.protocol(), "nacos");
}
