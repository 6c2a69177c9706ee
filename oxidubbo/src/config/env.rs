//! Environment overrides: `OXIDUBBO_<SECTION>__<NAME>__<KEY>=value`.

use toml::{Table, Value};

use super::error::ConfigError;

/// The prefix of the environment variables that override configuration values.
pub const ENV_PREFIX: &str = "OXIDUBBO_";

/// The separator between path segments in an override's name.
pub const ENV_SEPARATOR: &str = "__";

/// One override: the variable, the key path it sets and its raw value.
#[derive(Debug, Clone)]
pub(crate) struct Override {
    pub(crate) var: String,
    pub(crate) path: Vec<String>,
    pub(crate) raw: String,
    /// Whether the value is set as a string whatever it looks like.
    pub(crate) as_string: bool,
}

impl Override {
    pub(crate) fn key(&self) -> String {
        self.path.join(".")
    }

    /// The value: a TOML integer, float or boolean when the text is one, else a string.
    pub(crate) fn value(&self) -> Value {
        if self.as_string {
            return Value::String(self.raw.clone());
        }
        let t = self.raw.trim();
        if let Ok(i) = t.parse::<i64>() {
            return Value::Integer(i);
        }
        let numeric = t.chars().any(|c| c.is_ascii_digit())
            && t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c));
        if numeric {
            if let Ok(f) = t.parse::<f64>() {
                return Value::Float(f);
            }
        }
        match t {
            "true" => Value::Boolean(true),
            "false" => Value::Boolean(false),
            _ => Value::String(self.raw.clone()),
        }
    }
}

/// The overrides among `env`: variables named `OXIDUBBO_…` that contain `__`, sorted by
/// name. Variables with the prefix but without `__` (`OXIDUBBO_CONFIG`, `OXIDUBBO_LOG`)
/// are not overrides and are ignored.
pub(crate) fn collect(
    env: impl IntoIterator<Item = (String, String)>,
    file: &str,
) -> Result<Vec<Override>, ConfigError> {
    let mut out = Vec::new();
    for (var, raw) in env {
        let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if !rest.contains(ENV_SEPARATOR) {
            continue;
        }
        let path: Vec<String> = rest
            .split(ENV_SEPARATOR)
            .map(str::to_ascii_lowercase)
            .collect();
        if path.iter().any(String::is_empty) {
            return Err(ConfigError {
                env_var: Some(var.clone()),
                ..ConfigError::new(
                    file,
                    path.join("."),
                    "empty key segment: separate segments with exactly two underscores",
                )
            });
        }
        out.push(Override {
            var,
            path,
            raw,
            as_string: false,
        });
    }
    out.sort_by(|a, b| a.var.cmp(&b.var));
    Ok(out)
}

/// Sets `ov`'s value in `table`, creating tables along the path.
pub(crate) fn apply(table: &mut Table, ov: &Override, file: &str) -> Result<(), ConfigError> {
    let Some((last, parents)) = ov.path.split_last() else {
        return Ok(());
    };
    let mut current = table;
    for (depth, segment) in parents.iter().enumerate() {
        let entry = current
            .entry(segment.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        current = match entry {
            Value::Table(t) => t,
            other => {
                return Err(ConfigError {
                    env_var: Some(ov.var.clone()),
                    ..ConfigError::new(
                        file,
                        ov.key(),
                        format!(
                            "`{}` is a {}, not a table",
                            ov.path[..=depth].join("."),
                            other.type_str()
                        ),
                    )
                });
            }
        };
    }
    current.insert(last.clone(), ov.value());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ov(raw: &str) -> Override {
        Override {
            var: "OXIDUBBO_A__B".into(),
            path: vec!["a".into(), "b".into()],
            raw: raw.into(),
            as_string: false,
        }
    }

    #[test]
    fn values_are_toml_scalars_else_strings() {
        assert_eq!(ov("5000").value(), Value::Integer(5000));
        assert_eq!(ov("-1").value(), Value::Integer(-1));
        assert_eq!(ov("0.5").value(), Value::Float(0.5));
        assert_eq!(ov("true").value(), Value::Boolean(true));
        assert_eq!(ov("1.0.0").value(), Value::String("1.0.0".into()));
        assert_eq!(
            ov("zookeeper://h:2181").value(),
            Value::String("zookeeper://h:2181".into())
        );
        assert_eq!(ov("inf").value(), Value::String("inf".into()));
        assert_eq!(ov("nan").value(), Value::String("nan".into()));
    }

    #[test]
    fn collect_lowercases_and_skips_non_overrides() {
        let env = [
            (
                "OXIDUBBO_REFERENCES__GREETER__TIMEOUT".to_owned(),
                "5".to_owned(),
            ),
            ("OXIDUBBO_CONFIG".to_owned(), "x.toml".to_owned()),
            ("PATH".to_owned(), "/bin".to_owned()),
        ];
        let found = collect(env, "f").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key(), "references.greeter.timeout");
        let bad = [("OXIDUBBO_A____B".to_owned(), "1".to_owned())];
        let err = collect(bad, "f").unwrap_err();
        assert_eq!(err.env_var.as_deref(), Some("OXIDUBBO_A____B"));
    }
}
