//! The application instance on ZooKeeper (`register-mode` `instance` or `all`), as Dubbo
//! Java's `ServiceDiscoveryRegistry` over `ZookeeperServiceDiscovery` writes it: one
//! ephemeral node `<instances root>/<application>/<host>:<port>` holding Curator's
//! `ServiceInstance` JSON ([`ServiceInstance::to_curator_json`]) whose metadata carries the
//! revision of the exported services' [`MetadataInfo`], `dubbo.metadata.storage-type` and
//! `dubbo.endpoints`.
//!
//! - The first provider URL registered creates the instance (its application, host and
//!   port); each provider URL adds its service to the `MetadataInfo` and maps its interface
//!   to the application ([`ZookeeperRegistry::map_service`]).
//! - Every change of the services rewrites the node with the new revision; the last service
//!   unregistered deletes it.
//! - With a `MetadataService` ([`Registry::serve_metadata`](crate::Registry::serve_metadata)), each revision's
//!   `MetadataInfo` is published to it and the node carries
//!   `dubbo.metadata-service.url-params`; the deleted or destroyed instance withdraws it.
//! - After a reconnection or a new session the node is written again, as the interface-level
//!   nodes are; [`Registry::destroy`](crate::Registry::destroy) deletes it.
//!
//! A provider URL without an `application` cannot be an instance: it is registered at
//! interface level only (with a warning), as the register mode falls back.

use oxidubbo_common::Url;
use oxidubbo_metadata::{MetadataStorageType, paths};

use super::{Shared, ZookeeperRegistry, lock};
use crate::instance::{ProviderInstance, application_of, config};
use crate::{MetadataServiceDelegation, RegistryError};

/// The application instance this registry registered.
pub(super) struct AppInstance {
    /// Its node.
    pub(super) path: String,
    /// The instance and its services.
    provider: ProviderInstance,
}

/// The `MetadataService` that answers for this registry's instance
/// ([`Registry::serve_metadata`](crate::Registry::serve_metadata)).
#[derive(Clone)]
pub(super) struct ServedMetadata {
    service: MetadataServiceDelegation,
    /// Where it is exported: its parameters become the instance's url-params.
    url: Url,
    /// What this registry publishes its `MetadataInfo` under.
    owner: String,
}

impl ServedMetadata {
    pub(super) fn withdraw(&self) {
        self.service.withdraw(&self.owner);
    }
}

impl AppInstance {
    fn json(&self) -> String {
        self.provider.instance.to_curator_json()
    }

    /// Recomputes the revision and the instance metadata from the services, and publishes
    /// the `MetadataInfo` to the `MetadataService`, if one is served.
    fn refresh(&mut self, served: Option<&ServedMetadata>) {
        self.provider
            .refresh(MetadataStorageType::Local, served.map(|s| &s.url));
        if let Some(served) = served {
            served
                .service
                .publish(&served.owner, self.provider.metadata.clone());
        }
    }
}

impl ZookeeperRegistry {
    /// The path of the application instance node this registry has written, if any:
    /// `<instances root>/<application>/<host>:<port>`.
    pub fn instance_path(&self) -> Option<String> {
        lock(&self.shared.instance).as_ref().map(|i| i.path.clone())
    }

    /// [`Registry::serve_metadata`](crate::Registry::serve_metadata): the instance's
    /// `MetadataInfo` is published to `service` whenever its revision changes (and
    /// withdrawn with the instance), and the instance node carries
    /// `dubbo.metadata-service.url-params` from `url`, so that consumers can fetch its
    /// services. Rewrites the node if the instance exists.
    pub(super) async fn attach_metadata_service(
        &self,
        service: MetadataServiceDelegation,
        url: Url,
    ) -> Result<(), RegistryError> {
        let shared = &self.shared;
        let _turn = shared.instance_writes.lock().await;
        let served = ServedMetadata {
            service,
            url,
            owner: format!("zookeeper://{}{}", shared.address, shared.instances_root),
        };
        if let Some(previous) = lock(&shared.metadata_service).replace(served.clone()) {
            previous.withdraw();
        }
        let written = lock(&shared.instance).as_mut().map(|current| {
            current.refresh(Some(&served));
            (current.path.clone(), current.json())
        });
        match written {
            Some((path, json)) => shared.write_instance(&path, &json).await,
            None => Ok(()),
        }
    }

    /// Adds the service of provider URL `url` to the application instance (creating it),
    /// writes the node with the new revision and maps the interface to the application.
    pub(super) async fn register_in_instance(&self, url: &Url) -> Result<(), RegistryError> {
        let Some(application) = application_of(url) else {
            return Ok(());
        };
        let shared = &self.shared;
        let _turn = shared.instance_writes.lock().await;
        let served = lock(&shared.metadata_service).clone();
        let (path, json) = {
            let mut slot = lock(&shared.instance);
            let provider =
                ProviderInstance::adding(slot.as_ref().map(|c| &c.provider), application, url)?;
            let path =
                paths::instance_path(&shared.instances_root, application, &provider.instance.id)
                    .map_err(config)?;
            let mut updated = AppInstance { path, provider };
            updated.refresh(served.as_ref());
            let written = (updated.path.clone(), updated.json());
            *slot = Some(updated);
            written
        };
        // Kept even if the write fails: the next recovery writes it (failback).
        shared.write_instance(&path, &json).await?;
        self.map_service(url.interface(), application).await
    }

    /// Removes the service of provider URL `url` from the instance: rewrites the node with
    /// the new revision, or deletes it when no service is left.
    pub(super) async fn unregister_in_instance(&self, url: &Url) -> Result<(), RegistryError> {
        if application_of(url).is_none() {
            return Ok(());
        }
        let shared = &self.shared;
        let _turn = shared.instance_writes.lock().await;
        let served = lock(&shared.metadata_service).clone();
        let change = {
            let mut slot = lock(&shared.instance);
            let Some(current) = slot.as_mut() else {
                return Ok(());
            };
            if !current.provider.remove(url) {
                return Ok(());
            }
            if current.provider.is_empty() {
                if let Some(served) = &served {
                    served.withdraw();
                }
                slot.take().map(|gone| (gone.path, None))
            } else {
                current.refresh(served.as_ref());
                Some((current.path.clone(), Some(current.json())))
            }
        };
        match change {
            Some((path, Some(json))) => shared.write_instance(&path, &json).await,
            Some((path, None)) => {
                let client = shared.client()?;
                let deleted = shared
                    .bounded("unregister instance", async {
                        match client.delete(&path, None).await {
                            Ok(()) | Err(zookeeper_client::Error::NoNode) => Ok(()),
                            Err(e) => Err(super::backend(e)),
                        }
                    })
                    .await;
                if deleted.is_err() {
                    shared.withdraw_later(path);
                }
                deleted
            }
            None => Ok(()),
        }
    }
}

impl Shared {
    /// Creates or rewrites the instance node, within the registry's timeout.
    async fn write_instance(&self, path: &str, json: &str) -> Result<(), RegistryError> {
        lock(&self.withdrawn).retain(|p| p != path);
        let client = self.client()?;
        self.bounded(
            "register instance",
            self.create_node(&client, path, true, json.as_bytes()),
        )
        .await
    }

    /// Writes the instance node again after a reconnection or a new session.
    pub(super) async fn recover_instance(&self, client: &zookeeper_client::Client) {
        let _turn = self.instance_writes.lock().await;
        let Some((path, json)) = lock(&self.instance)
            .as_ref()
            .map(|i| (i.path.clone(), i.json()))
        else {
            return;
        };
        let written = self.bounded(
            "re-register instance",
            self.create_node(client, &path, true, json.as_bytes()),
        );
        if let Err(e) = written.await {
            tracing::warn!(%path, error = %e, "re-registering the application instance failed");
        }
    }
}
