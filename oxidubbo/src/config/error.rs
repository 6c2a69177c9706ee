//! [`ConfigError`] and how a configuration error is located in its file.

use std::fmt;

/// A configuration error, located: the file, line and column, the key (a dotted path such
/// as `references.greeter.timeout`) and what was expected — or, for a value that came from
/// the environment, the variable that set it.
///
/// ```text
/// examples/greeter.toml:12:11: references.greeter.timeout: invalid type: string "abc", expected u64
/// OXIDUBBO_REFERENCES__GREETER__TIMEOUT (overriding greeter.toml): references.greeter.timeout: invalid type: ...
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The configuration file's name as it was given (`"<builder>"` for a configuration
    /// made in code).
    pub file: String,
    /// The line (1-based) of the offending key; 0 when unknown.
    pub line: usize,
    /// The column (1-based, in characters) of the offending key or value; 0 when unknown.
    pub column: usize,
    /// The dotted key path, e.g. `services.greeter.registry`; empty for a syntax error
    /// outside any key.
    pub key: String,
    /// The environment variable that set the offending value, when one did.
    pub env_var: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ConfigError {
    /// An error at `key` of `file`, not (yet) located on a line.
    pub fn new(
        file: impl Into<String>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            file: file.into(),
            line: 0,
            column: 0,
            key: key.into(),
            env_var: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.env_var, self.line) {
            (Some(var), _) => write!(f, "{var} (overriding {})", self.file)?,
            (None, 0) => write!(f, "{}", self.file)?,
            (None, line) => write!(f, "{}:{line}:{}", self.file, self.column)?,
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column (in characters) of byte offset `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Splits a TOML key (`a.b`, `"a.b".c`, `'x'`) into its segments.
fn split_key(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in key.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '.') => out.push(std::mem::take(&mut current)),
            (None, c) if c.is_whitespace() => {}
            (None, c) => current.push(c),
        }
    }
    out.push(current);
    out
}

/// The byte index of the first `=` outside quotes, if any.
fn equals_index(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '=') => return Some(i),
            (None, '#') => return None,
            _ => {}
        }
    }
    None
}

/// Finds the line of `path` (dotted key segments) in the TOML `text`: the line that
/// assigns the key (`key = …` under its `[table]`, or a dotted key), else the header of
/// the deepest table on the path. Returns 1-based `(line, column)`.
pub(crate) fn find_key(text: &str, path: &[String]) -> Option<(usize, usize)> {
    let mut table: Vec<String> = Vec::new();
    let mut best: Option<(usize, usize, usize)> = None; // (matched segments, line, col)
    let mut consider = |full: &[String], line: usize, col: usize| {
        let matched = full.iter().zip(path).take_while(|(a, b)| a == b).count();
        // Only a line whose whole key lies on the path counts.
        if matched == full.len() && matched > 0 && best.is_none_or(|(m, _, _)| matched > m) {
            best = Some((matched, line, col));
        }
    };
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = raw.trim_start();
        let indent = raw.chars().count() - trimmed.chars().count();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let inner = rest.trim_start_matches('[');
            let end = inner.find(']').unwrap_or(inner.len());
            table = split_key(&inner[..end]);
            consider(&table, line_no, indent + 1);
            continue;
        }
        if let Some(eq) = equals_index(trimmed) {
            let mut full = table.clone();
            full.extend(split_key(&trimmed[..eq]));
            consider(&full, line_no, indent + 1);
        }
    }
    best.map(|(_, line, col)| (line, col))
}

/// The key path a `toml` deserialization error carries (`a.b.c`), completed with the
/// field a "missing field `x`" or "unknown field `x`" message names.
pub(crate) fn error_key(error: &toml::de::Error) -> Vec<String> {
    let mut bare = error.clone();
    bare.set_input(None);
    let shown = bare.to_string();
    let mut keys: Vec<String> = shown
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("in `").and_then(|l| l.strip_suffix('`')))
        .map(split_key)
        .unwrap_or_default();
    let message = error.message();
    for prefix in ["missing field `", "unknown field `"] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some(end) = rest.find('`') {
                let field = rest[..end].to_owned();
                if keys.last() != Some(&field) {
                    keys.push(field);
                }
            }
        }
    }
    keys.retain(|k| !k.is_empty());
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 9), (2, 3));
        assert_eq!(line_col(text, 1000), (3, 1));
    }

    #[test]
    fn find_key_follows_tables_and_dotted_keys() {
        let text = "[services.greeter]\ninterface = \"x\"\nregistry = \"zk\"\n\n[references]\ngreeter.timeout = 3\n";
        let path = |s: &str| s.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            find_key(text, &path("services.greeter.registry")),
            Some((3, 1))
        );
        assert_eq!(
            find_key(text, &path("services.greeter.group")),
            Some((1, 1))
        );
        assert_eq!(
            find_key(text, &path("references.greeter.timeout")),
            Some((6, 1))
        );
        assert_eq!(find_key(text, &path("shutdown.timeout")), None);
    }

    #[test]
    fn display_names_file_line_and_key() {
        let mut e = ConfigError::new("a.toml", "references.g.timeout", "bad");
        assert_eq!(e.to_string(), "a.toml: references.g.timeout: bad");
        e.line = 3;
        e.column = 11;
        assert_eq!(e.to_string(), "a.toml:3:11: references.g.timeout: bad");
        e.env_var = Some("OXIDUBBO_X__Y".into());
        assert_eq!(
            e.to_string(),
            "OXIDUBBO_X__Y (overriding a.toml): references.g.timeout: bad"
        );
    }
}
