//! Names of URL parameters, as Dubbo spells them (`CommonConstants`, `RegistryConstants`,
//! `remoting.Constants`, `rpc.Constants` in Dubbo Java). Where Dubbo has a default, the
//! doc comment gives it, and [`crate::defaults`] holds it as a value.

/// Call timeout in milliseconds. Dubbo default: `1000`.
pub const TIMEOUT: &str = "timeout";
/// Fully qualified service interface name, e.g. `org.apache.dubbo.demo.DemoService`.
pub const INTERFACE: &str = "interface";
/// Service version. None by default; Java consumers send `0.0.0` when none is set.
pub const VERSION: &str = "version";
/// Service group. None by default.
pub const GROUP: &str = "group";
/// Service path (the URL path; also sent as the `path` attachment).
pub const PATH: &str = "path";
/// On a consumer URL, the protocols (comma-separated) whose providers it calls; providers
/// of others are left out of its directory. None: every provider.
pub const PROTOCOL: &str = "protocol";
/// Which side wrote the URL: `provider` or `consumer` (see [`crate::values`]).
pub const SIDE: &str = "side";
/// Registry category: `providers` (default), `consumers`, `configurators` or `routers`.
pub const CATEGORY: &str = "category";
/// Load-balancing weight of a provider. Dubbo default: `100`.
pub const WEIGHT: &str = "weight";
/// Warm-up period in milliseconds during which a new provider's weight ramps up.
/// Dubbo default: `600000` (10 minutes).
pub const WARMUP: &str = "warmup";
/// Retries after the first failed attempt (failover cluster). Dubbo default: `2`.
pub const RETRIES: &str = "retries";
/// Load-balance strategy. Dubbo default: `random`.
pub const LOADBALANCE: &str = "loadbalance";
/// Cluster (fault-tolerance) strategy. Dubbo default: `failover`.
pub const CLUSTER: &str = "cluster";
/// Access token a provider requires from consumers. None by default.
pub const TOKEN: &str = "token";
/// Largest frame payload in bytes. Dubbo default: `8388608` (8 MiB).
pub const PAYLOAD: &str = "payload";
/// Heartbeat interval in milliseconds. Dubbo default: `60000`.
pub const HEARTBEAT: &str = "heartbeat";
/// Idle timeout in milliseconds after which a server closes a silent connection (and a
/// client reconnects). Dubbo's key is `heartbeat.timeout` (`Constants.HEARTBEAT_TIMEOUT_KEY`,
/// read by `UrlUtils.getIdleTimeout`). Dubbo default: 3 × heartbeat, i.e. `180000`; it must
/// be at least 2 × heartbeat.
pub const IDLE_TIMEOUT: &str = "heartbeat.timeout";
/// Same key as [`IDLE_TIMEOUT`], under Dubbo's constant name.
pub const HEARTBEAT_TIMEOUT: &str = IDLE_TIMEOUT;
/// Most connections a server serves at once; more are refused. Dubbo default: `0` (no
/// limit).
pub const ACCEPTS: &str = "accepts";
/// Connect timeout in milliseconds. Dubbo default: `3000`.
pub const CONNECT_TIMEOUT: &str = "connect.timeout";
/// Number of connections per provider a consumer opens. Dubbo default: shared connection.
pub const CONNECTIONS: &str = "connections";
/// Application name.
pub const APPLICATION: &str = "application";
/// Application name of the other side, set on merged consumer URLs.
pub const REMOTE_APPLICATION: &str = "remote.application";
/// Comma-separated, sorted method names of a service, or `*` for a generic service.
pub const METHODS: &str = "methods";
/// Whether a registry node is ephemeral (`true`) or persistent (`false`). Dubbo default: `true`.
pub const DYNAMIC: &str = "dynamic";
/// Whether a provider listens on all addresses (`0.0.0.0`). Not written by Java ≥ 3.2.11.
pub const ANYHOST: &str = "anyhost";
/// Dubbo protocol version of the writer, e.g. `2.0.2`.
pub const DUBBO: &str = "dubbo";
/// Framework release of the writer, e.g. `3.3.0`.
pub const RELEASE: &str = "release";
/// Milliseconds since the Unix epoch when the URL was made.
pub const TIMESTAMP: &str = "timestamp";
/// Process id of the writer. Not written by Java ≥ 3.2.11.
pub const PID: &str = "pid";
/// In a `registry://` URL: the provider URL being exported, as an encoded URL.
pub const EXPORT: &str = "export";
/// In a `registry://` URL: the consumer URL being referred, as encoded parameters or URL.
pub const REFER: &str = "refer";
/// The registry type (`zookeeper`, `nacos`, …) carried by a `registry://` URL.
pub const REGISTRY: &str = "registry";
/// Extra filters on the provider side, comma-separated (`-name` removes one).
pub const SERVICE_FILTER: &str = "service.filter";
/// Extra filters on the consumer side, comma-separated (`-name` removes one).
pub const REFERENCE_FILTER: &str = "reference.filter";
/// Serialization name. Dubbo default for the dubbo protocol: `hessian2`.
pub const SERIALIZATION: &str = "serialization";
/// Generic call flag / kind (`true`, `nativejava`, `bean`, …). Default: `false`.
pub const GENERIC: &str = "generic";
/// Whether a consumer checks that providers exist at start-up. Dubbo default: `true`.
pub const CHECK: &str = "check";
/// Whether a provider registers with the registry. Dubbo default: `true`.
pub const REGISTER: &str = "register";
/// Whether a consumer subscribes to the registry. Dubbo default: `true`.
pub const SUBSCRIBE: &str = "subscribe";
/// Whether a provider or override is enabled. Dubbo default: `true`.
pub const ENABLED: &str = "enabled";
/// Whether a service is marked deprecated. Dubbo default: `false`.
pub const DEPRECATED: &str = "deprecated";
/// Registry group: the root node of the ZooKeeper layout. Dubbo default: `dubbo`.
pub const REGISTRY_GROUP: &str = "group";
/// Prefix of method-level parameters as dubbo-go writes them: `methods.<method>.<key>`.
pub const METHODS_PREFIX: &str = "methods.";
/// Prefix under which old Dubbo versions wrote defaults, e.g. `default.timeout`.
pub const DEFAULT_PREFIX: &str = "default.";

/// Whether a protocol (and so every provider URL exported on it) speaks TLS: `true` or
/// `false`. Dubbo's `remoting.Constants.SSL_ENABLED_KEY`; a consumer that finds a provider
/// URL with it set connects with TLS. Default: `false`.
pub const SSL_ENABLED: &str = "ssl-enabled";
/// Provider side: the PEM certificate chain the server presents (Dubbo's `SslConfig`
/// `serverKeyCertChainPath`).
pub const SSL_SERVER_KEY_CERT_CHAIN_PATH: &str = "server-key-cert-chain-path";
/// Provider side: the PEM private key of that chain (`serverPrivateKeyPath`).
pub const SSL_SERVER_PRIVATE_KEY_PATH: &str = "server-private-key-path";
/// Provider side: the password of an encrypted private key (`serverKeyPassword`).
pub const SSL_SERVER_KEY_PASSWORD: &str = "server-key-password";
/// Provider side: the PEM CA bundle client certificates are verified against
/// (`serverTrustCertCollectionPath`); set, the server asks for client certificates.
pub const SSL_SERVER_TRUST_CERT_COLLECTION_PATH: &str = "server-trust-cert-collection-path";
/// Provider side: `require` (default when a trust collection is set, as in Dubbo Java) or
/// `optional`: whether a client without a certificate is turned away.
pub const SSL_CLIENT_AUTH: &str = "ssl-client-auth";
/// Consumer side: the PEM certificate chain the client presents (`clientKeyCertChainPath`).
pub const SSL_CLIENT_KEY_CERT_CHAIN_PATH: &str = "client-key-cert-chain-path";
/// Consumer side: the PEM private key of that chain (`clientPrivateKeyPath`).
pub const SSL_CLIENT_PRIVATE_KEY_PATH: &str = "client-private-key-path";
/// Consumer side: the password of an encrypted private key (`clientKeyPassword`).
pub const SSL_CLIENT_KEY_PASSWORD: &str = "client-key-password";
/// Consumer side: the PEM CA bundle the server's certificate is verified against
/// (`clientTrustCertCollectionPath`); unset, the system's roots.
pub const SSL_CLIENT_TRUST_CERT_COLLECTION_PATH: &str = "client-trust-cert-collection-path";

/// The TLS keys that name this process's own files and secrets: they configure the local
/// side only and are never registered (`ssl-enabled` is, so consumers know to use TLS).
pub const SSL_LOCAL: [&str; 9] = [
    SSL_SERVER_KEY_CERT_CHAIN_PATH,
    SSL_SERVER_PRIVATE_KEY_PATH,
    SSL_SERVER_KEY_PASSWORD,
    SSL_SERVER_TRUST_CERT_COLLECTION_PATH,
    SSL_CLIENT_AUTH,
    SSL_CLIENT_KEY_CERT_CHAIN_PATH,
    SSL_CLIENT_PRIVATE_KEY_PATH,
    SSL_CLIENT_KEY_PASSWORD,
    SSL_CLIENT_TRUST_CERT_COLLECTION_PATH,
];
