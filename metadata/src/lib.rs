//! The data of Dubbo 3's application-level service discovery, byte-compatible with Dubbo Java
//! 3.3 and dubbo-go 3.3: [`MetadataInfo`] and its revision, Curator's [`ServiceInstance`], the
//! interface-to-application mapping and where all of it lives in ZooKeeper.
//!
//! # Place in the design
//!
//! `oxidubbo-metadata` sits below `oxidubbo-registry` and depends only on `oxidubbo-common`
//! (`Url`, `ServiceKey`) and `oxidubbo-hessian2` (`Value`). It owns the *formats and
//! algorithms* of application-level discovery, nothing that moves:
//!
//! | module | Dubbo's name | what it holds |
//! |---|---|---|
//! | [`MetadataInfo`], [`ServiceInfo`] | `MetadataInfo`, `MetadataInfo.ServiceInfo` | built from exported URLs; JSON for the metadata report; Hessian for `MetadataService.getMetadataInfo` |
//! | [`revision`] | `calAndGetRevision`, `toDescString` | the revision, exactly as Java computes it |
//! | [`ParamsFilter`] | `MetadataParamsFilter` | which URL parameters go into the metadata and the instance |
//! | [`ServiceInstance`], [`Endpoint`] | Curator `ServiceInstance` + `ZookeeperInstance` | the instance node's JSON, its metadata keys, the `MetadataService` URL a consumer calls |
//! | [`mapping`] | `ServiceNameMapping` | the `/dubbo/mapping/<interface>` content and its merge |
//! | [`paths`] | `ZookeeperServiceDiscovery`, `ZookeeperMetadataReport` | instance, mapping and metadata paths |
//! | [`RegisterMode`], [`MigrationStep`], [`MetadataStorageType`] | `register-mode`, `MigrationStep`, `metadata-type` | the modes, with Dubbo's names and defaults |
//! | [`keys`], [`metadata_service`] | | instance metadata keys, parameters, `MetadataService` names |
//!
//! It does no I/O and has no globals, tasks or locks: every type is a plain value, so nothing
//! here outlives what holds it. The registry (ZooKeeper and the embedded one) writes and
//! watches the nodes, the bootstrap exports the `MetadataService` over dubbo, and the consumer
//! side turns instances and metadata into invokers; they all use the types here.
//!
//! Every reader takes untrusted bytes: bad input is an error naming the field
//! ([`MetadataError`]), never a panic. Writers produce what Dubbo Java writes, field for field
//! and in Java's order; readers accept what Java and dubbo-go write. The facts behind each
//! format, with their sources, are in `docs/application-discovery.md`.
//!
//! # Example
//!
//! A provider describes what it exports and registers its instance; a consumer reads both
//! back.
//!
//! ```
//! use oxidubbo_common::Url;
//! use oxidubbo_metadata::{paths, MetadataInfo, MetadataStorageType, ServiceInstance};
//!
//! // Provider: its exported URL, as registered at interface level.
//! let url = Url::parse(
//!     "dubbo://10.0.0.7:20880/org.apache.dubbo.samples.api.GreetingsService?\
//!      application=greeter&interface=org.apache.dubbo.samples.api.GreetingsService\
//!      &methods=sayHi&side=provider&timestamp=1700000000000",
//! )?;
//! let mut info = MetadataInfo::new("greeter");
//! info.add_service(&url)?;
//! assert!(info.update_revision());
//! let revision = info.revision().unwrap_or_default().to_owned();
//! assert_eq!(revision.len(), 32); // Java's MD5 hex
//!
//! let metadata_service = Url::parse(
//!     "dubbo://10.0.0.7:20880/org.apache.dubbo.metadata.MetadataService?\
//!      group=greeter&version=1.0.0&dubbo=2.0.2&side=provider",
//! )?;
//! let mut instance = ServiceInstance::new("greeter", "10.0.0.7", 20880);
//! instance.set_provider_metadata(&info, MetadataStorageType::Local, Some(&metadata_service));
//! let node = paths::instance_path("/services", &instance.name, &instance.id)?;
//! assert_eq!(node, "/services/greeter/10.0.0.7:20880");
//! let json = instance.to_curator_json(); // the node's content
//!
//! // Consumer: reads the node, finds the revision and where to ask for it.
//! let seen = ServiceInstance::from_curator_json(json.as_bytes())?;
//! assert_eq!(seen.revision(), Some(revision.as_str()));
//! let ask = seen.metadata_service_url()?;
//! assert_eq!(ask.path(), "org.apache.dubbo.metadata.MetadataService");
//! assert_eq!(ask.group(), Some("greeter"));
//!
//! // The MetadataService answers with the Hessian form; the consumer reads it back.
//! let answer = MetadataInfo::from_hessian(&info.to_hessian())?.ok_or("unknown revision")?;
//! let service = &answer.services()["org.apache.dubbo.samples.api.GreetingsService:dubbo"];
//! let provider = seen.service_url(service)?;
//! assert_eq!(provider.address(), "10.0.0.7:20880");
//! assert_eq!(provider.param("methods"), Some("sayHi"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod endpoint;
mod error;
mod hessian;
mod instance;
mod json;
mod metadata_info;
mod modes;
mod params_filter;
mod report_json;
mod service_info;

pub mod keys;
pub mod mapping;
pub mod metadata_service;
pub mod paths;
pub mod revision;

pub use endpoint::{
    Endpoint, endpoints_json, metadata_service_url_params, parse_endpoints,
    parse_metadata_service_url_params,
};
pub use error::{MetadataError, Result};
pub use hessian::{METADATA_INFO_CLASS, SERVICE_INFO_CLASS, SERVICES_MAP_TYPE};
pub use instance::ServiceInstance;
pub use metadata_info::MetadataInfo;
pub use modes::{MetadataStorageType, MigrationStep, RegisterMode, prefer_application};
pub use params_filter::ParamsFilter;
pub use service_info::ServiceInfo;
