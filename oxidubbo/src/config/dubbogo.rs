//! dubbo-go 3's YAML configuration (`dubbogo.yml`), read into the same [`Config`](super::Config) as
//! oxidubbo's TOML, so a Go service's configuration file runs unchanged.
//!
//! [`Config::from_file`](super::Config::from_file) reads a file whose name ends in `.yml` or `.yaml` this way;
//! `oxidubbo config import dubbogo.yml` prints the equivalent TOML.
//!
//! ```
//! use oxidubbo::config::Config;
//!
//! let yaml = "\
//! dubbo:
//!   registries:
//!     demoZK:
//!       protocol: zookeeper
//!       address: 127.0.0.1:2181
//!       timeout: 3s
//!   consumer:
//!     references:
//!       GreeterClientImpl:
//!         interface: com.apache.dubbo.sample.basic.IGreeter
//!         sticky: true
//! ";
//! let config = Config::from_dubbogo_str(yaml, "dubbogo.yml", std::iter::empty()).unwrap();
//! assert_eq!(config.registries["demoZK"].address, "zookeeper://127.0.0.1:2181");
//! assert_eq!(config.registries["demoZK"].timeout, Some(3000));
//! assert_eq!(config.references["GreeterClientImpl"].timeout, Some(3000)); // request-timeout: 3s
//! let warning = &config.warnings()[0];
//! assert_eq!((warning.line, warning.key.as_str()), (11, "dubbo.consumer.references.GreeterClientImpl.sticky"));
//! ```
//!
//! # What is read
//!
//! Keys are dubbo-go's (its `yaml:` names), and so are the defaults where they differ
//! from oxidubbo's own: an application named `dubbo.io`; protocols named `tri` unless
//! they say otherwise; registries with a 5 s timeout whose `registry-type` chooses
//! application-level discovery by default (`service`: `register-mode = "instance"`,
//! `migration-step = "FORCE_APPLICATION"`; `interface`: interface level only; `all`:
//! both); references with a 3 s timeout (`consumer.request-timeout`) and `check` off;
//! a 60 s graceful shutdown. Durations are Go's (`3s`, `500ms`, `1m30s`); a bare number
//! is milliseconds.
//!
//! Every key oxidubbo does not apply — a dubbo-go key of a feature it lacks, or a key
//! dubbo-go does not have — becomes a [`ConfigWarning`] with its file, line and column
//! (logged by [`Config::from_file`](super::Config::from_file), kept in [`Config::warnings`](super::Config::warnings)); none is dropped
//! silently.
//!
//! # Placeholders
//!
//! A value `${NAME}` or `${NAME:default}` (anywhere in a string) is replaced by the
//! environment variable `NAME`, else — as dubbo-go resolves it — by the value of the
//! file's key at the dotted path `NAME` (`${dubbo.application.name}`), else by `default`.
//! A placeholder with none of the three is an error.

use std::collections::BTreeMap;
use std::fmt;

use toml::{Table, Value};

use super::yaml::{self, Kind, Pos, Yaml};
use super::{ConfigError, error_key};

/// dubbo-go's default application name.
pub const DUBBOGO_APPLICATION: &str = "dubbo.io";
/// dubbo-go's default registry timeout, milliseconds (`5s`).
pub const DUBBOGO_REGISTRY_TIMEOUT_MS: u64 = 5_000;
/// dubbo-go's default consumer request timeout, milliseconds (`3s`).
pub const DUBBOGO_REQUEST_TIMEOUT_MS: u64 = 3_000;
/// dubbo-go's default graceful-shutdown timeout, milliseconds (`60s`).
pub const DUBBOGO_SHUTDOWN_TIMEOUT_MS: u64 = 60_000;

/// A key of a dubbo-go file that oxidubbo reads but does not apply, located.
///
/// ```text
/// dubbogo.yml:14:9: dubbo.consumer.references.GreeterClientImpl.sticky: not supported by oxidubbo; ignored
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The file's name as it was given.
    pub file: String,
    /// The line (1-based) of the key.
    pub line: usize,
    /// The column (1-based) of the key.
    pub column: usize,
    /// The dotted key path in the file, e.g. `dubbo.registries.zk.ttl`.
    pub key: String,
    /// Why the key is not applied.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, self.key, self.message
        )
    }
}

/// Where one key of the resulting configuration came from in the YAML file.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    /// The key path in [`Config`](super::Config)'s (TOML) terms.
    pub(crate) toml: Vec<String>,
    /// The key path in the YAML file.
    pub(crate) yaml: String,
    pub(crate) pos: Pos,
}

/// What reading a dubbo-go file gives: the configuration's table, where each of its keys
/// came from, and the warnings.
pub(crate) struct Imported {
    pub(crate) table: Table,
    pub(crate) locations: Vec<Location>,
    pub(crate) warnings: Vec<ConfigWarning>,
}

const NOT_SUPPORTED: &str = "not supported by oxidubbo; ignored";
const NOT_DUBBOGO: &str = "not a dubbo-go key; ignored";

/// The placeholder values: the environment, then the file's own keys.
struct Resolver<'a> {
    env: BTreeMap<String, String>,
    root: &'a Yaml,
}

impl Resolver<'_> {
    /// `text` with its `${NAME}` / `${NAME:default}` placeholders replaced.
    fn resolve(&self, text: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(format!("unclosed placeholder in {text:?}"));
            };
            let inner = &after[..end];
            let (name, default) = match inner.split_once(':') {
                Some((n, d)) => (n.trim(), Some(d.trim())),
                None => (inner.trim(), None),
            };
            let value = self
                .env
                .get(name)
                .map(String::as_str)
                .or_else(|| self.root.scalar_at(name))
                .or(default);
            match value {
                Some(v) => out.push_str(v),
                None => {
                    return Err(format!(
                        "${{{name}}} is neither an environment variable nor a key of the file, and has no default (${{{name}:default}})"
                    ));
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

struct Reader<'a> {
    file: &'a str,
    resolver: Resolver<'a>,
    table: Table,
    locations: Vec<Location>,
    warnings: Vec<ConfigWarning>,
    /// `dubbo.application.metadata-type`, for every registry.
    metadata_type: Option<(String, Pos, String)>,
}

/// A mapping's entries: `(key, key position, value, yaml path)`.
type Entries<'y> = Vec<(&'y str, Pos, &'y Yaml, String)>;

impl<'a> Reader<'a> {
    fn error(&self, pos: Pos, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            line: pos.line,
            column: pos.column,
            ..ConfigError::new(self.file, key, message)
        }
    }

    fn warn(&mut self, pos: Pos, key: &str, message: impl Into<String>) {
        self.warnings.push(ConfigWarning {
            file: self.file.to_owned(),
            line: pos.line,
            column: pos.column,
            key: key.to_owned(),
            message: message.into(),
        });
    }

    /// The entries of a mapping (none for null); another node is an error.
    fn entries<'y>(&self, node: &'y Yaml, path: &str) -> Result<Entries<'y>, ConfigError> {
        match &node.kind {
            Kind::Map(entries) => Ok(entries
                .iter()
                .map(|(k, p, v)| (k.as_str(), *p, v, format!("{path}.{k}")))
                .collect()),
            _ if node.is_null() => Ok(Vec::new()),
            _ => Err(self.error(node.pos, path, "expected a mapping")),
        }
    }

    /// A scalar's text, placeholders resolved (`None` for null).
    fn text(&self, node: &Yaml, path: &str) -> Result<Option<String>, ConfigError> {
        if node.is_null() {
            return Ok(None);
        }
        match &node.kind {
            Kind::Scalar { text, .. } => self
                .resolver
                .resolve(text)
                .map(Some)
                .map_err(|m| self.error(node.pos, path, m)),
            _ => Err(self.error(node.pos, path, "expected a single value")),
        }
    }

    /// A list of names: a YAML sequence or a comma-separated string.
    fn list(&self, node: &Yaml, path: &str) -> Result<Vec<String>, ConfigError> {
        let items: Vec<String> = match &node.kind {
            Kind::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(self.text(item, path)?);
                }
                out
            }
            _ => self.text(node, path)?.into_iter().collect(),
        };
        Ok(items
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect())
    }

    fn parse<T>(&self, node: &Yaml, path: &str, what: &str) -> Result<Option<T>, ConfigError>
    where
        T: std::str::FromStr,
    {
        let Some(text) = self.text(node, path)? else {
            return Ok(None);
        };
        text.trim()
            .parse::<T>()
            .map(Some)
            .map_err(|_| self.error(node.pos, path, format!("{text:?} is not {what}")))
    }

    fn duration(&self, node: &Yaml, path: &str) -> Result<Option<u64>, ConfigError> {
        let Some(text) = self.text(node, path)? else {
            return Ok(None);
        };
        duration_ms(&text)
            .map(Some)
            .map_err(|m| self.error(node.pos, path, m))
    }

    fn boolean(&self, node: &Yaml, path: &str) -> Result<Option<bool>, ConfigError> {
        let Some(text) = self.text(node, path)? else {
            return Ok(None);
        };
        match text.trim() {
            "true" | "True" | "TRUE" | "t" | "T" | "1" => Ok(Some(true)),
            "false" | "False" | "FALSE" | "f" | "F" | "0" => Ok(Some(false)),
            _ => Err(self.error(node.pos, path, format!("{text:?} is not a boolean"))),
        }
    }

    /// Sets `value` at `toml` in the configuration, remembering where it came from.
    fn set(&mut self, toml: &[&str], value: Value, yaml: &str, pos: Pos) {
        let Some((last, parents)) = toml.split_last() else {
            return;
        };
        let mut current = &mut self.table;
        for segment in parents {
            let entry = current
                .entry((*segment).to_owned())
                .or_insert_with(|| Value::Table(Table::new()));
            if !entry.is_table() {
                *entry = Value::Table(Table::new());
            }
            let Value::Table(t) = entry else {
                return;
            };
            current = t;
        }
        current.insert((*last).to_owned(), value);
        self.locations.push(Location {
            toml: toml.iter().map(|s| (*s).to_owned()).collect(),
            yaml: yaml.to_owned(),
            pos,
        });
    }

    fn has(&self, toml: &[&str]) -> bool {
        let mut current = &self.table;
        for (i, segment) in toml.iter().enumerate() {
            match current.get(*segment) {
                Some(Value::Table(t)) => current = t,
                Some(_) => return i + 1 == toml.len(),
                None => return false,
            }
        }
        true
    }

    fn set_text(&mut self, toml: &[&str], node: &Yaml, path: &str) -> Result<(), ConfigError> {
        if let Some(text) = self.text(node, path)? {
            self.set(toml, Value::String(text), path, node.pos);
        }
        Ok(())
    }

    /// `params`: a mapping of scalars, each kept as a string parameter.
    fn params(&mut self, toml: &[&str], node: &Yaml, path: &str) -> Result<(), ConfigError> {
        for (key, kpos, value, vpath) in self.entries(node, path)? {
            match &value.kind {
                Kind::Scalar { .. } => {
                    if let Some(text) = self.text(value, &vpath)? {
                        let mut full = toml.to_vec();
                        full.push(key);
                        self.set(&full, Value::String(text), &vpath, kpos);
                    }
                }
                _ => self.warn(kpos, &vpath, "a parameter must be a single value; ignored"),
            }
        }
        Ok(())
    }

    fn read(mut self, root: &Yaml) -> Result<Imported, ConfigError> {
        let mut dubbo = None;
        for (key, kpos, value, _) in self.entries(root, "")? {
            if key == "dubbo" {
                dubbo = Some(value);
            } else {
                self.warn(
                    kpos,
                    key,
                    "outside `dubbo`: not read by dubbo-go nor oxidubbo (usable in ${…} placeholders)",
                );
            }
        }
        if let Some(app) = dubbo.and_then(|d| match &d.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _, _)| k == "application"),
            _ => None,
        }) {
            self.application(&app.2, "dubbo.application")?;
        }
        let mut consumer = None;
        let mut provider = None;
        let mut protocols_given = false;
        if let Some(dubbo) = dubbo {
            for (key, kpos, value, path) in self.entries(dubbo, "dubbo")? {
                match key {
                    "application" => {} // read first: registries need its metadata-type
                    "registries" => self.registries(value, &path)?,
                    "protocols" => {
                        protocols_given = true;
                        self.protocols(value, &path)?;
                    }
                    "provider" => provider = Some((value, path)),
                    "consumer" => consumer = Some((value, path)),
                    "metrics" => self.metrics(value, &path)?,
                    "tracing" => self.tracing(value, &path)?,
                    "otel" => self.otel(value, &path)?,
                    "shutdown" => self.shutdown(value, &path)?,
                    "tls_config" => {
                        for (_, kpos, _, path) in self.entries(value, &path)? {
                            self.warn(kpos, &path, "TLS is not supported by oxidubbo yet; ignored");
                        }
                    }
                    "config-center"
                    | "metadata-report"
                    | "logger"
                    | "router"
                    | "custom"
                    | "profiles"
                    | "event-dispatcher-type"
                    | "cache_file" => self.warn(kpos, &path, NOT_SUPPORTED),
                    _ => self.warn(kpos, &path, NOT_DUBBOGO),
                }
            }
        }
        let mut has_services = false;
        if let Some((node, path)) = provider {
            has_services = self.provider(node, &path)?;
        }
        if let Some((node, path)) = consumer {
            self.consumer(node, &path)?;
        }
        // dubbo-go's defaults where they differ from oxidubbo's.
        if !self.has(&["application", "name"]) {
            self.table
                .entry("application")
                .or_insert_with(|| Value::Table(Table::new()));
            if let Some(Value::Table(app)) = self.table.get_mut("application") {
                app.insert("name".into(), Value::String(DUBBOGO_APPLICATION.into()));
            }
        }
        if !self.has(&["shutdown", "timeout"]) {
            let pos = Pos::default();
            self.set(
                &["shutdown", "timeout"],
                Value::Integer(DUBBOGO_SHUTDOWN_TIMEOUT_MS as i64),
                "dubbo.shutdown.timeout",
                pos,
            );
        }
        if has_services && !protocols_given {
            // dubbo-go serves Triple on 50051 when no protocol is configured.
            self.set(
                &["protocols", "tri", "name"],
                Value::String("tri".into()),
                "dubbo.protocols",
                Pos::default(),
            );
        }
        Ok(Imported {
            table: self.table,
            locations: self.locations,
            warnings: self.warnings,
        })
    }

    fn application(&mut self, node: &Yaml, path: &str) -> Result<(), ConfigError> {
        for (key, kpos, value, path) in self.entries(node, path)? {
            match key {
                "name" => self.set_text(&["application", "name"], value, &path)?,
                "version" => self.set_text(&["application", "version"], value, &path)?,
                "organization" | "module" | "owner" | "environment" => {
                    self.set_text(&["application", "params", key], value, &path)?
                }
                "metadata-type" => {
                    // A registry setting in oxidubbo: applied to every registry.
                    if let Some(t) = self.text(value, &path)? {
                        self.metadata_type = Some((t, kpos, path));
                    }
                }
                "group" | "tag" | "metadata-service-port" | "metadata-service-protocol" => {
                    self.warn(kpos, &path, NOT_SUPPORTED)
                }
                _ => self.warn(kpos, &path, NOT_DUBBOGO),
            }
        }
        Ok(())
    }

    fn registries(&mut self, node: &Yaml, path: &str) -> Result<(), ConfigError> {
        for (id, idpos, registry, rpath) in self.entries(node, path)? {
            let mut protocol = None;
            let mut address = None;
            let mut registry_type = None;
            for (key, kpos, value, path) in self.entries(registry, &rpath)? {
                match key {
                    "protocol" => protocol = self.text(value, &path)?.map(|p| (p, value.pos)),
                    "address" => address = self.text(value, &path)?.map(|a| (a, value.pos, path)),
                    "timeout" => {
                        if let Some(ms) = self.duration(value, &path)? {
                            self.set(
                                &["registries", id, "timeout"],
                                Value::Integer(ms as i64),
                                &path,
                                kpos,
                            );
                        }
                    }
                    "group" => self.set_text(&["registries", id, "group"], value, &path)?,
                    "namespace" => {
                        // A parameter of the registry URL, as dubbo-go's.
                        self.set_text(&["registries", id, "params", "namespace"], value, &path)?
                    }
                    "registry-type" => {
                        registry_type = self.text(value, &path)?.map(|t| (t, kpos, path))
                    }
                    "params" => self.params(&["registries", id, "params"], value, &path)?,
                    "ttl"
                    | "username"
                    | "password"
                    | "simplified"
                    | "preferred"
                    | "zone"
                    | "weight"
                    | "use-as-meta-report"
                    | "use-as-config-center" => self.warn(kpos, &path, NOT_SUPPORTED),
                    _ => self.warn(kpos, &path, NOT_DUBBOGO),
                }
            }
            let Some((address, apos, apath)) = address else {
                return Err(self.error(idpos, &rpath, "missing key `address`"));
            };
            if address.trim().is_empty() || address.trim() == "N/A" {
                self.warn(
                    idpos,
                    &rpath,
                    "no address (N/A): dubbo-go runs without this registry, and so does oxidubbo",
                );
                continue;
            }
            let url = match (address.contains("://"), protocol) {
                (true, _) => address.trim().to_owned(),
                (false, Some((p, ppos))) => match p.trim() {
                    "zookeeper" | "memory" | "etcdv3" | "etcd" => {
                        format!("{}://{}", p.trim(), address.trim())
                    }
                    other => {
                        return Err(self.error(
                            ppos,
                            &format!("{rpath}.protocol"),
                            format!(
                                "registry protocol {other:?} is not supported by oxidubbo (zookeeper, etcdv3, memory)"
                            ),
                        ));
                    }
                },
                (false, None) => {
                    return Err(self.error(idpos, &rpath, "missing key `protocol`"));
                }
            };
            self.set(
                &["registries", id, "address"],
                Value::String(url),
                &apath,
                apos,
            );
            if !self.has(&["registries", id, "timeout"]) {
                self.set(
                    &["registries", id, "timeout"],
                    Value::Integer(DUBBOGO_REGISTRY_TIMEOUT_MS as i64),
                    &rpath,
                    idpos,
                );
            }
            let (kind, kpos, tpath) =
                registry_type.unwrap_or_else(|| ("service".to_owned(), idpos, rpath.clone()));
            let (mode, step) = match kind.trim() {
                "" | "service" => ("instance", "FORCE_APPLICATION"),
                "interface" => ("interface", "FORCE_INTERFACE"),
                "all" => ("all", "APPLICATION_FIRST"),
                other => {
                    return Err(self.error(
                        kpos,
                        &tpath,
                        format!("unknown registry-type {other:?} (service, interface, all)"),
                    ));
                }
            };
            self.set(
                &["registries", id, "register-mode"],
                Value::String(mode.into()),
                &tpath,
                kpos,
            );
            self.set(
                &["registries", id, "migration-step"],
                Value::String(step.into()),
                &tpath,
                kpos,
            );
            if let Some((t, pos, path)) = self.metadata_type.clone() {
                self.set(
                    &["registries", id, "metadata-type"],
                    Value::String(t),
                    &path,
                    pos,
                );
            }
        }
        Ok(())
    }

    fn protocols(&mut self, node: &Yaml, path: &str) -> Result<(), ConfigError> {
        for (id, idpos, protocol, ppath) in self.entries(node, path)? {
            let mut name = "tri".to_owned();
            let mut name_pos = (idpos, ppath.clone());
            for (key, kpos, value, path) in self.entries(protocol, &ppath)? {
                match key {
                    "name" => {
                        if let Some(n) = self.text(value, &path)? {
                            name = n.trim().to_owned();
                            name_pos = (kpos, path);
                        }
                    }
                    "ip" => self.set_text(&["protocols", id, "host"], value, &path)?,
                    "port" => {
                        if let Some(port) = self.parse::<u16>(value, &path, "a port")? {
                            self.set(
                                &["protocols", id, "port"],
                                Value::Integer(i64::from(port)),
                                &path,
                                kpos,
                            );
                        }
                    }
                    "params" => self.params(&["protocols", id, "params"], value, &path)?,
                    "triple" | "max-server-send-msg-size" | "max-server-recv-msg-size" => {
                        self.warn(kpos, &path, NOT_SUPPORTED)
                    }
                    _ => self.warn(kpos, &path, NOT_DUBBOGO),
                }
            }
            let (npos, npath) = name_pos;
            self.set(
                &["protocols", id, "name"],
                Value::String(name),
                &npath,
                npos,
            );
        }
        Ok(())
    }

    /// `methods`: a list of `{name, retries, loadbalance, weight, timeout}`, as Dubbo's
    /// method parameters `methods.<name>.<key>`.
    fn methods(&mut self, base: &[&str], node: &Yaml, path: &str) -> Result<(), ConfigError> {
        let items: Vec<&Yaml> = match &node.kind {
            Kind::Seq(items) => items.iter().collect(),
            _ if node.is_null() => Vec::new(),
            _ => return Err(self.error(node.pos, path, "expected a list of methods")),
        };
        for (i, method) in items.into_iter().enumerate() {
            let mpath = format!("{path}.{i}");
            let entries = self.entries(method, &mpath)?;
            let Some(name) = entries
                .iter()
                .find(|(k, _, _, _)| *k == "name")
                .map(|(_, _, v, p)| self.text(v, p))
                .transpose()?
                .flatten()
            else {
                return Err(self.error(method.pos, &mpath, "a method needs a `name`"));
            };
            for (key, kpos, value, vpath) in entries {
                let param = format!("methods.{name}.{key}");
                let mut full = base.to_vec();
                full.push("params");
                full.push(&param);
                match key {
                    "name" => {}
                    "retries" | "loadbalance" | "weight" => {
                        if let Some(text) = self.text(value, &vpath)? {
                            self.set(&full, Value::String(text), &vpath, kpos);
                        }
                    }
                    "timeout" => {
                        if let Some(ms) = self.duration(value, &vpath)? {
                            self.set(&full, Value::String(ms.to_string()), &vpath, kpos);
                        }
                    }
                    "tps.limit.interval"
                    | "tps.limit.rate"
                    | "tps.limit.strategy"
                    | "execute.limit"
                    | "execute.limit.rejected.handler"
                    | "sticky" => self.warn(kpos, &vpath, NOT_SUPPORTED),
                    _ => self.warn(kpos, &vpath, NOT_DUBBOGO),
                }
            }
        }
        Ok(())
    }

    /// `serialization`: kept as the URL parameter when oxidubbo speaks it.
    fn serialization(
        &mut self,
        base: &[&str],
        node: &Yaml,
        path: &str,
        kpos: Pos,
    ) -> Result<(), ConfigError> {
        let Some(text) = self.text(node, path)? else {
            return Ok(());
        };
        match text.trim() {
            "hessian2" | "protobuf" => {
                let mut full = base.to_vec();
                full.extend(["params", "serialization"]);
                self.set(&full, Value::String(text.trim().to_owned()), path, kpos);
            }
            other => self.warn(
                kpos,
                path,
                format!("serialization {other:?} is not supported by oxidubbo (hessian2, protobuf); ignored"),
            ),
        }
        Ok(())
    }

    /// Returns whether any service is configured.
    fn provider(&mut self, node: &Yaml, path: &str) -> Result<bool, ConfigError> {
        let mut services = None;
        let mut filter = None;
        let mut register = None;
        let mut registry_ids = None;
        let mut protocol_ids = None;
        for (key, kpos, value, path) in self.entries(node, path)? {
            match key {
                "services" => services = Some((value, path)),
                "filter" => filter = self.text(value, &path)?,
                "register" => register = self.boolean(value, &path)?,
                "registry-ids" => registry_ids = Some(self.list(value, &path)?),
                "protocol-ids" => protocol_ids = Some(self.list(value, &path)?),
                "tracing-key"
                | "proxy"
                | "filter_conf"
                | "config_type"
                | "adaptive-service"
                | "adaptive-service-verbose" => self.warn(kpos, &path, NOT_SUPPORTED),
                _ => self.warn(kpos, &path, NOT_DUBBOGO),
            }
        }
        let Some((services, spath)) = services else {
            return Ok(false);
        };
        let mut any = false;
        for (id, idpos, service, path) in self.entries(services, &spath)? {
            any = true;
            // An empty table still declares the service.
            self.set(
                &["services", id, "params"],
                Value::Table(Table::new()),
                &path,
                idpos,
            );
            let base = ["services", id];
            for (key, kpos, value, path) in self.entries(service, &path)? {
                match key {
                    "interface" | "version" | "group" => {
                        if let Some(text) =
                            self.text(value, &path)?.filter(|t| !t.trim().is_empty())
                        {
                            self.set(&["services", id, key], Value::String(text), &path, kpos);
                        }
                    }
                    "filter" => self.set_text(&["services", id, "filters"], value, &path)?,
                    "protocol-ids" => {
                        let list = self.list(value, &path)?.join(",");
                        self.set(
                            &["services", id, "protocol"],
                            Value::String(list),
                            &path,
                            kpos,
                        );
                    }
                    "registry-ids" => {
                        let list = self.list(value, &path)?.join(",");
                        self.set(
                            &["services", id, "registry"],
                            Value::String(list),
                            &path,
                            kpos,
                        );
                    }
                    "serialization" => self.serialization(&base, value, &path, kpos)?,
                    "loadbalance" | "cluster" => {
                        self.set_text(&["services", id, "params", key], value, &path)?
                    }
                    "retries" => {
                        if let Some(n) = self.parse::<u32>(value, &path, "a number of retries")? {
                            self.set(
                                &["services", id, "params", "retries"],
                                Value::String(n.to_string()),
                                &path,
                                kpos,
                            );
                        }
                    }
                    "methods" => self.methods(&base, value, &path)?,
                    "token" => self.set_text(&["services", id, "token"], value, &path)?,
                    "weight" => {
                        if let Some(w) = self.parse::<u32>(value, &path, "a weight")? {
                            self.set(
                                &["services", id, "weight"],
                                Value::Integer(i64::from(w)),
                                &path,
                                kpos,
                            );
                        }
                    }
                    "not_register" => {
                        if let Some(b) = self.boolean(value, &path)? {
                            self.set(
                                &["services", id, "register"],
                                Value::Boolean(!b),
                                &path,
                                kpos,
                            );
                        }
                    }
                    "params" => self.params(&["services", id, "params"], value, &path)?,
                    "warmup"
                    | "accesslog"
                    | "tps.limiter"
                    | "tps.limit.interval"
                    | "tps.limit.rate"
                    | "tps.limit.strategy"
                    | "tps.limit.rejected.handler"
                    | "execute.limit"
                    | "execute.limit.rejected.handler"
                    | "auth"
                    | "param.sign"
                    | "tag"
                    | "tracing-key" => self.warn(kpos, &path, NOT_SUPPORTED),
                    _ => self.warn(kpos, &path, NOT_DUBBOGO),
                }
            }
            if let Some(f) = &filter {
                if !self.has(&["services", id, "filters"]) {
                    self.set(
                        &["services", id, "filters"],
                        Value::String(f.clone()),
                        &spath,
                        idpos,
                    );
                }
            }
            if register == Some(false) && !self.has(&["services", id, "register"]) {
                self.set(
                    &["services", id, "register"],
                    Value::Boolean(false),
                    &spath,
                    idpos,
                );
            }
            for (list, key) in [(&registry_ids, "registry"), (&protocol_ids, "protocol")] {
                if let Some(list) = list.as_ref().filter(|l| !l.is_empty()) {
                    if !self.has(&["services", id, key]) {
                        self.set(
                            &["services", id, key],
                            Value::String(list.join(",")),
                            &spath,
                            idpos,
                        );
                    }
                }
            }
        }
        Ok(any)
    }

    fn consumer(&mut self, node: &Yaml, path: &str) -> Result<(), ConfigError> {
        let mut references = None;
        let mut filter = None;
        let mut registry_ids: Vec<String> = Vec::new();
        let mut protocol = None;
        let mut timeout = (
            DUBBOGO_REQUEST_TIMEOUT_MS,
            Pos::default(),
            format!("{path}.request-timeout"),
        );
        let mut check = false;
        for (key, kpos, value, path) in self.entries(node, path)? {
            match key {
                "references" => references = Some((value, path)),
                "filter" => filter = self.text(value, &path)?,
                "registry-ids" => registry_ids = self.list(value, &path)?,
                "protocol" => protocol = self.text(value, &path)?,
                "request-timeout" => {
                    if let Some(ms) = self.duration(value, &path)? {
                        timeout = (ms, kpos, path);
                    }
                }
                "check" => check = self.boolean(value, &path)?.unwrap_or(false),
                "proxy"
                | "adaptive-service"
                | "tracing-key"
                | "filter-conf"
                | "max-wait-time-for-service-discovery"
                | "mesh-enabled" => self.warn(kpos, &path, NOT_SUPPORTED),
                _ => self.warn(kpos, &path, NOT_DUBBOGO),
            }
        }
        let Some((references, rpath)) = references else {
            return Ok(());
        };
        for (id, idpos, reference, path) in self.entries(references, &rpath)? {
            self.set(
                &["references", id, "interface"],
                Value::String(String::new()),
                &path,
                idpos,
            );
            let base = ["references", id];
            for (key, kpos, value, path) in self.entries(reference, &path)? {
                match key {
                    "interface" | "version" | "group" | "url" | "cluster" | "loadbalance" => {
                        self.set_text(&["references", id, key], value, &path)?
                    }
                    "protocol" => self.set_text(&["references", id, "protocol"], value, &path)?,
                    "filter" => self.set_text(&["references", id, "filters"], value, &path)?,
                    "check" => {
                        if let Some(b) = self.boolean(value, &path)? {
                            self.set(&["references", id, "check"], Value::Boolean(b), &path, kpos);
                        }
                    }
                    "retries" => {
                        if let Some(n) = self.parse::<u32>(value, &path, "a number of retries")? {
                            self.set(
                                &["references", id, "retries"],
                                Value::Integer(i64::from(n)),
                                &path,
                                kpos,
                            );
                        }
                    }
                    "timeout" | "request-timeout" => {
                        if let Some(ms) = self.duration(value, &path)? {
                            self.set(
                                &["references", id, "timeout"],
                                Value::Integer(ms as i64),
                                &path,
                                kpos,
                            );
                        }
                    }
                    "serialization" => self.serialization(&base, value, &path, kpos)?,
                    "registry-ids" => {
                        let list = self.list(value, &path)?;
                        if let Some(first) = list.first() {
                            if list.len() > 1 {
                                self.warn(
                                    kpos,
                                    &path,
                                    format!("an oxidubbo reference finds providers in one registry: uses {first:?}"),
                                );
                            }
                            self.set(
                                &["references", id, "registry"],
                                Value::String(first.clone()),
                                &path,
                                kpos,
                            );
                        }
                    }
                    "provided_by" => {
                        self.set_text(&["references", id, "provided-by"], value, &path)?
                    }
                    "methods" => self.methods(&base, value, &path)?,
                    "params" => self.params(&["references", id, "params"], value, &path)?,
                    "async"
                    | "generic"
                    | "sticky"
                    | "force.tag"
                    | "tracing-key"
                    | "mesh-provider-port"
                    | "protocol_config"
                    | "keep-alive-interval"
                    | "keep-alive-timeout" => self.warn(kpos, &path, NOT_SUPPORTED),
                    "registry" | "registries" => self.warn(
                        kpos,
                        &path,
                        format!(
                            "{NOT_DUBBOGO} (a reference names its registries with `registry-ids`)"
                        ),
                    ),
                    _ => self.warn(kpos, &path, NOT_DUBBOGO),
                }
            }
            if !self.has(&["references", id, "timeout"]) {
                let (ms, pos, tpath) = timeout.clone();
                self.set(
                    &["references", id, "timeout"],
                    Value::Integer(ms as i64),
                    &tpath,
                    pos,
                );
            }
            if !self.has(&["references", id, "check"]) {
                self.set(
                    &["references", id, "check"],
                    Value::Boolean(check),
                    &path,
                    idpos,
                );
            }
            if let Some(f) = &filter {
                if !self.has(&["references", id, "filters"]) {
                    self.set(
                        &["references", id, "filters"],
                        Value::String(f.clone()),
                        &rpath,
                        idpos,
                    );
                }
            }
            if let Some(p) = &protocol {
                if !self.has(&["references", id, "protocol"]) {
                    self.set(
                        &["references", id, "protocol"],
                        Value::String(p.clone()),
                        &rpath,
                        idpos,
                    );
                }
            }
            if let Some(first) = registry_ids.first() {
                if !self.has(&["references", id, "registry"])
                    && !self.has(&["references", id, "url"])
                {
                    self.set(
                        &["references", id, "registry"],
                        Value::String(first.clone()),
                        &rpath,
                        idpos,
                    );
                }
            }
        }
        Ok(())
    }

    fn metrics(&mut self, node: &Yaml, path: &str) -> Result<(), ConfigError> {
        for (key, kpos, value, path) in self.entries(node, path)? {
            match key {
                "enable" | "enabled" => {
                    if let Some(b) = self.boolean(value, &path)? {
                        self.set(&["metrics", "enabled"], Value::Boolean(b), &path, kpos);
                    }
                }
                "port" => {
                    if let Some(port) = self.parse::<u16>(value, &path, "a port")? {
                        self.set(
                            &["metrics", "port"],
                            Value::Integer(i64::from(port)),
                            &path,
                            kpos,
                        );
                    }
                }
                "path" => self.set_text(&["metrics", "path"], value, &path)?,
                "protocol" => {
                    let p = self.text(value, &path)?.unwrap_or_default();
                    if p.trim() != "prometheus" {
                        self.warn(
                            kpos,
                            &path,
                            format!("metrics protocol {p:?}: oxidubbo serves prometheus only"),
                        );
                    }
                }
                "prometheus"
                | "aggregation"
                | "enable-metadata"
                | "enable-registry"
                | "enable-config-center"
                | "probe" => self.warn(kpos, &path, NOT_SUPPORTED),
                _ => self.warn(kpos, &path, NOT_DUBBOGO),
            }
        }
        Ok(())
    }

    /// `dubbo.tracing.<id>` (dubbo-go's OpenTracing exporters): enables oxidubbo's spans;
    /// the exporter is the application's `tracing` subscriber's business.
    fn tracing(&mut self, node: &Yaml, path: &str) -> Result<(), ConfigError> {
        for (_, idpos, tracer, tpath) in self.entries(node, path)? {
            self.set(&["tracing", "enabled"], Value::Boolean(true), &tpath, idpos);
            for (key, kpos, _, path) in self.entries(tracer, &tpath)? {
                match key {
                    "name" | "serviceName" | "address" | "use-agent" => self.warn(
                        kpos,
                        &path,
                        "oxidubbo's spans go to the application's `tracing` subscriber, which chooses the exporter; ignored",
                    ),
                    _ => self.warn(kpos, &path, NOT_DUBBOGO),
                }
            }
        }
        Ok(())
    }

    /// `dubbo.otel.tracing`: enable, sampling (`sample-mode`, `sample-ratio`), W3C
    /// propagation.
    fn otel(&mut self, node: &Yaml, path: &str) -> Result<(), ConfigError> {
        for (key, kpos, value, path) in self.entries(node, path)? {
            if key != "tracing" {
                self.warn(kpos, &path, NOT_DUBBOGO);
                continue;
            }
            let mut mode = "ratio".to_owned();
            let mut ratio = 0.5;
            let mut mode_pos = (kpos, path.clone());
            for (key, kpos, value, path) in self.entries(value, &path)? {
                match key {
                    "enable" => {
                        if let Some(b) = self.boolean(value, &path)? {
                            self.set(&["tracing", "enabled"], Value::Boolean(b), &path, kpos);
                        }
                    }
                    "sample-mode" => {
                        if let Some(m) = self.text(value, &path)? {
                            mode = m.trim().to_owned();
                            mode_pos = (kpos, path);
                        }
                    }
                    "sample-ratio" => {
                        if let Some(r) = self.parse::<f64>(value, &path, "a number")? {
                            ratio = r;
                        }
                    }
                    "propagator" => {
                        let p = self.text(value, &path)?.unwrap_or_default();
                        if p.trim() != "w3c" {
                            self.warn(kpos, &path, format!("propagator {p:?}: oxidubbo propagates W3C trace context only"));
                        }
                    }
                    "exporter" | "endpoint" | "insecure" => self.warn(
                        kpos,
                        &path,
                        "oxidubbo's spans go to the application's `tracing` subscriber, which chooses the exporter; ignored",
                    ),
                    _ => self.warn(kpos, &path, NOT_DUBBOGO),
                }
            }
            let sampling = match mode.as_str() {
                "always" => 1.0,
                "never" => 0.0,
                "ratio" => ratio,
                other => {
                    return Err(self.error(
                        mode_pos.0,
                        &mode_pos.1,
                        format!("unknown sample-mode {other:?} (always, never, ratio)"),
                    ));
                }
            };
            self.set(
                &["tracing", "sampling"],
                Value::Float(sampling),
                &mode_pos.1,
                mode_pos.0,
            );
        }
        Ok(())
    }

    fn shutdown(&mut self, node: &Yaml, path: &str) -> Result<(), ConfigError> {
        for (key, kpos, value, path) in self.entries(node, path)? {
            match key {
                "timeout" => {
                    if let Some(ms) = self.duration(value, &path)? {
                        self.set(
                            &["shutdown", "timeout"],
                            Value::Integer(ms as i64),
                            &path,
                            kpos,
                        );
                    }
                }
                "step-timeout"
                | "notify-timeout"
                | "consumer-update-wait-time"
                | "reject-handler"
                | "internal-signal"
                | "offline-request-window-timeout"
                | "closing-invoker-expire-time" => self.warn(kpos, &path, NOT_SUPPORTED),
                _ => self.warn(kpos, &path, NOT_DUBBOGO),
            }
        }
        Ok(())
    }
}

/// A Go duration (`300ms`, `1.5s`, `1m30s`, `2h`) or a bare number of milliseconds, in
/// milliseconds.
///
/// # Errors
///
/// A message for anything else.
pub fn duration_ms(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if let Ok(ms) = t.parse::<u64>() {
        return Ok(ms);
    }
    let bad = || format!("{text:?} is not a duration (e.g. 3s, 500ms, 1m30s)");
    let mut rest = t;
    let mut total_ns = 0f64;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let number: f64 = rest[..number_end].parse().map_err(|_| bad())?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total_ns += number * scale;
        rest = &rest[unit_end..];
    }
    let ms = (total_ns / 1e6).round();
    if !ms.is_finite() || ms > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(ms as u64)
}

/// Reads dubbo-go YAML `text` (named `file` in errors and warnings) with the placeholder
/// values of `env`.
pub(crate) fn import(
    text: &str,
    file: &str,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Imported, ConfigError> {
    let root = yaml::parse(text).map_err(|e| ConfigError {
        line: e.pos.line,
        column: e.pos.column,
        ..ConfigError::new(file, "", e.message)
    })?;
    let reader = Reader {
        file,
        resolver: Resolver {
            env: env.into_iter().collect(),
            root: &root,
        },
        table: Table::new(),
        locations: Vec::new(),
        warnings: Vec::new(),
        metadata_type: None,
    };
    reader.read(&root)
}

/// The located error of deserializing an imported table.
pub(crate) fn located(locations: &[Location], file: &str, e: &toml::de::Error) -> ConfigError {
    let key = error_key(e);
    locate(locations, file, &key, e.message().trim())
}

/// An error at the configuration key `key`, located in the YAML file by the nearest key
/// that was read into it.
pub(crate) fn locate(
    locations: &[Location],
    file: &str,
    key: &[String],
    message: &str,
) -> ConfigError {
    let best = locations
        .iter()
        .filter(|l| l.pos.line > 0)
        .map(|l| {
            let common = l.toml.iter().zip(key).take_while(|(a, b)| a == b).count();
            (common, l)
        })
        .filter(|(common, l)| *common == l.toml.len() || *common == key.len())
        .max_by_key(|(common, l)| (*common, usize::MAX - l.toml.len()));
    match best {
        Some((_, l)) => ConfigError {
            line: l.pos.line,
            column: l.pos.column,
            ..ConfigError::new(file, l.yaml.clone(), message)
        },
        None => ConfigError::new(file, key.join("."), message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(duration_ms("3s"), Ok(3000));
        assert_eq!(duration_ms("500ms"), Ok(500));
        assert_eq!(duration_ms("1m30s"), Ok(90_000));
        assert_eq!(duration_ms("1.5h"), Ok(5_400_000));
        assert_eq!(duration_ms("2500"), Ok(2500));
        assert!(duration_ms("3 seconds").is_err());
        assert!(duration_ms("s").is_err());
        assert!(duration_ms("").is_err());
    }
}
