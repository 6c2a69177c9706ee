//! `org.apache.dubbo.metadata.MetadataService`: the service every provider exports (not
//! registered) so that consumers can ask it for its `MetadataInfo` (`metadata-type=local`).
//!
//! Dubbo Java exports it (`InternalServiceConfigBuilder`) with the protocol named by
//! `metadata-service-protocol`, else the first configured `dubbo` or `tri` protocol, else
//! `dubbo`; on `metadata-service-port`, else the port of that protocol's running server; with
//! group = the application name, version `1.0.0`, no filters and `register=false`. Java and
//! dubbo-go consumers of a ZooKeeper registry call only `getMetadataInfo(String revision)`,
//! which answers `null` for a revision the provider does not have.

/// The interface name.
pub const INTERFACE: &str = "org.apache.dubbo.metadata.MetadataService";
/// The version it is exported with (`MetadataService.VERSION`).
pub const VERSION: &str = "1.0.0";
/// The timeout, in milliseconds, Java consumers give their calls to it
/// (`dubbo.application.metadata.proxy.delay`, default `5000`).
pub const DEFAULT_TIMEOUT_MS: &str = "5000";
/// The method consumers call.
pub const GET_METADATA_INFO: &str = "getMetadataInfo";
/// Its parameter types, as a dubbo request carries them.
pub const GET_METADATA_INFO_PARAM_TYPES: &str = "Ljava/lang/String;";
/// The Triple + protobuf variant (`meta-v=2.0.0`), which oxidubbo does not serve.
pub const INTERFACE_V2: &str = "org.apache.dubbo.metadata.MetadataServiceV2";
/// The version of [`INTERFACE_V2`].
pub const VERSION_V2: &str = "2.0.0";
