//! The two JSON values inside an instance's metadata: `dubbo.endpoints` and
//! `dubbo.metadata-service.url-params`.

use std::collections::BTreeMap;

use oxidubbo_common::{Url, keys as common_keys};

use crate::error::{MetadataError, Result};
use crate::json;

/// One protocol an instance serves and its port (`DefaultServiceInstance.Endpoint`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// The port.
    pub port: u16,
    /// The protocol name (`dubbo`, `tri`, …).
    pub protocol: String,
}

/// `dubbo.endpoints`: `[{"port":20880,"protocol":"dubbo"},…]`, as Java and dubbo-go write it.
pub fn endpoints_json(endpoints: &[Endpoint]) -> String {
    let mut out = String::from("[");
    for (i, e) in endpoints.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        json::push_key(&mut out, "port");
        out.push_str(&e.port.to_string());
        out.push(',');
        json::push_key(&mut out, "protocol");
        json::push_str(&mut out, &e.protocol);
        out.push('}');
    }
    out.push(']');
    out
}

/// Reads `dubbo.endpoints`. An entry without a protocol or a port is an error.
pub fn parse_endpoints(text: &str) -> Result<Vec<Endpoint>> {
    const WHAT: &str = "dubbo.endpoints";
    let root = json::parse(WHAT, text.as_bytes())?;
    let list = root
        .as_array()
        .ok_or_else(|| MetadataError::invalid(WHAT, "not a JSON list"))?;
    list.iter()
        .map(|entry| {
            let obj = json::as_object(WHAT, entry, "an endpoint")?;
            Ok(Endpoint {
                port: json::opt_port(WHAT, obj, "port")?
                    .ok_or_else(|| MetadataError::invalid(WHAT, "an endpoint has no `port`"))?,
                protocol: json::string(WHAT, obj, "protocol")?,
            })
        })
        .collect()
}

/// The keys Java copies, in this order, into `dubbo.metadata-service.url-params`: its
/// `RegistryProtocol.DEFAULT_REGISTER_PROVIDER_KEYS` without `application`, `deprecated` and
/// `group`, which it removes from the URL first (with `timestamp`).
const URL_PARAMS_KEYS: [&str; 23] = [
    "codec",
    "exchanger",
    "serialization",
    "prefer.serialization",
    "cluster",
    "connections",
    "loadbalance",
    "mock",
    "path",
    "timeout",
    "token",
    "version",
    "warmup",
    "weight",
    "dubbo",
    "release",
    "side",
    "ipv6",
    "serialize.packable.factory",
    "auth",
    "authenticator",
    "username",
    "password",
];

/// `dubbo.metadata-service.url-params` for the exported `MetadataService` URL, exactly as Dubbo
/// Java writes it (`ServiceInstanceMetadataUtils.getMetadataServiceParameter`): the non-blank
/// values of `codec`, `exchanger`, `serialization`, `prefer.serialization`, `cluster`,
/// `connections`, `loadbalance`, `mock`, `path`, `timeout`, `token`, `version`, `warmup`,
/// `weight`, `dubbo`, `release`, `side`, `ipv6`, `serialize.packable.factory`, `auth`,
/// `authenticator`, `username`, `password`, in this order, then `port` and `protocol` —
/// and `ssl-enabled` when the service is served over TLS (oxidubbo's addition).
pub fn metadata_service_url_params(exported: &Url) -> String {
    let port = exported.port().to_string();
    let mut entries: Vec<(&str, &str)> = URL_PARAMS_KEYS
        .iter()
        .filter_map(|k| {
            exported
                .param(k)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (*k, v))
        })
        .collect();
    entries.push(("port", &port));
    entries.push(("protocol", exported.protocol()));
    // Not in Java's list, but without it a consumer would call a TLS port in plaintext.
    if exported.bool_param(common_keys::SSL_ENABLED, false) {
        entries.push((common_keys::SSL_ENABLED, "true"));
    }
    let mut out = String::new();
    json::push_map(&mut out, entries);
    out
}

/// Reads `dubbo.metadata-service.url-params` (a JSON object of strings).
pub fn parse_metadata_service_url_params(text: &str) -> Result<BTreeMap<String, String>> {
    const WHAT: &str = "dubbo.metadata-service.url-params";
    let root = json::parse(WHAT, text.as_bytes())?;
    json::object_of_strings(WHAT, &root, "the document")
}
