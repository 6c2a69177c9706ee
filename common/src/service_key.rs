//! [`ServiceKey`]: the `group/interface:version` name that identifies an exported service.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The version Java consumers send when none is configured (`CommonConstants.DEFAULT_VERSION`).
pub const DEFAULT_VERSION: &str = "0.0.0";

/// Identifies a service by interface, group and version, as `group/interface:version`.
///
/// The text form follows Dubbo Java's `BaseServiceMetadata.buildServiceKey`: the group and
/// its `/` are left out when there is no group, the `:` and version when there is no version.
///
/// # Normalisation
///
/// * An empty group or version is the same as none.
/// * **Version `"0.0.0"` is the same as none.** Java consumers send `"0.0.0"` when no version
///   is configured, and a provider exported without a version must match them. Dubbo Java's
///   exporter key (`ProtocolUtils.serviceKey`) and dubbo-go's `common.ServiceKey` drop
///   `"0.0.0"` in the same way, so `ServiceKey::new("com.Foo", None, Some("0.0.0"))` is
///   `com.Foo` and equals `ServiceKey::new("com.Foo", None, None)`.
///
/// # Cost
///
/// The key is stored once as its text form in an `Arc<str>`: cloning is a reference-count
/// increment, and equality and hashing look only at the text. It implements
/// [`Borrow<str>`], so a `HashMap<ServiceKey, _>` can be searched with a `&str` built by
/// [`ServiceKey::write_key`] into a reused buffer, without allocating a new key per call.
#[derive(Clone)]
pub struct ServiceKey {
    key: Arc<str>,
    /// Byte range of the interface inside `key`.
    interface: (usize, usize),
    has_group: bool,
    has_version: bool,
}

impl ServiceKey {
    /// Builds a key; empty group/version and version `"0.0.0"` count as absent.
    pub fn new(interface: &str, group: Option<&str>, version: Option<&str>) -> ServiceKey {
        let group = normalise_group(group);
        let version = normalise_version(version);
        let mut key = String::with_capacity(
            interface.len() + group.map_or(0, |g| g.len() + 1) + version.map_or(0, |v| v.len() + 1),
        );
        Self::write_key(&mut key, interface, group, version);
        let start = group.map_or(0, |g| g.len() + 1);
        ServiceKey {
            key: Arc::from(key),
            interface: (start, start + interface.len()),
            has_group: group.is_some(),
            has_version: version.is_some(),
        }
    }

    /// Reads a key in `group/interface:version` form (the group is what comes before the first
    /// `/`, the version what comes after the first `:` that follows it). Normalised like
    /// [`ServiceKey::new`].
    pub fn parse(s: &str) -> ServiceKey {
        let (group, rest) = match s.split_once('/') {
            Some((g, rest)) => (Some(g), rest),
            None => (None, s),
        };
        let (interface, version) = match rest.split_once(':') {
            Some((i, v)) => (i, Some(v)),
            None => (rest, None),
        };
        ServiceKey::new(interface, group, version)
    }

    /// Appends the text form of a key to `buf` (with the same normalisation as
    /// [`ServiceKey::new`]); use it to look up a `HashMap<ServiceKey, _>` without allocating.
    pub fn write_key(
        buf: &mut String,
        interface: &str,
        group: Option<&str>,
        version: Option<&str>,
    ) {
        if let Some(g) = normalise_group(group) {
            buf.push_str(g);
            buf.push('/');
        }
        buf.push_str(interface);
        if let Some(v) = normalise_version(version) {
            buf.push(':');
            buf.push_str(v);
        }
    }

    /// The interface (service) name.
    pub fn interface(&self) -> &str {
        self.key
            .get(self.interface.0..self.interface.1)
            .unwrap_or("")
    }

    /// The group, if there is one.
    pub fn group(&self) -> Option<&str> {
        if !self.has_group {
            return None;
        }
        self.key.get(..self.interface.0.saturating_sub(1))
    }

    /// The version, if there is one (never `"0.0.0"`).
    pub fn version(&self) -> Option<&str> {
        if !self.has_version {
            return None;
        }
        self.key.get(self.interface.1 + 1..)
    }

    /// The text form, `group/interface:version`.
    pub fn as_str(&self) -> &str {
        &self.key
    }
}

fn normalise_group(group: Option<&str>) -> Option<&str> {
    group.filter(|g| !g.is_empty())
}

fn normalise_version(version: Option<&str>) -> Option<&str> {
    version.filter(|v| !v.is_empty() && *v != DEFAULT_VERSION)
}

impl PartialEq for ServiceKey {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for ServiceKey {}

impl Hash for ServiceKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Must hash exactly like `str` for `Borrow<str>` lookups.
        self.as_str().hash(state);
    }
}

impl PartialOrd for ServiceKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ServiceKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Borrow<str> for ServiceKey {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ServiceKey {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ServiceKey").field(&self.as_str()).finish()
    }
}
