//! `ServiceInfo`: one exported service in an application's `MetadataInfo`
//! (`org.apache.dubbo.metadata.MetadataInfo$ServiceInfo`).

use std::collections::BTreeMap;

use oxidubbo_common::{ServiceKey, Url, keys as common_keys, values};

use crate::params_filter::{self, ParamsFilter};
use crate::revision::java_cmp;

/// One exported service: its identity, where it listens and the parameters consumers need.
///
/// The fields are Java's, in Java's order. `group`, `version`, `protocol` and `path` are
/// `None` where Java has `null`; a present but empty value stays `Some("")`, as Java keeps it.
/// `port` is `-1` when unknown (Java's initial value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The interface name.
    pub name: String,
    /// The group.
    pub group: Option<String>,
    /// The version, as written (`0.0.0` is kept).
    pub version: Option<String>,
    /// The protocol (`dubbo`, `tri`, …).
    pub protocol: Option<String>,
    /// The port the service listens on; `-1` when unknown.
    pub port: i32,
    /// The path, usually the interface name.
    pub path: Option<String>,
    /// The parameters kept by the params filters.
    pub params: BTreeMap<String, String>,
}

impl ServiceInfo {
    /// The `ServiceInfo` Dubbo Java builds from an exported provider URL
    /// (`new ServiceInfo(url, filters)`): name = `interface` parameter (else the path), group
    /// and version = their parameters, protocol, port and path of the URL, and the parameters
    /// `filters` keep (see [`ParamsFilter`]).
    pub fn from_url(url: &Url, filters: &[ParamsFilter]) -> Self {
        ServiceInfo {
            name: url.interface().to_owned(),
            group: url.param(common_keys::GROUP).map(str::to_owned),
            version: url.param(common_keys::VERSION).map(str::to_owned),
            protocol: Some(url.protocol().to_owned()),
            port: i32::from(url.port()),
            path: Some(url.path())
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
            params: params_filter::service_params(url, filters),
        }
    }

    /// `group/name:version` as Java builds it (`URL.buildKey`): group and version left out
    /// when empty, version `0.0.0` kept (unlike [`ServiceInfo::service_key`]).
    pub fn java_service_key(&self) -> String {
        let mut key = String::with_capacity(self.name.len() + 16);
        if let Some(group) = self.group.as_deref().filter(|g| !g.is_empty()) {
            key.push_str(group);
            key.push('/');
        }
        key.push_str(&self.name);
        if let Some(version) = self.version.as_deref().filter(|v| !v.is_empty()) {
            key.push(':');
            key.push_str(version);
        }
        key
    }

    /// Java's match key, `group/name:version:protocol` (`ServiceInfo.getMatchKey`): the key of
    /// this service in `MetadataInfo.services`.
    pub fn match_key(&self) -> String {
        let mut key = self.java_service_key();
        if let Some(protocol) = self.protocol.as_deref().filter(|p| !p.is_empty()) {
            key.push(':');
            key.push_str(protocol);
        }
        key
    }

    /// oxidubbo's [`ServiceKey`] of this service (version `0.0.0` counts as none), to match
    /// a consumer's reference.
    pub fn service_key(&self) -> ServiceKey {
        ServiceKey::new(&self.name, self.group.as_deref(), self.version.as_deref())
    }

    /// What this service adds to the revision text (`ServiceInfo.toDescString`): match key,
    /// port, path (`null` when absent), then the parameters sorted by key as Java's
    /// `TreeMap.toString` prints them: `{k1=v1, k2=v2}`.
    pub fn desc_string(&self) -> String {
        let mut params: Vec<(&String, &String)> = self.params.iter().collect();
        params.sort_by(|a, b| java_cmp(a.0, b.0));
        let mut out = self.match_key();
        out.push_str(&self.port.to_string());
        out.push_str(self.path.as_deref().unwrap_or("null"));
        out.push('{');
        for (i, (k, v)) in params.into_iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
        out.push('}');
        out
    }

    /// The method names in the `methods` parameter.
    pub fn methods(&self) -> impl Iterator<Item = &str> {
        self.params
            .get(common_keys::METHODS)
            .map_or("", String::as_str)
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
    }

    /// The provider URL a consumer calls for this service on an instance at `host:port`
    /// (what Java's `InstanceAddressURL` stands for): this service's protocol (`dubbo` when it
    /// has none) and path (else its name), its parameters, and `interface`, `group` and
    /// `version` parameters from its fields when the parameters lack them.
    pub fn to_provider_url(&self, host: &str, port: u16) -> Url {
        let protocol = self
            .protocol
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or(values::DUBBO_PROTOCOL);
        let path = self
            .path
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or(&self.name);
        let mut builder = Url::builder(protocol)
            .host(host)
            .port(port)
            .path(path)
            .params(self.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let identity = [
            (common_keys::INTERFACE, Some(self.name.as_str())),
            (common_keys::GROUP, self.group.as_deref()),
            (common_keys::VERSION, self.version.as_deref()),
        ];
        for (key, value) in identity {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                if !self.params.contains_key(key) {
                    builder = builder.param(key, value);
                }
            }
        }
        builder.build()
    }
}
