//! Where application-level discovery lives in ZooKeeper.
//!
//! * instances: `<instances root>/<application>/<host>:<port>` — the root is `/services`, or the
//!   registry's `rootPath`, or its `group` ([`instances_root`]);
//! * mapping: `<report root>/mapping/<interface>`;
//! * metadata report: `<report root>/metadata/<application>/<revision>` (Dubbo Java; dubbo-go
//!   reads and writes `<report root>/<application>/<revision>` instead,
//!   [`dubbo_go_app_metadata_path`]) — the report root is `/` + the report URL's `group`,
//!   default `/dubbo` ([`report_root`]).
//!
//! Names are used as they are (not URL-encoded), as Java and dubbo-go use them; a name that
//! cannot be one ZooKeeper node (empty, `.`, `..`, or containing `/` or NUL) is an error.

use oxidubbo_common::{Url, keys as common_keys};

use crate::error::{MetadataError, Result};
use crate::keys;

/// The root of instance nodes for a registry URL, as Dubbo Java's
/// `CuratorFrameworkUtils.getRootPath` finds it: the `rootPath` parameter if it is set and is
/// not `/services`; otherwise the `group` parameter (a `/` put in front when missing), default
/// `/services`. dubbo-go reads its registry URL's `registry.group` instead (a `/` put in front,
/// default `/services`).
pub fn instances_root(registry: &Url) -> String {
    let root_path =
        non_empty(registry.param(keys::ROOT_PATH)).unwrap_or(keys::DEFAULT_INSTANCES_ROOT);
    let root = if root_path.eq_ignore_ascii_case(keys::DEFAULT_INSTANCES_ROOT) {
        non_empty(registry.param(common_keys::REGISTRY_GROUP))
            .unwrap_or(keys::DEFAULT_INSTANCES_ROOT)
    } else {
        root_path
    };
    normalize_root(root)
}

/// The root of the metadata report (mapping and application metadata) for a metadata-report
/// URL: `/` + its `group`, default `/dubbo` (`ZookeeperMetadataReport`'s constructor). dubbo-go
/// reads `metadata-report.group` instead, with the same default.
pub fn report_root(report: &Url) -> String {
    normalize_root(
        non_empty(report.param(common_keys::REGISTRY_GROUP)).unwrap_or(keys::DEFAULT_REPORT_ROOT),
    )
}

/// The id Dubbo Java and dubbo-go give an instance: `host:port` (`CuratorFrameworkUtils.generateId`;
/// the host as it is, so an IPv6 host is not bracketed).
pub fn instance_id(host: &str, port: u16) -> String {
    format!("{host}:{port}")
}

/// `<root>/<application>`: the folder whose children are the application's instances.
pub fn application_path(root: &str, application: &str) -> Result<String> {
    join(root, &[application])
}

/// `<root>/<application>/<id>`: one instance's node.
pub fn instance_path(root: &str, application: &str, id: &str) -> Result<String> {
    join(root, &[application, id])
}

/// `<report root>/mapping/<interface>`: the applications that provide an interface.
pub fn mapping_path(report_root: &str, interface: &str) -> Result<String> {
    join(report_root, &[keys::MAPPING_GROUP, interface])
}

/// `<report root>/metadata/<application>/<revision>`: an application's `MetadataInfo` JSON as
/// Dubbo Java publishes it (`SubscriberMetadataIdentifier` with `KeyTypeEnum.PATH`).
pub fn app_metadata_path(report_root: &str, application: &str, revision: &str) -> Result<String> {
    join(
        report_root,
        &[keys::METADATA_PATH_TAG, application, revision],
    )
}

/// `<report root>/<application>/<revision>`: where dubbo-go 3.3 publishes and looks up an
/// application's `MetadataInfo` (its `zookeeperMetadataReport` has no `metadata` folder), so
/// Java and dubbo-go do not find each other's remote metadata.
pub fn dubbo_go_app_metadata_path(
    report_root: &str,
    application: &str,
    revision: &str,
) -> Result<String> {
    join(report_root, &[application, revision])
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

/// A leading `/`, no trailing `/` (unless the root is `/` itself).
fn normalize_root(root: &str) -> String {
    let trimmed = root.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_owned();
    }
    if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

fn join(root: &str, segments: &[&str]) -> Result<String> {
    let mut path = normalize_root(root);
    for segment in segments {
        check_node_name(segment)?;
        if !path.ends_with('/') {
            path.push('/');
        }
        path.push_str(segment);
    }
    Ok(path)
}

fn check_node_name(name: &str) -> Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(MetadataError::invalid(
            "zookeeper path",
            format!("{name:?} cannot be a node name (empty, `.`, `..`, or with `/` or NUL)"),
        ));
    }
    Ok(())
}
