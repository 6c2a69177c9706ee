//! The application instance a provider-side registry registers with `register-mode`
//! `instance` or `all`, as the backends share it: which provider URLs go into it, and how its
//! `MetadataInfo` and [`ServiceInstance`] follow the services registered.
//!
//! The backends add where the instance is kept and who is told (the ZooKeeper node, the
//! embedded store).

use std::time::{SystemTime, UNIX_EPOCH};

use oxidubbo_common::{Url, keys, values};
use oxidubbo_metadata::{
    MetadataInfo, MetadataStorageType, RegisterMode, ServiceInstance, keys as metadata_keys,
};

use crate::RegistryError;
use crate::registry::category_of;

/// The registry URL's `register-mode`: `interface`, `instance` or `all`; missing or empty
/// means `all`, Dubbo Java's default. Anything else is a [`RegistryError::Config`].
pub(crate) fn register_mode(url: &Url) -> Result<RegisterMode, RegistryError> {
    match url.param(metadata_keys::REGISTER_MODE) {
        Some(mode) if !mode.trim().is_empty() => mode
            .parse::<RegisterMode>()
            .map_err(|e| RegistryError::Config(e.to_string())),
        _ => Ok(RegisterMode::default()),
    }
}

/// The application of `url` if it is a provider URL that can go into an instance; a provider
/// URL without an `application` cannot (with a warning: it stays at interface level).
pub(crate) fn application_of(url: &Url) -> Option<&str> {
    if category_of(url) != values::PROVIDERS_CATEGORY {
        return None;
    }
    let application = url.param(keys::APPLICATION).filter(|a| !a.is_empty());
    if application.is_none() {
        tracing::warn!(
            url = %url.interface(),
            "a provider URL without `application` is not registered at application level"
        );
    }
    application
}

pub(crate) fn config(e: oxidubbo_metadata::MetadataError) -> RegistryError {
    RegistryError::Config(e.to_string())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// One registry's application instance and the services it exports.
#[derive(Clone)]
pub(crate) struct ProviderInstance {
    /// The exported services and their revision.
    pub(crate) metadata: MetadataInfo,
    /// The instance as registered (metadata filled from `metadata` by
    /// [`ProviderInstance::refresh`]).
    pub(crate) instance: ServiceInstance,
}

impl ProviderInstance {
    /// `current` with the service of provider URL `url` of `application` added; without
    /// `current`, a new instance at `url`'s host and port. Not refreshed yet. Fails when
    /// `current` is another application's (one registry, one instance) or the service does
    /// not fit its `MetadataInfo`.
    pub(crate) fn adding(
        current: Option<&ProviderInstance>,
        application: &str,
        url: &Url,
    ) -> Result<ProviderInstance, RegistryError> {
        let mut next = match current {
            Some(current) if current.instance.name != application => {
                return Err(RegistryError::Config(format!(
                    "one registry registers one application instance: {} already, not {application}",
                    current.instance.name
                )));
            }
            Some(current) => current.clone(),
            None => {
                let mut instance = ServiceInstance::new(application, url.host(), url.port());
                instance.registration_time_utc = now_ms();
                ProviderInstance {
                    metadata: MetadataInfo::new(application),
                    instance,
                }
            }
        };
        next.metadata.add_service(url).map_err(config)?;
        Ok(next)
    }

    /// Removes the service of provider URL `url`; whether it was there.
    pub(crate) fn remove(&mut self, url: &Url) -> bool {
        self.metadata.remove_service(url).is_some()
    }

    /// Whether no service is left (the instance must go).
    pub(crate) fn is_empty(&self) -> bool {
        self.metadata.services().is_empty()
    }

    /// Recomputes the revision and the instance metadata from the services, the metadata
    /// kept as `storage` says and, if given, served by the `MetadataService` at
    /// `metadata_service`.
    pub(crate) fn refresh(&mut self, storage: MetadataStorageType, metadata_service: Option<&Url>) {
        self.metadata.update_revision();
        self.instance
            .set_provider_metadata(&self.metadata, storage, metadata_service);
    }
}
