//! Which URL parameters a `ServiceInfo` keeps, checked against Dubbo Java's own unit tests
//! (`dubbo-metadata-api` `MetadataInfoTest`, with its test filters `CustomizedParamsFilter`,
//! `ExcludedParamsFilter`, `ExcludedParamsFilter2`).
//!
//! In Java the URL's `params-filter=customized,-excluded` activates `customized` and drops
//! `excluded`; filters without a group (`dubbo`, the default one, and `excluded2`) stay active.

use oxidubbo_common::Url;
use oxidubbo_metadata::{MetadataInfo, ParamsFilter, ServiceInfo};

const URL: &str = "dubbo://30.225.21.30:20880/org.apache.dubbo.registry.service.DemoService2?REGISTRY_CLUSTER=registry1&anyhost=true&application=demo-provider2&delay=5000&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&group=greeting&interface=org.apache.dubbo.registry.service.DemoService2&metadata-type=remote&methods=sayHello&sayHello.timeout=7000&pid=36621&release=&revision=1.0.0&service-name-mapping=true&side=provider&timeout=5000&timestamp=1629970068002&version=1.0.0&params-filter=customized,-excluded";
const URL2: &str = "dubbo://30.225.21.30:20880/org.apache.dubbo.registry.service.DemoService?REGISTRY_CLUSTER=registry1&anyhost=true&application=demo-provider2&delay=5000&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&group=greeting&interface=org.apache.dubbo.registry.service.DemoService&metadata-type=remote&methods=sayHello&pid=36621&release=&revision=1.0.0&service-name-mapping=true&side=provider&timeout=5000&timestamp=1629970068002&version=1.0.0&params-filter=customized,-excluded";
const URL3: &str = "dubbo://30.225.21.30:20880/org.apache.dubbo.registry.service.DemoService?REGISTRY_CLUSTER=registry1&anyhost=true&application=demo-provider2&delay=5000&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&group=greeting&interface=org.apache.dubbo.registry.service.DemoService&metadata-type=remote&methods=sayHello&sayHello.timeout=7000&pid=36621&release=&revision=1.0.0&service-name-mapping=true&side=provider&timeout=5000&timestamp=1629970068002&version=1.0.0&params-filter=-customized,excluded";

fn strings(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

fn customized() -> ParamsFilter {
    ParamsFilter {
        service_included: strings(&["application", "timeout", "group", "version"]),
        ..ParamsFilter::default()
    }
}

fn excluded() -> ParamsFilter {
    ParamsFilter {
        service_excluded: strings(&["timeout", "group", "anyhost"]),
        ..ParamsFilter::default()
    }
}

fn excluded2() -> ParamsFilter {
    ParamsFilter {
        service_excluded: strings(&["deprecated", "side"]),
        ..ParamsFilter::default()
    }
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("test URL")
}

#[test]
fn included_params_win_and_bring_their_method_forms() {
    // testParamsFilterIncluded: 5 params, no `interface` nor `delay`, sayHello.timeout = 7000.
    let filters = [ParamsFilter::dubbo_default(), excluded2(), customized()];
    let info = ServiceInfo::from_url(&url(URL), &filters);
    let keys: Vec<&str> = info.params.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "application",
            "group",
            "sayHello.timeout",
            "timeout",
            "version"
        ]
    );
    assert_eq!(info.params["sayHello.timeout"], "7000");
}

#[test]
fn excluded_params_drop_dotted_forms_too() {
    // testParamsFilterExcluded: 14 params; `interface`, `application`, `version` kept; `group`,
    // `timeout`, `anyhost` gone, and `sayHello.timeout` with `timeout`.
    let filters = [ParamsFilter::dubbo_default(), excluded2(), excluded()];
    let info = ServiceInfo::from_url(&url(URL3), &filters);
    assert_eq!(info.params.len(), 14, "{:?}", info.params);
    for kept in [
        "interface",
        "application",
        "version",
        "release",
        "REGISTRY_CLUSTER",
    ] {
        assert!(info.params.contains_key(kept), "{kept} kept");
    }
    for gone in [
        "group",
        "timeout",
        "anyhost",
        "sayHello.timeout",
        "pid",
        "timestamp",
        "side",
        "deprecated",
    ] {
        assert!(!info.params.contains_key(gone), "{gone} dropped");
    }
}

#[test]
fn revision_follows_only_the_kept_params() {
    // testEqualsAndRevision, with the filters the test's URLs activate.
    let filters = [ParamsFilter::dubbo_default(), excluded2(), customized()];
    let revision = |urls: &[Url]| {
        let mut info = MetadataInfo::new("demo");
        for u in urls {
            info.add_service_filtered(u, &filters).expect("consistent");
        }
        info.calculate_revision()
    };
    let base = revision(&[url(URL)]);
    assert_eq!(revision(&[url(URL)]), base);
    assert_eq!(
        revision(&[url(URL).with_param("delay", "6000")]),
        base,
        "delay is not kept"
    );
    assert_ne!(revision(&[url(URL).with_param("timeout", "6000")]), base);
    assert_ne!(revision(&[url(URL).with_param("group", "newGroup")]), base);
    assert_ne!(revision(&[url(URL), url(URL2)]), base);
}

#[test]
fn no_active_filter_keeps_everything_and_empty_filters_keep_nothing() {
    let u = url(URL);
    assert_eq!(ServiceInfo::from_url(&u, &[]).params.len(), u.param_count());
    assert!(
        ServiceInfo::from_url(&u, &[ParamsFilter::default()])
            .params
            .is_empty()
    );
}

#[test]
fn instance_params_come_from_the_default_filter_and_must_agree() {
    let mut info = MetadataInfo::new("demo");
    info.add_service(&url(URL)).expect("first service");
    let params: Vec<(&str, &str)> = info
        .instance_params()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(params, [("timestamp", "1629970068002")]);

    // A different timestamp is fine (Java ignores it); a different ipv6 is refused.
    info.add_service(&url(URL2).with_param("timestamp", "1"))
        .expect("timestamp may differ");
    let with_ipv6 = url(URL2).with_param("ipv6", "fd00::1");
    info.add_service(&with_ipv6).expect("first ipv6");
    let before = info.clone();
    let err = info
        .add_service(&url(URL).with_param("ipv6", "fd00::2"))
        .expect_err("inconsistent ipv6");
    assert!(err.to_string().contains("ipv6"), "{err}");
    assert_eq!(info, before, "a refused service changes nothing");
}
