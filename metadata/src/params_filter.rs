//! Which provider URL parameters go into a `ServiceInfo` and which into the instance's
//! metadata (Dubbo Java's `MetadataParamsFilter`).

use std::collections::{BTreeMap, BTreeSet};

use oxidubbo_common::{Url, keys as common_keys};

/// One `MetadataParamsFilter`: four lists of parameter keys.
///
/// A filter *includes* or *excludes*, and including wins: when any active filter includes
/// service parameters, exactly those (and their `<method>.<key>` forms) are kept, whatever is
/// excluded; otherwise every parameter is kept except the excluded ones, where a key is
/// excluded if it equals an excluded name ignoring case or contains `.` + that name (so
/// excluding `timeout` also drops `sayHello.timeout`). The lists of several active filters are
/// united. With no active filter at all, every parameter is kept; with active filters that list
/// nothing, none is. Instance parameters work the same way, but exclusion is by exact key.
///
/// Dubbo Java activates [`ParamsFilter::dubbo_default`] (extension `dubbo`) unless the URL's
/// `params-filter` removes it (`-dubbo`, or `-default` for every default filter).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParamsFilter {
    /// Service parameters to keep.
    pub service_included: Vec<String>,
    /// Service parameters to drop (when no filter includes any).
    pub service_excluded: Vec<String>,
    /// Parameters to copy into the instance's metadata.
    pub instance_included: Vec<String>,
    /// Parameters not to copy into the instance's metadata (when no filter includes any).
    pub instance_excluded: Vec<String>,
}

impl ParamsFilter {
    /// Dubbo Java's `DefaultMetadataParamsFilter`: services keep every parameter except
    /// `monitor`, `bind.ip`, `bind.port`, `qos.enable`, `qos.host`, `qos.port`,
    /// `qos.accept.foreign.ip`, `validation`, `interfaces`, `pid`, `timestamp`,
    /// `heartbeat.timeout` and `ipv6`; the instance gets `heartbeat.timeout`, `timestamp` and
    /// `ipv6`.
    pub fn dubbo_default() -> Self {
        let strings = |keys: &[&str]| keys.iter().map(|k| (*k).to_owned()).collect();
        ParamsFilter {
            service_included: Vec::new(),
            service_excluded: strings(&[
                "monitor",
                "bind.ip",
                "bind.port",
                "qos.enable",
                "qos.host",
                "qos.port",
                "qos.accept.foreign.ip",
                "validation",
                "interfaces",
                common_keys::PID,
                common_keys::TIMESTAMP,
                common_keys::HEARTBEAT_TIMEOUT,
                "ipv6",
            ]),
            instance_included: strings(&[
                common_keys::HEARTBEAT_TIMEOUT,
                common_keys::TIMESTAMP,
                "ipv6",
            ]),
            instance_excluded: Vec::new(),
        }
    }
}

/// The union of one kind of list over all filters.
fn union<'a>(
    filters: &'a [ParamsFilter],
    list: impl Fn(&'a ParamsFilter) -> &'a Vec<String>,
) -> BTreeSet<&'a str> {
    filters
        .iter()
        .flat_map(|f| list(f).iter().map(String::as_str))
        .collect()
}

/// The service parameters a `ServiceInfo` keeps from `url` (`ServiceInfo.extractServiceParams`).
pub(crate) fn service_params(url: &Url, filters: &[ParamsFilter]) -> BTreeMap<String, String> {
    if filters.is_empty() {
        return url
            .params()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    }
    let included = union(filters, |f| &f.service_included);
    let excluded = union(filters, |f| &f.service_excluded);
    let mut params = BTreeMap::new();
    if !included.is_empty() {
        let methods = method_names(url);
        for key in included {
            if let Some(value) = url.param(key).filter(|v| !v.is_empty()) {
                params
                    .entry(key.to_owned())
                    .or_insert_with(|| value.to_owned());
            }
            for method in &methods {
                if let Some(value) = method_param_strict(url, method, key) {
                    params.insert(format!("{method}.{key}"), value.to_owned());
                }
            }
        }
    } else if !excluded.is_empty() {
        for (key, value) in url.params() {
            let drop = excluded
                .iter()
                .any(|ex| key.eq_ignore_ascii_case(ex) || contains_dotted(key, ex));
            if !drop {
                params.insert(key.to_owned(), value.to_owned());
            }
        }
    }
    params
}

/// The parameters `url` gives the instance's metadata (`MetadataInfo.extractInstanceParams`).
pub(crate) fn instance_params(url: &Url, filters: &[ParamsFilter]) -> Vec<(String, String)> {
    if filters.is_empty() {
        return Vec::new();
    }
    let included = union(filters, |f| &f.instance_included);
    let excluded = union(filters, |f| &f.instance_excluded);
    if !included.is_empty() {
        included
            .into_iter()
            .filter_map(|key| url.param(key).map(|v| (key.to_owned(), v.to_owned())))
            .collect()
    } else if !excluded.is_empty() {
        url.params()
            .filter(|(key, _)| !excluded.contains(key))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    } else {
        Vec::new()
    }
}

/// Java's `key.contains("." + excluded)`, without building the needle.
fn contains_dotted(key: &str, excluded: &str) -> bool {
    key.match_indices('.').any(|(i, _)| {
        key.get(i + 1..)
            .is_some_and(|rest| rest.starts_with(excluded))
    })
}

/// The `methods` parameter, split on commas.
fn method_names(url: &Url) -> Vec<&str> {
    url.param(common_keys::METHODS)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .collect()
}

/// `<method>.<key>` (Java's form), else `methods.<method>.<key>` (dubbo-go's), if not empty;
/// never the service-level value (Java's `getMethodParameterStrict`).
fn method_param_strict<'a>(url: &'a Url, method: &str, key: &str) -> Option<&'a str> {
    [
        format!("{method}.{key}"),
        format!("{}{method}.{key}", common_keys::METHODS_PREFIX),
    ]
    .iter()
    .find_map(|k| url.param(k).filter(|v| !v.is_empty()))
}
