//! `MetadataInfo`: an application's exported services and their revision
//! (`org.apache.dubbo.metadata.MetadataInfo`).

use std::collections::BTreeMap;

use oxidubbo_common::{Url, keys as common_keys};

use crate::error::{MetadataError, Result};
use crate::params_filter::{self, ParamsFilter};
use crate::revision;
use crate::service_info::ServiceInfo;

/// What an application exports, as consumers see it: its name, the revision that names this
/// set of services, and the services keyed by their match key (`group/name:version:protocol`).
///
/// A provider builds one with [`MetadataInfo::add_service`] from the URLs it exports and
/// [`MetadataInfo::update_revision`] before it registers; consumers read one from JSON
/// ([`MetadataInfo::from_json`], the metadata report) or Hessian
/// ([`MetadataInfo::from_hessian`], the `MetadataService` answer). It is a plain value: it
/// holds no URL, task or lock, so dropping it releases everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetadataInfo {
    app: String,
    revision: Option<String>,
    services: BTreeMap<String, ServiceInfo>,
    /// Parameters for the instance's metadata (Java's transient `instanceParams`); never sent.
    instance_params: BTreeMap<String, String>,
}

impl MetadataInfo {
    /// An application that exports nothing yet.
    pub fn new(app: impl Into<String>) -> Self {
        MetadataInfo {
            app: app.into(),
            ..MetadataInfo::default()
        }
    }

    /// A `MetadataInfo` from its parts, as read from a peer (the revision is taken as given).
    pub fn from_parts(
        app: impl Into<String>,
        revision: Option<String>,
        services: BTreeMap<String, ServiceInfo>,
    ) -> Self {
        MetadataInfo {
            app: app.into(),
            revision,
            services,
            instance_params: BTreeMap::new(),
        }
    }

    /// The application name.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// The revision last set: read from a peer, or by [`MetadataInfo::update_revision`].
    pub fn revision(&self) -> Option<&str> {
        self.revision.as_deref()
    }

    /// The services, by key (the match key for services this crate built).
    pub fn services(&self) -> &BTreeMap<String, ServiceInfo> {
        &self.services
    }

    /// The parameters exported URLs gave the instance's metadata (with Dubbo's default filter:
    /// `timestamp`, `ipv6`, `heartbeat.timeout`), as Java's `instanceParams`. Like Java's,
    /// they are not removed with the service that brought them.
    pub fn instance_params(&self) -> &BTreeMap<String, String> {
        &self.instance_params
    }

    /// Adds (or replaces) the service of an exported provider URL, with Dubbo's default params
    /// filter ([`ParamsFilter::dubbo_default`]).
    pub fn add_service(&mut self, url: &Url) -> Result<()> {
        self.add_service_filtered(url, &[ParamsFilter::dubbo_default()])
    }

    /// Adds (or replaces) the service of an exported provider URL, keeping the parameters the
    /// active `filters` keep (`MetadataInfo.addService`). Fails, changing nothing, when the URL
    /// gives an instance parameter other than `timestamp` a value that differs from the one
    /// an earlier service gave (Java throws then, after it has added the service).
    pub fn add_service_filtered(&mut self, url: &Url, filters: &[ParamsFilter]) -> Result<()> {
        let instance = params_filter::instance_params(url, filters);
        for (key, value) in &instance {
            if let Some(old) = self.instance_params.get(key) {
                if key != common_keys::TIMESTAMP && old != value {
                    return Err(MetadataError::InconsistentInstanceParam {
                        key: key.clone(),
                        old: old.clone(),
                        new: value.clone(),
                    });
                }
            }
        }
        self.instance_params.extend(instance);
        let service = ServiceInfo::from_url(url, filters);
        self.services.insert(service.match_key(), service);
        Ok(())
    }

    /// Removes the service of an exported provider URL (Java removes by the URL's protocol
    /// service key, which is the match key for a provider URL).
    pub fn remove_service(&mut self, url: &Url) -> Option<ServiceInfo> {
        let key = ServiceInfo::from_url(url, &[]).match_key();
        self.services.remove(&key)
    }

    /// The revision of the current services, computed as Java computes it (see
    /// [`crate::revision`]); `"0"` when there is none.
    pub fn calculate_revision(&self) -> String {
        revision::calculate_revision(&self.app, &self.services)
    }

    /// Sets the revision to [`MetadataInfo::calculate_revision`]; returns whether it changed
    /// (then the instance must be updated and, for `remote`, the metadata published).
    pub fn update_revision(&mut self) -> bool {
        let new = self.calculate_revision();
        if self.revision.as_deref() == Some(new.as_str()) {
            return false;
        }
        self.revision = Some(new);
        true
    }
}
