//! `MetadataInfo` as JSON: the content of `/dubbo/metadata/<application>/<revision>` in the
//! metadata report (`metadata-type=remote`).
//!
//! Written as Dubbo Java 3.2+ writes it with its default JSON library (fastjson2, which Java's
//! `JsonUtils` prefers when it is present): every object's keys in alphabetical order —
//! `app`, `revision`, `services`; per service `group`, `name`, `params`, `path`, `port`,
//! `protocol`, `version` — and `null`s left out. Java writes `services` and `params` in hash-map
//! order; they are sorted here so that the output is stable. Read by name, ignoring unknown
//! keys (`tag` and `lastUpdatedTime` from dubbo-go, whatever else a Java JSON library adds),
//! so Java's other libraries (Gson writes the fields in declaration order) and dubbo-go are
//! understood.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{MetadataError, Result};
use crate::json;
use crate::metadata_info::MetadataInfo;
use crate::revision::java_cmp;
use crate::service_info::ServiceInfo;

const WHAT: &str = "metadata info JSON";

impl MetadataInfo {
    /// The JSON Dubbo Java publishes to the metadata report for this application.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(256 + 256 * self.services().len());
        out.push('{');
        json::push_key(&mut out, "app");
        json::push_str(&mut out, self.app());
        if let Some(revision) = self.revision() {
            out.push(',');
            json::push_key(&mut out, "revision");
            json::push_str(&mut out, revision);
        }
        out.push(',');
        json::push_key(&mut out, "services");
        out.push('{');
        let mut services: Vec<(&String, &ServiceInfo)> = self.services().iter().collect();
        services.sort_by(|a, b| java_cmp(a.0, b.0));
        for (i, (key, service)) in services.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::push_key(&mut out, key);
            push_service(&mut out, service);
        }
        out.push_str("}}");
        out
    }

    /// Reads the JSON of the metadata report (written by Dubbo Java or dubbo-go). A service
    /// without `port` gets `-1`, as Java's field default gives it.
    pub fn from_json(bytes: &[u8]) -> Result<MetadataInfo> {
        let root = json::parse(WHAT, bytes)?;
        let obj = json::as_object(WHAT, &root, "the document")?;
        let app = json::opt_string(WHAT, obj, "app")?.unwrap_or_default();
        let revision = json::opt_string(WHAT, obj, "revision")?;
        let mut services = BTreeMap::new();
        match obj.get("services") {
            None | Some(Value::Null) => {}
            Some(v) => {
                for (key, service) in json::as_object(WHAT, v, "services")? {
                    let service = json::as_object(WHAT, service, "a service")?;
                    services.insert(key.clone(), read_service(service, key)?);
                }
            }
        }
        Ok(MetadataInfo::from_parts(app, revision, services))
    }
}

fn push_service(out: &mut String, s: &ServiceInfo) {
    out.push('{');
    if let Some(group) = s.group.as_deref() {
        json::push_key(out, "group");
        json::push_str(out, group);
        out.push(',');
    }
    json::push_key(out, "name");
    json::push_str(out, &s.name);
    out.push(',');
    json::push_key(out, "params");
    json::push_sorted_map(out, s.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if let Some(path) = s.path.as_deref() {
        out.push(',');
        json::push_key(out, "path");
        json::push_str(out, path);
    }
    out.push(',');
    json::push_key(out, "port");
    out.push_str(&s.port.to_string());
    for (key, value) in [
        ("protocol", s.protocol.as_deref()),
        ("version", s.version.as_deref()),
    ] {
        if let Some(value) = value {
            out.push(',');
            json::push_key(out, key);
            json::push_str(out, value);
        }
    }
    out.push('}');
}

fn read_service(obj: &Map<String, Value>, key: &str) -> Result<ServiceInfo> {
    let port = match json::opt_i64(WHAT, obj, "port")? {
        None => -1,
        Some(p) => i32::try_from(p).map_err(|_| {
            MetadataError::invalid(WHAT, format!("service {key:?}: port {p} out of range"))
        })?,
    };
    Ok(ServiceInfo {
        name: json::opt_string(WHAT, obj, "name")?.ok_or_else(|| {
            MetadataError::invalid(WHAT, format!("service {key:?} has no `name`"))
        })?,
        group: json::opt_string(WHAT, obj, "group")?,
        version: json::opt_string(WHAT, obj, "version")?,
        protocol: json::opt_string(WHAT, obj, "protocol")?,
        port,
        path: json::opt_string(WHAT, obj, "path")?,
        params: json::string_map(WHAT, obj, "params")?,
    })
}
