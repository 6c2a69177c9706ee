//! The commands: Java's names, summaries and output shapes.

use crate::app::{Probe, QosApplication};
use crate::{invoke, table};

/// A command's answer: the HTTP status (200, or 503 for a probe that fails, 404 for an
/// unknown command, 500 for a command that failed) and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The HTTP status.
    pub status: u16,
    /// The text (telnet prints it before the prompt).
    pub body: String,
}

impl Output {
    fn ok(body: impl Into<String>) -> Self {
        Output {
            status: 200,
            body: body.into(),
        }
    }
}

/// The commands and their summaries, as `help` lists them.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("help", "help command", "help\r\nhelp online"),
    ("ls", "ls service", "ls"),
    ("ps", "Print server ports and connections.", "ps"),
    ("version", "version command(show dubbo version)", "version"),
    (
        "online",
        "online app addresses",
        "online dubbo\r\nonline xx.xx.xxx.service",
    ),
    (
        "offline",
        "offline app addresses",
        "offline dubbo\r\noffline xx.xx.xxx.service",
    ),
    ("live", "Judge if service is alive? ", "live"),
    ("ready", "Judge if service is ready to work? ", "ready"),
    ("startup", "Judge if service has started? ", "startup"),
    ("getConfig", "get config info", "getConfig"),
    ("metrics", "metrics command", "metrics"),
    (
        "invoke",
        "Invoke the service method.",
        "invoke IHelloService.sayHello(\"xxxx\")\r\ninvoke sayHello(\"xxxx\")",
    ),
    ("quit", "quit telnet console", "quit"),
];

/// Java's telnet answer to an unknown command line.
pub fn unsupported(line: &str) -> String {
    format!("{line} :no such command")
}

/// Runs `command` with `args`; `None` for a command that does not exist.
pub async fn execute(app: &dyn QosApplication, command: &str, args: &[String]) -> Option<Output> {
    let output = match command {
        "help" => Output::ok(help(args.first().map(String::as_str))),
        "ls" => Output::ok(ls(app)),
        "ps" => Output::ok(
            app.ports()
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join("\r\n"),
        ),
        "version" => Output::ok(format!("dubbo version \"{}\"", env!("CARGO_PKG_VERSION"))),
        "online" | "offline" => {
            set_online(app, args.first().map(String::as_str), command == "online").await
        }
        "live" => probe(app, Probe::Live),
        "ready" => probe(app, Probe::Ready),
        "startup" => probe(app, Probe::Startup),
        "getConfig" => Output::ok(app.config_text()),
        "metrics" | "metrics_default" => match app.metrics_text() {
            Some(text) => Output::ok(text),
            None => Output {
                status: 503,
                body: "metrics is disabled".to_owned(),
            },
        },
        "invoke" => Output::ok(invoke::run(app, &args.join(" ")).await),
        _ => return None,
    };
    Some(output)
}

fn help(command: Option<&str>) -> String {
    match command {
        None => {
            let rows: Vec<Vec<String>> = COMMANDS
                .iter()
                .map(|(name, summary, _)| vec![(*name).to_owned(), (*summary).to_owned()])
                .collect();
            table::render(&rows, false)
        }
        Some(name) => match COMMANDS.iter().find(|(n, _, _)| *n == name) {
            Some((name, _, example)) => table::render(
                &[
                    vec!["COMMAND NAME".to_owned(), (*name).to_owned()],
                    vec!["EXAMPLE".to_owned(), (*example).to_owned()],
                ],
                false,
            ),
            None => format!("no such command {name}"),
        },
    }
}

fn ls(app: &dyn QosApplication) -> String {
    let mut providers = vec![vec!["Provider Service Name".to_owned(), "PUB".to_owned()]];
    for p in app.providers() {
        let published = if p.published { "Y" } else { "N" };
        providers.push(vec![p.service_key, published.to_owned()]);
    }
    let mut consumers = vec![vec!["Consumer Service Name".to_owned(), "AVL".to_owned()]];
    for c in app.consumers() {
        let available = if c.available { "Y" } else { "N" };
        consumers.push(vec![c.service_key, available.to_owned()]);
    }
    format!(
        "As Provider side:\r\n{}As Consumer side:\r\n{}",
        table::render(&providers, true),
        table::render(&consumers, true)
    )
}

fn probe(app: &dyn QosApplication, probe: Probe) -> Output {
    let up = app.probe(probe);
    Output {
        status: if up { 200 } else { 503 },
        body: up.to_string(),
    }
}

async fn set_online(app: &dyn QosApplication, pattern: Option<&str>, online: bool) -> Output {
    match app.set_online(pattern, online).await {
        Ok(0) => Output::ok("service not found"),
        Ok(_) => Output::ok("OK"),
        Err(e) => Output {
            status: 500,
            body: e,
        },
    }
}
