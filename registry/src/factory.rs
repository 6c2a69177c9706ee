//! Choosing a registry backend from a registry URL.

use std::sync::Arc;

use oxidubbo_common::{Url, keys, values};

use crate::{MemoryRegistry, Registry, RegistryError, ZookeeperRegistry};

/// Scheme of the embedded registry, the default.
pub const MEMORY: &str = "memory";
/// Scheme of the ZooKeeper registry.
pub const ZOOKEEPER: &str = "zookeeper";

/// The registry URL itself: a Dubbo-style `registry://host:port?registry=zookeeper&…`
/// becomes `zookeeper://host:port?…` (default backend: `memory`); the `export`, `refer`
/// and `registry` parameters are removed. Any other URL is returned without those
/// parameters.
pub fn normalize_registry_url(url: &Url) -> Url {
    let url = if url.protocol() == values::REGISTRY_PROTOCOL {
        let backend = url.param_or(keys::REGISTRY, MEMORY).to_owned();
        crate::registry::with_protocol(url, &backend)
    } else {
        url.clone()
    };
    url.without_param(keys::EXPORT)
        .without_param(keys::REFER)
        .without_param(keys::REGISTRY)
}

/// Reads a registry address as users write it: `zookeeper://host:port`, `memory://` (or
/// just `memory`), a full `registry://…` URL, or a bare `host:port` (ZooKeeper).
pub fn parse_registry_address(address: &str) -> Result<Url, RegistryError> {
    let address = address.trim();
    if address == MEMORY || address == "memory://" {
        return Ok(Url::builder(MEMORY).host("127.0.0.1").build());
    }
    Ok(Url::parse_with_default_protocol(address, ZOOKEEPER)?)
}

/// Connects the registry `url` names (see [`normalize_registry_url`]): `memory://…`
/// (the embedded registry shared by the process) or `zookeeper://host:port`. An unknown
/// `register-mode` is a [`RegistryError::Config`].
pub async fn connect_registry(url: &Url) -> Result<Arc<dyn Registry>, RegistryError> {
    let url = normalize_registry_url(url);
    match url.protocol() {
        MEMORY => {
            crate::instance::register_mode(&url)?;
            Ok(Arc::new(MemoryRegistry::new(url)))
        }
        ZOOKEEPER => Ok(Arc::new(ZookeeperRegistry::connect(url).await?)),
        other => Err(RegistryError::Config(format!(
            "unknown registry {other:?} (known: {MEMORY}, {ZOOKEEPER})"
        ))),
    }
}

/// The key under which a registry protocol shares one registry per backend: scheme,
/// address and root group.
pub(crate) fn registry_key(url: &Url) -> String {
    format!(
        "{}://{}/{}",
        url.protocol(),
        url.address(),
        url.param_or(keys::REGISTRY_GROUP, "")
    )
}
