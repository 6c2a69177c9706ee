//! `ServiceInstance`: one application instance as Curator's service discovery stores it in
//! `/services/<application>/<host>:<port>`.
//!
//! Dubbo Java writes the node through Curator (`JsonInstanceSerializer` in its default,
//! compatible mode, which leaves out `enabled`): the fields `name`, `id`, `address`, `port`,
//! `sslPort`, `payload`, `registrationTimeUTC`, `serviceType`, `uriSpec` in this order, the
//! payload `{"@class":"org.apache.dubbo.registry.zookeeper.ZookeeperInstance","id":…,"name":…,
//! "metadata":{…}}` with the metadata sorted by key. dubbo-go writes `name`, `id`, `address`,
//! `port`, `payload`, `registrationTimeUTC`, `tag`, each left out when zero or empty, with the
//! payload's keys sorted (`@class`, `id`, `metadata`, `name`). Both read only the fields they
//! know, so the Java form (with `tag` added when there is one) is understood by both.

use std::collections::BTreeMap;

use oxidubbo_common::{Url, keys as common_keys, values};
use serde_json::Value;

use crate::endpoint::{self, Endpoint};
use crate::error::{MetadataError, Result};
use crate::json;
use crate::keys;
use crate::metadata_info::MetadataInfo;
use crate::metadata_service;
use crate::modes::MetadataStorageType;
use crate::paths;
use crate::service_info::ServiceInfo;

const WHAT: &str = "service instance";

/// One application instance: where it is and the metadata consumers need to use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInstance {
    /// The application name (the node's parent).
    pub name: String,
    /// The instance id, `host:port` (the node's name).
    pub id: String,
    /// The host consumers connect to.
    pub address: String,
    /// The instance's port (the port of its main protocol).
    pub port: Option<u16>,
    /// Curator's SSL port; Dubbo never sets it.
    pub ssl_port: Option<u16>,
    /// When the node was written, in milliseconds since the Unix epoch (`0` if not given).
    pub registration_time_utc: i64,
    /// Curator's service type; `DYNAMIC` (an ephemeral node) for Dubbo.
    pub service_type: String,
    /// dubbo-go's instance tag, if any.
    pub tag: Option<String>,
    /// The instance metadata (`dubbo.metadata.revision`, `dubbo.endpoints`, …; see [`keys`]).
    pub metadata: BTreeMap<String, String>,
}

impl ServiceInstance {
    /// An instance of `application` at `host:port`, with id `host:port`, type `DYNAMIC`, no
    /// registration time and no metadata yet.
    pub fn new(application: &str, host: &str, port: u16) -> Self {
        ServiceInstance {
            name: application.to_owned(),
            id: paths::instance_id(host, port),
            address: host.to_owned(),
            port: Some(port),
            ssl_port: None,
            registration_time_utc: 0,
            service_type: keys::SERVICE_TYPE_DYNAMIC.to_owned(),
            tag: None,
            metadata: BTreeMap::new(),
        }
    }

    /// Fills the metadata a provider registers, as Dubbo Java's instance customizers do:
    /// the instance parameters of `info` (`timestamp`, …), `dubbo.metadata.storage-type`,
    /// `dubbo.metadata.revision` = `info.calculate_revision()`, `dubbo.endpoints` (one per
    /// protocol of `info`'s services, sorted by protocol), `meta-v` = `1.0.0`, and, when the
    /// `MetadataService` is exported at `metadata_service`, `dubbo.metadata-service.url-params`.
    ///
    /// The revision written is the one `info` has now: the provider's `MetadataService` must
    /// answer `getMetadataInfo` for it (keep a copy of `info` per revision, as Java does).
    pub fn set_provider_metadata(
        &mut self,
        info: &MetadataInfo,
        storage: MetadataStorageType,
        metadata_service: Option<&Url>,
    ) {
        let m = &mut self.metadata;
        m.extend(
            info.instance_params()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        m.insert(keys::STORAGE_TYPE.to_owned(), storage.as_str().to_owned());
        m.insert(keys::REVISION.to_owned(), info.calculate_revision());
        let mut ports: BTreeMap<&str, u16> = BTreeMap::new();
        for service in info.services().values() {
            let port = u16::try_from(service.port).ok().filter(|p| *p > 0);
            if let (Some(protocol), Some(port)) = (service.protocol.as_deref(), port) {
                ports.insert(protocol, port);
            }
        }
        if ports.is_empty() {
            m.remove(keys::ENDPOINTS);
        } else {
            let endpoints: Vec<Endpoint> = ports
                .into_iter()
                .map(|(protocol, port)| Endpoint {
                    port,
                    protocol: protocol.to_owned(),
                })
                .collect();
            m.insert(
                keys::ENDPOINTS.to_owned(),
                endpoint::endpoints_json(&endpoints),
            );
        }
        m.insert(
            keys::METADATA_SERVICE_VERSION.to_owned(),
            metadata_service::VERSION.to_owned(),
        );
        match metadata_service {
            Some(url) => {
                m.insert(
                    keys::METADATA_SERVICE_URL_PARAMS.to_owned(),
                    endpoint::metadata_service_url_params(url),
                );
            }
            None => {
                m.remove(keys::METADATA_SERVICE_URL_PARAMS);
            }
        }
    }

    /// The node's content as Dubbo Java (Curator) writes it; `tag` is added at the end when
    /// there is one (Curator ignores it, dubbo-go reads it).
    pub fn to_curator_json(&self) -> String {
        let mut out = String::with_capacity(512);
        out.push('{');
        json::push_key(&mut out, "name");
        json::push_str(&mut out, &self.name);
        out.push(',');
        json::push_key(&mut out, "id");
        json::push_str(&mut out, &self.id);
        out.push(',');
        json::push_key(&mut out, "address");
        json::push_str(&mut out, &self.address);
        out.push(',');
        json::push_key(&mut out, "port");
        push_opt_port(&mut out, self.port);
        out.push(',');
        json::push_key(&mut out, "sslPort");
        push_opt_port(&mut out, self.ssl_port);
        out.push(',');
        json::push_key(&mut out, "payload");
        out.push('{');
        json::push_key(&mut out, "@class");
        json::push_str(&mut out, keys::ZOOKEEPER_INSTANCE_CLASS);
        out.push(',');
        json::push_key(&mut out, "id");
        json::push_str(&mut out, &self.id);
        out.push(',');
        json::push_key(&mut out, "name");
        json::push_str(&mut out, &self.name);
        out.push(',');
        json::push_key(&mut out, "metadata");
        json::push_sorted_map(
            &mut out,
            self.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        out.push_str("},");
        json::push_key(&mut out, "registrationTimeUTC");
        out.push_str(&self.registration_time_utc.to_string());
        out.push(',');
        json::push_key(&mut out, "serviceType");
        json::push_str(&mut out, &self.service_type);
        out.push(',');
        json::push_key(&mut out, "uriSpec");
        out.push_str("null");
        if let Some(tag) = self.tag.as_deref().filter(|t| !t.is_empty()) {
            out.push(',');
            json::push_key(&mut out, "tag");
            json::push_str(&mut out, tag);
        }
        out.push('}');
        out
    }

    /// Reads a node's content written by Dubbo Java (Curator) or dubbo-go. `name`, `id` and
    /// `address` are required; the metadata is the payload's `metadata` (any payload class).
    pub fn from_curator_json(bytes: &[u8]) -> Result<ServiceInstance> {
        let root = json::parse(WHAT, bytes)?;
        let obj = json::as_object(WHAT, &root, "the document")?;
        let required = |key: &str| -> Result<String> {
            json::opt_string(WHAT, obj, key)?
                .filter(|v| !v.is_empty())
                .ok_or_else(|| MetadataError::invalid(WHAT, format!("`{key}` is missing or empty")))
        };
        let metadata = match obj.get("payload") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(payload) => {
                json::string_map(WHAT, json::as_object(WHAT, payload, "payload")?, "metadata")?
            }
        };
        Ok(ServiceInstance {
            name: required("name")?,
            id: required("id")?,
            address: required("address")?,
            port: json::opt_port(WHAT, obj, "port")?,
            ssl_port: json::opt_port(WHAT, obj, "sslPort")?,
            registration_time_utc: json::opt_i64(WHAT, obj, "registrationTimeUTC")?.unwrap_or(0),
            service_type: json::opt_string(WHAT, obj, "serviceType")?
                .unwrap_or_else(|| keys::SERVICE_TYPE_DYNAMIC.to_owned()),
            tag: json::opt_string(WHAT, obj, "tag")?.filter(|t| !t.is_empty()),
            metadata,
        })
    }

    /// The value dubbo-go's etcd service discovery writes at
    /// `/services/<application>/<host>:<port>`: its `DefaultServiceInstance` as Go's JSON
    /// encoder writes it (field names as in Go: `ID`, `ServiceName`, `Host`, `Port`,
    /// `Enable`, `Healthy`, `Metadata`, `ServiceMetadata` (always `null` here: the metadata
    /// goes through the `MetadataService` or the report), `Address` (`host:port`),
    /// `GroupName`, `Tag`).
    pub fn to_dubbo_go_json(&self) -> String {
        let mut out = String::with_capacity(512);
        out.push('{');
        json::push_key(&mut out, "ID");
        json::push_str(&mut out, &self.id);
        out.push(',');
        json::push_key(&mut out, "ServiceName");
        json::push_str(&mut out, &self.name);
        out.push(',');
        json::push_key(&mut out, "Host");
        json::push_str(&mut out, &self.address);
        out.push(',');
        json::push_key(&mut out, "Port");
        out.push_str(&self.port.unwrap_or(0).to_string());
        out.push_str(",\"Enable\":true,\"Healthy\":true,");
        json::push_key(&mut out, "Metadata");
        json::push_sorted_map(
            &mut out,
            self.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        out.push_str(",\"ServiceMetadata\":null,");
        json::push_key(&mut out, "Address");
        json::push_str(
            &mut out,
            &paths::instance_id(&self.address, self.port.unwrap_or(0)),
        );
        out.push(',');
        json::push_key(&mut out, "GroupName");
        json::push_str(&mut out, "");
        out.push(',');
        json::push_key(&mut out, "Tag");
        json::push_str(&mut out, self.tag.as_deref().unwrap_or(""));
        out.push('}');
        out
    }

    /// Reads an instance written by dubbo-go's etcd service discovery
    /// ([`ServiceInstance::to_dubbo_go_json`]'s form; `ServiceName` and `Host` required, `ID`
    /// defaulting to `host:port`), or, for a document without `ServiceName`, in Curator's
    /// form ([`ServiceInstance::from_curator_json`]). An instance with `Enable` or `Healthy`
    /// false is read as it is; the caller decides.
    pub fn from_dubbo_go_json(bytes: &[u8]) -> Result<ServiceInstance> {
        let root = json::parse(WHAT, bytes)?;
        let obj = json::as_object(WHAT, &root, "the document")?;
        if !obj.contains_key("ServiceName") {
            return ServiceInstance::from_curator_json(bytes);
        }
        let required = |key: &str| -> Result<String> {
            json::opt_string(WHAT, obj, key)?
                .filter(|v| !v.is_empty())
                .ok_or_else(|| MetadataError::invalid(WHAT, format!("`{key}` is missing or empty")))
        };
        let name = required("ServiceName")?;
        let address = required("Host")?;
        let port = json::opt_port(WHAT, obj, "Port")?.filter(|p| *p != 0);
        let id = json::opt_string(WHAT, obj, "ID")?
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| paths::instance_id(&address, port.unwrap_or(0)));
        Ok(ServiceInstance {
            name,
            id,
            address,
            port,
            ssl_port: None,
            registration_time_utc: 0,
            service_type: keys::SERVICE_TYPE_DYNAMIC.to_owned(),
            tag: json::opt_string(WHAT, obj, "Tag")?.filter(|t| !t.is_empty()),
            metadata: json::string_map(WHAT, obj, "Metadata")?,
        })
    }

    /// The revision of the services this instance exports, or `None` when it has none
    /// (missing, empty or `"0"`: Java and dubbo-go consumers skip such an instance).
    pub fn revision(&self) -> Option<&str> {
        self.metadata
            .get(keys::REVISION)
            .map(String::as_str)
            .filter(|r| !r.is_empty() && *r != keys::EMPTY_REVISION)
    }

    /// Where its `MetadataInfo` is kept (missing or unknown: `local`).
    pub fn storage_type(&self) -> MetadataStorageType {
        MetadataStorageType::of_instance(self.metadata.get(keys::STORAGE_TYPE).map(String::as_str))
    }

    /// Its `dubbo.endpoints` (empty when it has none).
    pub fn endpoints(&self) -> Result<Vec<Endpoint>> {
        match self
            .metadata
            .get(keys::ENDPOINTS)
            .filter(|v| !v.trim().is_empty())
        {
            None => Ok(Vec::new()),
            Some(text) => endpoint::parse_endpoints(text),
        }
    }

    /// Its `dubbo.metadata-service.url-params` (empty when it has none).
    pub fn metadata_service_params(&self) -> Result<BTreeMap<String, String>> {
        match self
            .metadata
            .get(keys::METADATA_SERVICE_URL_PARAMS)
            .filter(|v| !v.trim().is_empty())
        {
            None => Ok(BTreeMap::new()),
            Some(text) => endpoint::parse_metadata_service_url_params(text),
        }
    }

    /// The URL a consumer calls this instance's `MetadataService` at, as Java's
    /// `StandardMetadataServiceURLBuilder` builds it: the instance's address and path
    /// `org.apache.dubbo.metadata.MetadataService`; `timeout=5000` and `retries=0` (Java's
    /// defaults for this call), then the parameters of `dubbo.metadata-service.url-params`
    /// (which may override them), with the protocol and port they name; then `group` = the
    /// application and `side=consumer`. Without url-params: `dubbo` on the instance's port and
    /// `version=1.0.0`. Unlike Java, `port` and `protocol` are not kept as parameters, and
    /// `version=1.0.0` is also added when the url-params have no version. `meta-v=2.0.0`
    /// (`MetadataServiceV2`, Triple + protobuf) is not handled here.
    pub fn metadata_service_url(&self) -> Result<Url> {
        let params = self.metadata_service_params()?;
        let builder = if params.is_empty() {
            let port = self.port.filter(|p| *p > 0).ok_or_else(|| {
                MetadataError::invalid(
                    WHAT,
                    format!("{}: no metadata-service url-params and no port", self.id),
                )
            })?;
            Url::builder(values::DUBBO_PROTOCOL).port(port)
        } else {
            let protocol = params
                .get("protocol")
                .filter(|p| !p.is_empty())
                .ok_or_else(|| {
                    MetadataError::invalid(
                        WHAT,
                        format!("{}: metadata-service url-params have no protocol", self.id),
                    )
                })?;
            let port = params
                .get("port")
                .and_then(|p| p.trim().parse::<u16>().ok())
                .filter(|p| *p > 0)
                .ok_or_else(|| {
                    MetadataError::invalid(
                        WHAT,
                        format!(
                            "{}: metadata-service url-params have no valid port",
                            self.id
                        ),
                    )
                })?;
            Url::builder(protocol).port(port)
        };
        let mut builder = builder
            .host(self.address.as_str())
            .path(metadata_service::INTERFACE)
            .param(common_keys::TIMEOUT, metadata_service::DEFAULT_TIMEOUT_MS)
            .param(common_keys::RETRIES, "0")
            .params(
                params
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "port" | "protocol" | "host")),
            )
            .param(common_keys::GROUP, self.name.as_str())
            .param(common_keys::SIDE, values::CONSUMER_SIDE);
        if params
            .get(common_keys::VERSION)
            .is_none_or(|v| v.is_empty())
        {
            builder = builder.param(common_keys::VERSION, metadata_service::VERSION);
        }
        Ok(builder.build())
    }

    /// The URL to call `service` on this instance, choosing the port as Java's
    /// `ServiceInstancesChangedListener` does: the service's own port when it has one, else the
    /// `dubbo.endpoints` port of its protocol, else the instance's port.
    pub fn service_url(&self, service: &ServiceInfo) -> Result<Url> {
        let own = u16::try_from(service.port).ok().filter(|p| *p > 0);
        let port = match own {
            Some(port) => Some(port),
            None => {
                let protocol = service
                    .protocol
                    .as_deref()
                    .unwrap_or(values::DUBBO_PROTOCOL);
                self.endpoints()?
                    .into_iter()
                    .find(|e| e.protocol == protocol)
                    .map(|e| e.port)
                    .or(self.port)
            }
        };
        let port = port.filter(|p| *p > 0).ok_or_else(|| {
            MetadataError::invalid(
                WHAT,
                format!("{}: no port for {}", self.id, service.match_key()),
            )
        })?;
        Ok(service.to_provider_url(&self.address, port))
    }
}

fn push_opt_port(out: &mut String, port: Option<u16>) {
    match port {
        Some(p) => out.push_str(&p.to_string()),
        None => out.push_str("null"),
    }
}
