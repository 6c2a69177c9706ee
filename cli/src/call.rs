//! What `invoke` and `bench` share: the target, the call built from JSON, and the provider
//! chosen (directly or through a ZooKeeper or etcd registry).

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_common::{Url, keys};
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invocation, Invoker};
use oxidubbo_protocol::dubbo::codec::{Target, encode_request};
use oxidubbo_protocol::dubbo::header::DEFAULT_PAYLOAD;
use oxidubbo_protocol::{DubboProtocol, Protocol};
use serde_json::Value as Json;

use crate::error::CliError;
use crate::json::{guess_java_type, source_type_name, split_types, typed_arguments};
use crate::registry::{RegistryView, is_registry_url, parse_registry_url};

/// The interface name of Dubbo's registry service, which registry URLs often carry as their
/// path; it is never the service to call.
const REGISTRY_SERVICE: &str = "org.apache.dubbo.registry.RegistryService";

/// Where calls go.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A provider address: `dubbo://host:port/Interface?version=…&group=…`.
    Direct(Url),
    /// A ZooKeeper or etcd registry to pick a provider from.
    Registry(Url),
}

/// A fully resolved call, ready to be sent any number of times.
#[derive(Debug, Clone)]
pub struct CallSpec {
    /// Where calls go.
    pub endpoint: Endpoint,
    /// The Java interface.
    pub interface: String,
    /// The service version (`None`: from the provider URL, else none).
    pub version: Option<String>,
    /// The service group.
    pub group: Option<String>,
    /// The method name.
    pub method: String,
    /// The Java parameter types (source form).
    pub types: Vec<String>,
    /// The JVM descriptor of `types`.
    pub descriptor: String,
    /// The arguments.
    pub arguments: Vec<Value>,
    /// Attachments sent with every call.
    pub attachments: Vec<(String, String)>,
    /// Call timeout.
    pub timeout: Duration,
    /// The TLS parameters of the consumer URL (`--tls-ca`, `--tls-cert`, `--tls-key`):
    /// set, the call goes over TLS; empty, over TLS only if the registered provider says
    /// `ssl-enabled=true`.
    pub tls: Vec<(&'static str, String)>,
}

/// Raw command-line inputs of a call.
#[derive(Debug, Clone, Default)]
pub struct CallInput {
    /// `dubbo://host:port/Interface`, `host:port/Interface`, `zookeeper://host:port` or
    /// `etcdv3://host:port`.
    pub target: String,
    /// `--interface` (needed with a registry unless the registry URL's path names it).
    pub interface: Option<String>,
    /// `--registry`: the registry to pick the provider from; the target is then the
    /// interface name.
    pub registry: Option<String>,
    /// `--version`.
    pub version: Option<String>,
    /// `--group`.
    pub group: Option<String>,
    /// Method name.
    pub method: String,
    /// The JSON array of arguments (already read from stdin or a file if asked).
    pub args_json: String,
    /// `--types`.
    pub types: Option<String>,
    /// `--attachment k=v`.
    pub attachments: Vec<(String, String)>,
    /// `--timeout` in milliseconds.
    pub timeout_ms: u64,
    /// `--tls-ca`: the CA bundle the provider's certificate is checked against.
    pub tls_ca: Option<String>,
    /// `--tls-cert`: the client certificate chain (mutual TLS).
    pub tls_cert: Option<String>,
    /// `--tls-key`: the client certificate's key.
    pub tls_key: Option<String>,
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Parses `k=v` for `--attachment`.
pub fn parse_attachment(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("expected key=value, got {s:?}")),
    }
}

/// Builds the arguments and their descriptor from JSON and optional `--types`.
pub fn build_arguments(
    args_json: &str,
    types: Option<&str>,
) -> Result<(Vec<String>, String, Vec<Value>), CliError> {
    let parsed: Json = serde_json::from_str(args_json.trim())
        .map_err(|e| CliError::usage(format!("the arguments are not valid JSON: {e}")))?;
    let Json::Array(args) = parsed else {
        return Err(CliError::usage(format!(
            "the arguments must be a JSON array, e.g. '[\"world\"]' or '[2, 3]'; got {parsed}"
        )));
    };
    let types: Vec<String> = match types {
        Some(list) => {
            let declared = split_types(list);
            if declared.len() != args.len() {
                return Err(CliError::usage(format!(
                    "--types lists {} type(s) but {} argument(s) were given",
                    declared.len(),
                    args.len()
                )));
            }
            declared.iter().map(|t| source_type_name(t)).collect()
        }
        None => args.iter().map(guess_java_type).collect(),
    };
    let (descriptor, values) =
        typed_arguments(&args, &types).map_err(|e| CliError::usage(e.to_string()))?;
    Ok((types, descriptor, values))
}

impl CallSpec {
    /// Resolves the command-line inputs (no network access).
    pub fn from_input(input: &CallInput) -> Result<CallSpec, CliError> {
        let target = input.target.trim();
        let registry = non_empty(input.registry.as_deref());
        let (endpoint, url_interface, url_version, url_group) = if let Some(registry) = registry {
            if target.contains("://") {
                return Err(CliError::usage(format!(
                    "with --registry, the target is the interface name, not {target:?}"
                )));
            }
            let registry = parse_registry_url(&registry)?;
            (
                Endpoint::Registry(registry),
                non_empty(Some(target)),
                None,
                None,
            )
        } else if is_registry_url(target) {
            let registry = parse_registry_url(target)?;
            let path = non_empty(Some(registry.path())).filter(|p| p != REGISTRY_SERVICE);
            (Endpoint::Registry(registry), path, None, None)
        } else {
            let url = Url::parse_with_default_protocol(target, "dubbo")
                .map_err(|e| CliError::usage(format!("bad target {target:?}: {e}")))?;
            if url.protocol() != "dubbo" {
                return Err(CliError::usage(format!(
                    "unsupported protocol {:?}: targets are dubbo://host:port/Interface, zookeeper://host:port or etcdv3://host:port",
                    url.protocol()
                )));
            }
            if url.host().is_empty() || url.port() == 0 {
                return Err(CliError::usage(format!(
                    "target {target:?} needs a host and a port"
                )));
            }
            let interface = non_empty(Some(url.interface()));
            let version = non_empty(url.version());
            let group = non_empty(url.group());
            (Endpoint::Direct(url), interface, version, group)
        };
        let interface = non_empty(input.interface.as_deref())
            .or(url_interface)
            .ok_or_else(|| {
                CliError::usage(
                    "no interface: give it as the target's path (dubbo://host:port/com.example.Greeter) or with --interface",
                )
            })?;
        if input.method.trim().is_empty() {
            return Err(CliError::usage("the method name is empty"));
        }
        let (types, descriptor, arguments) =
            build_arguments(&input.args_json, input.types.as_deref())?;
        if input.tls_cert.is_some() != input.tls_key.is_some() {
            return Err(CliError::usage("--tls-cert and --tls-key go together"));
        }
        let tls: Vec<(&'static str, String)> = [
            (keys::SSL_CLIENT_TRUST_CERT_COLLECTION_PATH, &input.tls_ca),
            (keys::SSL_CLIENT_KEY_CERT_CHAIN_PATH, &input.tls_cert),
            (keys::SSL_CLIENT_PRIVATE_KEY_PATH, &input.tls_key),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect();
        Ok(CallSpec {
            endpoint,
            interface,
            version: non_empty(input.version.as_deref()).or(url_version),
            group: non_empty(input.group.as_deref()).or(url_group),
            method: input.method.trim().to_owned(),
            types,
            descriptor,
            arguments,
            attachments: input.attachments.clone(),
            timeout: Duration::from_millis(input.timeout_ms.max(1)),
            tls,
        })
    }

    /// The invocation sent for each call.
    pub fn invocation(&self) -> Invocation {
        let mut inv = Invocation::new(
            self.method.clone(),
            self.descriptor.clone(),
            self.arguments.clone(),
        );
        for (k, v) in &self.attachments {
            inv.attachments_mut().insert(k.clone(), v.clone());
        }
        inv
    }

    /// The request frame this call sends (id 1), for `--dry-run`.
    pub fn request_frame(&self) -> Result<Vec<u8>, CliError> {
        let target = Target::new(
            self.interface.clone(),
            self.version
                .clone()
                .unwrap_or_else(|| oxidubbo_common::defaults::VERSION.to_owned()),
            self.group.clone(),
            None,
        );
        let mut buf = Vec::new();
        let timeout = self.timeout.as_millis().to_string();
        encode_request(
            &mut buf,
            1,
            true,
            &target,
            &timeout,
            &self.invocation(),
            DEFAULT_PAYLOAD,
        )
        .map_err(|e| CliError::usage(format!("cannot encode the request: {e}")))?;
        Ok(buf)
    }

    /// The provider URL to refer: the direct target, or a provider picked from the registry
    /// (at random among those matching version and group). Version and group come from
    /// the flags, else from the chosen provider.
    pub async fn provider_url(&self) -> Result<Url, CliError> {
        let base = match &self.endpoint {
            Endpoint::Direct(url) => url.clone(),
            Endpoint::Registry(registry) => self.pick_provider(registry).await?,
        };
        let mut builder = Url::builder("dubbo")
            .host(base.host())
            .port(base.port())
            .path(self.interface.clone())
            .param("interface", self.interface.clone())
            .param("timeout", self.timeout.as_millis().to_string())
            .param(
                "connect.timeout",
                self.timeout.as_millis().clamp(1, 10_000).to_string(),
            );
        if let Some(payload) = base.param("payload") {
            builder = builder.param("payload", payload);
        }
        if !self.tls.is_empty() || base.bool_param(keys::SSL_ENABLED, false) {
            builder = builder.param(keys::SSL_ENABLED, "true");
            for (k, v) in &self.tls {
                builder = builder.param(*k, v.clone());
            }
        }
        let version = self.version.clone().or_else(|| non_empty(base.version()));
        if let Some(v) = version {
            builder = builder.param("version", v);
        }
        let group = self.group.clone().or_else(|| non_empty(base.group()));
        if let Some(g) = group {
            builder = builder.param("group", g);
        }
        Ok(builder.build())
    }

    async fn pick_provider(&self, registry: &Url) -> Result<Url, CliError> {
        let view =
            RegistryView::connect(registry, self.timeout.max(Duration::from_secs(3))).await?;
        let nodes = view.nodes(&self.interface, "providers").await?;
        let all: Vec<Url> = nodes.into_iter().filter_map(|n| n.url.ok()).collect();
        let matching: Vec<&Url> = all
            .iter()
            .filter(|u| u.protocol() == "dubbo")
            .filter(|u| u.param("enabled") != Some("false"))
            .filter(|u| match &self.version {
                Some(v) => u.version().unwrap_or(oxidubbo_common::defaults::VERSION) == v,
                None => true,
            })
            .filter(|u| match &self.group {
                Some(g) => u.group() == Some(g.as_str()),
                None => true,
            })
            .collect();
        if matching.is_empty() {
            let listed: Vec<String> = all.iter().map(Url::to_full_string).collect();
            return Err(CliError::connection(format!(
                "no dubbo provider of {}{}{} in {}{}",
                self.interface,
                self.version
                    .as_deref()
                    .map(|v| format!(" version {v}"))
                    .unwrap_or_default(),
                self.group
                    .as_deref()
                    .map(|g| format!(" group {g}"))
                    .unwrap_or_default(),
                view.address(),
                if listed.is_empty() {
                    String::new()
                } else {
                    format!("; registered: {}", listed.join(", "))
                }
            )));
        }
        let i = rand::random::<usize>() % matching.len();
        Ok(matching[i].clone())
    }

    /// Connects: picks the provider and refers it over `protocol`.
    pub async fn connect(
        &self,
        protocol: &DubboProtocol,
    ) -> Result<(Url, Arc<dyn Invoker>), CliError> {
        let url = self.provider_url().await?;
        let invoker = protocol.refer(Arc::new(url.clone())).await?;
        Ok((url, invoker))
    }

    /// A one-line description: `Interface:version#method(types)`.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        if let Some(g) = &self.group {
            s.push_str(g);
            s.push('/');
        }
        s.push_str(&self.interface);
        if let Some(v) = &self.version {
            s.push(':');
            s.push_str(v);
        }
        s.push('#');
        s.push_str(&self.method);
        s.push('(');
        s.push_str(&self.types.join(", "));
        s.push(')');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(target: &str, args: &str) -> CallInput {
        CallInput {
            target: target.into(),
            method: "m".into(),
            args_json: args.into(),
            timeout_ms: 1000,
            ..CallInput::default()
        }
    }

    #[test]
    fn registry_flag_makes_the_target_the_interface() {
        let mut with_flag = input("com.example.Greeter", "[]");
        with_flag.registry = Some("etcdv3://127.0.0.1:2379?group=g".into());
        let spec = match CallSpec::from_input(&with_flag) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(spec.interface, "com.example.Greeter");
        match &spec.endpoint {
            Endpoint::Registry(url) => {
                assert_eq!(url.protocol(), "etcdv3");
                assert_eq!(url.param("group"), Some("g"));
            }
            other => panic!("{other:?}"),
        }
        with_flag.target = "dubbo://127.0.0.1:1/com.example.Greeter".into();
        assert!(CallSpec::from_input(&with_flag).is_err());
    }

    #[test]
    fn direct_targets_and_arguments() {
        let spec = CallSpec::from_input(&input(
            "dubbo://127.0.0.1:20880/com.example.Greeter?version=1.0.0",
            r#"["a", 1, 5000000000, 1.5, true, [1], {"k": 1}]"#,
        ));
        let spec = match spec {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(spec.interface, "com.example.Greeter");
        assert_eq!(spec.version.as_deref(), Some("1.0.0"));
        assert_eq!(
            spec.descriptor,
            "Ljava/lang/String;IJDZLjava/util/List;Ljava/util/Map;"
        );
        let bare = CallSpec::from_input(&input("127.0.0.1:1/a.B", "[]"));
        assert!(matches!(bare, Ok(s) if s.descriptor.is_empty()));
    }

    #[test]
    fn usage_errors() {
        let code = |i: CallInput| CallSpec::from_input(&i).err().map(|e| e.code);
        assert_eq!(code(input("dubbo://127.0.0.1:1/a.B", "{}")), Some(2));
        assert_eq!(code(input("dubbo://127.0.0.1:1/a.B", "[1")), Some(2));
        assert_eq!(code(input("zookeeper://127.0.0.1:2181", "[]")), Some(2));
        assert_eq!(code(input("http://127.0.0.1:1/a.B", "[]")), Some(2));
        let mut typed = input("dubbo://127.0.0.1:1/a.B", "[1, 2]");
        typed.types = Some("int".into());
        assert_eq!(code(typed), Some(2));
        assert!(parse_attachment("a=b=c").is_ok_and(|(k, v)| k == "a" && v == "b=c"));
        assert!(parse_attachment("nokey").is_err());
    }
}
