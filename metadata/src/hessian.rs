//! `MetadataInfo` as a Hessian value: what `MetadataService.getMetadataInfo(String revision)`
//! returns over dubbo.
//!
//! Dubbo Java (hessian-lite's `UnsafeSerializer`, or `JavaSerializer`, which orders fields the
//! same way) writes every non-static, non-transient field: those of primitive or `java.lang`
//! types first, then the others, each group in declaration order — and then **reverses** the
//! whole list. So:
//!
//! * `org.apache.dubbo.metadata.MetadataInfo`: `services`, `revision`, `app`; `services` is a
//!   `java.util.concurrent.ConcurrentHashMap` (a typed map) from match key to service;
//! * `org.apache.dubbo.metadata.MetadataInfo$ServiceInfo`: `params`, `path`, `port`,
//!   `protocol`, `version`, `group`, `name`; `params` is a `HashMap` (an untyped map) of
//!   strings and `port` an `int`.
//!
//! `null` fields are written as `N`. Java writes map entries in hash order; they are sorted
//! here. Readers match fields by name, never by position. dubbo-go writes the same classes with
//! the fields in declaration order and an extra `tag`, an untyped `services` map and `port` as a
//! long; both are read here. An unknown revision is answered with `null`.

use std::collections::BTreeMap;

use oxidubbo_hessian2::{Map, Object, Value};

use crate::error::{MetadataError, Result};
use crate::metadata_info::MetadataInfo;
use crate::revision::java_cmp;
use crate::service_info::ServiceInfo;

/// Java class of `MetadataInfo`.
pub const METADATA_INFO_CLASS: &str = "org.apache.dubbo.metadata.MetadataInfo";
/// Java class of `MetadataInfo.ServiceInfo`.
pub const SERVICE_INFO_CLASS: &str = "org.apache.dubbo.metadata.MetadataInfo$ServiceInfo";
/// The map type Java gives `MetadataInfo.services`.
pub const SERVICES_MAP_TYPE: &str = "java.util.concurrent.ConcurrentHashMap";

const WHAT: &str = "metadata info (hessian)";

impl MetadataInfo {
    /// The Hessian value Dubbo Java returns from `getMetadataInfo` for this application.
    pub fn to_hessian(&self) -> Value {
        let mut services: Vec<(&String, &ServiceInfo)> = self.services().iter().collect();
        services.sort_by(|a, b| java_cmp(a.0, b.0));
        let services = Map {
            type_name: Some(SERVICES_MAP_TYPE.into()),
            entries: services
                .into_iter()
                .map(|(k, s)| (Value::from(k.as_str()), service_to_hessian(s)))
                .collect(),
        };
        Value::Object(Object::new(
            METADATA_INFO_CLASS,
            vec![
                ("services".into(), Value::Map(services)),
                ("revision".into(), Value::from(self.revision())),
                ("app".into(), Value::from(self.app())),
            ],
        ))
    }

    /// Reads the value `getMetadataInfo` returned: `Ok(None)` for `null` (the provider does not
    /// know the revision). An object of another class, a back-reference or a field of the
    /// wrong type is an error.
    pub fn from_hessian(value: &Value) -> Result<Option<MetadataInfo>> {
        let fields = match value {
            Value::Null => return Ok(None),
            other => fields_of(other, METADATA_INFO_CLASS, "the result")?,
        };
        let app = opt_text(&fields, "app")?.unwrap_or_default();
        let revision = opt_text(&fields, "revision")?;
        let mut services = BTreeMap::new();
        match fields.get("services") {
            None | Some(Value::Null) => {}
            Some(Value::Map(map)) => {
                for (key, service) in &map.entries {
                    let key = key.as_str().ok_or_else(|| {
                        MetadataError::invalid(WHAT, "a key of `services` is not a string")
                    })?;
                    services.insert(key.to_owned(), service_from_hessian(service, key)?);
                }
            }
            Some(_) => return Err(MetadataError::invalid(WHAT, "`services` is not a map")),
        }
        Ok(Some(MetadataInfo::from_parts(app, revision, services)))
    }
}

fn service_to_hessian(s: &ServiceInfo) -> Value {
    let mut params: Vec<(&String, &String)> = s.params.iter().collect();
    params.sort_by(|a, b| java_cmp(a.0, b.0));
    let params = Map::untyped(
        params
            .into_iter()
            .map(|(k, v)| (Value::from(k.as_str()), Value::from(v.as_str())))
            .collect(),
    );
    Value::Object(Object::new(
        SERVICE_INFO_CLASS,
        vec![
            ("params".into(), Value::Map(params)),
            ("path".into(), Value::from(s.path.as_deref())),
            ("port".into(), Value::Int(s.port)),
            ("protocol".into(), Value::from(s.protocol.as_deref())),
            ("version".into(), Value::from(s.version.as_deref())),
            ("group".into(), Value::from(s.group.as_deref())),
            ("name".into(), Value::from(s.name.as_str())),
        ],
    ))
}

fn service_from_hessian(value: &Value, key: &str) -> Result<ServiceInfo> {
    let fields = fields_of(value, SERVICE_INFO_CLASS, key)?;
    let port = match fields.get("port") {
        None | Some(Value::Null) => -1,
        Some(v) => v
            .as_i64()
            .and_then(|p| i32::try_from(p).ok())
            .ok_or_else(|| {
                MetadataError::invalid(WHAT, format!("service {key:?}: `port` is not an int"))
            })?,
    };
    let mut params = BTreeMap::new();
    match fields.get("params") {
        None | Some(Value::Null) => {}
        Some(Value::Map(map)) => {
            for (k, v) in &map.entries {
                let k = k.as_str().ok_or_else(|| {
                    MetadataError::invalid(
                        WHAT,
                        format!("service {key:?}: a parameter name is not a string"),
                    )
                })?;
                if let Some(v) = text(v).map_err(|_| {
                    MetadataError::invalid(
                        WHAT,
                        format!("service {key:?}: parameter `{k}` is not a string"),
                    )
                })? {
                    params.insert(k.to_owned(), v);
                }
            }
        }
        Some(_) => {
            return Err(MetadataError::invalid(
                WHAT,
                format!("service {key:?}: `params` is not a map"),
            ));
        }
    }
    Ok(ServiceInfo {
        name: opt_text(&fields, "name")?.ok_or_else(|| {
            MetadataError::invalid(WHAT, format!("service {key:?} has no `name`"))
        })?,
        group: opt_text(&fields, "group")?,
        version: opt_text(&fields, "version")?,
        protocol: opt_text(&fields, "protocol")?,
        port,
        path: opt_text(&fields, "path")?,
        params,
    })
}

/// The named fields of an object of `class`, or of a map with string keys.
fn fields_of<'a>(
    value: &'a Value,
    class: &str,
    name: &str,
) -> Result<BTreeMap<&'a str, &'a Value>> {
    match value {
        Value::Object(obj) if obj.class_name == class => {
            Ok(obj.fields.iter().map(|(k, v)| (k.as_str(), v)).collect())
        }
        Value::Object(obj) => Err(MetadataError::invalid(
            WHAT,
            format!("{name} is a {}, not a {class}", obj.class_name),
        )),
        Value::Map(map) => map
            .entries
            .iter()
            .map(|(k, v)| {
                k.as_str().map(|k| (k, v)).ok_or_else(|| {
                    MetadataError::invalid(WHAT, format!("{name}: a field name is not a string"))
                })
            })
            .collect(),
        Value::Ref(_) => Err(MetadataError::invalid(
            WHAT,
            format!("{name} is a back-reference, which this reader does not follow"),
        )),
        _ => Err(MetadataError::invalid(
            WHAT,
            format!("{name} is not a {class}"),
        )),
    }
}

fn opt_text(fields: &BTreeMap<&str, &Value>, field: &str) -> Result<Option<String>> {
    match fields.get(field) {
        None => Ok(None),
        Some(v) => {
            text(v).map_err(|()| MetadataError::invalid(WHAT, format!("`{field}` is not a string")))
        }
    }
}

/// A string (or a number or bool, as text); `null` is `None`.
fn text(v: &Value) -> std::result::Result<Option<String>, ()> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.to_string())),
        Value::Int(i) => Ok(Some(i.to_string())),
        Value::Long(l) => Ok(Some(l.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err(()),
    }
}
