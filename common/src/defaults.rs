//! Dubbo's default values for the parameters in [`crate::keys`], and common parameter values.

/// Default of [`keys::TIMEOUT`](crate::keys::TIMEOUT), in milliseconds.
pub const TIMEOUT_MS: u64 = 1000;
/// Default of [`keys::RETRIES`](crate::keys::RETRIES).
pub const RETRIES: i64 = 2;
/// Default of [`keys::WEIGHT`](crate::keys::WEIGHT).
pub const WEIGHT: i64 = 100;
/// Default of [`keys::WARMUP`](crate::keys::WARMUP), in milliseconds (10 minutes).
pub const WARMUP_MS: u64 = 10 * 60 * 1000;
/// Default of [`keys::LOADBALANCE`](crate::keys::LOADBALANCE).
pub const LOADBALANCE: &str = "random";
/// Default of [`keys::CLUSTER`](crate::keys::CLUSTER).
pub const CLUSTER: &str = "failover";
/// Default of [`keys::PAYLOAD`](crate::keys::PAYLOAD), in bytes (8 MiB).
pub const PAYLOAD: i64 = 8 * 1024 * 1024;
/// Default of [`keys::HEARTBEAT`](crate::keys::HEARTBEAT), in milliseconds.
pub const HEARTBEAT_MS: u64 = 60 * 1000;
/// Default of [`keys::IDLE_TIMEOUT`](crate::keys::IDLE_TIMEOUT), in milliseconds
/// (3 × [`HEARTBEAT_MS`]).
pub const IDLE_TIMEOUT_MS: u64 = 3 * HEARTBEAT_MS;
/// Default of [`keys::CONNECT_TIMEOUT`](crate::keys::CONNECT_TIMEOUT), in milliseconds.
pub const CONNECT_TIMEOUT_MS: u64 = 3000;
/// Default of [`keys::SERIALIZATION`](crate::keys::SERIALIZATION) for the dubbo protocol.
pub const SERIALIZATION: &str = "hessian2";
/// Default of [`keys::CATEGORY`](crate::keys::CATEGORY).
pub const CATEGORY: &str = crate::values::PROVIDERS_CATEGORY;
/// Default of [`keys::REGISTRY_GROUP`](crate::keys::REGISTRY_GROUP): the ZooKeeper root.
pub const REGISTRY_GROUP: &str = "dubbo";
/// The dubbo protocol version every Dubbo peer writes in bodies and in the `dubbo` parameter.
pub const DUBBO_PROTOCOL_VERSION: &str = "2.0.2";
/// The version Java consumers send when none is configured; see [`crate::ServiceKey`].
pub const VERSION: &str = crate::service_key::DEFAULT_VERSION;
/// Default port of the dubbo protocol.
pub const DUBBO_PORT: u16 = 20880;
