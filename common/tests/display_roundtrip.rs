//! Display: the printed form, what it escapes, and `parse(display(u)) == u`.

use oxidubbo_common::Url;
use proptest::prelude::*;

#[test]
fn plain_url_prints_as_written() {
    let s = "dubbo://10.0.0.1:20880/com.example.Greeter?timeout=3000&group=g";
    let url = Url::parse(s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(url.to_string(), s);
}

#[test]
fn builder_output() {
    let url = Url::builder("dubbo")
        .username("u")
        .password("p")
        .host("[::1]")
        .port(20880)
        .path("/com.example.Greeter")
        .param("b", "2")
        .param("a", "1")
        .build();
    assert_eq!(url.host(), "::1");
    assert_eq!(url.path(), "com.example.Greeter");
    assert_eq!(
        url.to_string(),
        "dubbo://u:p@[::1]:20880/com.example.Greeter?b=2&a=1"
    );
}

#[test]
fn port_zero_and_empty_path_are_left_out() {
    let url = Url::builder("consumer")
        .host("10.0.0.2")
        .param("a", "1")
        .build();
    assert_eq!(url.to_string(), "consumer://10.0.0.2?a=1");
    let url = Url::builder("consumer").host("10.0.0.2").build();
    assert_eq!(url.to_string(), "consumer://10.0.0.2");
}

#[test]
fn only_structural_characters_are_escaped() {
    let url = Url::builder("dubbo")
        .username("a:b@c")
        .password("p@ss:w/rd")
        .host("h")
        .path("a b?c/d%")
        .param("k=&%", "v&=%?/ é+")
        .build();
    let s = url.to_string();
    assert_eq!(
        s,
        "dubbo://a%3Ab%40c:p%40ss:w%2Frd@h/a b%3Fc/d%25?k%3D%26%25=v%26=%25?/ é+"
    );
    assert_eq!(Url::parse(&s), Ok(url));
}

#[test]
fn debug_hides_the_password() {
    let url = Url::parse("zookeeper://admin:secret@zk:2181").unwrap_or_else(|e| panic!("{e}"));
    let debug = format!("{url:?}");
    assert!(!debug.contains("secret"), "{debug}");
    assert!(debug.contains("admin:***@zk:2181"), "{debug}");
    // Display keeps it, so that it round-trips.
    assert!(url.to_string().contains("secret"));
}

#[test]
fn with_param_and_without_param_make_new_urls() {
    let url = Url::parse("dubbo://h:1/p?a=1&b=2").unwrap_or_else(|e| panic!("{e}"));
    let changed = url.with_param("a", "9").with_param("c", "3");
    assert_eq!(changed.to_string(), "dubbo://h:1/p?a=9&b=2&c=3");
    assert_eq!(url.to_string(), "dubbo://h:1/p?a=1&b=2");
    let removed = changed.without_param("b");
    assert_eq!(removed.to_string(), "dubbo://h:1/p?a=9&c=3");
    assert_eq!(removed.param("b"), None);
    assert_eq!(removed.param("c"), Some("3"));
    assert_eq!(url.without_param("zzz"), url);
}

#[test]
fn to_builder_keeps_everything() {
    let url = Url::parse("dubbo://u:p@[::1]:1/p?a=1&b=2").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(url.to_builder().build(), url);
    let moved = url.to_builder().port(2).remove_param("a").build();
    assert_eq!(moved.to_string(), "dubbo://u:p@[::1]:2/p?b=2");
}

fn protocol() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9+.\\-_]{0,8}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9][a-z0-9.\\-]{0,20}",
        (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        any::<std::net::Ipv6Addr>().prop_map(|ip| ip.to_string()),
        Just("fe80::1%en0".to_owned()),
    ]
}

/// Any string, weighted towards the characters that matter to URLs.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z0-9&=?/%@:#+ .\\-_\\[\\]é]{0,12}",]
}

prop_compose! {
    fn url()(
        protocol in protocol(),
        user in proptest::option::of(text()),
        password in proptest::option::of(text()),
        host in host(),
        port in any::<u16>(),
        path in text(),
        params in proptest::collection::vec((text(), text()), 0..8),
    ) -> Url {
        let mut b = Url::builder(&protocol).host(host).port(port).path(path).params(params);
        if let Some(user) = user {
            b = b.username(user);
        }
        if let Some(password) = password {
            b = b.password(password);
        }
        b.build()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_display_round_trip(u in url()) {
        let printed = u.to_string();
        prop_assert_eq!(Url::parse(&printed), Ok(u.clone()), "printed: {}", printed);
    }

    #[test]
    fn parse_never_panics(s in any::<String>()) {
        let _ = Url::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_url_like_input(s in "[a-z]{1,4}://[a-z0-9:\\[\\]@%/?&=.+]{0,30}") {
        let _ = Url::parse(&s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Whatever parses prints to something that parses to the same Url.
    #[test]
    fn reparse_of_parsed_input_is_stable(s in "[a-z]{1,3}://[a-z0-9:\\[\\]@%/?&=.+é ]{0,24}") {
        if let Ok(url) = Url::parse(&s) {
            let printed = url.to_string();
            prop_assert_eq!(Url::parse(&printed), Ok(url.clone()), "input {:?} printed {:?}", s, printed);
            let full = url.to_full_string();
            prop_assert!(Url::parse(&full).is_ok_and(|u| u.eq_ignoring_param_order(&url)), "full {:?}", full);
        }
    }
}
