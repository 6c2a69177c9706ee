//! The content of `/dubbo/mapping/<interface>` as Dubbo Java writes it, read and extended the
//! way Java extends it (append `,<app>` unless listed).

use std::collections::BTreeSet;

use oxidubbo_metadata::mapping::{merge_app_name, parse_app_names};

/// Observed: `get /dubbo/mapping/org.apache.dubbo.demo.DemoService`, written by Dubbo Java
/// 3.0 providers of three applications (apache/dubbo-website, metadata-center/zookeeper.md).
const JAVA_MAPPING: &str = "demo-provider,two-demo-provider,dubbo-demo-annotation-provider";

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn reads_the_java_content() {
    assert_eq!(
        parse_app_names(JAVA_MAPPING),
        names(&[
            "demo-provider",
            "dubbo-demo-annotation-provider",
            "two-demo-provider"
        ])
    );
}

#[test]
fn reads_like_java_trimmed_deduplicated_without_empty_names() {
    assert_eq!(parse_app_names(" b , a,,a ,"), names(&["a", "b"]));
    assert!(parse_app_names("").is_empty());
    assert!(parse_app_names(" , ").is_empty());
}

#[test]
fn appends_a_new_application_keeping_the_old_bytes() {
    assert_eq!(
        merge_app_name(Some(JAVA_MAPPING), "rust-provider").expect("valid name"),
        Some(format!("{JAVA_MAPPING},rust-provider"))
    );
    // Java appends to the content as it is, odd spacing included.
    assert_eq!(
        merge_app_name(Some("a , b"), "c").expect("valid"),
        Some("a , b,c".to_owned())
    );
}

#[test]
fn writes_nothing_when_the_application_is_listed() {
    for app in [
        "demo-provider",
        "two-demo-provider",
        "dubbo-demo-annotation-provider",
    ] {
        assert_eq!(
            merge_app_name(Some(JAVA_MAPPING), app).expect("valid"),
            None,
            "{app}"
        );
    }
    assert_eq!(
        merge_app_name(Some(" x , demo "), "demo").expect("valid"),
        None,
        "names are trimmed"
    );
}

#[test]
fn a_name_that_is_part_of_another_is_still_added() {
    // dubbo-go before 3.3.2 tested `strings.Contains` and never added `order` here.
    assert_eq!(
        merge_app_name(Some("order-service"), "order").expect("valid"),
        Some("order-service,order".to_owned())
    );
}

#[test]
fn an_absent_or_empty_node_gets_the_application_alone() {
    assert_eq!(
        merge_app_name(None, "demo").expect("valid"),
        Some("demo".to_owned())
    );
    assert_eq!(
        merge_app_name(Some(""), "demo").expect("valid"),
        Some("demo".to_owned())
    );
}

#[test]
fn unusable_names_are_refused() {
    for bad in ["", "a,b", " a", "a "] {
        assert!(merge_app_name(None, bad).is_err(), "{bad:?}");
    }
}

/// A node with a version, written only if the version is the one read (ZooKeeper's setData
/// with a version; create fails if the node exists).
struct Node {
    content: Option<String>,
    version: u32,
}

impl Node {
    fn compare_and_set(&mut self, seen: u32, content: String) -> bool {
        if seen != self.version {
            return false;
        }
        self.content = Some(content);
        self.version += 1;
        true
    }
}

#[test]
fn concurrent_writers_lose_no_name_when_they_retry_on_conflict() {
    let mut node = Node {
        content: None,
        version: 0,
    };
    // Both read the empty node, then write in turn: the second write conflicts, is read again
    // and merged again.
    let (seen_a, seen_b) = (
        (node.content.clone(), node.version),
        (node.content.clone(), node.version),
    );
    let a = merge_app_name(seen_a.0.as_deref(), "app-a")
        .expect("valid")
        .expect("new");
    assert!(node.compare_and_set(seen_a.1, a));
    let b = merge_app_name(seen_b.0.as_deref(), "app-b")
        .expect("valid")
        .expect("new");
    assert!(!node.compare_and_set(seen_b.1, b), "stale version");
    let retry = merge_app_name(node.content.as_deref(), "app-b")
        .expect("valid")
        .expect("new");
    assert!(node.compare_and_set(node.version, retry));
    assert_eq!(node.content.as_deref(), Some("app-a,app-b"));
    assert_eq!(
        parse_app_names(node.content.as_deref().unwrap_or_default()),
        names(&["app-a", "app-b"])
    );
}
