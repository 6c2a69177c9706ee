//! Names used by application-level discovery, spelled as Dubbo Java and dubbo-go spell them:
//! the keys of a service instance's metadata, URL parameters and defaults. Sources are given
//! per item; `docs/application-discovery.md` has the details.

/// Instance metadata: the revision of the application's `MetadataInfo`
/// (`ServiceInstanceMetadataUtils.EXPORTED_SERVICES_REVISION_PROPERTY_NAME`).
pub const REVISION: &str = "dubbo.metadata.revision";
/// Instance metadata: where consumers get the `MetadataInfo`: `local` (ask the instance's
/// `MetadataService`) or `remote` (read the metadata report). Missing means `local`.
pub const STORAGE_TYPE: &str = "dubbo.metadata.storage-type";
/// Instance metadata: JSON list of `{"port":…,"protocol":…}`, one per exported protocol
/// (`ServiceInstanceMetadataUtils.ENDPOINTS`).
pub const ENDPOINTS: &str = "dubbo.endpoints";
/// Instance metadata: JSON object of the `MetadataService`'s URL parameters, with `port` and
/// `protocol`, from which consumers build the URL to call it.
pub const METADATA_SERVICE_URL_PARAMS: &str = "dubbo.metadata-service.url-params";
/// Instance metadata: the `MetadataService` URLs as Spring Cloud Alibaba writes them; Java
/// consumers switch to another URL builder when it is present. oxidubbo never writes it.
pub const METADATA_SERVICE_URLS: &str = "dubbo.metadata-service.urls";
/// Instance metadata: the metadata report cluster a `remote` instance reported to.
pub const METADATA_CLUSTER: &str = "dubbo.metadata.cluster";
/// Instance metadata: the `MetadataService` version to call: `1.0.0` (the Hessian/dubbo
/// service) or `2.0.0` (`MetadataServiceV2`, Triple + protobuf). Missing means `1.0.0`.
pub const METADATA_SERVICE_VERSION: &str = "meta-v";
/// Instance metadata written by dubbo-go only: revision of the subscribed services.
pub const SUBSCRIBED_REVISION: &str = "dubbo.subscribed-services.revision";

/// The revision of an application that exports nothing (`RevisionResolver.EMPTY_REVISION`);
/// consumers skip instances that carry it.
pub const EMPTY_REVISION: &str = "0";

/// Registry URL parameter: `interface`, `instance` or `all` (see [`crate::RegisterMode`]).
/// Dubbo Java also reads it globally as `dubbo.application.register-mode`.
pub const REGISTER_MODE: &str = "register-mode";
/// Consumer URL parameter: the migration step (see [`crate::MigrationStep`]). Dubbo Java also
/// reads `dubbo.application.migration.step` globally.
pub const MIGRATION_STEP: &str = "migration.step";
/// Consumer URL parameter: the `APPLICATION_FIRST` threshold (instances ÷ interface-level
/// providers). Dubbo Java's global key is `dubbo.application.migration.threshold`, default `0`.
pub const MIGRATION_THRESHOLD: &str = "migration.threshold";
/// Consumer URL parameter: comma-separated applications that provide the service, which
/// skips the interface-to-application mapping (`RegistryConstants.PROVIDED_BY`).
pub const PROVIDED_BY: &str = "provided-by";
/// Registry URL parameter: applications to subscribe to when the mapping is empty.
pub const SUBSCRIBED_SERVICES: &str = "subscribed-services";
/// Application parameter: `local` (default) or `remote` (`CommonConstants.METADATA_KEY`).
pub const METADATA_TYPE: &str = "metadata-type";
/// Registry URL parameter that overrides the instance root (`CuratorFrameworkParams.ROOT_PATH`).
pub const ROOT_PATH: &str = "rootPath";
/// Registry URL parameter Java adds to exported URLs when the registry has an id.
pub const REGISTRY_CLUSTER: &str = "REGISTRY_CLUSTER";

/// Default root of instance nodes (`ZookeeperServiceDiscovery.DEFAULT_GROUP`).
pub const DEFAULT_INSTANCES_ROOT: &str = "/services";
/// Default root of the metadata report (`AbstractMetadataReport.DEFAULT_ROOT`).
pub const DEFAULT_REPORT_ROOT: &str = "dubbo";
/// Folder of the interface-to-application mapping (`ServiceNameMapping.DEFAULT_MAPPING_GROUP`).
pub const MAPPING_GROUP: &str = "mapping";
/// Folder of application metadata in the report (`MetadataConstants.DEFAULT_PATH_TAG`).
pub const METADATA_PATH_TAG: &str = "metadata";

/// The payload class Dubbo Java gives Curator (`org.apache.dubbo.registry.zookeeper.ZookeeperInstance`).
pub const ZOOKEEPER_INSTANCE_CLASS: &str = "org.apache.dubbo.registry.zookeeper.ZookeeperInstance";
/// Curator's service type for an ephemeral instance node.
pub const SERVICE_TYPE_DYNAMIC: &str = "DYNAMIC";
