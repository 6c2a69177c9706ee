//! A read-only view of a Dubbo registry (spec §6.1), straight from ZooKeeper or etcd:
//! `/<group>/<URL-encoded interface>/<category>/<URL-encoded URL>` (ZooKeeper nodes; on etcd,
//! dubbo-go's `etcdv3` layout, keys of the same paths).
//!
//! Dubbo 3's application level lives there too: the mapping `/<group>/mapping/<interface>`
//! (comma-separated application names) and each application's instances
//! `<instances root>/<application>/<host:port>` (Curator's `ServiceInstance` JSON on
//! ZooKeeper, dubbo-go's `DefaultServiceInstance` JSON on etcd), the instances root being
//! `/services`, or `/<group>` when the registry URL has a `group`.
//!
//! Reading the nodes directly (rather than through a registry client that subscribes and
//! filters) shows exactly what is registered, including nodes a consumer would skip.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use oxidubbo_common::Url;
use oxidubbo_metadata::mapping::parse_app_names;
use oxidubbo_metadata::{ServiceInstance, paths};
use zookeeper_client as zk;

mod etcd;

use crate::error::CliError;

/// The categories of a service, in the order `ls` prints them.
pub const CATEGORIES: [&str; 4] = ["providers", "consumers", "configurators", "routers"];

/// Default ZooKeeper port.
const DEFAULT_ZK_PORT: u16 = 2181;
/// Default etcd client port.
const DEFAULT_ETCD_PORT: u16 = 2379;

/// Whether `s` names a registry (`zookeeper://…`, `zk://…`, `etcdv3://…` or `etcd://…`).
pub fn is_registry_url(s: &str) -> bool {
    ["zookeeper://", "zk://", "etcdv3://", "etcd://"]
        .iter()
        .any(|scheme| s.starts_with(scheme))
}

/// Whether `url` is an etcd registry URL (`etcdv3://` or `etcd://`).
pub fn is_etcd(url: &Url) -> bool {
    matches!(url.protocol(), "etcdv3" | "etcd")
}

/// Parses a registry address: `zookeeper://host:port?backup=h2:p2&group=dubbo`,
/// `zk://host:port`, `etcdv3://host:port` (or `etcd://`) or a bare `host:port`
/// (ZooKeeper). Comma-separated addresses (`etcdv3://a:2379,b:2379`) become the first one
/// and a `backup` parameter.
pub fn parse_registry_url(s: &str) -> Result<Url, CliError> {
    let s = s.trim();
    let normalized = match s.strip_prefix("zk://") {
        Some(rest) => format!("zookeeper://{rest}"),
        None if s.contains("://") => s.to_owned(),
        None => format!("zookeeper://{s}"),
    };
    let (scheme, rest) = normalized.split_once("://").unwrap_or(("", &normalized));
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (first, others) = authority.split_once(',').unwrap_or((authority, ""));
    let url = Url::parse(&format!("{scheme}://{first}{tail}"))
        .map_err(|e| CliError::usage(format!("bad registry URL {s:?}: {e}")))?;
    let url = if others.is_empty() {
        url
    } else {
        let backup = match url.param("backup").filter(|b| !b.is_empty()) {
            Some(more) => format!("{others},{more}"),
            None => others.to_owned(),
        };
        url.with_param("backup", backup)
    };
    if url.protocol() != "zookeeper" && !is_etcd(&url) {
        return Err(CliError::usage(format!(
            "unsupported registry {:?}: zookeeper:// and etcdv3:// registries can be read",
            url.protocol()
        )));
    }
    if url.host().is_empty() {
        return Err(CliError::usage(format!(
            "registry URL {s:?} has no address"
        )));
    }
    Ok(url)
}

/// One child of a category folder.
#[derive(Debug, Clone)]
pub struct Node {
    /// The raw (URL-encoded) node name.
    pub name: String,
    /// The URL it decodes to, or why it does not.
    pub url: Result<Url, String>,
}

impl Node {
    /// The decoded URL as a string, or the raw name with the reason it did not decode.
    pub fn display(&self) -> String {
        match &self.url {
            Ok(url) => url.to_full_string(),
            Err(e) => format!("{} (undecodable: {e})", self.name),
        }
    }
}

/// One instance node of an application.
#[derive(Debug, Clone)]
pub struct InstanceNode {
    /// The node name (`host:port`).
    pub name: String,
    /// The instance it decodes to, or why it does not.
    pub instance: Result<ServiceInstance, String>,
}

impl InstanceNode {
    /// `host:port revision=<revision>` (`revision=-` when it has none), or the node name with
    /// the reason it did not decode.
    pub fn display(&self) -> String {
        match &self.instance {
            Ok(i) => format!(
                "{}:{} revision={}",
                i.address,
                i.port.map_or_else(|| "-".to_owned(), |p| p.to_string()),
                i.revision().unwrap_or("-")
            ),
            Err(e) => format!("{} (undecodable: {e})", self.name),
        }
    }
}

/// The folders of the root that are not interfaces: the mapping and the metadata report.
const APPLICATION_LEVEL_FOLDERS: [&str; 2] = ["mapping", "metadata"];

/// The store behind a view.
enum Store {
    Zookeeper(zk::Client),
    /// Boxed: etcd's client is large.
    Etcd(Box<etcd::EtcdStore>),
}

/// A connected, read-only registry view (ZooKeeper or etcd).
pub struct RegistryView {
    store: Store,
    root: String,
    /// Where application instances live: `/services`, or `/<group>` when the registry URL
    /// has a `group` (or its `rootPath`), as the registries write them.
    instances_root: String,
    address: String,
}

fn zk_error(address: &str, e: zk::Error) -> CliError {
    CliError::connection(format!("zookeeper {address}: {e}"))
}

impl RegistryView {
    /// Connects to the registry of `url`, giving up after `timeout`.
    pub async fn connect(url: &Url, timeout: Duration) -> Result<RegistryView, CliError> {
        let port = match url.port() {
            0 if is_etcd(url) => DEFAULT_ETCD_PORT,
            0 => DEFAULT_ZK_PORT,
            port => port,
        };
        let mut address = format!("{}:{port}", url.host());
        if let Some(backup) = url.param("backup").filter(|b| !b.is_empty()) {
            address.push(',');
            address.push_str(backup);
        }
        let group = url.param("group").unwrap_or("dubbo");
        let root = match group.trim_matches('/') {
            "" => String::new(),
            g => format!("/{g}"),
        };
        if is_etcd(url) {
            let store = etcd::EtcdStore::connect(&address, timeout).await?;
            return Ok(RegistryView {
                store: Store::Etcd(Box::new(store)),
                root,
                instances_root: paths::instances_root(url),
                address,
            });
        }
        let connect = zk::Client::connector()
            .with_session_timeout(timeout.max(Duration::from_secs(2)))
            .with_connection_timeout(timeout)
            .with_fail_eagerly()
            .connect(&address);
        let client = match tokio::time::timeout(timeout, connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => return Err(zk_error(&address, e)),
            Err(_) => {
                return Err(CliError::connection(format!(
                    "zookeeper {address}: no session within {} ms",
                    timeout.as_millis()
                )));
            }
        };
        Ok(RegistryView {
            store: Store::Zookeeper(client),
            root,
            instances_root: paths::instances_root(url),
            address,
        })
    }

    /// The registry's address (`host:port[,host:port…]`).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The root folder (`/dubbo` by default).
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The names of the children of `path`, sorted (none when it does not exist).
    async fn children(&self, path: &str) -> Result<Vec<String>, CliError> {
        let client = match &self.store {
            Store::Zookeeper(client) => client,
            Store::Etcd(store) => return store.children(path).await,
        };
        match client.list_children(path).await {
            Ok(mut names) => {
                names.sort();
                Ok(names)
            }
            Err(zk::Error::NoNode) => Ok(Vec::new()),
            Err(e) => Err(zk_error(&self.address, e)),
        }
    }

    /// The data of `path`, `None` when it does not exist.
    async fn data(&self, path: &str) -> Result<Option<Vec<u8>>, CliError> {
        let client = match &self.store {
            Store::Zookeeper(client) => client,
            Store::Etcd(store) => return store.value(path).await,
        };
        match client.get_data(path).await {
            Ok((data, _)) => Ok(Some(data)),
            Err(zk::Error::NoNode) => Ok(None),
            Err(e) => Err(zk_error(&self.address, e)),
        }
    }

    /// The mapping: each mapped interface with its applications (sorted).
    pub async fn mapping(&self) -> Result<BTreeMap<String, BTreeSet<String>>, CliError> {
        let folder = format!("{}/mapping", self.root);
        let mut mapping = BTreeMap::new();
        for interface in self.children(&folder).await? {
            let path = format!("{folder}/{interface}");
            let applications = match self.data(&path).await? {
                Some(data) => parse_app_names(&String::from_utf8_lossy(&data)),
                // Deleted between the listing and the read.
                None => continue,
            };
            mapping.insert(interface, applications);
        }
        Ok(mapping)
    }

    /// The instance nodes of `application`, decoded, sorted by name.
    pub async fn instances(&self, application: &str) -> Result<Vec<InstanceNode>, CliError> {
        let folder = format!(
            "{}/{application}",
            self.instances_root.trim_end_matches('/')
        );
        let mut instances = Vec::new();
        for name in self.children(&folder).await? {
            let instance = match self.data(&format!("{folder}/{name}")).await? {
                // On etcd, dubbo-go's DefaultServiceInstance JSON (Curator's form is read too).
                Some(data) if matches!(self.store, Store::Etcd(_)) => {
                    ServiceInstance::from_dubbo_go_json(&data).map_err(|e| e.to_string())
                }
                Some(data) => ServiceInstance::from_curator_json(&data).map_err(|e| e.to_string()),
                None => continue,
            };
            instances.push(InstanceNode { name, instance });
        }
        Ok(instances)
    }

    /// The interfaces registered (decoded service folder names, without the application
    /// level's folders), sorted.
    pub async fn services(&self) -> Result<Vec<String>, CliError> {
        let root = if self.root.is_empty() {
            "/"
        } else {
            &self.root
        };
        let mut names: Vec<String> = self
            .children(root)
            .await?
            .into_iter()
            .filter(|n| n != "zookeeper" || !self.root.is_empty())
            .map(|n| Url::decode_component(&n).unwrap_or(n))
            .filter(|n| !APPLICATION_LEVEL_FOLDERS.contains(&n.as_str()))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Whether `interface` has a folder in the registry.
    pub async fn has_service(&self, interface: &str) -> Result<bool, CliError> {
        let path = self.service_path(interface);
        let client = match &self.store {
            Store::Zookeeper(client) => client,
            Store::Etcd(store) => return store.exists(&path).await,
        };
        match client.check_stat(&path).await {
            Ok(stat) => Ok(stat.is_some()),
            Err(e) => Err(zk_error(&self.address, e)),
        }
    }

    fn service_path(&self, interface: &str) -> String {
        format!("{}/{}", self.root, Url::encode_component(interface))
    }

    /// The nodes of one category of `interface`, decoded.
    pub async fn nodes(&self, interface: &str, category: &str) -> Result<Vec<Node>, CliError> {
        let path = format!("{}/{category}", self.service_path(interface));
        Ok(self
            .children(&path)
            .await?
            .into_iter()
            .map(|name| Node {
                url: Url::from_node_name(&name).map_err(|e| e.to_string()),
                name,
            })
            .collect())
    }
}
