//! The `oxidubbo` command: what grpcurl is to gRPC, for Apache Dubbo.
//!
//! * `oxidubbo invoke` calls a method of any dubbo2/Hessian provider, directly or through a
//!   ZooKeeper or etcd registry, with arguments written in JSON, and prints the result as JSON;
//! * `oxidubbo ls` lists the services of a ZooKeeper or etcd registry with their providers and
//!   consumers, as readable URLs, and its applications with their instances;
//! * `oxidubbo decode` prints Dubbo frames or bare Hessian streams as JSON;
//! * `oxidubbo bench` load-tests a provider and prints QPS and latency percentiles;
//! * `oxidubbo qos` runs a command of a QoS server (Java's or oxidubbo's `[qos]`);
//! * `oxidubbo config import` prints the oxidubbo TOML equivalent of a dubbo-go YAML file.
//!
//! The JSON ↔ Hessian mapping is described in [`json`]; exit codes in [`error::exit`].
//! The binary is a thin wrapper around [`run`].

pub mod bench;
pub mod call;
pub mod config;
pub mod decode;
pub mod error;
pub mod qos;
pub mod registry;

/// The JSON ↔ Hessian mapping of arguments and results ([`oxidubbo_hessian2::json`]).
pub use oxidubbo_hessian2::json;

use std::io::{IsTerminal, Read, Write};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use serde_json::Value as Json;

use crate::call::{CallInput, CallSpec, parse_attachment};
use crate::error::{CliError, EXIT_CODES_HELP, exit};
use crate::json::{RenderOptions, render_standalone};
use crate::registry::{CATEGORIES, RegistryView, parse_registry_url};

const MAPPING_HELP: &str = "\
JSON arguments (a JSON array, one element per parameter; `-` reads it from stdin, @FILE from a file):
  string, true/false, null          String, boolean, null
  integer                           int (long when over 32 bits)
  decimal number                    double
  [ … ]                             java.util.List (ArrayList)
  { … }                             java.util.Map (HashMap)
  {\"$class\": \"com.example.User\", \"id\": 1, \"name\": \"ann\"}
                                    an object of that class; integer fields named id, *Id,
                                    *ID, *_id, timestamp, *Timestamp or *Millis are longs
  {\"$int\": 5} {\"$long\": 5} {\"$double\": 5}   force a number type
  {\"$date\": 1700000000000}          java.util.Date (milliseconds, UTC)
  {\"$binary\": \"AAEC\"}               byte[] (base64)
  {\"$list\": [1, 2], \"$type\": \"[int\"}  typed list or array
  {\"$map\": [[1, \"one\"]], \"$type\": \"java.util.TreeMap\"}  map with any keys
Without --types each parameter type is guessed: String, int or long, double, boolean,
java.util.List, java.util.Map or the $class. With --types the JSON is converted to the
declared types (e.g. --types long,int[],com.example.User).
Results print the same way: objects as {\"$class\": …}, typed lists as {\"$type\", \"$list\"};
longs print as plain numbers unless --tag-longs.";

fn help_with_exit_codes(extra: &str) -> String {
    if extra.is_empty() {
        EXIT_CODES_HELP.to_owned()
    } else {
        format!("{extra}\n\n{EXIT_CODES_HELP}")
    }
}

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "oxidubbo",
    version,
    about = "Call, list, decode and load-test Apache Dubbo services",
    long_about = "Call, list, decode and load-test Apache Dubbo services (dubbo2 protocol, Hessian 2).\n\n\
Examples:\n  \
oxidubbo invoke dubbo://127.0.0.1:20880/com.example.Greeter sayHello '[\"world\"]'\n  \
oxidubbo invoke zookeeper://127.0.0.1:2181 --interface com.example.Greeter add '[2, 3]'\n  \
oxidubbo ls zookeeper://127.0.0.1:2181\n  \
oxidubbo ls etcdv3://127.0.0.1:2379\n  \
oxidubbo decode --hex 'dabbe200000000000000000500000001 4e'\n  \
oxidubbo bench dubbo://127.0.0.1:20880/com.example.Greeter sayHello '[\"x\"]' -c 16 -d 10s",
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Call a method and print the result as JSON.
    #[command(after_help = help_with_exit_codes(MAPPING_HELP))]
    Invoke(InvokeArgs),
    /// List the services of a ZooKeeper or etcd registry with their providers and consumers, and
    /// its applications (Dubbo 3's application level) with their instances.
    #[command(after_help = EXIT_CODES_HELP)]
    Ls(LsArgs),
    /// Print Dubbo frames or a bare Hessian stream as JSON.
    #[command(after_help = help_with_exit_codes(
        "The input is read as Dubbo frames when it starts with the magic da bb (several frames\n\
may follow each other), else as a bare Hessian stream. When decoding stops early, what was\n\
decoded is still printed, with \"error\": {\"offset\": …, \"message\": …}; the offset counts\n\
bytes from the start of the input."
    ))]
    Decode(DecodeArgs),
    /// Load-test a method: QPS, latency percentiles and errors.
    #[command(after_help = help_with_exit_codes(
        "Each of --concurrency workers keeps one call in flight until --duration is over.\n\
The summary goes to stdout: requests, ok, errors, qps, then p50/p90/p99/max/mean latency of\n\
the successful calls and the errors by kind. The progress line (stderr, once a second) shows\n\
when stderr is a terminal, or with --progress."
    ))]
    Bench(BenchArgs),
    /// Run a command of a QoS server (`ls`, `online`, `ready`, `invoke …`) and print it.
    #[command(after_help = EXIT_CODES_HELP)]
    Qos(qos::QosArgs),
    /// Configuration tools: `config import dubbogo.yml` prints the equivalent TOML.
    Config(config::ConfigArgs),
}

/// What identifies a call (shared by `invoke` and `bench`).
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The provider, `dubbo://host:port/Interface` (`?version=…&group=…` allowed) or
    /// `host:port/Interface`; or a registry, `zookeeper://host:port` or `etcdv3://host:port`
    /// (with --interface, or the interface as the URL's path); or, with --registry, the
    /// interface name.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// The method name.
    #[arg(value_name = "METHOD")]
    pub method: String,
    /// The arguments, a JSON array (`-`: read from stdin, `@FILE`: read from FILE).
    #[arg(
        value_name = "JSON_ARGS",
        default_value = "[]",
        allow_hyphen_values = true
    )]
    pub args: String,
    /// The service interface, when the target does not name it.
    #[arg(long, value_name = "INTERFACE")]
    pub interface: Option<String>,
    /// Pick the provider from this registry (`zookeeper://host:port`, `etcdv3://host:port`,
    /// …); TARGET is then the interface name.
    #[arg(long, value_name = "REGISTRY")]
    pub registry: Option<String>,
    /// The service version (default: the target's `version`, else none).
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// The service group (default: the target's `group`, else none).
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Java types of the parameters, comma-separated (e.g. `long,java.lang.String,int[]`);
    /// guessed from the JSON when absent.
    #[arg(long, value_name = "TYPES")]
    pub types: Option<String>,
    /// An attachment sent with the call, `key=value` (repeatable).
    #[arg(short = 'a', long = "attachment", value_name = "KEY=VALUE", value_parser = parse_attachment)]
    pub attachments: Vec<(String, String)>,
    /// Call timeout in milliseconds (also bounds connecting).
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    pub timeout: u64,
    /// Call over TLS, checking the provider's certificate against this PEM CA bundle
    /// (a provider registered with `ssl-enabled=true` is called over TLS anyway, checked
    /// against the system's roots without it).
    #[arg(long, value_name = "PEM")]
    pub tls_ca: Option<String>,
    /// The client certificate chain (PEM) to present (mutual TLS); with --tls-key.
    #[arg(long, value_name = "PEM")]
    pub tls_cert: Option<String>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "PEM")]
    pub tls_key: Option<String>,
}

/// `oxidubbo invoke`.
#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// The call.
    #[command(flatten)]
    pub call: CallArgs,
    /// Print the result on one line.
    #[arg(long)]
    pub compact: bool,
    /// Print references as `{"$ref": k}` instead of copies of what they point at.
    #[arg(long)]
    pub raw_refs: bool,
    /// Print longs as `{"$long": n}` (plain numbers otherwise, like ints).
    #[arg(long)]
    pub tag_longs: bool,
    /// Print the request frame as hex instead of sending it (feed it to `oxidubbo decode`).
    #[arg(long)]
    pub dry_run: bool,
    /// Also print the provider, the parameter types, the time taken and the response
    /// attachments (on stderr).
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

/// `oxidubbo ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// The registry: `zookeeper://host:port` or `etcdv3://host:port` (also `etcd://`;
    /// `?group=…` for a root other than /dubbo, `?backup=host:port,…` or
    /// `host:port,host:port` for more servers), `zk://host:port` or `host:port` (ZooKeeper).
    #[arg(value_name = "REGISTRY")]
    pub registry: String,
    /// Only this service (exact interface name).
    #[arg(value_name = "INTERFACE")]
    pub interface: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Connect timeout in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub timeout: u64,
}

/// How `decode` reads a file or stdin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Hex text if the input is only hex digits and separators, else raw bytes.
    Auto,
    /// Raw bytes.
    Raw,
    /// Hex text.
    Hex,
}

/// `oxidubbo decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The input as hex (spaces, `|`, `:` and `0x` are ignored).
    #[arg(
        long,
        value_name = "HEX",
        conflicts_with = "file",
        allow_hyphen_values = true
    )]
    pub hex: Option<String>,
    /// Read the input from this file (stdin when neither --hex nor --file is given).
    #[arg(long, value_name = "FILE")]
    pub file: Option<std::path::PathBuf>,
    /// How to read --file or stdin.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub format: InputFormat,
    /// Print copies of what references point at instead of `{"$ref": k}`.
    #[arg(long)]
    pub resolve_refs: bool,
    /// Print longs as `{"$long": n}` (plain numbers otherwise, like ints).
    #[arg(long)]
    pub tag_longs: bool,
    /// Print the JSON on one line.
    #[arg(long)]
    pub compact: bool,
}

/// `oxidubbo bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The call.
    #[command(flatten)]
    pub call: CallArgs,
    /// Calls in flight at once.
    #[arg(short = 'c', long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,
    /// How long to run: `10`, `10s`, `500ms`, `2m`.
    #[arg(short = 'd', long, value_name = "DURATION", default_value = "10s",
          value_parser = bench::parse_duration)]
    pub duration: Duration,
    /// Stop after this many calls.
    #[arg(short = 'n', long, value_name = "N")]
    pub requests: Option<u64>,
    /// Print the progress line even when stderr is not a terminal.
    #[arg(long)]
    pub progress: bool,
}

/// Parses the command line and runs it; returns the process exit code.
pub fn run() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    match run_command(cli.command) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("oxidubbo: {}", e.message);
            e.code
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(exit::CALL_FAILED, format!("cannot start the runtime: {e}")))
}

/// Runs one command.
pub fn run_command(command: Command) -> Result<(), CliError> {
    match command {
        Command::Decode(args) => decode_command(&args),
        Command::Invoke(args) => runtime()?.block_on(invoke_command(args)),
        Command::Ls(args) => runtime()?.block_on(ls_command(args)),
        Command::Bench(args) => runtime()?.block_on(bench_command(args)),
        Command::Qos(args) => runtime()?.block_on(qos::qos_command(args)),
        Command::Config(args) => config::config_command(&args),
    }
}

fn print_json(value: &Json, compact: bool) -> Result<(), CliError> {
    let text = if compact {
        serde_json::to_string(value)
    } else {
        serde_json::to_string_pretty(value)
    }
    .map_err(|e| CliError::new(exit::CALL_FAILED, format!("cannot print JSON: {e}")))?;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
    Ok(())
}

fn read_args_json(arg: &str) -> Result<String, CliError> {
    if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CliError::usage(format!("cannot read the arguments from stdin: {e}")))?;
        Ok(s)
    } else if let Some(path) = arg.strip_prefix('@') {
        std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("cannot read the arguments from {path}: {e}")))
    } else {
        Ok(arg.to_owned())
    }
}

fn call_spec(call: &CallArgs) -> Result<CallSpec, CliError> {
    CallSpec::from_input(&CallInput {
        target: call.target.clone(),
        interface: call.interface.clone(),
        registry: call.registry.clone(),
        version: call.version.clone(),
        group: call.group.clone(),
        method: call.method.clone(),
        args_json: read_args_json(&call.args)?,
        types: call.types.clone(),
        attachments: call.attachments.clone(),
        timeout_ms: call.timeout,
        tls_ca: call.tls_ca.clone(),
        tls_cert: call.tls_cert.clone(),
        tls_key: call.tls_key.clone(),
    })
}

async fn invoke_command(args: InvokeArgs) -> Result<(), CliError> {
    let spec = call_spec(&args.call)?;
    if args.dry_run {
        let frame = spec.request_frame()?;
        let hex: String = frame.iter().map(|b| format!("{b:02x}")).collect();
        println!("{hex}");
        return Ok(());
    }
    let protocol = DubboProtocol::new();
    let outcome = invoke_once(&spec, &protocol, &args).await;
    protocol.destroy().await;
    outcome
}

async fn invoke_once(
    spec: &CallSpec,
    protocol: &DubboProtocol,
    args: &InvokeArgs,
) -> Result<(), CliError> {
    let (url, invoker) = spec.connect(protocol).await?;
    if args.verbose {
        eprintln!("provider: {}", url.to_full_string());
        eprintln!("call: {} [{}]", spec.describe(), spec.descriptor);
    }
    let start = Instant::now();
    let result = invoker.invoke(spec.invocation()).await;
    let elapsed = start.elapsed();
    if args.verbose {
        eprintln!("time: {:.3} ms", elapsed.as_secs_f64() * 1000.0);
    }
    let result = result?;
    let opts = RenderOptions {
        resolve_refs: !args.raw_refs,
        tag_longs: args.tag_longs,
        ..RenderOptions::default()
    };
    if args.verbose && !result.attachments.is_empty() {
        let attachments: serde_json::Map<String, Json> = result
            .attachments
            .iter()
            .map(|(k, v)| (k.to_owned(), render_standalone(v, opts)))
            .collect();
        eprintln!("attachments: {}", Json::Object(attachments));
    }
    print_json(&render_standalone(&result.value, opts), args.compact)
}

async fn ls_command(args: LsArgs) -> Result<(), CliError> {
    let url = parse_registry_url(&args.registry)?;
    let view = RegistryView::connect(&url, Duration::from_millis(args.timeout.max(1))).await?;
    let services = match &args.interface {
        Some(interface) => {
            if !view.has_service(interface).await? {
                return Err(CliError::new(
                    exit::CALL_FAILED,
                    format!(
                        "no service {interface} in {} (root {})",
                        view.address(),
                        if view.root().is_empty() {
                            "/"
                        } else {
                            view.root()
                        }
                    ),
                ));
            }
            vec![interface.clone()]
        }
        None => view.services().await?,
    };
    // The application level: the applications mapped to the interfaces listed (all of them
    // without an interface), with their instances.
    let mapping = view.mapping().await?;
    let mut applications = std::collections::BTreeSet::new();
    for (interface, apps) in &mapping {
        if args.interface.as_ref().is_none_or(|i| i == interface) {
            applications.extend(apps.iter().cloned());
        }
    }
    let mapped: std::collections::BTreeSet<&String> = mapping.values().flatten().collect();
    let services: Vec<String> = services
        .into_iter()
        .filter(|s| args.interface.is_some() || !mapped.contains(s))
        .collect();
    let mut instances = Vec::with_capacity(applications.len());
    for application in &applications {
        instances.push((application, view.instances(application).await?));
    }
    let mut listed = Vec::with_capacity(services.len());
    for service in &services {
        let mut categories = Vec::new();
        for category in CATEGORIES {
            categories.push((category, view.nodes(service, category).await?));
        }
        listed.push((service, categories));
    }
    if args.json {
        let services: Vec<Json> = listed
            .iter()
            .map(|(service, categories)| {
                let mut m = serde_json::Map::new();
                m.insert("interface".into(), Json::String((*service).clone()));
                for (category, nodes) in categories {
                    let urls = nodes.iter().map(|n| Json::String(n.display())).collect();
                    m.insert((*category).into(), Json::Array(urls));
                }
                Json::Object(m)
            })
            .collect();
        let applications: Vec<Json> = instances
            .iter()
            .map(|(application, nodes)| {
                let nodes: Vec<Json> = nodes
                    .iter()
                    .map(|n| match &n.instance {
                        Ok(i) => serde_json::json!({
                            "address": format!("{}:{}", i.address, i.port.unwrap_or(0)),
                            "revision": i.revision(),
                        }),
                        Err(e) => serde_json::json!({ "node": n.name, "error": e }),
                    })
                    .collect();
                serde_json::json!({ "name": application, "instances": nodes })
            })
            .collect();
        return print_json(
            &serde_json::json!({ "services": services, "applications": applications }),
            false,
        );
    }
    let mut out = String::new();
    if listed.is_empty() && instances.is_empty() {
        out.push_str(&format!(
            "no services registered in {} under {}\n",
            view.address(),
            if view.root().is_empty() {
                "/"
            } else {
                view.root()
            }
        ));
    }
    for (service, categories) in &listed {
        out.push_str(service);
        out.push('\n');
        for (category, nodes) in categories {
            // Providers and consumers always show; the other categories only when used.
            if nodes.is_empty() && !matches!(*category, "providers" | "consumers") {
                continue;
            }
            out.push_str(&format!("  {category} ({}):\n", nodes.len()));
            for node in nodes {
                out.push_str(&format!("    {}\n", node.display()));
            }
        }
    }
    if !instances.is_empty() {
        out.push_str(&format!("applications ({}):\n", instances.len()));
        for (application, nodes) in &instances {
            out.push_str(&format!("  {application} ({}):\n", nodes.len()));
            for node in nodes {
                out.push_str(&format!("    {}\n", node.display()));
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    Ok(())
}

fn decode_command(args: &DecodeArgs) -> Result<(), CliError> {
    let bytes = match (&args.hex, &args.file) {
        (Some(hex), _) => {
            decode::parse_hex(hex).map_err(|e| CliError::usage(format!("--hex: {e}")))?
        }
        (None, source) => {
            let raw = match source {
                Some(path) => std::fs::read(path)
                    .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?,
                None => {
                    let mut buf = Vec::new();
                    std::io::stdin()
                        .read_to_end(&mut buf)
                        .map_err(|e| CliError::usage(format!("cannot read stdin: {e}")))?;
                    buf
                }
            };
            let as_hex = match args.format {
                InputFormat::Raw => false,
                InputFormat::Hex => true,
                InputFormat::Auto => decode::looks_like_hex(&raw),
            };
            if as_hex {
                let text = String::from_utf8(raw)
                    .map_err(|_| CliError::usage("the input is not hex text"))?;
                decode::parse_hex(&text).map_err(CliError::usage)?
            } else {
                raw
            }
        }
    };
    let report = decode::decode_input(
        &bytes,
        RenderOptions {
            resolve_refs: args.resolve_refs,
            tag_longs: args.tag_longs,
            ..RenderOptions::default()
        },
    );
    print_json(&report.json, args.compact)?;
    match report.error {
        Some(e) => Err(CliError::new(
            exit::DECODE,
            format!("decode error at offset {}: {}", e.offset, e.message),
        )),
        None => Ok(()),
    }
}

async fn bench_command(args: BenchArgs) -> Result<(), CliError> {
    let spec = call_spec(&args.call)?;
    let protocol = DubboProtocol::new();
    let outcome = bench_once(&spec, &protocol, &args).await;
    protocol.destroy().await;
    outcome
}

async fn bench_once(
    spec: &CallSpec,
    protocol: &DubboProtocol,
    args: &BenchArgs,
) -> Result<(), CliError> {
    let (url, invoker) = spec.connect(protocol).await?;
    let tty = std::io::stderr().is_terminal();
    let config = bench::BenchConfig {
        concurrency: args.concurrency as usize,
        duration: args.duration,
        max_requests: args.requests,
        progress: args.progress || tty,
        tty,
    };
    eprintln!(
        "benchmarking {} on {} with {} workers for {:.1}s",
        spec.describe(),
        url.address(),
        config.concurrency,
        config.duration.as_secs_f64()
    );
    let result = bench::run(invoker, spec.invocation(), &config).await;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(result.summary().as_bytes());
    let _ = out.flush();
    match result.failure_code {
        Some(code) => Err(CliError::new(
            code,
            format!("no call succeeded ({} failed)", result.failed()),
        )),
        None => Ok(()),
    }
}
