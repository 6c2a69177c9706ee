//! `oxidubbo config import <dubbogo.yml>`: prints the oxidubbo TOML equivalent of a
//! dubbo-go 3 YAML configuration, with the keys that are not applied listed as comments.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use oxidubbo::config::Config;

use crate::error::CliError;

/// `oxidubbo config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ConfigAction,
}

/// The `config` actions.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the oxidubbo TOML equivalent of a dubbo-go YAML file (`dubbogo.yml`), `${…}`
    /// placeholders resolved from the environment; the keys oxidubbo does not apply are
    /// listed in comments with their line.
    Import {
        /// The dubbo-go configuration file (`.yml` or `.yaml`).
        file: PathBuf,
    },
}

/// Runs `config`, printing its output.
///
/// # Errors
///
/// A usage error for a file that cannot be read or converted.
pub fn config_command(args: &ConfigArgs) -> Result<(), CliError> {
    match &args.action {
        ConfigAction::Import { file } => {
            print!("{}", import(file)?);
            Ok(())
        }
    }
}

/// The TOML text `config import` prints for `file`.
///
/// # Errors
///
/// A usage error for a file that cannot be read or converted.
pub fn import(file: &std::path::Path) -> Result<String, CliError> {
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::usage(format!("{}: cannot read the file: {e}", file.display())))?;
    let config = Config::from_dubbogo_str(&text, &file.display().to_string(), env)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let mut table = toml::Table::try_from(&config)
        .map_err(|e| CliError::usage(format!("cannot write the TOML: {e}")))?;
    drop_empty_tables(&mut table);
    let body = toml::to_string_pretty(&table)
        .map_err(|e| CliError::usage(format!("cannot write the TOML: {e}")))?;
    let mut out = format!(
        "# oxidubbo configuration converted from the dubbo-go file {}\n",
        file.display()
    );
    if !config.warnings().is_empty() {
        out.push_str(
            "#\n# Not applied (oxidubbo lacks the feature, or dubbo-go has no such key):\n",
        );
        for w in config.warnings() {
            out.push_str(&format!("#   {w}\n"));
        }
    }
    for (name, reference) in &config.references {
        if reference.interface.is_empty() {
            out.push_str(&format!(
                "#\n# references.{name} has no interface: set it, or bind the reference in code with BootstrapBuilder::reference_of\n"
            ));
        }
    }
    out.push('\n');
    out.push_str(&body);
    Ok(out)
}

/// Removes the tables that say nothing: empty `params` and empty top-level sections (an
/// empty `[services.<name>]` stays: it declares the service).
fn drop_empty_tables(table: &mut toml::Table) {
    fn drop_empty_params(value: &mut toml::Value) {
        if let toml::Value::Table(t) = value {
            t.retain(|k, v| !(k == "params" && matches!(v, toml::Value::Table(p) if p.is_empty())));
            for (_, v) in t.iter_mut() {
                drop_empty_params(v);
            }
        }
    }
    for (_, v) in table.iter_mut() {
        drop_empty_params(v);
    }
    table.retain(|_, v| !matches!(v, toml::Value::Table(t) if t.is_empty()));
}
