//! Choosing a registry backend from a registry URL.

use std::sync::Arc;

use oxidubbo_common::{Url, keys, values};

use crate::{MemoryRegistry, Registry, RegistryError, ZookeeperRegistry};

/// Scheme of the embedded registry, the default.
pub const MEMORY: &str = "memory";
/// Scheme of the ZooKeeper registry.
pub const ZOOKEEPER: &str = "zookeeper";
/// Scheme of the etcd v3 registry (dubbo-go's name for it).
pub const ETCDV3: &str = "etcdv3";
/// Another scheme of the etcd v3 registry.
pub const ETCD: &str = "etcd";

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

/// Reads a registry address as users write it: `zookeeper://host:port`,
/// `etcdv3://host:port` (or `etcd://`), `memory://` (or just `memory`), a full
/// `registry://…` URL, or a bare `host:port` (ZooKeeper). Several comma-separated addresses
/// (`etcdv3://a:2379,b:2379`) become the first one plus a `backup` parameter with the
/// others, as Dubbo reads them.
pub fn parse_registry_address(address: &str) -> Result<Url, RegistryError> {
    let address = address.trim();
    if address == MEMORY || address == "memory://" {
        return Ok(Url::builder(MEMORY).host("127.0.0.1").build());
    }
    let (scheme, rest) = match address.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, address),
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let Some((first, others)) = authority.split_once(',') else {
        return Ok(Url::parse_with_default_protocol(address, ZOOKEEPER)?);
    };
    let single = match scheme {
        Some(scheme) => format!("{scheme}://{first}{tail}"),
        None => format!("{first}{tail}"),
    };
    let url = Url::parse_with_default_protocol(&single, ZOOKEEPER)?;
    let backup = match url.param("backup").filter(|b| !b.is_empty()) {
        Some(more) => format!("{others},{more}"),
        None => others.to_owned(),
    };
    Ok(url.with_param("backup", backup))
}

/// Connects the registry `url` names (see [`normalize_registry_url`]): `memory://…`
/// (the embedded registry shared by the process), `zookeeper://host:port` or
/// `etcdv3://host:port` (also `etcd://`). An unknown `register-mode` is a
/// [`RegistryError::Config`].
pub async fn connect_registry(url: &Url) -> Result<Arc<dyn Registry>, RegistryError> {
    let url = normalize_registry_url(url);
    match url.protocol() {
        MEMORY => {
            crate::instance::register_mode(&url)?;
            Ok(Arc::new(MemoryRegistry::new(url)))
        }
        ZOOKEEPER => Ok(Arc::new(ZookeeperRegistry::connect(url).await?)),
        #[cfg(feature = "etcd")]
        ETCDV3 | ETCD => Ok(Arc::new(crate::EtcdRegistry::connect(url).await?)),
        #[cfg(not(feature = "etcd"))]
        ETCDV3 | ETCD => Err(RegistryError::Config(format!(
            "{url:?}: this program was built without oxidubbo-registry's `etcd` feature"
        ))),
        other => Err(RegistryError::Config(format!(
            "unknown registry {other:?} (known: {MEMORY}, {ZOOKEEPER}, {ETCDV3}, {ETCD})"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_addresses_become_backup() {
        let url = parse_registry_address("etcdv3://127.0.0.1:2379,127.0.0.2:2379?group=g").unwrap();
        assert_eq!(url.protocol(), ETCDV3);
        assert_eq!(url.address(), "127.0.0.1:2379");
        assert_eq!(url.param("backup"), Some("127.0.0.2:2379"));
        assert_eq!(url.param("group"), Some("g"));
        let url = parse_registry_address("a:1,b:2,c:3/x?backup=d:4").unwrap();
        assert_eq!(url.protocol(), ZOOKEEPER);
        assert_eq!(url.address(), "a:1");
        assert_eq!(url.path(), "x");
        assert_eq!(url.param("backup"), Some("b:2,c:3,d:4"));
        let url = parse_registry_address("etcd://127.0.0.1:2379").unwrap();
        assert_eq!(url.protocol(), ETCD);
        assert_eq!(url.param("backup"), None);
    }
}
