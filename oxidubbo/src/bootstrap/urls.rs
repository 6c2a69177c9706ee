//! The Dubbo URLs a configuration stands for: registry, provider and reference URLs.

use std::collections::BTreeMap;

use oxidubbo_common::{Url, UrlBuilder, defaults, keys, values};
use oxidubbo_invoker::RpcError;
use oxidubbo_protocol::{DubboProtocol, ReservedPort, TripleProtocol};

use crate::config::{
    ApplicationConfig, ProtocolConfig, ReferenceConfig, RegistryConfig, SslConfig,
};

/// Adds `key=value` when `value` is set and not empty.
fn opt(b: UrlBuilder, key: &str, value: Option<impl ToString>) -> UrlBuilder {
    match value.map(|v| v.to_string()).filter(|v| !v.is_empty()) {
        Some(v) => b.param(key, v),
        None => b,
    }
}

fn application(b: UrlBuilder, app: &ApplicationConfig) -> UrlBuilder {
    let b = b.params(app.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let b = opt(b, keys::APPLICATION, app.name.as_deref());
    opt(b, "application.version", app.version.as_deref())
}

/// The registry URL of `registry`: its address with `group`, `timeout`, `register-mode`,
/// `metadata-type`, `migration.step` and `params`.
pub(crate) fn registry_url(registry: &RegistryConfig) -> Result<Url, String> {
    let base =
        oxidubbo_registry::parse_registry_address(&registry.address).map_err(|e| e.to_string())?;
    let b = base.to_builder().params(
        registry
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let b = opt(b, keys::REGISTRY_GROUP, registry.group.as_deref());
    let b = opt(b, keys::TIMEOUT, registry.timeout);
    let b = opt(b, keys::CHECK, registry.check);
    let b = opt(
        b,
        oxidubbo_metadata::keys::REGISTER_MODE,
        registry.register_mode.as_deref(),
    );
    let b = opt(
        b,
        oxidubbo_metadata::keys::METADATA_TYPE,
        registry.metadata_type.as_deref(),
    );
    let b = opt(
        b,
        oxidubbo_metadata::keys::MIGRATION_STEP,
        registry.migration_step.as_deref(),
    );
    Ok(b.build())
}

/// What a provider URL is made of, resolved from the service's configuration and the
/// bound implementation.
pub(crate) struct ProviderSpec<'a> {
    pub(crate) interface: &'a str,
    pub(crate) version: Option<&'a str>,
    pub(crate) group: Option<&'a str>,
    pub(crate) methods: &'a [String],
    /// The service's own serialization (`protobuf` for IDL services), if it has one.
    pub(crate) serialization: Option<&'a str>,
    pub(crate) service: &'a crate::config::ServiceConfig,
    pub(crate) register: bool,
}

/// The provider URL: `dubbo://host:port/<interface>?interface&version&group&methods&
/// serialization&side=provider&application&timeout&token&weight&service.filter&…params`. Named fields
/// win over `params`; service params over protocol and application params.
///
/// `serialization` is the service's own (`protobuf` for IDL services), else on `tri` the
/// `hessian2` of interface-style services: registered, it tells consumers (dubbo-go's in
/// particular) to call with the Hessian wrapper (TRIPLE.md §9). On `dubbo` it is left to
/// the protocol's default.
pub(crate) fn provider_url(
    spec: &ProviderSpec<'_>,
    protocol: &ProtocolConfig,
    port: u16,
    app: &ApplicationConfig,
) -> Url {
    let mut methods: Vec<&str> = spec.methods.iter().map(String::as_str).collect();
    methods.sort_unstable();
    methods.dedup();
    let b = Url::builder(&protocol.name)
        .host(protocol.host.clone())
        .port(port)
        .path(spec.interface);
    let b = application(b, app);
    let b = b.params(
        protocol
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let b = opt(b, keys::PAYLOAD, protocol.payload);
    let b = opt(b, keys::HEARTBEAT, protocol.heartbeat);
    let b = opt(b, keys::ACCEPTS, protocol.accepts);
    let s = spec.service;
    let b = b.params(s.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let b = b
        .param(keys::INTERFACE, spec.interface)
        .param(keys::SIDE, values::PROVIDER_SIDE)
        .param(keys::DUBBO, defaults::DUBBO_PROTOCOL_VERSION)
        .param(keys::ANYHOST, "false");
    let b = opt(b, keys::VERSION, spec.version);
    let b = opt(b, keys::GROUP, spec.group);
    let b = opt(b, keys::METHODS, Some(methods.join(",")));
    let serialization = spec
        .serialization
        .or((protocol.name == values::TRI_PROTOCOL).then_some(defaults::SERIALIZATION));
    let b = opt(b, keys::SERIALIZATION, serialization);
    let b = opt(b, keys::TIMEOUT, s.timeout);
    let b = opt(b, keys::TOKEN, s.token.as_deref());
    let b = opt(b, keys::WEIGHT, s.weight);
    let b = opt(b, keys::SERVICE_FILTER, s.filters.as_deref());
    let b = if spec.register {
        b
    } else {
        b.param(keys::REGISTER, "false")
    };
    b.build()
}

/// `url` served with TLS: `ssl-enabled=true` and the server side of `[ssl]`.
pub(crate) fn with_server_ssl(url: Url, ssl: &SslConfig) -> Url {
    url.to_builder()
        .param(keys::SSL_ENABLED, "true")
        .params(ssl.server_params())
        .build()
}

/// `url` with the client side of `[ssl]`, used when the provider speaks TLS (its URL says
/// `ssl-enabled=true`). A parameter the reference sets itself wins.
pub(crate) fn with_client_ssl(url: Url, ssl: &SslConfig) -> Url {
    let params: Vec<_> = ssl
        .client_params()
        .into_iter()
        .filter(|(k, _)| url.param(k).is_none())
        .collect();
    if params.is_empty() {
        return url;
    }
    url.to_builder().params(params).build()
}

/// The reference (consumer) URL: `consumer://127.0.0.1/<interface>?interface&version&
/// group&protocol&side=consumer&application&timeout&retries&cluster&loadbalance&check&
/// reference.filter&…params`. `protocol` keeps the registry's providers of other
/// protocols out (Java's and dubbo-go's rule).
pub(crate) fn reference_url(
    reference: &ReferenceConfig,
    protocol: &str,
    app: &ApplicationConfig,
) -> Url {
    let b = Url::builder(values::CONSUMER_PROTOCOL)
        .host("127.0.0.1")
        .path(reference.interface.clone());
    let b = application(b, app);
    let b = b.params(
        reference
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let b = b
        .param(keys::INTERFACE, reference.interface.clone())
        .param(keys::SIDE, values::CONSUMER_SIDE)
        .param(keys::DUBBO, defaults::DUBBO_PROTOCOL_VERSION)
        .param(keys::PROTOCOL, protocol);
    let b = opt(b, keys::VERSION, reference.version.as_deref());
    let b = opt(b, keys::GROUP, reference.group.as_deref());
    let b = opt(b, keys::TIMEOUT, reference.timeout);
    let b = opt(b, keys::RETRIES, reference.retries);
    let b = opt(b, keys::CLUSTER, reference.cluster.as_deref());
    let b = opt(b, keys::LOADBALANCE, reference.loadbalance.as_deref());
    let b = opt(b, keys::CHECK, reference.check);
    let b = opt(b, keys::REFERENCE_FILTER, reference.filters.as_deref());
    let b = opt(
        b,
        oxidubbo_metadata::keys::PROVIDED_BY,
        reference.provided_by.as_deref(),
    );
    let b = opt(
        b,
        oxidubbo_metadata::keys::MIGRATION_STEP,
        reference.migration_step.as_deref(),
    );
    b.build()
}

/// Direct addresses (`;`-separated) with `scheme://` put before those that have none.
pub(crate) fn with_scheme(direct: &str, scheme: &str) -> String {
    direct
        .split(';')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| {
            if u.contains("://") {
                u.to_owned()
            } else {
                format!("{scheme}://{u}")
            }
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// The port of each protocol, and the reservations that keep the port-0 ones bound.
pub(crate) type ResolvedPorts = (BTreeMap<String, u16>, Vec<ReservedPort>);

/// Ports for protocols configured with port 0: a free port each, bound once on `dubbo`
/// or `tri` and kept bound (the reservations returned) until the services exported there
/// serve on the very listener — a port read off a dropped listener could be taken before
/// the export binds it again.
pub(crate) fn resolve_ports(
    protocols: &BTreeMap<String, ProtocolConfig>,
    dubbo: &DubboProtocol,
    triple: &TripleProtocol,
) -> Result<ResolvedPorts, (String, RpcError)> {
    let mut out = BTreeMap::new();
    let mut reserved = Vec::new();
    for (name, protocol) in protocols {
        let reservation = match protocol.name.as_str() {
            _ if protocol.port != 0 => None,
            values::DUBBO_PROTOCOL => Some(dubbo.reserve_port(&protocol.host)),
            values::TRI_PROTOCOL => Some(triple.reserve_port(&protocol.host)),
            _ => None,
        };
        let port = match reservation.transpose().map_err(|e| (name.clone(), e))? {
            Some(reservation) => {
                let port = reservation.port();
                reserved.push(reservation);
                port
            }
            None => protocol.port,
        };
        out.insert(name.clone(), port);
    }
    Ok((out, reserved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServiceConfig;

    #[test]
    fn a_port_0_protocol_keeps_its_port_bound_until_exported() {
        let dubbo = DubboProtocol::new();
        let protocols = BTreeMap::from([(
            "dubbo".to_owned(),
            ProtocolConfig {
                port: 0,
                ..ProtocolConfig::default()
            },
        )]);
        let (ports, reserved) = resolve_ports(&protocols, &dubbo, &TripleProtocol::new()).unwrap();
        let port = ports["dubbo"];
        assert_ne!(port, 0);
        assert!(
            std::net::TcpListener::bind(("127.0.0.1", port)).is_err(),
            "the port found is free for any socket to take before the export binds it"
        );
        drop(reserved);
        assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
    }

    #[test]
    fn application_level_keys_reach_the_registry_and_reference_urls() {
        let text = "[registries.zk]\naddress = \"zookeeper://127.0.0.1:2181\"\n\
                    metadata-type = \"remote\"\nmigration-step = \"force_application\"\n\
                    [references.greeter]\ninterface = \"com.example.Greeter\"\n\
                    provided-by = \"a,b\"\nmigration-step = \"FORCE_INTERFACE\"\n";
        let config = crate::config::Config::parse(text, "app.toml").unwrap();
        let registry = registry_url(&config.registries["zk"]).unwrap();
        assert_eq!(registry.param("metadata-type"), Some("remote"));
        assert_eq!(registry.param("migration.step"), Some("FORCE_APPLICATION"));
        let reference = reference_url(
            &config.references["greeter"],
            "dubbo",
            &ApplicationConfig::default(),
        );
        assert_eq!(reference.param("provided-by"), Some("a,b"));
        assert_eq!(reference.param("migration.step"), Some("FORCE_INTERFACE"));
        let plain = reference_url(
            &ReferenceConfig::new("com.example.Greeter"),
            "dubbo",
            &ApplicationConfig::default(),
        );
        assert_eq!(
            plain.param("migration.step"),
            None,
            "Dubbo's default applies"
        );
    }

    #[test]
    fn provider_url_carries_dubbo_names() {
        let service = ServiceConfig {
            timeout: Some(3000),
            token: Some("t".into()),
            weight: Some(50),
            filters: Some("accesslog".into()),
            params: BTreeMap::from([
                ("timeout".into(), "1".into()),
                ("executes".into(), "4".into()),
            ]),
            ..ServiceConfig::default()
        };
        let methods = vec!["sayHello".to_owned(), "add".to_owned()];
        let spec = ProviderSpec {
            interface: "com.example.Greeter",
            version: Some("1.0.0"),
            group: None,
            methods: &methods,
            serialization: None,
            service: &service,
            register: true,
        };
        let app = ApplicationConfig {
            name: Some("app".into()),
            ..ApplicationConfig::default()
        };
        let url = provider_url(&spec, &ProtocolConfig::default(), 20881, &app);
        assert_eq!(url.protocol(), "dubbo");
        assert_eq!(url.address(), "127.0.0.1:20881");
        assert_eq!(url.path(), "com.example.Greeter");
        for (k, v) in [
            ("interface", "com.example.Greeter"),
            ("version", "1.0.0"),
            ("methods", "add,sayHello"),
            ("side", "provider"),
            ("application", "app"),
            ("timeout", "3000"),
            ("token", "t"),
            ("weight", "50"),
            ("service.filter", "accesslog"),
            ("executes", "4"),
        ] {
            assert_eq!(url.param(k), Some(v), "{k} in {url:?}");
        }
        assert_eq!(url.param("group"), None);
        assert_eq!(url.param("register"), None);
        assert_eq!(url.param("serialization"), None, "the protocol's default");
    }

    #[test]
    fn an_idl_services_provider_url_says_protobuf_whatever_the_params_say() {
        let service = ServiceConfig {
            params: BTreeMap::from([("serialization".into(), "hessian2".into())]),
            ..ServiceConfig::default()
        };
        let methods = vec!["Greet".to_owned()];
        let spec = ProviderSpec {
            interface: "greet.GreetService",
            version: None,
            group: None,
            methods: &methods,
            serialization: Some("protobuf"),
            service: &service,
            register: true,
        };
        let app = ApplicationConfig::default();
        let url = provider_url(&spec, &ProtocolConfig::default(), 20881, &app);
        assert_eq!(url.param("serialization"), Some("protobuf"), "{url:?}");
        assert_eq!(url.param("methods"), Some("Greet"));
    }

    #[test]
    fn an_interface_service_on_tri_says_hessian2() {
        let service = ServiceConfig::default();
        let methods = vec!["sayHello".to_owned()];
        let spec = ProviderSpec {
            interface: "com.example.Greeter",
            version: None,
            group: None,
            methods: &methods,
            serialization: None,
            service: &service,
            register: true,
        };
        let app = ApplicationConfig::default();
        let url = provider_url(&spec, &ProtocolConfig::tri(50052), 50052, &app);
        assert_eq!(url.protocol(), "tri");
        assert_eq!(url.address(), "127.0.0.1:50052");
        assert_eq!(url.param("serialization"), Some("hessian2"), "{url:?}");
        let idl = ProviderSpec {
            serialization: Some("protobuf"),
            ..spec
        };
        let url = provider_url(&idl, &ProtocolConfig::tri(50052), 50052, &app);
        assert_eq!(url.param("serialization"), Some("protobuf"), "{url:?}");
    }

    #[test]
    fn direct_addresses_without_a_scheme_take_the_references_protocol() {
        assert_eq!(
            with_scheme(" 10.0.0.1:50051; tri://10.0.0.2:1 ;", "tri"),
            "tri://10.0.0.1:50051;tri://10.0.0.2:1"
        );
    }

    #[test]
    fn reference_url_carries_dubbo_names() {
        let reference = ReferenceConfig {
            version: Some("1.0.0".into()),
            retries: Some(0),
            cluster: Some("failfast".into()),
            check: Some(false),
            filters: Some("-context".into()),
            ..ReferenceConfig::new("com.example.Greeter")
        };
        let url = reference_url(&reference, "dubbo", &ApplicationConfig::default());
        assert_eq!(url.protocol(), "consumer");
        for (k, v) in [
            ("interface", "com.example.Greeter"),
            ("version", "1.0.0"),
            ("side", "consumer"),
            ("retries", "0"),
            ("cluster", "failfast"),
            ("check", "false"),
            ("reference.filter", "-context"),
            ("protocol", "dubbo"),
        ] {
            assert_eq!(url.param(k), Some(v), "{k} in {url:?}");
        }
        assert_eq!(url.param("timeout"), None, "Dubbo's default applies");
    }
}
