//! TOML configuration: the application, registries, protocols, services and references,
//! under Dubbo's names and with Dubbo's defaults. dubbo-go 3's YAML files (`dubbogo.yml`)
//! are read into the same model ([`dubbogo`]; [`Config::from_file`] chooses by extension).
//!
//! ```toml
//! [application]
//! name = "greeter-provider"
//!
//! [registries.default]            # omitted: an implicit `default = "memory://"`
//! address = "zookeeper://127.0.0.1:2181"
//!
//! [protocols.dubbo]               # omitted: dubbo on 127.0.0.1:20880
//! port = 20880                    # 0: a free port
//!
//! [protocols.tri]                 # Triple (gRPC); the name is the table's, port 50051
//! port = 50051
//!
//! [services.greeter]              # bound to code with `BootstrapBuilder::service`
//! interface = "org.apache.dubbo.samples.api.GreeterService"   # default: the trait's
//! version = "1.0.0"
//! protocol = "dubbo,tri"          # served on both (default: the only protocol, or dubbo)
//! timeout = 3000
//!
//! [references.greeter]
//! interface = "org.apache.dubbo.samples.api.GreeterService"
//! version = "1.0.0"
//! url = "dubbo://127.0.0.1:20880" # direct; else found in `registry` (default: the only one)
//! retries = 2
//!
//! [references.greeter-tri]
//! interface = "org.apache.dubbo.samples.api.GreeterService"
//! version = "1.0.0"
//! protocol = "tri"                # only tri:// providers (default: url's scheme, else dubbo)
//!
//! [shutdown]
//! timeout = 10000                 # ms a graceful shutdown may take
//!
//! [metrics]                       # Prometheus, dubbo-go's and Java's metric names
//! enabled = true                  # default false: no filter, no server
//! host = "127.0.0.1"              # default
//! port = 9090                     # default (0: a free port)
//! path = "/metrics"               # default
//!
//! [tracing]                       # a `tracing` span per call, W3C trace context propagated
//! enabled = true                  # default false: no filter
//! sampling = 0.1                  # share of new traces sampled (default 1.0)
//! exporter = "otlp-http"          # also export spans over OTLP (cargo feature `otlp`)
//! endpoint = "http://127.0.0.1:4318/v1/traces"   # default
//!
//! [qos]                           # Dubbo Java's QoS port: telnet and HTTP commands
//! enabled = true                  # default false
//! port = 22222                    # default (0: a free port)
//! host = "127.0.0.1"              # default; 0.0.0.0 with accept-foreign-ip = true
//! accept-foreign-ip = false       # default: peers off this host are refused
//! ```
//!
//! Every table rejects unknown keys. Values map onto Dubbo URL parameters: `timeout`,
//! `retries`, `loadbalance`, `cluster`, `weight`, `token`, `check`, `filters` (written
//! `service.filter` / `reference.filter`), …; `params` adds any other parameter
//! verbatim (`params = { executes = 10, "methods.sayHello.timeout" = 500 }`).
//!
//! # Environment overrides
//!
//! A variable `OXIDUBBO_<SEGMENT>__<SEGMENT>__…=value` sets the key whose dotted path is
//! the segments, lowercased: `OXIDUBBO_REFERENCES__GREETER__TIMEOUT=5000` sets
//! `references.greeter.timeout = 5000`, `OXIDUBBO_REGISTRIES__DEFAULT__ADDRESS=zookeeper://zk:2181`
//! sets `registries.default.address`. The value is read as a TOML integer, float or
//! boolean when it looks like one (and the key accepts it), else as a string. Overrides
//! apply after the file has been read and checked (so file errors name their line), and
//! may create tables the file does not have. An override that does not fit names its
//! variable in the error. Variables with the prefix but no `__` (such as
//! `OXIDUBBO_CONFIG`) are not overrides.
//!
//! ```
//! use oxidubbo::config::Config;
//!
//! let text = "[references.greeter]\ninterface = \"com.example.Greeter\"\ntimeout = 1000\n";
//! let env = [("OXIDUBBO_REFERENCES__GREETER__TIMEOUT".to_owned(), "5000".to_owned())];
//! let config = Config::from_str_with_env(text, "app.toml", env).unwrap();
//! assert_eq!(config.references["greeter"].timeout, Some(5000));
//!
//! let err = Config::from_str_with_env("[shutdown]\ntimeout = \"soon\"\n", "app.toml", []).unwrap_err();
//! assert!(err.to_string().starts_with("app.toml:2:11: shutdown.timeout: invalid type"), "{err}");
//! ```

pub mod dubbogo;
mod env;
mod error;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use toml::{Table, Value};

pub use self::dubbogo::ConfigWarning;
use self::env::Override;
pub use self::env::{ENV_PREFIX, ENV_SEPARATOR};
pub use self::error::ConfigError;
use self::error::{error_key, find_key, line_col};

/// The name of the registry used when the configuration declares none.
pub const DEFAULT_REGISTRY: &str = "default";
/// The address of that implicit registry: the embedded, in-process one.
pub const DEFAULT_REGISTRY_ADDRESS: &str = "memory://";
/// The protocol used when the configuration declares none.
pub const DEFAULT_PROTOCOL: &str = "dubbo";
/// The host protocols bind by default.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// How long a graceful shutdown may take by default, in milliseconds.
pub const DEFAULT_SHUTDOWN_TIMEOUT_MS: u64 = 10_000;
/// The protocol names a bootstrap can serve and refer.
pub const KNOWN_PROTOCOLS: &[&str] = &["dubbo", "tri", "injvm"];

/// The port protocol `name` serves on when its table gives none: 20880 for `dubbo`, 50051
/// for `tri` (Java's and dubbo-go's defaults), 0 for `injvm` (no socket).
pub fn default_port(name: &str) -> u16 {
    match name {
        oxidubbo_common::values::TRI_PROTOCOL => oxidubbo_protocol::triple::DEFAULT_PORT,
        oxidubbo_common::values::INJVM_PROTOCOL => 0,
        _ => oxidubbo_common::defaults::DUBBO_PORT,
    }
}

/// The whole configuration. See the [module documentation](self) for the TOML form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[application]`.
    pub application: ApplicationConfig,
    /// `[registries.<name>]`; none means an implicit `default = "memory://"`.
    pub registries: BTreeMap<String, RegistryConfig>,
    /// `[protocols.<name>]`; none means `dubbo` on `127.0.0.1:20880`.
    #[serde(deserialize_with = "protocol_map")]
    pub protocols: BTreeMap<String, ProtocolConfig>,
    /// `[services.<name>]`: services this application provides.
    pub services: BTreeMap<String, ServiceConfig>,
    /// `[references.<name>]`: services this application calls.
    pub references: BTreeMap<String, ReferenceConfig>,
    /// `[shutdown]`.
    pub shutdown: ShutdownConfig,
    /// `[metrics]`: the Prometheus endpoint (off by default).
    pub metrics: MetricsConfig,
    /// `[tracing]`: spans and W3C trace context (off by default).
    pub tracing: TracingConfig,
    /// `[qos]`: Dubbo Java's QoS server (off by default).
    pub qos: QosConfig,
    /// `[ssl]`: the certificates of TLS (Dubbo's `SslConfig`), used by the protocols with
    /// `ssl-enabled = true` and by references to providers registered with TLS.
    pub ssl: SslConfig,
    /// Where the configuration came from, to locate errors found later.
    #[serde(skip)]
    origin: Origin,
}

/// Where a configuration was read from.
#[derive(Debug, Clone, Default)]
struct Origin {
    file: Option<String>,
    text: Option<Arc<str>>,
    /// `(variable, key path)` of each environment override applied.
    overrides: Vec<(String, Vec<String>)>,
    /// For a dubbo-go YAML file: where each key came from.
    yaml_locations: Vec<dubbogo::Location>,
    /// For a dubbo-go YAML file: the keys it has that are not applied.
    warnings: Vec<ConfigWarning>,
}

/// `[application]`: who this process is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApplicationConfig {
    /// The application name (`application` on every URL).
    pub name: Option<String>,
    /// The application version (`application.version`).
    pub version: Option<String>,
    /// Other parameters added to every service and reference URL.
    #[serde(deserialize_with = "scalar_map")]
    pub params: BTreeMap<String, String>,
}

/// `[registries.<name>]`: a registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// `zookeeper://host:port`, a bare `host:port` (ZooKeeper), or `memory://` (the
    /// embedded registry, shared by the process).
    pub address: String,
    /// The registry's root group (ZooKeeper: `/<group>`, default `dubbo`).
    #[serde(default)]
    pub group: Option<String>,
    /// Session/connection timeout, milliseconds.
    #[serde(default)]
    pub timeout: Option<u64>,
    /// Where providers register (`register-mode`, Dubbo's key and names): `interface`
    /// (interface-level nodes), `instance` (the application instance,
    /// `/services/<application>/<host>:<port>`, and the interface → application mapping) or
    /// `all`, both — the default, as Dubbo Java's.
    #[serde(
        default,
        rename = "register-mode",
        alias = "register_mode",
        deserialize_with = "register_mode"
    )]
    pub register_mode: Option<String>,
    /// Where a provider's `MetadataInfo` is kept (`metadata-type`): `local` (the default:
    /// served by its `MetadataService`) or `remote` (ZooKeeper: written to the metadata
    /// report, `/<group>/metadata/<application>/<revision>`).
    #[serde(
        default,
        rename = "metadata-type",
        alias = "metadata_type",
        deserialize_with = "metadata_type"
    )]
    pub metadata_type: Option<String>,
    /// How the references that use this registry choose between application-level and
    /// interface-level providers (`migration.step`): `FORCE_INTERFACE`,
    /// `APPLICATION_FIRST` (the default, as Dubbo Java's) or `FORCE_APPLICATION`. A
    /// reference's own `migration-step` wins.
    #[serde(
        default,
        rename = "migration-step",
        alias = "migration_step",
        deserialize_with = "migration_step"
    )]
    pub migration_step: Option<String>,
    /// Whether an unreachable registry fails the start (`check`, default true, Java's).
    /// With `false` the application starts anyway; what it registers and subscribes is
    /// kept and done once the registry is reachable (ZooKeeper, etcd).
    #[serde(default)]
    pub check: Option<bool>,
    /// Other parameters of the registry URL.
    #[serde(default, deserialize_with = "scalar_map")]
    pub params: BTreeMap<String, String>,
}

impl RegistryConfig {
    /// A registry at `address` (`zookeeper://…`, `memory://`).
    pub fn new(address: impl Into<String>) -> Self {
        RegistryConfig {
            address: address.into(),
            group: None,
            timeout: None,
            register_mode: None,
            metadata_type: None,
            migration_step: None,
            check: None,
            params: BTreeMap::new(),
        }
    }
}

/// `[protocols.<name>]`: a protocol and the address its server binds.
///
/// In TOML, `name` defaults to the table's own name when that is a protocol's
/// (`[protocols.tri]` is Triple), else to `dubbo`; `port` to the protocol's
/// [`default_port`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolConfig {
    /// The protocol: `dubbo` (default), `tri` (Triple: gRPC over HTTP/2, HTTP/1.1 JSON on
    /// the same port) or `injvm`.
    pub name: String,
    /// The host to bind and advertise (default `127.0.0.1`).
    pub host: String,
    /// The port (default 20880 for dubbo, 50051 for tri; 0 picks a free port at start).
    pub port: u16,
    /// Largest frame accepted, bytes (`payload`, default 8 MiB).
    pub payload: Option<u64>,
    /// Heartbeat interval, milliseconds (`heartbeat`, default 60000).
    pub heartbeat: Option<u64>,
    /// Most connections a dubbo server serves at once (`accepts`, Dubbo's key; default 0:
    /// no limit). One more is refused: its first request is answered with an error saying
    /// so, then it is closed.
    pub accepts: Option<u64>,
    /// Whether the protocol's server speaks TLS (`ssl-enabled`, default `false`), with the
    /// server certificate of `[ssl]`; the provider URLs say so to consumers.
    #[serde(rename = "ssl-enabled")]
    pub ssl_enabled: bool,
    /// Other parameters of the provider URLs served with this protocol.
    #[serde(deserialize_with = "scalar_map")]
    pub params: BTreeMap<String, String>,
}

impl Default for ProtocolConfig {
    fn default() -> Self {
        ProtocolConfig {
            name: DEFAULT_PROTOCOL.to_owned(),
            host: DEFAULT_HOST.to_owned(),
            port: oxidubbo_common::defaults::DUBBO_PORT,
            payload: None,
            heartbeat: None,
            accepts: None,
            ssl_enabled: false,
            params: BTreeMap::new(),
        }
    }
}

impl ProtocolConfig {
    /// `dubbo` on `127.0.0.1:port`.
    pub fn dubbo(port: u16) -> Self {
        ProtocolConfig {
            port,
            ..ProtocolConfig::default()
        }
    }

    /// `tri` (Triple) on `127.0.0.1:port`.
    pub fn tri(port: u16) -> Self {
        ProtocolConfig {
            name: oxidubbo_common::values::TRI_PROTOCOL.to_owned(),
            port,
            ..ProtocolConfig::default()
        }
    }
}

/// `[protocols.<name>]` as written: what it leaves out takes its protocol's defaults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProtocolTable {
    name: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    payload: Option<u64>,
    heartbeat: Option<u64>,
    accepts: Option<u64>,
    #[serde(rename = "ssl-enabled", default)]
    ssl_enabled: bool,
    #[serde(default, deserialize_with = "scalar_map")]
    params: BTreeMap<String, String>,
}

fn protocol_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, ProtocolConfig>, D::Error> {
    let tables = BTreeMap::<String, ProtocolTable>::deserialize(d)?;
    Ok(tables
        .into_iter()
        .map(|(key, t)| {
            let name = t.name.unwrap_or_else(|| {
                let own = KNOWN_PROTOCOLS.contains(&key.as_str());
                if own {
                    key.clone()
                } else {
                    DEFAULT_PROTOCOL.to_owned()
                }
            });
            let protocol = ProtocolConfig {
                port: t.port.unwrap_or_else(|| default_port(&name)),
                name,
                host: t.host.unwrap_or_else(|| DEFAULT_HOST.to_owned()),
                payload: t.payload,
                heartbeat: t.heartbeat,
                accepts: t.accepts,
                ssl_enabled: t.ssl_enabled,
                params: t.params,
            };
            (key, protocol)
        })
        .collect())
}

/// `[services.<name>]`: a service this application provides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceConfig {
    /// The Java interface name (default: the bound trait's).
    pub interface: Option<String>,
    /// The version (default: the bound trait's, else none).
    pub version: Option<String>,
    /// The group (default: the bound trait's, else none).
    pub group: Option<String>,
    /// The `[protocols.<name>]` to serve with, comma-separated to serve on several at once
    /// (`"dubbo,tri"`; default: the only one, or `dubbo`).
    pub protocol: Option<String>,
    /// The `[registries.<name>]` to register in, comma-separated (default: all).
    pub registry: Option<String>,
    /// Whether to register at all (`register`, default true).
    pub register: Option<bool>,
    /// The provider filter chain (`service.filter`, e.g. `"accesslog,-tps"`).
    pub filters: Option<String>,
    /// Default call timeout, milliseconds, advertised to consumers (`timeout`).
    pub timeout: Option<u64>,
    /// Token consumers must present (`token`; `true` for a random one).
    #[serde(deserialize_with = "opt_scalar")]
    pub token: Option<String>,
    /// Load-balancing weight (`weight`, default 100).
    pub weight: Option<u32>,
    /// Other parameters of the provider URL (`executes`, `tps`, `methods.<m>.timeout`, …).
    #[serde(deserialize_with = "scalar_map")]
    pub params: BTreeMap<String, String>,
}

/// `[references.<name>]`: a service this application calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReferenceConfig {
    /// The Java interface name (required).
    pub interface: String,
    /// The version.
    pub version: Option<String>,
    /// The group.
    pub group: Option<String>,
    /// Direct provider address(es), `;`-separated (`dubbo://10.0.0.1:20880;…`,
    /// `tri://10.0.0.1:50051`); set, the registry is not used. An address without a scheme
    /// takes the reference's `protocol`.
    pub url: Option<String>,
    /// The protocol to call with, `dubbo`, `tri` or `injvm`: of the providers found in the
    /// registry only those of this protocol are used (default: the scheme of `url`, else
    /// `dubbo`).
    pub protocol: Option<String>,
    /// The `[registries.<name>]` to find providers in (default: the only one, or the one
    /// named `default`).
    pub registry: Option<String>,
    /// Fault tolerance (`cluster`, default `failover`).
    pub cluster: Option<String>,
    /// Load balancing (`loadbalance`, default `random`).
    pub loadbalance: Option<String>,
    /// Retries after the first attempt (`retries`, default 2).
    pub retries: Option<u32>,
    /// Call timeout, milliseconds (`timeout`, default 1000).
    pub timeout: Option<u64>,
    /// The consumer filter chain (`reference.filter`).
    pub filters: Option<String>,
    /// Fail at start when no provider is available (`check`, default true).
    pub check: Option<bool>,
    /// The applications that provide this service, comma-separated (`provided-by`): found
    /// at application level without reading the interface → application mapping.
    #[serde(rename = "provided-by", alias = "provided_by")]
    pub provided_by: Option<String>,
    /// How this reference chooses between application-level and interface-level providers
    /// (`migration.step`): `FORCE_INTERFACE`, `APPLICATION_FIRST` (default) or
    /// `FORCE_APPLICATION`; default: its registry's `migration-step`.
    #[serde(
        rename = "migration-step",
        alias = "migration_step",
        deserialize_with = "migration_step"
    )]
    pub migration_step: Option<String>,
    /// Other parameters of the consumer URL (`actives`, `connections`, …).
    #[serde(deserialize_with = "scalar_map")]
    pub params: BTreeMap<String, String>,
}

impl ReferenceConfig {
    /// A reference to `interface`.
    pub fn new(interface: impl Into<String>) -> Self {
        ReferenceConfig {
            interface: interface.into(),
            ..ReferenceConfig::default()
        }
    }

    /// A reference to the service `T` (interface, version and group from its
    /// `#[oxidubbo::service]` declaration).
    pub fn of<T: crate::DubboService + ?Sized>() -> Self {
        ReferenceConfig {
            interface: T::INTERFACE.to_owned(),
            version: T::VERSION.map(str::to_owned),
            group: T::GROUP.map(str::to_owned),
            ..ReferenceConfig::default()
        }
    }

    /// This reference calling `url` directly (one or several `;`-separated addresses).
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// This reference finding providers in the registry named `registry`.
    pub fn with_registry(mut self, registry: impl Into<String>) -> Self {
        self.registry = Some(registry.into());
        self
    }
}

/// `[shutdown]`: graceful shutdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShutdownConfig {
    /// How long a graceful shutdown may take, milliseconds (default 10000): the registry
    /// work and the wait for calls in flight together.
    pub timeout: u64,
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        ShutdownConfig {
            timeout: DEFAULT_SHUTDOWN_TIMEOUT_MS,
        }
    }
}

/// `[metrics]`: Prometheus metrics of every call (dubbo-go's and Dubbo Java's names),
/// served at `http://<host>:<port><path>` (see [`oxidubbo_metrics`]).
///
/// When `enabled` is false (the default) the `metrics` filter is not in any chain and no
/// server is started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Whether calls are recorded and served (default `false`).
    pub enabled: bool,
    /// The IP address the endpoint binds (default `127.0.0.1`).
    pub host: String,
    /// The port (default 9090, dubbo-go's; 0: a free port).
    pub port: u16,
    /// The path (default `/metrics`).
    pub path: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: false,
            host: DEFAULT_HOST.to_owned(),
            port: oxidubbo_metrics::DEFAULT_PORT,
            path: oxidubbo_metrics::DEFAULT_PATH.to_owned(),
        }
    }
}

impl MetricsConfig {
    /// The address the endpoint binds.
    ///
    /// # Errors
    ///
    /// A message when `host` is not an IP address.
    pub fn socket_addr(&self) -> Result<std::net::SocketAddr, String> {
        let ip: std::net::IpAddr = self
            .host
            .parse()
            .map_err(|_| format!("{:?} is not an IP address", self.host))?;
        Ok(std::net::SocketAddr::new(ip, self.port))
    }
}

/// `[tracing]`: a `tracing` span per call on both sides, after OpenTelemetry's RPC
/// conventions, and W3C `traceparent`/`tracestate` carried in attachments (dubbo) and
/// headers (Triple), so a trace continues through every service (see
/// [`oxidubbo_filter::trace`]). The spans go to whatever `tracing` subscriber the
/// application installs (a `tracing-opentelemetry` layer exports them).
///
/// When `enabled` is false (the default) the `tracing` filter is not in any chain.
///
/// `exporter = "otlp-http"` (dubbo-go's name) also sends the spans to an OpenTelemetry
/// collector at `endpoint`, when oxidubbo is built with its `otlp` feature (see
/// `oxidubbo::otlp`); without an exporter the spans go only to the application's own
/// `tracing` subscriber.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TracingConfig {
    /// Whether calls are traced (default `false`).
    pub enabled: bool,
    /// The probability a new trace is sampled, 0 to 1 (default 1); a trace continued from
    /// a caller follows the caller's decision.
    pub sampling: f64,
    /// Where spans are exported besides the application's subscriber: `otlp-http`, or none
    /// (the default).
    pub exporter: Option<String>,
    /// The OTLP/HTTP endpoint receiving the spans (default
    /// [`DEFAULT_OTLP_ENDPOINT`](Self::DEFAULT_OTLP_ENDPOINT), a collector on this host).
    pub endpoint: String,
}

impl TracingConfig {
    /// The exporter name for OTLP over HTTP (protobuf), dubbo-go's.
    pub const OTLP_HTTP: &str = "otlp-http";
    /// The default OTLP/HTTP traces endpoint: a collector on this host, on OTLP/HTTP's port.
    pub const DEFAULT_OTLP_ENDPOINT: &str = "http://127.0.0.1:4318/v1/traces";
}

impl Default for TracingConfig {
    fn default() -> Self {
        TracingConfig {
            enabled: false,
            sampling: 1.0,
            exporter: None,
            endpoint: TracingConfig::DEFAULT_OTLP_ENDPOINT.to_owned(),
        }
    }
}

/// `[qos]`: Dubbo Java's QoS server (see [`oxidubbo_qos`]): `ls`, `online`, `offline`,
/// `invoke`, the `live`/`ready`/`startup` probes… over telnet and HTTP on one port.
///
/// Off by default, unlike Java's: the server runs commands that change the application
/// (`offline` withdraws every service from its registries, `invoke` calls any method), and
/// a library should not open such a port unless asked; two applications of one host would
/// also race for port 22222.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QosConfig {
    /// Whether the server runs (default `false`).
    pub enabled: bool,
    /// The port (default 22222, Java's; 0: a free port).
    pub port: u16,
    /// The IP address bound (default `127.0.0.1`, or `0.0.0.0` when foreign IPs are
    /// accepted).
    pub host: Option<String>,
    /// Whether peers off this host may connect (default `false`: they are refused with
    /// Java's message).
    #[serde(rename = "accept-foreign-ip")]
    pub accept_foreign_ip: bool,
}

impl Default for QosConfig {
    fn default() -> Self {
        QosConfig {
            enabled: false,
            port: oxidubbo_qos::DEFAULT_PORT,
            host: None,
            accept_foreign_ip: false,
        }
    }
}

impl QosConfig {
    /// The address the server binds.
    ///
    /// # Errors
    ///
    /// A message when `host` is not an IP address.
    pub fn socket_addr(&self) -> Result<std::net::SocketAddr, String> {
        oxidubbo_qos::bind_addr(self.host.as_deref(), self.port, self.accept_foreign_ip)
    }
}

/// `[ssl]`: the certificates of TLS, Dubbo Java's `SslConfig` in kebab-case. PEM files;
/// the server side is used by protocols with `ssl-enabled = true`, the client side by
/// references whose providers speak TLS (registered with `ssl-enabled=true`, or a direct
/// URL saying so). Files are read again when they change, without a restart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
pub struct SslConfig {
    /// The certificate chain the servers present (`serverKeyCertChainPath`).
    pub server_key_cert_chain_path: Option<String>,
    /// The private key of that chain (`serverPrivateKeyPath`, PKCS#8/PKCS#1/SEC1 PEM).
    pub server_private_key_path: Option<String>,
    /// The password of an encrypted server key (`serverKeyPassword`; encrypted keys are
    /// refused with a clear error: decrypt them first).
    pub server_key_password: Option<String>,
    /// The CA bundle client certificates are verified against
    /// (`serverTrustCertCollectionPath`): set, clients must present a certificate it
    /// trusts (mutual TLS).
    pub server_trust_cert_collection_path: Option<String>,
    /// `require` (default with a trust collection) or `optional` client certificates.
    pub client_auth: Option<String>,
    /// The certificate chain references present to servers that ask
    /// (`clientKeyCertChainPath`).
    pub client_key_cert_chain_path: Option<String>,
    /// The private key of that chain (`clientPrivateKeyPath`).
    pub client_private_key_path: Option<String>,
    /// The password of an encrypted client key (`clientKeyPassword`).
    pub client_key_password: Option<String>,
    /// The CA bundle servers' certificates are verified against
    /// (`clientTrustCertCollectionPath`; default: the system's roots).
    pub client_trust_cert_collection_path: Option<String>,
}

impl SslConfig {
    /// The URL parameters of the server side (set ones only).
    pub fn server_params(&self) -> Vec<(&'static str, &str)> {
        use oxidubbo_common::keys;
        [
            (
                keys::SSL_SERVER_KEY_CERT_CHAIN_PATH,
                &self.server_key_cert_chain_path,
            ),
            (
                keys::SSL_SERVER_PRIVATE_KEY_PATH,
                &self.server_private_key_path,
            ),
            (keys::SSL_SERVER_KEY_PASSWORD, &self.server_key_password),
            (
                keys::SSL_SERVER_TRUST_CERT_COLLECTION_PATH,
                &self.server_trust_cert_collection_path,
            ),
            (keys::SSL_CLIENT_AUTH, &self.client_auth),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect()
    }

    /// The URL parameters of the client side (set ones only).
    pub fn client_params(&self) -> Vec<(&'static str, &str)> {
        use oxidubbo_common::keys;
        [
            (
                keys::SSL_CLIENT_KEY_CERT_CHAIN_PATH,
                &self.client_key_cert_chain_path,
            ),
            (
                keys::SSL_CLIENT_PRIVATE_KEY_PATH,
                &self.client_private_key_path,
            ),
            (keys::SSL_CLIENT_KEY_PASSWORD, &self.client_key_password),
            (
                keys::SSL_CLIENT_TRUST_CERT_COLLECTION_PATH,
                &self.client_trust_cert_collection_path,
            ),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect()
    }
}

/// Deserializes a TOML scalar (string, integer, float, boolean) as its string form.
struct ScalarVisitor;

impl Visitor<'_> for ScalarVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// A scalar, kept as its string form.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor).map(Scalar)
    }
}

fn scalar_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let map = BTreeMap::<String, Scalar>::deserialize(d)?;
    Ok(map.into_iter().map(|(k, v)| (k, v.0)).collect())
}

/// An optional value that must parse as `T`, kept in `T`'s spelling.
fn checked<'de, D, T>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr + fmt::Display,
    T::Err: fmt::Display,
{
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let parsed = text
        .parse::<T>()
        .map_err(|e| de::Error::custom(e.to_string()))?;
    Ok(Some(parsed.to_string()))
}

/// A `register-mode`, checked: one of Dubbo's names (case ignored).
fn register_mode<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked::<D, oxidubbo_metadata::RegisterMode>(d)
}

/// A `metadata-type`, checked: `local` or `remote`.
fn metadata_type<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked::<D, oxidubbo_metadata::MetadataStorageType>(d)
}

/// A `migration-step`, checked: one of Dubbo's names (case ignored).
fn migration_step<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked::<D, oxidubbo_metadata::MigrationStep>(d)
}

fn opt_scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Scalar>::deserialize(d)?.map(|s| s.0))
}

/// The error of a `toml` deserialization of `text`, located.
fn located(text: &str, file: &str, e: &toml::de::Error) -> ConfigError {
    let key = error_key(e);
    let (line, column) = match e.span() {
        Some(span) => line_col(text, span.start),
        None => find_key(text, &key).unwrap_or((0, 0)),
    };
    ConfigError {
        line,
        column,
        ..ConfigError::new(file, key.join("."), e.message().trim())
    }
}

/// The length of the common prefix of two key paths.
fn common(a: &[String], b: &[String]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Applies `overrides` to the file's `table` and deserializes the result.
fn apply_overrides(
    table: &Table,
    mut overrides: Vec<Override>,
    file: &str,
) -> Result<Config, ConfigError> {
    // Each round either succeeds, fails for good, or turns one more override into a
    // string: bounded by the number of overrides.
    for _ in 0..=overrides.len() {
        let mut candidate = table.clone();
        for ov in &overrides {
            env::apply(&mut candidate, ov, file)?;
        }
        let e = match Value::Table(candidate).try_into::<Config>() {
            Ok(config) => return Ok(config),
            Err(e) => e,
        };
        let key = error_key(&e);
        // The override that set this key, or the one that created the table missing it.
        let culprit = overrides
            .iter()
            .enumerate()
            .map(|(i, o)| (i, common(&o.path, &key)))
            .filter(|&(i, n)| n == key.len() || (n + 1 == key.len() && n < overrides[i].path.len()))
            .max_by_key(|&(_, n)| n)
            .map(|(i, _)| i);
        let Some(i) = culprit else {
            return Err(ConfigError::new(file, key.join("."), e.message().trim()));
        };
        let ov = &mut overrides[i];
        if !ov.as_string && !matches!(ov.value(), Value::String(_)) && ov.path == key {
            ov.as_string = true;
            continue;
        }
        return Err(ConfigError {
            env_var: Some(ov.var.clone()),
            ..ConfigError::new(file, key.join("."), e.message().trim())
        });
    }
    Err(ConfigError::new(
        file,
        "",
        "environment overrides do not fit",
    ))
}

impl Config {
    /// An empty configuration (for building one in code).
    pub fn new() -> Self {
        Config::default()
    }

    /// Reads the configuration file at `path`, with the process environment: a `.yml` or
    /// `.yaml` file is dubbo-go's layout ([`dubbogo`], `${NAME}` placeholders), anything
    /// else oxidubbo's TOML with its `OXIDUBBO_…` overrides. The warnings of a dubbo-go
    /// file are logged (`tracing` at warn level) and kept in [`Config::warnings`].
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the file (and the line and key, or the variable).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        let config = Config::from_file_with_env(path, env)?;
        for warning in config.warnings() {
            tracing::warn!("{warning}");
        }
        Ok(config)
    }

    /// Whether `path` names a dubbo-go YAML file (`.yml` or `.yaml`).
    pub fn is_dubbogo_file(path: impl AsRef<Path>) -> bool {
        path.as_ref()
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
    }

    /// Reads the configuration file at `path` with the environment `env` (name, value
    /// pairs): for TOML the `OXIDUBBO_…__…` overrides, for a dubbo-go YAML file the values
    /// of its placeholders.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the file (and the line and key, or the variable).
    pub fn from_file_with_env(
        path: impl AsRef<Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(&file, "", format!("cannot read the file: {e}")))?;
        if Config::is_dubbogo_file(path) {
            Config::from_dubbogo_str(&text, &file, env)
        } else {
            Config::from_str_with_env(&text, &file, env)
        }
    }

    /// Parses dubbo-go YAML `text` (named `file` in errors and warnings), its `${NAME}`
    /// placeholders resolved from `env` (see [`dubbogo`]), and checks the result.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the file, line and key.
    pub fn from_dubbogo_str(
        text: &str,
        file: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let imported = dubbogo::import(text, file, env)?;
        let mut config: Config = Value::Table(imported.table)
            .try_into()
            .map_err(|e| dubbogo::located(&imported.locations, file, &e))?;
        config.origin.file = Some(file.to_owned());
        config.origin.yaml_locations = imported.locations;
        config.origin.warnings = imported.warnings;
        config.validate_with(false)?;
        Ok(config)
    }

    /// The keys of a dubbo-go file that are not applied, in file order (none for TOML,
    /// whose unknown keys are errors).
    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.origin.warnings
    }

    /// Parses `text` (named `file` in errors) without environment overrides.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the file, line and key.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        Config::from_str_with_env(text, file, std::iter::empty())
    }

    /// Parses `text` (named `file` in errors), applies the overrides in `env` (see the
    /// [module documentation](self)) and checks the result ([`Config::validate`]).
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the file, line and key — or, for an overridden value,
    /// the variable.
    pub fn from_str_with_env(
        text: &str,
        file: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| located(text, file, &e))?;
        let overrides = env::collect(env, file)?;
        if !overrides.is_empty() {
            let table: Table = toml::from_str(text).map_err(|e| located(text, file, &e))?;
            let applied = overrides
                .iter()
                .map(|o| (o.var.clone(), o.path.clone()))
                .collect();
            config = apply_overrides(&table, overrides, file)?;
            config.origin.overrides = applied;
        }
        config.origin.file = Some(file.to_owned());
        config.origin.text = Some(Arc::from(text));
        config.validate()?;
        Ok(config)
    }

    /// The file this configuration was read from (`"<builder>"` when made in code).
    pub fn file_name(&self) -> &str {
        self.origin.file.as_deref().unwrap_or("<builder>")
    }

    /// An error about the key at `path` (e.g. `["services", "greeter", "registry"]`),
    /// located: the environment variable that set it, or its line in the file.
    pub fn error_at<S: AsRef<str>>(&self, path: &[S], message: impl Into<String>) -> ConfigError {
        let path: Vec<String> = path.iter().map(|s| s.as_ref().to_owned()).collect();
        let mut error = ConfigError::new(self.file_name(), path.join("."), message);
        if let Some((var, _)) = self.origin.overrides.iter().find(|(_, p)| *p == path) {
            error.env_var = Some(var.clone());
        } else if let Some(text) = &self.origin.text {
            if let Some((line, column)) = find_key(text, &path) {
                error.line = line;
                error.column = column;
            }
        } else if !self.origin.yaml_locations.is_empty() {
            let located = dubbogo::locate(&self.origin.yaml_locations, self.file_name(), &path, "");
            error.line = located.line;
            error.column = located.column;
            error.key = located.key;
        }
        error
    }

    /// The registries in effect: the configured ones, or the implicit
    /// `default = "memory://"` when none is.
    pub fn effective_registries(&self) -> BTreeMap<String, RegistryConfig> {
        if self.registries.is_empty() {
            BTreeMap::from([(
                DEFAULT_REGISTRY.to_owned(),
                RegistryConfig::new(DEFAULT_REGISTRY_ADDRESS),
            )])
        } else {
            self.registries.clone()
        }
    }

    /// The protocols in effect: the configured ones, or `dubbo` with its defaults.
    pub fn effective_protocols(&self) -> BTreeMap<String, ProtocolConfig> {
        if self.protocols.is_empty() {
            BTreeMap::from([(DEFAULT_PROTOCOL.to_owned(), ProtocolConfig::default())])
        } else {
            self.protocols.clone()
        }
    }

    /// The names of the `[protocols.<name>]` service `name` is served with, in the order
    /// its `protocol` lists them (a service is exported once per protocol).
    ///
    /// # Errors
    ///
    /// A located [`ConfigError`] for an unknown protocol name, or when several protocols
    /// are configured, none is named `dubbo`, and the service names none.
    pub fn service_protocols(&self, name: &str) -> Result<Vec<String>, ConfigError> {
        let protocols = self.effective_protocols();
        let listed = self
            .services
            .get(name)
            .and_then(|s| s.protocol.as_deref())
            .filter(|list| !list.trim().is_empty());
        match listed {
            Some(list) => {
                let mut out: Vec<String> = Vec::new();
                for p in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    if !protocols.contains_key(p) {
                        return Err(self.error_at(
                            &["services", name, "protocol"],
                            format!("unknown protocol {p:?} (configured: {})", names(&protocols)),
                        ));
                    }
                    if !out.iter().any(|o| o == p) {
                        out.push(p.to_owned());
                    }
                }
                Ok(out)
            }
            None if protocols.len() == 1 => Ok(protocols.keys().take(1).cloned().collect()),
            None if protocols.contains_key(DEFAULT_PROTOCOL) => {
                Ok(vec![DEFAULT_PROTOCOL.to_owned()])
            }
            None => Err(self.error_at(
                &["services", name],
                format!(
                    "several protocols are configured ({}); name one with `protocol`",
                    names(&protocols)
                ),
            )),
        }
    }

    /// The names of the registries service `name` registers in.
    ///
    /// # Errors
    ///
    /// A located [`ConfigError`] for an unknown registry name.
    pub fn service_registries(&self, name: &str) -> Result<Vec<String>, ConfigError> {
        let registries = self.effective_registries();
        let Some(list) = self.services.get(name).and_then(|s| s.registry.as_deref()) else {
            return Ok(registries.keys().cloned().collect());
        };
        let mut out = Vec::new();
        for r in list.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            if !registries.contains_key(r) {
                return Err(self.error_at(
                    &["services", name, "registry"],
                    format!(
                        "unknown registry {r:?} (configured: {})",
                        names(&registries)
                    ),
                ));
            }
            out.push(r.to_owned());
        }
        Ok(out)
    }

    /// The protocol reference `name` calls with: its `protocol`, else the scheme of its
    /// direct `url`, else `dubbo`.
    ///
    /// # Errors
    ///
    /// A located [`ConfigError`] for an unknown protocol name, or a direct `url` of another
    /// protocol than the one named.
    pub fn reference_protocol(&self, name: &str) -> Result<String, ConfigError> {
        let Some(reference) = self.references.get(name) else {
            return Ok(DEFAULT_PROTOCOL.to_owned());
        };
        let named = reference
            .protocol
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if let Some(p) = named {
            if !KNOWN_PROTOCOLS.contains(&p) {
                return Err(self.error_at(
                    &["references", name, "protocol"],
                    format!(
                        "unknown protocol {p:?} (known: {})",
                        KNOWN_PROTOCOLS.join(", ")
                    ),
                ));
            }
        }
        let schemes = reference
            .url
            .as_deref()
            .unwrap_or_default()
            .split(';')
            .filter_map(|u| u.trim().split_once("://").map(|(scheme, _)| scheme));
        let mut chosen = named.map(str::to_owned);
        for scheme in schemes {
            match &chosen {
                Some(p) if p != scheme => {
                    let why = match named {
                        Some(_) => {
                            format!("a {scheme}:// address for a reference of protocol {p:?}")
                        }
                        None => format!(
                            "addresses of two protocols ({p} and {scheme}); a reference calls with one"
                        ),
                    };
                    return Err(self.error_at(&["references", name, "url"], why));
                }
                Some(_) => {}
                None if KNOWN_PROTOCOLS.contains(&scheme) => chosen = Some(scheme.to_owned()),
                None => {
                    return Err(self.error_at(
                        &["references", name, "url"],
                        format!(
                            "unknown protocol {scheme:?} (known: {})",
                            KNOWN_PROTOCOLS.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(chosen.unwrap_or_else(|| DEFAULT_PROTOCOL.to_owned()))
    }

    /// The name of the registry reference `name` finds its providers in (`None` when it
    /// has a direct `url`).
    ///
    /// # Errors
    ///
    /// A located [`ConfigError`] for an unknown registry name, or when several registries
    /// are configured, none is named `default`, and the reference names none.
    pub fn reference_registry(&self, name: &str) -> Result<Option<String>, ConfigError> {
        let registries = self.effective_registries();
        let Some(reference) = self.references.get(name) else {
            return Ok(None);
        };
        if reference
            .url
            .as_deref()
            .is_some_and(|u| !u.trim().is_empty())
        {
            return Ok(None);
        }
        match reference.registry.as_deref() {
            Some(r) if registries.contains_key(r) => Ok(Some(r.to_owned())),
            Some(r) => Err(self.error_at(
                &["references", name, "registry"],
                format!("unknown registry {r:?} (configured: {})", names(&registries)),
            )),
            None if registries.len() == 1 => Ok(registries.keys().next().cloned()),
            None if registries.contains_key(DEFAULT_REGISTRY) => {
                Ok(Some(DEFAULT_REGISTRY.to_owned()))
            }
            None => Err(self.error_at(
                &["references", name],
                format!(
                    "several registries are configured ({}); name one with `registry` or give a `url`",
                    names(&registries)
                ),
            )),
        }
    }

    /// Checks what the types cannot: registry addresses parse, protocol names are known,
    /// every registry and protocol a service or reference names exists, cluster and
    /// load-balance names are known, references name an interface.
    ///
    /// # Errors
    ///
    /// The first problem, as a located [`ConfigError`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_with(true)
    }

    /// [`Config::validate`], leaving references without an interface alone when
    /// `require_interfaces` is false (a dubbo-go file's references take theirs from the
    /// code that binds them, `BootstrapBuilder::reference_of`).
    fn validate_with(&self, require_interfaces: bool) -> Result<(), ConfigError> {
        for (name, registry) in &self.registries {
            if let Err(e) = oxidubbo_registry::parse_registry_address(&registry.address) {
                return Err(self.error_at(&["registries", name, "address"], e.to_string()));
            }
        }
        for (name, protocol) in &self.protocols {
            if !KNOWN_PROTOCOLS.contains(&protocol.name.as_str()) {
                return Err(self.error_at(
                    &["protocols", name, "name"],
                    format!(
                        "unknown protocol {:?} (known: {})",
                        protocol.name,
                        KNOWN_PROTOCOLS.join(", ")
                    ),
                ));
            }
        }
        self.check_shared_ports()?;
        if self.metrics.enabled {
            if let Err(m) = self.metrics.socket_addr() {
                return Err(self.error_at(&["metrics", "host"], m));
            }
            if !self.metrics.path.starts_with('/') {
                return Err(self.error_at(
                    &["metrics", "path"],
                    format!("{:?} does not start with '/'", self.metrics.path),
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.tracing.sampling) {
            return Err(self.error_at(
                &["tracing", "sampling"],
                format!("{} is not between 0 and 1", self.tracing.sampling),
            ));
        }
        if let Some(exporter) = &self.tracing.exporter {
            if exporter != TracingConfig::OTLP_HTTP {
                return Err(self.error_at(
                    &["tracing", "exporter"],
                    format!(
                        "unknown exporter {exporter:?} (known: {})",
                        TracingConfig::OTLP_HTTP
                    ),
                ));
            }
            if !self.tracing.enabled {
                return Err(self.error_at(
                    &["tracing", "exporter"],
                    "an exporter needs `enabled = true`: no span is made otherwise",
                ));
            }
            let endpoint = &self.tracing.endpoint;
            if !endpoint.starts_with("http://") {
                return Err(self.error_at(
                    &["tracing", "endpoint"],
                    format!("{endpoint:?} is not an http:// URL (the exporter speaks plain HTTP)"),
                ));
            }
        }
        if self.qos.enabled {
            if let Err(m) = self.qos.socket_addr() {
                return Err(self.error_at(&["qos", "host"], m));
            }
        }
        for name in self.services.keys() {
            self.service_protocols(name)?;
            self.service_registries(name)?;
        }
        for (name, reference) in &self.references {
            if require_interfaces && reference.interface.trim().is_empty() {
                return Err(self.error_at(
                    &["references", name, "interface"],
                    "missing field `interface`: the Java interface name of the service",
                ));
            }
            self.reference_registry(name)?;
            self.reference_protocol(name)?;
            if let Some(cluster) = &reference.cluster {
                if let Err(e) = oxidubbo_cluster::cluster_for(cluster) {
                    return Err(self.error_at(&["references", name, "cluster"], rpc_message(&e)));
                }
            }
            if let Some(lb) = &reference.loadbalance {
                if let Err(e) = oxidubbo_cluster::load_balance_for(lb) {
                    return Err(
                        self.error_at(&["references", name, "loadbalance"], rpc_message(&e))
                    );
                }
            }
        }
        Ok(())
    }

    /// Two protocols of different kinds cannot serve one host and port (port 0 picks a
    /// free port each).
    fn check_shared_ports(&self) -> Result<(), ConfigError> {
        let protocols = self.effective_protocols();
        let sockets = protocols
            .iter()
            .filter(|(_, p)| p.port != 0 && p.name != oxidubbo_common::values::INJVM_PROTOCOL);
        for (i, (name, p)) in sockets.clone().enumerate() {
            let clash = sockets
                .clone()
                .take(i)
                .find(|(_, q)| q.port == p.port && q.host == p.host && q.name != p.name);
            if let Some((other, q)) = clash {
                return Err(self.error_at(
                    &["protocols", name, "port"],
                    format!(
                        "{}:{} is also the port of protocols.{other} ({}); a port serves one protocol",
                        p.host, p.port, q.name
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The message of an `RpcError::Config`, without its "configuration error: " prefix.
pub(crate) fn rpc_message(e: &oxidubbo_invoker::RpcError) -> String {
    match e {
        oxidubbo_invoker::RpcError::Config(m) => m.clone(),
        other => other.to_string(),
    }
}

fn names<V>(map: &BTreeMap<String, V>) -> String {
    map.keys()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_text_is_a_valid_configuration() {
        let config = Config::parse("", "empty.toml").unwrap();
        assert!(config.services.is_empty());
        assert_eq!(config.shutdown.timeout, DEFAULT_SHUTDOWN_TIMEOUT_MS);
        assert_eq!(
            config.effective_registries()[DEFAULT_REGISTRY].address,
            DEFAULT_REGISTRY_ADDRESS
        );
        assert_eq!(config.effective_protocols()[DEFAULT_PROTOCOL].port, 20880);
    }

    #[test]
    fn params_take_any_scalar() {
        let config = Config::parse(
            "[services.s]\nparams = { executes = 10, async = true, \"methods.a.timeout\" = \"5\" }\n",
            "p.toml",
        )
        .unwrap();
        let params = &config.services["s"].params;
        assert_eq!(params["executes"], "10");
        assert_eq!(params["async"], "true");
        assert_eq!(params["methods.a.timeout"], "5");
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_line() {
        let err =
            Config::parse("[services.s]\nversion = \"1\"\ntiemout = 5\n", "u.toml").unwrap_err();
        assert_eq!(
            (err.line, err.key.as_str()),
            (3, "services.s.tiemout"),
            "{err}"
        );
        assert!(err.message.contains("unknown field"), "{err}");
    }

    #[test]
    fn a_string_override_of_a_number_looking_value_stays_a_string() {
        let env = [("OXIDUBBO_SERVICES__S__VERSION".to_owned(), "2".to_owned())];
        let config = Config::from_str_with_env("[services.s]\n", "v.toml", env).unwrap();
        assert_eq!(config.services["s"].version.as_deref(), Some("2"));
    }

    #[test]
    fn a_table_created_by_overrides_missing_a_field_names_the_variable() {
        let env = [("OXIDUBBO_REGISTRIES__ZK__GROUP".to_owned(), "g".to_owned())];
        let err = Config::from_str_with_env("", "r.toml", env).unwrap_err();
        assert_eq!(
            err.env_var.as_deref(),
            Some("OXIDUBBO_REGISTRIES__ZK__GROUP"),
            "{err}"
        );
        assert_eq!(err.key, "registries.zk.address", "{err}");
    }
}
