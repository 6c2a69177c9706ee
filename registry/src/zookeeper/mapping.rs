//! The interface → application mapping on ZooKeeper (`<root>/mapping/<interface>`), read and
//! written as Dubbo Java's `MetadataServiceNameMapping` and `ZookeeperMetadataReport` do it:
//! the node is persistent; a writer reads the content and its version, appends its
//! application (`oxidubbo_metadata::mapping::merge_app_name`) and writes only if the version is
//! unchanged, creating the node when it is missing; on a conflict it reads again, up to
//! [`CAS_ATTEMPTS`] times with a short random pause. So concurrent providers of different
//! applications never lose each other's names.

use std::collections::BTreeSet;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use oxidubbo_metadata::{mapping, paths};
use zookeeper_client::{Acls, Client, CreateMode};

use super::{Shared, ZookeeperRegistry, backend};
use crate::RegistryError;

/// Writes tried before giving up: Java's first try and its 10 retries
/// (`dubbo.metadata-report.cas-retry-times`).
pub const CAS_ATTEMPTS: u32 = 11;
/// Pause after a conflict: random, below Java's `dubbo.metadata-report.cas-retry-wait-time`.
const CAS_MAX_PAUSE_MS: u64 = 100;

/// What one compare-and-set attempt did.
enum Attempt {
    Done,
    Conflict,
}

impl ZookeeperRegistry {
    /// Adds `application` to the applications that provide `interface`
    /// (`<root>/mapping/<interface>`, the root being the registry's `group`). Writes nothing
    /// when it is already listed. Every request is bounded by the registry's timeout; fails
    /// when the node keeps changing under it for [`CAS_ATTEMPTS`] attempts, for a name that
    /// cannot be listed (empty, with `,` or surrounding spaces) or a path that cannot be a
    /// node.
    pub async fn map_service(
        &self,
        interface: &str,
        application: &str,
    ) -> Result<(), RegistryError> {
        let shared = &self.shared;
        let path = shared.mapping_path(interface)?;
        // Checks the name before touching ZooKeeper.
        mapping::merge_app_name(None, application).map_err(config)?;
        for attempt in 1..=CAS_ATTEMPTS {
            let client = shared.client()?;
            let outcome = shared
                .bounded("map service", try_map(&client, &path, application))
                .await?;
            match outcome {
                Attempt::Done => return Ok(()),
                Attempt::Conflict if attempt < CAS_ATTEMPTS => {
                    tokio::time::sleep(random_pause()).await;
                }
                Attempt::Conflict => {}
            }
        }
        Err(RegistryError::Backend(format!(
            "mapping {application} to {interface}: {path} kept changing for {CAS_ATTEMPTS} attempts"
        )))
    }

    /// The applications that provide `interface` according to the mapping, sorted; empty
    /// when there is no mapping node. Bounded by the registry's timeout.
    pub async fn mapped_applications(
        &self,
        interface: &str,
    ) -> Result<BTreeSet<String>, RegistryError> {
        let shared = &self.shared;
        let path = shared.mapping_path(interface)?;
        let client = shared.client()?;
        shared
            .bounded("read mapping", async {
                match client.get_data(&path).await {
                    Ok((data, _)) => Ok(mapping::parse_app_names(&content(&path, data)?)),
                    Err(zookeeper_client::Error::NoNode) => Ok(BTreeSet::new()),
                    Err(e) => Err(backend(e)),
                }
            })
            .await
    }
}

impl Shared {
    pub(super) fn mapping_path(&self, interface: &str) -> Result<String, RegistryError> {
        paths::mapping_path(&self.root, interface).map_err(config)
    }
}

/// One read-merge-write: `Conflict` when someone else wrote (or created) the node meanwhile.
async fn try_map(client: &Client, path: &str, application: &str) -> Result<Attempt, RegistryError> {
    match client.get_data(path).await {
        Ok((data, stat)) => {
            let current = content(path, data)?;
            let Some(next) =
                mapping::merge_app_name(Some(&current), application).map_err(config)?
            else {
                return Ok(Attempt::Done);
            };
            match client
                .set_data(path, next.as_bytes(), Some(stat.version))
                .await
            {
                Ok(_) => Ok(Attempt::Done),
                Err(zookeeper_client::Error::BadVersion | zookeeper_client::Error::NoNode) => {
                    Ok(Attempt::Conflict)
                }
                Err(e) => Err(backend(e)),
            }
        }
        Err(zookeeper_client::Error::NoNode) => {
            let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
            if let Some((parent, _)) = path.rsplit_once('/').filter(|(p, _)| !p.is_empty()) {
                client.mkdir(parent, &options).await.map_err(backend)?;
            }
            match client.create(path, application.as_bytes(), &options).await {
                Ok(_) => Ok(Attempt::Done),
                Err(zookeeper_client::Error::NodeExists) => Ok(Attempt::Conflict),
                Err(e) => Err(backend(e)),
            }
        }
        Err(e) => Err(backend(e)),
    }
}

/// The node's content as text; content that is not UTF-8 is refused rather than rewritten.
fn content(path: &str, data: Vec<u8>) -> Result<String, RegistryError> {
    String::from_utf8(data)
        .map_err(|_| RegistryError::Backend(format!("{path}: the mapping is not UTF-8 text")))
}

fn config(e: oxidubbo_metadata::MetadataError) -> RegistryError {
    RegistryError::Config(e.to_string())
}

/// A pause below [`CAS_MAX_PAUSE_MS`], different for every call (so that writers that
/// conflicted do not retry in step).
fn random_pause() -> Duration {
    let random = RandomState::new().hash_one(std::time::Instant::now());
    Duration::from_millis(random % CAS_MAX_PAUSE_MS)
}
