//! Registries: where oxidubbo services find each other.
//!
//! - [`Registry`] and [`NotifyListener`]: register, unregister, subscribe (Dubbo style:
//!   the full current list of a category per notification, `empty://` when empty),
//!   unsubscribe, lookup, destroy. [`connect_registry`] picks the backend from the URL's
//!   scheme.
//! - Backends: [`MemoryRegistry`] (`memory://`, the default; in-process, shared by the whole
//!   process, with the application level of [`ServiceDiscovery`]) and [`ZookeeperRegistry`]
//!   (`zookeeper://host:port`, Dubbo's interface-level layout, with recovery after connection
//!   loss and session expiry) and, with the `etcd` feature, `EtcdRegistry` (`etcdv3://host:port`,
//!   dubbo-go's etcd layout, keys under a kept-alive lease, prefix watches that resume from
//!   their revision).
//! - [`RegistryDirectory`]: the cluster crate's `Directory` over a registry subscription;
//!   provider lists applied as diffs, routers and overrides from the registry.
//! - [`MetadataServiceDelegation`]: the provider's `org.apache.dubbo.metadata.MetadataService`
//!   (`getMetadataInfo(revision)` and the rest), answering the application's `MetadataInfo`.
//! - [`RegistryProtocol`]: export = serve + register, refer = register the consumer +
//!   subscribe + join with the configured cluster. [`refer_direct`] refers `url=` style
//!   direct addresses without a registry.
//!
//! Lifecycle (design rule 6): destroying a registry protocol, a directory or the cluster
//! invoker over it unregisters what it registered, unsubscribes, drops its listeners and
//! destroys the invokers it made; the counts ([`RegistryProtocol::counts`],
//! [`Registry::counts`], [`MemoryRegistry::store_counts`]) go back to zero.
//!
//! ```
//! use std::sync::Arc;
//! use oxidubbo_invoker::{Invocation, RpcResult, ServiceInvoker, Url, service_fn};
//! use oxidubbo_protocol::{InjvmProtocol, Protocol};
//! use oxidubbo_registry::{MemoryRegistry, Protocols, RegistryProtocol};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let protocols = Protocols::empty().with("injvm", Arc::new(InjvmProtocol::new()));
//! let registry = Url::parse("memory://127.0.0.1").unwrap();
//!
//! // A provider exports and registers…
//! let provider = RegistryProtocol::with_protocols(protocols.clone());
//! let url = Url::parse("injvm://127.0.0.1/com.example.Greeter?version=1.0.0").unwrap();
//! let hello = service_fn(|_: Invocation| async { Ok(RpcResult::new("hi")) });
//! provider.export_to(&registry, Arc::new(ServiceInvoker::new(Arc::new(url), hello))).await.unwrap();
//!
//! // …a consumer finds it through the registry and calls it through the cluster.
//! let consumer = RegistryProtocol::with_protocols(protocols);
//! let reference = Url::parse("consumer://127.0.0.1/com.example.Greeter?version=1.0.0").unwrap();
//! let greeter = consumer.refer_from(&registry, &reference).await.unwrap();
//! let result = greeter.invoke(Invocation::new("sayHello", "", vec![])).await.unwrap();
//! assert_eq!(result.value.as_str(), Some("hi"));
//!
//! // Destroy: everything registered is withdrawn, every listener dropped.
//! consumer.destroy().await;
//! provider.destroy().await;
//! assert!(consumer.counts().is_empty() && provider.counts().is_empty());
//! assert_eq!(MemoryRegistry::store_counts(), Default::default());
//! # });
//! ```

mod directory;
pub mod discovery;
mod error;
#[cfg(feature = "etcd")]
pub mod etcd;
mod factory;
mod instance;
pub mod memory;
pub mod metadata_service;
mod protocol;
mod protocols;
mod registry;
pub mod zookeeper;

pub use directory::{DIRECTORY_CATEGORIES, RegistryDirectory};
pub use discovery::{
    DEFAULT_METADATA_CACHE_SIZE, DiscoveryListener, METADATA_CACHE_SIZE, ServiceDiscovery,
    ServiceDiscoveryRegistry,
};
pub use error::RegistryError;
#[cfg(feature = "etcd")]
pub use etcd::EtcdRegistry;
pub use factory::{
    ETCD, ETCDV3, MEMORY, ZOOKEEPER, connect_registry, normalize_registry_url,
    parse_registry_address,
};
pub use memory::{MemoryRegistry, StoreCounts};
pub use metadata_service::MetadataServiceDelegation;
pub use protocol::{
    RegistryProtocol, RegistryProtocolCounts, consumer_url, refer_direct, registered_consumer_url,
    registered_provider_url,
};
pub use protocols::Protocols;
pub use registry::{
    ALL_CATEGORIES, NotifyListener, Registry, RegistryCounts, category_of, empty_url, is_empty_url,
    is_match, subscribed_categories, with_protocol,
};
pub use zookeeper::ZookeeperRegistry;
