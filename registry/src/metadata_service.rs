//! The provider's `org.apache.dubbo.metadata.MetadataService` (`metadata-type=local`): the
//! [`Service`] consumers call to learn what an application instance serves, as Dubbo Java's
//! `MetadataServiceDelegation` answers it.
//!
//! - `getMetadataInfo(String revision)`: the application's [`MetadataInfo`] of that revision
//!   in the Hessian form Java writes ([`MetadataInfo::to_hessian`]); `null` for an empty or
//!   unknown revision.
//! - `getMetadataInfos()`: every published `MetadataInfo`, as a `java.util.ArrayList`.
//! - `serviceName()`: the application name; `version()`: `1.0.0`.
//!
//! Any other method is answered "not found". What it answers is what has been
//! [published](MetadataServiceDelegation::publish): one `MetadataInfo` per owner (Java has
//! one per service discovery, that is per registry), replaced when its revision changes.
//! Exported with [`MetadataServiceDelegation::export_url`] (group = the application,
//! version `1.0.0`), never registered.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use oxidubbo_common::{Url, keys, values};
use oxidubbo_hessian2::List;
use oxidubbo_invoker::{Invocation, RpcError, RpcResult, Service, Value};
use oxidubbo_metadata::{MetadataInfo, metadata_service};

const GET_METADATA_INFO_METHOD: &str = metadata_service::GET_METADATA_INFO;
/// `serviceName()`.
pub const SERVICE_NAME: &str = "serviceName";
/// `version()`.
pub const VERSION_METHOD: &str = "version";
/// `getMetadataInfos()`.
pub const GET_METADATA_INFOS: &str = "getMetadataInfos";

/// The `MetadataService` of one application: answers from the `MetadataInfo`s published to
/// it. Cloning shares them, so the registry that publishes and the exported service see the
/// same set.
#[derive(Clone)]
pub struct MetadataServiceDelegation {
    application: Arc<str>,
    published: Arc<Mutex<BTreeMap<String, MetadataInfo>>>,
}

impl MetadataServiceDelegation {
    /// The `MetadataService` of `application`, with nothing published yet.
    pub fn new(application: &str) -> Self {
        MetadataServiceDelegation {
            application: application.into(),
            published: Arc::default(),
        }
    }

    /// The application it serves.
    pub fn application(&self) -> &str {
        &self.application
    }

    /// Publishes `info` as the metadata of `owner` (a registry), replacing what it published
    /// before.
    pub fn publish(&self, owner: &str, info: MetadataInfo) {
        self.lock().insert(owner.to_owned(), info);
    }

    /// Withdraws what `owner` published.
    pub fn withdraw(&self, owner: &str) {
        self.lock().remove(owner);
    }

    /// The published `MetadataInfo` of `revision`, if any (`None` for an empty revision).
    pub fn metadata_info(&self, revision: &str) -> Option<MetadataInfo> {
        if revision.is_empty() {
            return None;
        }
        self.lock()
            .values()
            .find(|info| info.revision() == Some(revision))
            .cloned()
    }

    /// The URL to export it at on `protocol://host:port`, as Java's
    /// `InternalServiceConfigBuilder` exports it: group = the application, version `1.0.0`,
    /// its methods, `side=provider`.
    pub fn export_url(&self, protocol: &str, host: &str, port: u16) -> Url {
        Url::builder(protocol)
            .host(host)
            .port(port)
            .path(metadata_service::INTERFACE)
            .param(keys::APPLICATION, &*self.application)
            .param(keys::GROUP, &*self.application)
            .param(keys::VERSION, metadata_service::VERSION)
            .param(keys::INTERFACE, metadata_service::INTERFACE)
            .param(
                keys::METHODS,
                [
                    GET_METADATA_INFO_METHOD,
                    GET_METADATA_INFOS,
                    SERVICE_NAME,
                    VERSION_METHOD,
                ]
                .join(","),
            )
            .param(keys::SIDE, values::PROVIDER_SIDE)
            .build()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, MetadataInfo>> {
        self.published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Service for MetadataServiceDelegation {
    async fn call(&self, invocation: Invocation) -> Result<RpcResult, RpcError> {
        let value = match invocation.method_name() {
            GET_METADATA_INFO_METHOD => {
                let revision = match invocation.arguments() {
                    [Value::String(revision)] => Some(revision.as_str()),
                    [Value::Null] => None,
                    other => {
                        return Err(RpcError::Codec(format!(
                            "{}.{GET_METADATA_INFO_METHOD} takes one String, not {} arguments \
                             of types {:?}",
                            metadata_service::INTERFACE,
                            other.len(),
                            invocation.parameter_types()
                        )));
                    }
                };
                revision
                    .and_then(|r| self.metadata_info(r))
                    .map_or(Value::Null, |info| info.to_hessian())
            }
            GET_METADATA_INFOS => Value::List(List::untyped(
                self.lock().values().map(MetadataInfo::to_hessian).collect(),
            )),
            SERVICE_NAME => Value::from(&*self.application),
            VERSION_METHOD => Value::from(metadata_service::VERSION),
            other => {
                return Err(RpcError::NotFound(format!(
                    "{}.{other} (oxidubbo serves {GET_METADATA_INFO_METHOD}, \
                     {GET_METADATA_INFOS}, {SERVICE_NAME} and {VERSION_METHOD})",
                    metadata_service::INTERFACE
                )));
            }
        };
        Ok(RpcResult::new(value))
    }
}
