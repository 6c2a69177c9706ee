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
//! - With `metadata-type=remote`, the node says `dubbo.metadata.storage-type=remote` and each
//!   revision's `MetadataInfo` JSON is written first, as a persistent node, at
//!   `<root>/metadata/<application>/<revision>` (Java's `publishAppMetadata`); otherwise the
//!   storage type is `local`.
//! - After a reconnection or a new session the node is written again, as the interface-level
//!   nodes are; [`Registry::destroy`](crate::Registry::destroy) deletes it.
//!
//! A provider URL without an `application` cannot be an instance: it is registered at
//! interface level only (with a warning), as the register mode falls back.

use oxidubbo_common::Url;
use oxidubbo_metadata::{MetadataInfo, MetadataStorageType, paths};
use zookeeper_client::{Acls, CreateMode};

use super::{Shared, ZookeeperRegistry, lock};
use crate::instance::{ProviderInstance, application_of, config};
use crate::{MetadataServiceDelegation, RegistryError};

/// The application instance this registry registered.
pub(super) struct AppInstance {
    /// Its node.
    pub(super) path: String,
    /// The instance and its services.
    provider: ProviderInstance,
    /// Where its `MetadataInfo` is kept (the registry's `metadata-type`).
    storage: MetadataStorageType,
}

/// What writing the instance node takes: with `remote` storage, the `MetadataInfo` of its
/// revision goes to the metadata report first.
pub(super) struct InstanceWrite {
    path: String,
    json: String,
    report: Option<MetadataInfo>,
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
    fn write(&self) -> InstanceWrite {
        InstanceWrite {
            path: self.path.clone(),
            json: self.provider.instance.to_curator_json(),
            report: (self.storage == MetadataStorageType::Remote)
                .then(|| self.provider.metadata.clone()),
        }
    }

    /// Recomputes the revision and the instance metadata from the services, and publishes
    /// the `MetadataInfo` to the `MetadataService`, if one is served.
    fn refresh(&mut self, served: Option<&ServedMetadata>) {
        self.provider.refresh(self.storage, served.map(|s| &s.url));
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
            current.write()
        });
        match written {
            Some(write) => shared.write_instance(&write).await,
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
        let write = {
            let mut slot = lock(&shared.instance);
            let provider =
                ProviderInstance::adding(slot.as_ref().map(|c| &c.provider), application, url)?;
            let path =
                paths::instance_path(&shared.instances_root, application, &provider.instance.id)
                    .map_err(config)?;
            let mut updated = AppInstance {
                path,
                provider,
                storage: shared.metadata_type,
            };
            updated.refresh(served.as_ref());
            let write = updated.write();
            *slot = Some(updated);
            write
        };
        // Kept even if the write fails: the next recovery writes it (failback).
        shared.write_instance(&write).await?;
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
                slot.take().map(|gone| Err(gone.path))
            } else {
                current.refresh(served.as_ref());
                Some(Ok(current.write()))
            }
        };
        match change {
            Some(Ok(write)) => shared.write_instance(&write).await,
            Some(Err(path)) => {
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
    /// Publishes the report, if any, then creates or rewrites the instance node, each
    /// within the registry's timeout.
    async fn write_instance(&self, write: &InstanceWrite) -> Result<(), RegistryError> {
        lock(&self.withdrawn).retain(|p| *p != write.path);
        let client = self.client()?;
        self.write_instance_on(&client, write).await
    }

    async fn write_instance_on(
        &self,
        client: &zookeeper_client::Client,
        write: &InstanceWrite,
    ) -> Result<(), RegistryError> {
        if let Some(report) = &write.report {
            self.bounded("publish metadata", self.publish_report(client, report))
                .await?;
        }
        self.bounded(
            "register instance",
            self.create_node(client, &write.path, true, write.json.as_bytes()),
        )
        .await
    }

    /// Writes `info` to the metadata report at `<root>/metadata/<application>/<revision>`,
    /// a persistent node created or overwritten (Java's `publishAppMetadata`).
    async fn publish_report(
        &self,
        client: &zookeeper_client::Client,
        info: &MetadataInfo,
    ) -> Result<(), RegistryError> {
        let Some(revision) = info.revision() else {
            return Ok(());
        };
        let path = paths::app_metadata_path(&self.root, info.app(), revision).map_err(config)?;
        let json = info.to_json();
        let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
        if let Some((parent, _)) = path.rsplit_once('/').filter(|(p, _)| !p.is_empty()) {
            client
                .mkdir(parent, &options)
                .await
                .map_err(super::backend)?;
        }
        match client.create(&path, json.as_bytes(), &options).await {
            Ok(_) => Ok(()),
            Err(zookeeper_client::Error::NodeExists) => client
                .set_data(&path, json.as_bytes(), None)
                .await
                .map(|_| ())
                .map_err(super::backend),
            Err(e) => Err(super::backend(e)),
        }
    }

    /// Writes the instance node (and its report) again after a reconnection or a new
    /// session.
    pub(super) async fn recover_instance(&self, client: &zookeeper_client::Client) {
        let _turn = self.instance_writes.lock().await;
        let Some(write) = lock(&self.instance).as_ref().map(AppInstance::write) else {
            return;
        };
        if let Err(e) = self.write_instance_on(client, &write).await {
            let path = &write.path;
            tracing::warn!(%path, error = %e, "re-registering the application instance failed");
        }
    }
}
