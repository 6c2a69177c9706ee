//! Building chains from `service.filter`/`reference.filter`: the defaults, `default`,
//! `-name`, `-default`, unknown names, ordering and custom filters.

mod support;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use oxidubbo_filter::{
    CONSUMER_DEFAULTS, ChainBuilder, Filter, FilterContext, FilterRegistry, Next,
    PROVIDER_DEFAULTS, Side, build_chain,
};
use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult};
use support::{recording_service, say_hello, url};

/// Appends its name to a shared trace, before and after the rest of the chain.
struct Trace {
    name: &'static str,
    trace: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl Filter for Trace {
    async fn invoke(&self, next: Next<'_>, inv: Invocation) -> Result<RpcResult, RpcError> {
        self.trace.lock().unwrap().push(format!(">{}", self.name));
        let r = next.invoke(inv).await;
        self.trace.lock().unwrap().push(format!("<{}", self.name));
        r
    }
}

fn registry_with(names: &[&'static str], trace: &Arc<Mutex<Vec<String>>>) -> FilterRegistry {
    let mut r = FilterRegistry::with_builtins();
    for &name in names {
        let trace = Arc::clone(trace);
        r.register_filter(name, move |_: &FilterContext<'_>| {
            Ok(Some(Arc::new(Trace {
                name,
                trace: Arc::clone(&trace),
            }) as Arc<dyn Filter>))
        })
        .unwrap();
    }
    r
}

fn resolve(side: Side, spec: &str) -> Result<Vec<String>, RpcError> {
    let trace = Arc::new(Mutex::new(Vec::new()));
    registry_with(&["a", "b"], &trace).resolve(side, Some(spec))
}

#[test]
fn without_configuration_the_defaults_apply() {
    let r = FilterRegistry::with_builtins();
    assert_eq!(r.resolve(Side::Provider, None).unwrap(), PROVIDER_DEFAULTS);
    assert_eq!(
        r.resolve(Side::Consumer, Some("")).unwrap(),
        CONSUMER_DEFAULTS
    );
    assert_eq!(
        PROVIDER_DEFAULTS,
        [
            "graceful",
            "echo",
            "accesslog",
            "token",
            "tps",
            "executes",
            "timeout",
            "generic",
            "context",
            "exception"
        ]
    );
    assert_eq!(
        CONSUMER_DEFAULTS,
        ["graceful", "context", "token", "actives"]
    );
}

#[test]
fn user_filters_come_after_the_defaults_unless_default_is_placed() {
    assert_eq!(
        resolve(Side::Consumer, "a, b").unwrap(),
        ["graceful", "context", "token", "actives", "a", "b"]
    );
    assert_eq!(
        resolve(Side::Consumer, "a,default,b").unwrap(),
        ["a", "graceful", "context", "token", "actives", "b"]
    );
}

#[test]
fn minus_name_removes_a_filter() {
    assert_eq!(
        resolve(Side::Consumer, "-token,a,-actives").unwrap(),
        ["graceful", "context", "a"]
    );
    // Also a user filter named elsewhere in the list.
    assert_eq!(
        resolve(Side::Consumer, "a,b,-a").unwrap().last().unwrap(),
        "b"
    );
}

#[test]
fn minus_default_removes_all_defaults() {
    assert_eq!(resolve(Side::Provider, "b,-default,a").unwrap(), ["b", "a"]);
    // A default named explicitly stays, at its explicit place.
    assert_eq!(
        resolve(Side::Provider, "-default,a,token").unwrap(),
        ["a", "token"]
    );
}

#[test]
fn a_default_named_explicitly_moves_and_duplicates_keep_the_first_place() {
    assert_eq!(
        resolve(Side::Consumer, "token,default,a,a").unwrap(),
        ["token", "graceful", "context", "actives", "a"]
    );
}

#[test]
fn unknown_names_are_config_errors_naming_the_filter() {
    for spec in ["a,nosuch", "-nosuch", "default,nosuch"] {
        match resolve(Side::Provider, spec) {
            Err(RpcError::Config(msg)) => {
                assert!(msg.contains("\"nosuch\""), "{msg}");
                assert!(msg.contains("service.filter"), "{msg}");
            }
            other => panic!("{spec}: expected a config error, got {other:?}"),
        }
    }
    let (service, _) = recording_service(url(""));
    let bad = url("reference.filter=nosuch");
    match build_chain(&bad, Side::Consumer, service) {
        Err(RpcError::Config(msg)) => {
            assert!(msg.contains("nosuch") && msg.contains("reference.filter"))
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("an unknown filter must fail the build"),
    }
}

#[test]
fn a_registered_default_filter_goes_right_after_graceful_on_both_sides() {
    let trace = Arc::new(Mutex::new(Vec::new()));
    let mut r = registry_with(&[], &trace);
    let make = move |_: &FilterContext<'_>| {
        Ok(Some(Arc::new(Trace {
            name: "m",
            trace: Arc::clone(&trace),
        }) as Arc<dyn Filter>))
    };
    r.register_default_filter("m", make.clone()).unwrap();
    // Registering it again keeps one place.
    r.register_default_filter("m", make).unwrap();
    for (side, defaults) in [
        (Side::Provider, PROVIDER_DEFAULTS),
        (Side::Consumer, CONSUMER_DEFAULTS),
    ] {
        let mut expected: Vec<&str> = defaults.to_vec();
        expected.insert(1, "m");
        assert_eq!(expected[0], "graceful");
        assert_eq!(r.resolve(side, None).unwrap(), expected, "{side:?}");
    }
    assert!(
        r.register_default_filter("a,b", |_: &FilterContext<'_>| Ok(None))
            .is_err()
    );
}

#[test]
fn invalid_custom_names_are_refused() {
    let mut r = FilterRegistry::new();
    for name in ["", "default", "-x", "a,b", "a b"] {
        let made = r.register_filter(name, |_: &FilterContext<'_>| Ok(None));
        assert!(matches!(made, Err(RpcError::Config(_))), "{name:?}");
    }
    assert!(r.set_defaults(Side::Provider, ["nosuch"]).is_err());
}

#[test]
fn inactive_filters_are_left_out_of_the_chain() {
    let (service, _) = recording_service(url(""));
    let chain = ChainBuilder::new(Side::Provider)
        .build(&url(""), Arc::clone(&service))
        .unwrap();
    assert_eq!(
        chain.filter_names(),
        [
            "graceful",
            "echo",
            "timeout",
            "generic",
            "context",
            "exception"
        ]
    );
    let configured = url("token=t&tps=10&executes=2&accesslog=true");
    let chain = ChainBuilder::new(Side::Provider)
        .build(&configured, Arc::clone(&service))
        .unwrap();
    assert_eq!(chain.filter_names(), PROVIDER_DEFAULTS);

    let chain = ChainBuilder::new(Side::Consumer)
        .build(&url("sayHello.actives=1"), service)
        .unwrap();
    assert_eq!(chain.filter_names(), ["graceful", "context", "actives"]);
}

#[tokio::test]
async fn filters_run_in_list_order_outermost_first() {
    let trace = Arc::new(Mutex::new(Vec::new()));
    let registry = Arc::new(registry_with(&["a", "b"], &trace));
    let (service, seen) = recording_service(url(""));
    let chain = ChainBuilder::new(Side::Consumer)
        .registry(registry)
        .build(&url("reference.filter=b,-default,a"), service)
        .unwrap();
    assert_eq!(chain.filter_names(), ["b", "a"]);
    let r = chain.invoke(say_hello("x")).await.unwrap();
    assert_eq!(r.value.as_str(), Some("Hello, x"));
    assert_eq!(*trace.lock().unwrap(), [">b", ">a", "<a", "<b"]);
    assert!(seen.lock().unwrap().is_some());
}
