//! Where instances, the mapping and the metadata report live in ZooKeeper, with Dubbo Java's
//! root and group rules (`CuratorFrameworkUtils.getRootPath`, `ZookeeperMetadataReport`).

use oxidubbo_common::Url;
use oxidubbo_metadata::paths;

fn url(s: &str) -> Url {
    Url::parse(s).expect("test URL")
}

#[test]
fn instances_live_under_services_by_default() {
    let root = paths::instances_root(&url("zookeeper://127.0.0.1:2181"));
    assert_eq!(root, "/services");
    assert_eq!(
        paths::instance_path(
            &root,
            "first-dubbo-provider",
            &paths::instance_id("30.221.146.35", 20880)
        )
        .expect("valid names"),
        "/services/first-dubbo-provider/30.221.146.35:20880"
    );
    assert_eq!(
        paths::application_path(&root, "demo").expect("valid"),
        "/services/demo"
    );
}

#[test]
fn the_registry_group_or_root_path_moves_the_instances() {
    assert_eq!(
        paths::instances_root(&url("zookeeper://zk:2181?group=dubbo-dev")),
        "/dubbo-dev"
    );
    assert_eq!(
        paths::instances_root(&url("zookeeper://zk:2181?group=/a/b/")),
        "/a/b"
    );
    assert_eq!(
        paths::instances_root(&url("zookeeper://zk:2181?rootPath=/apps&group=ignored")),
        "/apps"
    );
    // `rootPath=/services` (any case) defers to the group, as Java compares it.
    assert_eq!(
        paths::instances_root(&url("zookeeper://zk:2181?rootPath=/SERVICES&group=g")),
        "/g"
    );
    assert_eq!(
        paths::instances_root(&url("zookeeper://zk:2181?group=")),
        "/services"
    );
}

#[test]
fn mapping_and_metadata_live_under_the_report_root() {
    let root = paths::report_root(&url("zookeeper://127.0.0.1:2181"));
    assert_eq!(root, "/dubbo");
    assert_eq!(
        paths::mapping_path(&root, "org.apache.dubbo.demo.DemoService").expect("valid"),
        "/dubbo/mapping/org.apache.dubbo.demo.DemoService"
    );
    assert_eq!(
        paths::app_metadata_path(&root, "demo-provider", "da3be833baa2088c5f6776fb7ab1a436")
            .expect("valid"),
        "/dubbo/metadata/demo-provider/da3be833baa2088c5f6776fb7ab1a436"
    );
    assert_eq!(
        paths::dubbo_go_app_metadata_path(&root, "go-app", "r1").expect("valid"),
        "/dubbo/go-app/r1"
    );
    assert_eq!(
        paths::report_root(&url("zookeeper://zk:2181?group=meta")),
        "/meta"
    );
    let slash = paths::report_root(&url("zookeeper://zk:2181?group=/"));
    assert_eq!(
        paths::mapping_path(&slash, "I").expect("valid"),
        "/mapping/I"
    );
}

#[test]
fn names_that_cannot_be_one_node_are_refused() {
    for bad in ["", ".", "..", "a/b", "nul\0"] {
        assert!(
            paths::instance_path("/services", bad, "h:1").is_err(),
            "{bad:?}"
        );
        assert!(paths::mapping_path("/dubbo", bad).is_err(), "{bad:?}");
        assert!(
            paths::app_metadata_path("/dubbo", "app", bad).is_err(),
            "{bad:?}"
        );
    }
}

#[test]
fn an_ipv6_instance_id_is_not_bracketed() {
    assert_eq!(paths::instance_id("fd00::1", 20880), "fd00::1:20880");
}
