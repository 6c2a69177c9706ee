//! Small JSON helpers shared by the readers and writers of this crate.
//!
//! Writers produce text field by field, so that the order of keys is the order Java writes
//! (whatever `serde_json` features the workspace enables). Readers walk a parsed
//! `serde_json::Value`, match keys by name, ignore unknown keys, and turn a wrong type into
//! an error naming the field.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{MetadataError, Result};
use crate::revision::java_cmp;

/// Parses `bytes` as JSON.
pub(crate) fn parse(what: &'static str, bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|source| MetadataError::Json { what, source })
}

/// `v` as an object.
pub(crate) fn as_object<'a>(
    what: &'static str,
    v: &'a Value,
    name: &str,
) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| MetadataError::invalid(what, format!("{name} is not a JSON object")))
}

/// A string field: missing or `null` → `None`; a number or bool → its text (dubbo-go prints
/// metadata values with `fmt.Sprint`); anything else is an error.
pub(crate) fn opt_string(
    what: &'static str,
    obj: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => scalar_text(v)
            .map(Some)
            .ok_or_else(|| MetadataError::invalid(what, format!("`{key}` is not a string"))),
    }
}

/// A required string field.
pub(crate) fn string(what: &'static str, obj: &Map<String, Value>, key: &str) -> Result<String> {
    opt_string(what, obj, key)?
        .ok_or_else(|| MetadataError::invalid(what, format!("`{key}` is missing")))
}

/// An integer field: missing or `null` → `None`; a number without fraction, or a string of
/// digits, → its value; anything else is an error.
pub(crate) fn opt_i64(
    what: &'static str,
    obj: &Map<String, Value>,
    key: &str,
) -> Result<Option<i64>> {
    let bad = || MetadataError::invalid(what, format!("`{key}` is not an integer"));
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// A port field: an integer in `0..=65535`, or `None` when missing or `null`.
pub(crate) fn opt_port(
    what: &'static str,
    obj: &Map<String, Value>,
    key: &str,
) -> Result<Option<u16>> {
    match opt_i64(what, obj, key)? {
        None => Ok(None),
        Some(n) => u16::try_from(n)
            .map(Some)
            .map_err(|_| MetadataError::invalid(what, format!("`{key}` {n} is not a port"))),
    }
}

/// An object of strings (`Map<String, String>` in Java): missing or `null` → empty; `null`
/// values are left out; numbers and bools become their text.
pub(crate) fn string_map(
    what: &'static str,
    obj: &Map<String, Value>,
    key: &str,
) -> Result<BTreeMap<String, String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(v) => object_of_strings(what, v, key),
    }
}

/// `v`, an object whose values are strings, as a map (see [`string_map`]).
pub(crate) fn object_of_strings(
    what: &'static str,
    v: &Value,
    name: &str,
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (k, v) in as_object(what, v, name)? {
        if v.is_null() {
            continue;
        }
        let text = scalar_text(v)
            .ok_or_else(|| MetadataError::invalid(what, format!("`{name}.{k}` is not a string")))?;
        out.insert(k.clone(), text);
    }
    Ok(out)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Appends `s` as a JSON string: `"` and `\` escaped, `\b \f \n \r \t` as such, other
/// control characters as `\u00XX`, everything else as it is (what Jackson and Gson write).
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `"key":`.
pub(crate) fn push_key(out: &mut String, key: &str) {
    push_str(out, key);
    out.push(':');
}

/// Appends an object of strings with its keys in Java `String` order (a `TreeMap`).
pub(crate) fn push_sorted_map<'a>(
    out: &mut String,
    entries: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let mut entries: Vec<(&str, &str)> = entries.into_iter().collect();
    entries.sort_by(|a, b| java_cmp(a.0, b.0));
    push_map(out, entries);
}

/// Appends an object of strings with its keys in the given order.
pub(crate) fn push_map<'a>(
    out: &mut String,
    entries: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    out.push('{');
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_key(out, k);
        push_str(out, v);
    }
    out.push('}');
}
