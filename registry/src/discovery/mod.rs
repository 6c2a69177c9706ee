//! Application-level discovery on a registry backend: Dubbo's `ServiceDiscovery` (the
//! instances of an application), `ServiceNameMapping` (interface → applications) and the
//! `MetadataReport` (an application's `MetadataInfo` per revision), as one backend offers
//! them to consumers.
//!
//! A backend that supports Dubbo 3's application level returns itself from
//! [`Registry::discovery`](crate::Registry::discovery). Its subscriptions follow the rules of
//! [`NotifyListener`](crate::NotifyListener) subscriptions: the listener is told the complete
//! current state once before `subscribe_*` returns (an empty set or list included), then
//! after every change, one call at a time per subscription and in the order the changes were
//! seen; after a lost connection or session the state is read again and told again.
//! Unsubscribing (with the same `Arc`) drops the backend's reference to the listener; the
//! backend's `destroy` drops all of them. Watches count in
//! [`RegistryCounts`](crate::RegistryCounts): each subscription in `subscriptions`, each
//! backend watch in `watches`.
//!
//! The consumer side over such a backend is [`ServiceDiscoveryRegistry`], a
//! [`Registry`](crate::Registry) that wraps the backend and delivers application-level
//! providers to interface-level listeners (module `subscription` follows one consumer's
//! applications, `metadata_cache` reads and keeps their `MetadataInfo`, `migration` reads
//! the step).

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_metadata::{MetadataInfo, ServiceInstance};

use crate::RegistryError;

mod metadata_cache;
mod migration;
mod registry;
mod subscription;

pub use metadata_cache::{DEFAULT_METADATA_CACHE_SIZE, METADATA_CACHE_SIZE};
pub use registry::ServiceDiscoveryRegistry;

/// Receives what an application-level subscription sees.
#[async_trait]
pub trait DiscoveryListener: Send + Sync + 'static {
    /// The applications the mapping now lists for `interface` (the complete set; empty when
    /// there is no mapping).
    async fn on_mapping(&self, interface: &str, applications: BTreeSet<String>) {
        let _ = (interface, applications);
    }

    /// The current instances of `application` (the complete list, possibly empty). Nodes
    /// that cannot be read as instances are left out (with a warning), never an error.
    async fn on_instances(&self, application: &str, instances: Vec<ServiceInstance>) {
        let _ = (application, instances);
    }
}

/// The application-level side of a registry backend. See the [module docs](self).
#[async_trait]
pub trait ServiceDiscovery: Send + Sync {
    /// Watches the interface → applications mapping of `interface`.
    async fn subscribe_mapping(
        &self,
        interface: &str,
        listener: Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError>;

    /// Stops the mapping watch of `listener` (the same `Arc`) on `interface`.
    async fn unsubscribe_mapping(
        &self,
        interface: &str,
        listener: &Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError>;

    /// Watches the instances of `application`.
    async fn subscribe_instances(
        &self,
        application: &str,
        listener: Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError>;

    /// Stops the instance watch of `listener` (the same `Arc`) on `application`.
    async fn unsubscribe_instances(
        &self,
        application: &str,
        listener: &Arc<dyn DiscoveryListener>,
    ) -> Result<(), RegistryError>;

    /// The `MetadataInfo` of `application` at `revision` in the metadata report (what an
    /// instance with `dubbo.metadata.storage-type=remote` points to), or `None` when the
    /// report has none. Bounded by the backend's request timeout.
    async fn metadata_report(
        &self,
        application: &str,
        revision: &str,
    ) -> Result<Option<MetadataInfo>, RegistryError>;
}
