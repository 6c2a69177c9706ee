//! The revision of a `MetadataInfo` is the one Dubbo Java computes.
//!
//! The first vector is observed: a Dubbo Java 3.1.4 provider registered revision
//! `871fbc9cb2730caea9b0d858852d5ede` for this URL (fixtures/README.md). The others are
//! derived by following Java's steps (docs/application-discovery.md, "Revision"): the text that
//! is hashed is spelled out here from those steps, and its MD5 was computed from that text
//! outside oxidubbo (Python's `hashlib`), so a failure shows which step differs.

use oxidubbo_common::Url;
use oxidubbo_metadata::{MetadataInfo, revision};

/// The provider URL of the observed vector: the interface-level node the same provider wrote.
const JAVA_314_URL: &str = "dubbo://30.221.146.35:20880/org.apache.dubbo.samples.api.GreetingsService?anyhost=true&application=first-dubbo-provider&background=false&deprecated=false&dubbo=2.0.2&dynamic=true&environment=product&generic=false&interface=org.apache.dubbo.samples.api.GreetingsService&ipv6=fd00:1:5:5200:3218:774a:4f67:2341&methods=sayHi&pid=85639&release=3.1.4&service-name-mapping=true&side=provider&timestamp=1674960780647";

/// The URLs of Java's `MetadataInfoTest` (its `url` and `url2`).
const JAVA_TEST_URL: &str = "dubbo://30.225.21.30:20880/org.apache.dubbo.registry.service.DemoService2?REGISTRY_CLUSTER=registry1&anyhost=true&application=demo-provider2&delay=5000&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&group=greeting&interface=org.apache.dubbo.registry.service.DemoService2&metadata-type=remote&methods=sayHello&sayHello.timeout=7000&pid=36621&release=&revision=1.0.0&service-name-mapping=true&side=provider&timeout=5000&timestamp=1629970068002&version=1.0.0&params-filter=customized,-excluded";
const JAVA_TEST_URL2: &str = "dubbo://30.225.21.30:20880/org.apache.dubbo.registry.service.DemoService?REGISTRY_CLUSTER=registry1&anyhost=true&application=demo-provider2&delay=5000&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&group=greeting&interface=org.apache.dubbo.registry.service.DemoService&metadata-type=remote&methods=sayHello&pid=36621&release=&revision=1.0.0&service-name-mapping=true&side=provider&timeout=5000&timestamp=1629970068002&version=1.0.0&params-filter=customized,-excluded";

fn info(app: &str, urls: &[&str]) -> MetadataInfo {
    let mut info = MetadataInfo::new(app);
    for url in urls {
        let url = Url::parse(url).expect("test URL");
        info.add_service(&url).expect("consistent instance params");
    }
    info
}

#[test]
fn observed_java_3_1_4_revision() {
    let info = info("first-dubbo-provider", &[JAVA_314_URL]);
    assert_eq!(
        revision::revision_text(info.app(), info.services()).as_deref(),
        Some(
            "first-dubbo-providerorg.apache.dubbo.samples.api.GreetingsService:dubbo20880\
             org.apache.dubbo.samples.api.GreetingsService{anyhost=true, \
             application=first-dubbo-provider, background=false, deprecated=false, \
             dubbo=2.0.2, dynamic=true, environment=product, generic=false, \
             interface=org.apache.dubbo.samples.api.GreetingsService, methods=sayHi, \
             release=3.1.4, service-name-mapping=true, side=provider}"
        ),
        "pid, timestamp and ipv6 are left out by Dubbo's default filter"
    );
    assert_eq!(
        info.calculate_revision(),
        "871fbc9cb2730caea9b0d858852d5ede"
    );
}

/// The text Java hashes for `JAVA_TEST_URL` with Dubbo's default filter: the match key has the
/// group and the version, `pid`, `timestamp` are left out, `sayHello.timeout`, the empty
/// `release` and the test's `params-filter` stay.
const JAVA_TEST_URL_TEXT: &str = "greeting/org.apache.dubbo.registry.service.DemoService2:1.0.0:dubbo20880\
    org.apache.dubbo.registry.service.DemoService2{REGISTRY_CLUSTER=registry1, anyhost=true, \
    application=demo-provider2, delay=5000, deprecated=false, dubbo=2.0.2, dynamic=true, \
    generic=false, group=greeting, interface=org.apache.dubbo.registry.service.DemoService2, \
    metadata-type=remote, methods=sayHello, params-filter=customized,-excluded, release=, \
    revision=1.0.0, sayHello.timeout=7000, service-name-mapping=true, side=provider, \
    timeout=5000, version=1.0.0}";

/// The same for `JAVA_TEST_URL2`.
const JAVA_TEST_URL2_TEXT: &str = "greeting/org.apache.dubbo.registry.service.DemoService:1.0.0:dubbo20880\
    org.apache.dubbo.registry.service.DemoService{REGISTRY_CLUSTER=registry1, anyhost=true, \
    application=demo-provider2, delay=5000, deprecated=false, dubbo=2.0.2, dynamic=true, \
    generic=false, group=greeting, interface=org.apache.dubbo.registry.service.DemoService, \
    metadata-type=remote, methods=sayHello, params-filter=customized,-excluded, release=, \
    revision=1.0.0, service-name-mapping=true, side=provider, timeout=5000, version=1.0.0}";

#[test]
fn derived_revision_with_group_version_and_method_param() {
    let info = info("demo", &[JAVA_TEST_URL]);
    assert_eq!(
        revision::revision_text(info.app(), info.services()),
        Some(format!("demo{JAVA_TEST_URL_TEXT}"))
    );
    assert_eq!(
        info.calculate_revision(),
        "34abe3ef44b52bb19abec16f43a13cc8"
    );
}

#[test]
fn derived_revision_of_two_services_in_java_string_order() {
    // `…DemoService2:…` sorts before `…DemoService:…` (`2` < `:`), whatever the order added.
    let forward = info("demo", &[JAVA_TEST_URL, JAVA_TEST_URL2]);
    let backward = info("demo", &[JAVA_TEST_URL2, JAVA_TEST_URL]);
    assert_eq!(
        revision::revision_text(forward.app(), forward.services()),
        Some(format!("demo{JAVA_TEST_URL_TEXT}{JAVA_TEST_URL2_TEXT}"))
    );
    assert_eq!(
        forward.calculate_revision(),
        "f9183915dfb665b6999ead754fb53711"
    );
    assert_eq!(backward.calculate_revision(), forward.calculate_revision());
}

#[test]
fn keys_sort_as_java_strings_not_as_utf8_bytes() {
    // Java's TreeMap compares UTF-16 code units: U+FF5E (one unit, 0xFF5E) sorts after
    // U+1F600 (two units, 0xD83D 0xDE00), while in UTF-8 bytes it sorts before.
    let info = info(
        "a",
        &[
            "dubbo://10.0.0.1:1/svc?interface=\u{ff5e}&methods=m",
            "dubbo://10.0.0.1:1/svc?interface=\u{1f600}&methods=m",
        ],
    );
    let text = revision::revision_text(info.app(), info.services()).expect("two services");
    let emoji = text.find('\u{1f600}').expect("emoji service");
    let tilde = text.find('\u{ff5e}').expect("fullwidth tilde service");
    assert!(emoji < tilde, "{text}");
}

#[test]
fn empty_metadata_has_revision_zero() {
    // Java's MetadataInfoTest.testEmptyRevision.
    let mut info = MetadataInfo::new("demo");
    assert_eq!(info.calculate_revision(), "0");
    assert!(info.update_revision());
    assert_eq!(info.revision(), Some("0"));
}

#[test]
fn update_revision_reports_changes_only() {
    let mut info = info("first-dubbo-provider", &[JAVA_314_URL]);
    assert!(info.update_revision());
    assert!(!info.update_revision(), "same services, same revision");
    let url = Url::parse(JAVA_314_URL).expect("test URL");
    assert!(info.remove_service(&url).is_some());
    assert!(info.update_revision());
    assert_eq!(info.revision(), Some("0"));
}
