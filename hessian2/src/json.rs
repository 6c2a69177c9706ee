//! The JSON ↔ Hessian mapping (feature `json`): what the `oxidubbo` command reads its
//! arguments with and prints results in, and what Triple's HTTP-unary path serves
//! interface-style services with.
//!
//! # JSON → Hessian (arguments)
//!
//! | JSON | Hessian |
//! |---|---|
//! | `null`, `true`/`false`, string | null, boolean, string |
//! | integer | int if it fits 32 bits, else long (but see *fields* below) |
//! | number with a fraction or exponent | double |
//! | array | untyped list (a Java `ArrayList`) |
//! | object | untyped map (a Java `HashMap`) with string keys |
//! | `{"$class": "com.example.User", "id": 1, …}` | object of that class; the other keys are its fields, in order |
//! | `{"$int": 5}`, `{"$long": 5}`, `{"$double": 1}` | int, long, double (the number may also be a string; `"NaN"`, `"Infinity"`, `"-Infinity"` for doubles) |
//! | `{"$date": 1700000000000}` | date (milliseconds since the epoch, UTC) |
//! | `{"$binary": "AAEC"}` | binary (standard base64) |
//! | `{"$list": […], "$type": "java.util.LinkedList"}` | typed list (`$type` optional) |
//! | `{"$map": [[k, v], …], "$type": "java.util.TreeMap"}` | map with any keys (`$type` optional) |
//! | `{"$type": "java.util.TreeMap", "a": 1}` | typed map with string keys |
//! | `{"$ref": 0}` | back-reference to the n-th list, map or object of the stream |
//!
//! Inside a `$class` object, an integer field is a **long** when it does not fit 32 bits or
//! when its name says it holds an id or a time stamp: `id`, names ending in `Id`, `ID` or
//! `_id`, `timestamp`, and names ending in `Timestamp` or `Millis`. Every other integer is an
//! int. Java converts numbers to a field's declared type when it reads an object, so this
//! only matters for fields declared `Object` or `Number`; use `{"$long": n}` or `{"$int": n}`
//! to choose.
//!
//! A map key that starts with `$` must be written in the `$map` form.
//!
//! # Declared types
//!
//! When the Java type of an argument is known (`--types`), the JSON is converted to it:
//! `int`/`short`/`byte`/`Integer`… give an int, `long`/`Long` a long, `double`/`float` a
//! double, `java.util.Date` a date from milliseconds, `byte[]` a binary from base64, arrays
//! (`int[]`, `java.lang.String[]`, `[I`) a typed Hessian array (`[int`, `[string`, …), and a
//! plain JSON object (or a string, for an enum) given for a class such as
//! `com.example.User` becomes an object of that class. Escapes (`$long`, `$class`, …) always
//! win over the declared type.
//!
//! Without `--types`, each argument's type is guessed by [`guess_java_type`].
//!
//! # Hessian → JSON (results)
//!
//! The reverse of the above: ints, longs and finite doubles print as numbers, objects as
//! `{"$class": …, fields…}`, typed lists as `{"$type": …, "$list": […]}`, typed maps as
//! `{"$type": …, keys…}`, maps with non-string keys as `{"$map": [[k, v], …]}`, dates as
//! `{"$date": ms}`, binaries as `{"$binary": base64}`, longs as plain numbers or, with
//! [`RenderOptions::tag_longs`], as `{"$long": n}`, and references as `{"$ref": k}` or, when
//! [`RenderOptions::resolve_refs`] is set, as a copy of what they point at (a reference to an
//! enclosing value, a cycle, still prints as `{"$ref": k}`). Copies are bounded as the
//! decoder bounds them: what expanding the references of one stream prints is at most 16
//! times the stream's own size (in values and bytes); past that, references print as
//! `{"$ref": k}` and what a copy had left to print as `"…(references expand too far)"`.
//!
//! With [`RenderOptions::plain`], values print as Java's JSON encoders print them, with no
//! escapes: objects as plain objects (no `$class`), typed lists as arrays, typed maps as
//! objects, map keys that are not strings as their JSON text, dates as milliseconds,
//! binaries as base64 strings, and non-finite doubles as `"NaN"`, `"Infinity"` and
//! `"-Infinity"` (the protobuf JSON mapping's spelling).

use std::cell::Cell;

use crate::{DEFAULT_MAX_EXPANSION, EXPANSION_FLOOR, List, Map, Object, Str, Value};
use base64::Engine;
use serde_json::{Map as JsonMap, Number, Value as Json};

/// Why a JSON value could not become a Hessian value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    /// Where in the argument list, e.g. `argument 0: .user.id`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for MappingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for MappingError {}

type Result<T> = std::result::Result<T, MappingError>;

fn err<T>(path: &str, message: impl Into<String>) -> Result<T> {
    Err(MappingError {
        path: path.to_owned(),
        message: message.into(),
    })
}

fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The escape keys this mapping understands.
const ESCAPES: &[&str] = &[
    "$class", "$int", "$long", "$double", "$date", "$binary", "$list", "$map", "$type", "$ref",
];

/// Whether an integer field named `name` is sent as a long (see the module docs).
pub fn is_long_field(name: &str) -> bool {
    name == "id"
        || name.ends_with("Id")
        || name.ends_with("ID")
        || name.ends_with("_id")
        || name == "timestamp"
        || name.ends_with("Timestamp")
        || name.ends_with("Millis")
}

/// The arguments of a call from their JSON values and their Java types (source or JVM
/// form, one per value, see [`json_to_typed_value`]): the JVM descriptor of the types and
/// the converted values. Errors name the argument (`argument 1: …`).
pub fn typed_arguments(args: &[Json], types: &[String]) -> Result<(String, Vec<Value>)> {
    if args.len() != types.len() {
        return err(
            "",
            format!("{} type(s) for {} argument(s)", types.len(), args.len()),
        );
    }
    let mut descriptor = String::new();
    let mut values = Vec::with_capacity(args.len());
    for (i, (arg, ty)) in args.iter().zip(types).enumerate() {
        let desc = crate::descriptor::class_name_to_descriptor(&source_type_name(ty))
            .or_else(|e| err(&format!("type of argument {i}"), e.to_string()))?;
        descriptor.push_str(&desc);
        values.push(json_to_typed_value(arg, ty, &format!("argument {i}"))?);
    }
    Ok((descriptor, values))
}

/// Converts one JSON value to Hessian with no declared type.
pub fn json_to_value(json: &Json) -> Result<Value> {
    to_value_at(json, "", None)
}

fn int_value(n: &Number, path: &str, long_hint: bool) -> Result<Value> {
    if let Some(i) = n.as_i64() {
        if long_hint {
            return Ok(Value::Long(i));
        }
        return Ok(i32::try_from(i).map_or(Value::Long(i), Value::Int));
    }
    if n.is_u64() {
        return err(path, format!("{n} does not fit a Java long"));
    }
    match n.as_f64() {
        Some(d) => Ok(Value::Double(d)),
        None => err(path, format!("unsupported number {n}")),
    }
}

/// `field` is the name of the object field holding `json`, for the long-field rule.
fn to_value_at(json: &Json, path: &str, field: Option<&str>) -> Result<Value> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => int_value(n, path, field.is_some_and(is_long_field))?,
        Json::String(s) => Value::String(Str::from(s)),
        Json::Array(items) => Value::List(List::untyped(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| to_value_at(item, &index(path, i), None))
                .collect::<Result<_>>()?,
        )),
        Json::Object(obj) => object_to_value(obj, path)?,
    })
}

fn integer_of(json: &Json, path: &str, what: &str) -> Result<i64> {
    match json {
        Json::Number(n) => match n.as_i64() {
            Some(i) => Ok(i),
            None => err(path, format!("{what} needs an integer, not {n}")),
        },
        Json::String(s) => match s.trim().parse::<i64>() {
            Ok(i) => Ok(i),
            Err(_) => err(path, format!("{what} needs an integer, not {s:?}")),
        },
        other => err(path, format!("{what} needs an integer, not {other}")),
    }
}

fn double_of(json: &Json, path: &str) -> Result<f64> {
    match json {
        Json::Number(n) => match n.as_f64() {
            Some(d) => Ok(d),
            None => err(path, format!("$double needs a number, not {n}")),
        },
        Json::String(s) => match s.trim() {
            "NaN" => Ok(f64::NAN),
            "Infinity" | "+Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            t => match t.parse::<f64>() {
                Ok(d) => Ok(d),
                Err(_) => err(path, format!("$double needs a number, not {s:?}")),
            },
        },
        other => err(path, format!("$double needs a number, not {other}")),
    }
}

fn base64_of(json: &Json, path: &str) -> Result<Vec<u8>> {
    match json {
        Json::String(s) => {
            let cleaned: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(cleaned.as_bytes())
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(cleaned))
                .or_else(|e| err(path, format!("bad base64: {e}")))
        }
        other => err(path, format!("$binary needs a base64 string, not {other}")),
    }
}

fn type_name_of(obj: &JsonMap<String, Json>, path: &str) -> Result<Option<Str>> {
    match obj.get("$type") {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) if s.is_empty() => Ok(None),
        Some(Json::String(s)) => Ok(Some(Str::from(s))),
        Some(other) => err(path, format!("$type must be a string, not {other}")),
    }
}

/// Checks that an escape object has only the keys `allowed`.
fn only_keys(obj: &JsonMap<String, Json>, path: &str, allowed: &[&str]) -> Result<()> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(extra) => err(
            path,
            format!(
                "unexpected key {extra:?} next to {}",
                allowed.first().copied().unwrap_or_default()
            ),
        ),
        None => Ok(()),
    }
}

fn object_to_value(obj: &JsonMap<String, Json>, path: &str) -> Result<Value> {
    if let Some(class) = obj.get("$class") {
        let Json::String(class) = class else {
            return err(path, format!("$class must be a string, not {class}"));
        };
        if class.is_empty() {
            return err(path, "$class must not be empty");
        }
        let fields = obj
            .iter()
            .filter(|(k, _)| k.as_str() != "$class")
            .map(|(k, v)| Ok((Str::from(k), to_value_at(v, &child(path, k), Some(k))?)))
            .collect::<Result<Vec<_>>>()?;
        return Ok(Value::Object(Object::new(class.clone(), fields)));
    }
    if let Some(v) = obj.get("$int") {
        only_keys(obj, path, &["$int"])?;
        let i = integer_of(v, path, "$int")?;
        return match i32::try_from(i) {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => err(path, format!("$int {i} does not fit 32 bits (use $long)")),
        };
    }
    if let Some(v) = obj.get("$long") {
        only_keys(obj, path, &["$long"])?;
        return Ok(Value::Long(integer_of(v, path, "$long")?));
    }
    if let Some(v) = obj.get("$double") {
        only_keys(obj, path, &["$double"])?;
        return Ok(Value::Double(double_of(v, path)?));
    }
    if let Some(v) = obj.get("$date") {
        only_keys(obj, path, &["$date"])?;
        return Ok(Value::Date(integer_of(v, path, "$date")?));
    }
    if let Some(v) = obj.get("$binary") {
        only_keys(obj, path, &["$binary"])?;
        return Ok(Value::Binary(base64_of(v, path)?));
    }
    if let Some(v) = obj.get("$ref") {
        only_keys(obj, path, &["$ref"])?;
        let k = integer_of(v, path, "$ref")?;
        return match u32::try_from(k) {
            Ok(k) => Ok(Value::Ref(k)),
            Err(_) => err(path, format!("$ref {k} is out of range")),
        };
    }
    let type_name = type_name_of(obj, path)?;
    if let Some(items) = obj.get("$list") {
        only_keys(obj, path, &["$list", "$type"])?;
        let Json::Array(items) = items else {
            return err(path, "$list must be an array");
        };
        let items = items
            .iter()
            .enumerate()
            .map(|(i, item)| to_value_at(item, &index(path, i), None))
            .collect::<Result<Vec<_>>>()?;
        return Ok(Value::List(List {
            type_name,
            fixed_length: true,
            items,
        }));
    }
    if let Some(entries) = obj.get("$map") {
        only_keys(obj, path, &["$map", "$type"])?;
        let Json::Array(entries) = entries else {
            return err(path, "$map must be an array of [key, value] pairs");
        };
        let mut out = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let at = index(path, i);
            match entry {
                Json::Array(pair) if pair.len() == 2 => {
                    out.push((
                        to_value_at(&pair[0], &at, None)?,
                        to_value_at(&pair[1], &at, None)?,
                    ));
                }
                _ => return err(&at, "each $map entry must be a [key, value] pair"),
            }
        }
        return Ok(Value::Map(Map {
            type_name,
            entries: out,
        }));
    }
    if let Some(k) = obj
        .keys()
        .find(|k| k.starts_with('$') && k.as_str() != "$type")
    {
        let hint = if ESCAPES.contains(&k.as_str()) {
            String::new()
        } else {
            format!(
                " (known escapes: {}; write map keys starting with `$` in the {{\"$map\": [[key, value]]}} form)",
                ESCAPES.join(", ")
            )
        };
        return err(path, format!("unknown escape {k:?}{hint}"));
    }
    let entries = obj
        .iter()
        .filter(|(k, _)| k.as_str() != "$type")
        .map(|(k, v)| {
            Ok((
                Value::String(Str::from(k)),
                to_value_at(v, &child(path, k), None)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::Map(Map { type_name, entries }))
}

// ---- declared Java types ---------------------------------------------------------------------

/// Splits a `--types` list on commas outside `<…>`, trimming and dropping generic
/// parameters (`java.util.Map<String,Integer>` → `java.util.Map`).
pub fn split_types(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in list.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => out.push(std::mem::take(&mut current)),
            c if depth == 0 && !c.is_whitespace() => current.push(c),
            _ => {}
        }
    }
    out.push(current);
    if out.len() == 1 && out[0].is_empty() {
        out.clear();
    }
    out
}

/// Normalizes a Java type name: `[I` → `int[]`, `[Ljava.lang.String;` →
/// `java.lang.String[]`; other names are returned as given.
pub fn source_type_name(name: &str) -> String {
    let dims = name.chars().take_while(|&c| c == '[').count();
    if dims == 0 {
        return name.to_owned();
    }
    let rest = &name[dims..];
    let base = match rest {
        "I" => "int".to_owned(),
        "J" => "long".to_owned(),
        "S" => "short".to_owned(),
        "B" => "byte".to_owned(),
        "Z" => "boolean".to_owned(),
        "F" => "float".to_owned(),
        "D" => "double".to_owned(),
        "C" => "char".to_owned(),
        _ => rest
            .strip_prefix('L')
            .and_then(|r| r.strip_suffix(';'))
            .unwrap_or(rest)
            .replace('/', "."),
    };
    format!("{base}{}", "[]".repeat(dims))
}

/// The Hessian type name Java writes for an array whose component type is `component`
/// (source form): `int` → `[int`, `java.lang.String` → `[string`, `int[]` → `[[int`.
pub fn hessian_array_type(component: &str) -> String {
    let inner = match component {
        "java.lang.String" => "string".to_owned(),
        "java.lang.Object" => "object".to_owned(),
        "java.util.Date" => "date".to_owned(),
        c => match c.strip_suffix("[]") {
            Some(cc) => hessian_array_type(cc),
            None => c.to_owned(),
        },
    };
    format!("[{inner}")
}

/// The source-form Java type of a Hessian array type name (`[int` → `int[]`,
/// `[string` → `java.lang.String[]`), or `None` if `name` is not an array type.
pub fn array_type_from_hessian(name: &str) -> Option<String> {
    let component = name.strip_prefix('[')?;
    let component = match component {
        "string" => "java.lang.String".to_owned(),
        "object" => "java.lang.Object".to_owned(),
        "date" => "java.util.Date".to_owned(),
        c if c.starts_with('[') => array_type_from_hessian(c)?,
        "" => return None,
        c => c.to_owned(),
    };
    Some(format!("{component}[]"))
}

/// Guesses the Java parameter type of a JSON argument (used when `--types` is absent).
///
/// string → `java.lang.String`; integer → `int`, or `long` beyond 32 bits; other numbers →
/// `double`; boolean → `boolean`; array → `java.util.List`; object → `java.util.Map`, or
/// the `$class`; `null` → `java.lang.Object`. Escapes give their type (`$long` → `long`,
/// `$date` → `java.util.Date`, `$binary` → `byte[]`, a `$list` of `$type` `[int` → `int[]`).
pub fn guess_java_type(json: &Json) -> String {
    match json {
        Json::Null => "java.lang.Object".into(),
        Json::Bool(_) => "boolean".into(),
        Json::Number(n) => match n.as_i64() {
            Some(i) if i32::try_from(i).is_ok() => "int".into(),
            Some(_) => "long".into(),
            None => "double".into(),
        },
        Json::String(_) => "java.lang.String".into(),
        Json::Array(_) => "java.util.List".into(),
        Json::Object(obj) => {
            if let Some(Json::String(class)) = obj.get("$class") {
                return class.clone();
            }
            let escape = |k: &str| obj.contains_key(k);
            if escape("$int") {
                "int".into()
            } else if escape("$long") {
                "long".into()
            } else if escape("$double") {
                "double".into()
            } else if escape("$date") {
                "java.util.Date".into()
            } else if escape("$binary") {
                "byte[]".into()
            } else if escape("$ref") {
                "java.lang.Object".into()
            } else if escape("$list") {
                match obj.get("$type") {
                    Some(Json::String(t)) => {
                        array_type_from_hessian(t).unwrap_or_else(|| "java.util.List".into())
                    }
                    _ => "java.util.List".into(),
                }
            } else {
                "java.util.Map".into()
            }
        }
    }
}

/// Whether a JSON object is an escape or `$class` object (as opposed to a plain map).
fn is_escape_object(json: &Json) -> bool {
    matches!(json, Json::Object(obj) if obj.keys().any(|k| ESCAPES.contains(&k.as_str()) && k != "$type"))
}

/// Types the JSON is mapped generically for (no conversion).
fn is_generic_type(t: &str) -> bool {
    matches!(
        t,
        "java.lang.Object"
            | "java.lang.Number"
            | "java.io.Serializable"
            | "java.lang.Comparable"
            | "java.lang.CharSequence"
    ) || (t.starts_with("java.util.") && !t.ends_with("[]") && t != "java.util.Date")
}

/// Converts a JSON argument to Hessian for the declared Java type `java_type` (source form
/// or JVM array form, see [`source_type_name`]).
pub fn json_to_typed_value(json: &Json, java_type: &str, path: &str) -> Result<Value> {
    let t = source_type_name(java_type);
    if json.is_null() {
        return match t.as_str() {
            "int" | "long" | "short" | "byte" | "double" | "float" | "boolean" | "char" => {
                err(path, format!("null is not a valid {t}"))
            }
            _ => Ok(Value::Null),
        };
    }
    if is_escape_object(json) {
        return to_value_at(json, path, None);
    }
    let want_int = |lo: i64, hi: i64| -> Result<Value> {
        match json {
            Json::Number(n) => match n.as_i64() {
                Some(i) if (lo..=hi).contains(&i) => {
                    Ok(Value::Int(i32::try_from(i).unwrap_or_default()))
                }
                _ => err(path, format!("{n} is not a valid {t}")),
            },
            other => err(path, format!("expected a number for {t}, found {other}")),
        }
    };
    match t.as_str() {
        "int" | "java.lang.Integer" => want_int(i64::from(i32::MIN), i64::from(i32::MAX)),
        "short" | "java.lang.Short" => want_int(i64::from(i16::MIN), i64::from(i16::MAX)),
        "byte" | "java.lang.Byte" => want_int(i64::from(i8::MIN), i64::from(i8::MAX)),
        "long" | "java.lang.Long" => match json {
            Json::Number(n) => match n.as_i64() {
                Some(i) => Ok(Value::Long(i)),
                None => err(path, format!("{n} is not a valid long")),
            },
            other => err(path, format!("expected a number for long, found {other}")),
        },
        "double" | "java.lang.Double" | "float" | "java.lang.Float" => match json {
            Json::Number(n) => match n.as_f64() {
                Some(d) => Ok(Value::Double(d)),
                None => err(path, format!("{n} is not a valid {t}")),
            },
            other => err(path, format!("expected a number for {t}, found {other}")),
        },
        "boolean" | "java.lang.Boolean" => match json {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            other => err(
                path,
                format!("expected true or false for {t}, found {other}"),
            ),
        },
        "char" | "java.lang.Character" => match json {
            Json::String(s) if s.chars().count() == 1 => Ok(Value::String(Str::from(s))),
            other => err(
                path,
                format!("expected a one-character string for {t}, found {other}"),
            ),
        },
        "java.lang.String" => match json {
            Json::String(s) => Ok(Value::String(Str::from(s))),
            other => err(
                path,
                format!("expected a string for java.lang.String, found {other}"),
            ),
        },
        "java.util.Date" => match json {
            Json::Number(_) | Json::String(_) => {
                Ok(Value::Date(integer_of(json, path, "java.util.Date")?))
            }
            other => err(
                path,
                format!("expected milliseconds since the epoch for java.util.Date, found {other}"),
            ),
        },
        "byte[]" => match json {
            Json::String(_) => Ok(Value::Binary(base64_of(json, path)?)),
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item.as_i64() {
                    Some(b) if (-128..=255).contains(&b) => Ok(b as u8),
                    _ => err(&index(path, i), format!("{item} is not a byte")),
                })
                .collect::<Result<Vec<u8>>>()
                .map(Value::Binary),
            other => err(
                path,
                format!("expected base64 or an array of bytes for byte[], found {other}"),
            ),
        },
        _ if t.ends_with("[]") => {
            let component = &t[..t.len() - 2];
            let Json::Array(items) = json else {
                return err(path, format!("expected an array for {t}, found {json}"));
            };
            let items = items
                .iter()
                .enumerate()
                .map(|(i, item)| json_to_typed_value(item, component, &index(path, i)))
                .collect::<Result<Vec<_>>>()?;
            Ok(Value::List(List::typed(
                hessian_array_type(component),
                items,
            )))
        }
        _ if is_generic_type(&t) => to_value_at(json, path, None),
        _ if t.starts_with("java.lang.") => to_value_at(json, path, None),
        class => match json {
            // A POJO given as a plain JSON object: an object of the declared class.
            Json::Object(obj) if !obj.contains_key("$type") => {
                let mut with_class = JsonMap::new();
                with_class.insert("$class".into(), Json::String(class.to_owned()));
                with_class.extend(obj.iter().map(|(k, v)| (k.clone(), v.clone())));
                object_to_value(&with_class, path)
            }
            // An enum constant given by name.
            Json::String(name) => Ok(Value::Object(Object::new(
                class,
                vec![("name".into(), Value::String(Str::from(name)))],
            ))),
            other => to_value_at(other, path, None),
        },
    }
}

// ---- Hessian → JSON --------------------------------------------------------------------------

/// How [`render`] prints values.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Print a copy of what each `$ref` points at (cycles still print as `{"$ref": k}`).
    pub resolve_refs: bool,
    /// Print longs as `{"$long": n}`, so that they can be told from ints.
    pub tag_longs: bool,
    /// Print as Java's JSON encoders do, without escapes (see the module docs).
    pub plain: bool,
}

/// The lists, maps and objects of a body in stream order: what `Q k` counts; and how much
/// printing copies of what references point at may still add, for all the values of the
/// stream together.
#[derive(Debug, Default)]
pub struct RefTable<'a> {
    targets: Vec<&'a Value>,
    /// Values plus string and binary bytes that expanding references may still print:
    /// [`DEFAULT_MAX_EXPANSION`] times the stream's own size (at least
    /// [`EXPANSION_FLOOR`]), as the decoder and `from_value` allow.
    budget: Cell<u64>,
}

impl<'a> RefTable<'a> {
    /// Numbers the containers of `values`, which must be all the values of one stream, in
    /// order (a body's tables are shared by all its values).
    pub fn new(values: &[&'a Value]) -> Self {
        let mut table = RefTable::default();
        let mut size = 0;
        for v in values {
            table.visit(v, &mut size);
        }
        let base = size.max(EXPANSION_FLOOR as u64);
        table
            .budget
            .set(base.saturating_mul(DEFAULT_MAX_EXPANSION as u64));
        table
    }

    /// Takes what printing `v` costs from the budget; `false` when it is spent.
    fn charge(&self, v: &Value) -> bool {
        match self.budget.get().checked_sub(cost(v)) {
            Some(left) => {
                self.budget.set(left);
                true
            }
            None => {
                self.budget.set(0);
                false
            }
        }
    }

    fn visit(&mut self, v: &'a Value, size: &mut u64) {
        *size = size.saturating_add(cost(v));
        match v {
            Value::List(l) => {
                self.targets.push(v);
                l.items.iter().for_each(|i| self.visit(i, size));
            }
            Value::Map(m) => {
                self.targets.push(v);
                for (k, val) in &m.entries {
                    self.visit(k, size);
                    self.visit(val, size);
                }
            }
            Value::Object(o) => {
                self.targets.push(v);
                o.fields.iter().for_each(|(_, f)| self.visit(f, size));
            }
            _ => {}
        }
    }
}

/// What printing `v` itself costs: one value, plus the bytes of a string or binary.
fn cost(v: &Value) -> u64 {
    match v {
        Value::String(s) => 1 + s.len() as u64,
        Value::Binary(b) => 1 + b.len() as u64,
        _ => 1,
    }
}

/// Deepest nesting printed (references can nest deeper than the decoder's own limit).
const MAX_RENDER_DEPTH: usize = 256;
/// What a value inside an expanded reference prints as once the table's budget is spent.
const EXPANSION_SPENT: &str = "…(references expand too far)";

struct Renderer<'t, 'a> {
    table: &'t RefTable<'a>,
    opts: RenderOptions,
    stack: Vec<*const Value>,
    /// How many references are being expanded around the value printed.
    expanding: usize,
}

/// Prints `value` as JSON; `table` numbers the references of its stream, and bounds what
/// expanding them may print (for all the values printed with it): past that, references
/// print as `{"$ref": k}`.
pub fn render(value: &Value, table: &RefTable<'_>, opts: RenderOptions) -> Json {
    Renderer {
        table,
        opts,
        stack: Vec::new(),
        expanding: 0,
    }
    .value(value)
}

/// Prints a standalone value (its references counted within itself).
pub fn render_standalone(value: &Value, opts: RenderOptions) -> Json {
    let table = RefTable::new(&[value]);
    render(value, &table, opts)
}

fn ref_json(k: u32) -> Json {
    let mut m = JsonMap::new();
    m.insert("$ref".into(), Json::from(k));
    Json::Object(m)
}

fn tagged(key: &str, value: Json) -> Json {
    let mut m = JsonMap::new();
    m.insert(key.into(), value);
    Json::Object(m)
}

impl Renderer<'_, '_> {
    fn value(&mut self, v: &Value) -> Json {
        if self.stack.len() >= MAX_RENDER_DEPTH {
            return Json::String("…(too deep)".into());
        }
        if self.expanding > 0 && !self.table.charge(v) {
            return Json::String(EXPANSION_SPENT.into());
        }
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Long(l) if self.opts.tag_longs => tagged("$long", Json::from(*l)),
            Value::Long(l) => Json::from(*l),
            Value::Double(d) => match Number::from_f64(*d) {
                Some(n) => Json::Number(n),
                None => {
                    let text = Json::String(
                        if d.is_nan() {
                            "NaN"
                        } else if *d > 0.0 {
                            "Infinity"
                        } else {
                            "-Infinity"
                        }
                        .into(),
                    );
                    self.escaped("$double", text)
                }
            },
            Value::Date(ms) => self.escaped("$date", Json::from(*ms)),
            Value::String(s) => Json::String(s.to_string()),
            Value::Binary(b) => self.escaped(
                "$binary",
                Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
            ),
            Value::Ref(k) => self.reference(*k),
            Value::List(l) => {
                self.stack.push(v);
                let items: Vec<Json> = l.items.iter().map(|i| self.value(i)).collect();
                self.stack.pop();
                match l.type_name.as_ref().filter(|_| !self.opts.plain) {
                    None => Json::Array(items),
                    Some(t) => {
                        let mut m = JsonMap::new();
                        m.insert("$type".into(), Json::String(t.to_string()));
                        m.insert("$list".into(), Json::Array(items));
                        Json::Object(m)
                    }
                }
            }
            Value::Map(map) => {
                self.stack.push(v);
                let out = self.map(map);
                self.stack.pop();
                out
            }
            Value::Object(o) => {
                self.stack.push(v);
                let mut m = JsonMap::new();
                if !self.opts.plain {
                    m.insert("$class".into(), Json::String(o.class_name.to_string()));
                }
                for (name, field) in &o.fields {
                    let rendered = self.value(field);
                    m.insert(name.to_string(), rendered);
                }
                self.stack.pop();
                Json::Object(m)
            }
        }
    }

    /// `value` as `{key: value}`, or bare when printing plain.
    fn escaped(&self, key: &str, value: Json) -> Json {
        if self.opts.plain {
            value
        } else {
            tagged(key, value)
        }
    }

    fn map(&mut self, map: &Map) -> Json {
        let mut m = JsonMap::new();
        if self.opts.plain {
            for (k, v) in &map.entries {
                let key = match self.value(k) {
                    Json::String(s) => s,
                    other => other.to_string(),
                };
                let rendered = self.value(v);
                m.insert(key, rendered);
            }
            return Json::Object(m);
        }
        let plain_keys = map
            .entries
            .iter()
            .all(|(k, _)| matches!(k, Value::String(s) if !s.starts_with('$')));
        if let Some(t) = &map.type_name {
            m.insert("$type".into(), Json::String(t.to_string()));
        }
        if plain_keys {
            for (k, v) in &map.entries {
                let rendered = self.value(v);
                m.insert(k.as_str().unwrap_or_default().to_owned(), rendered);
            }
        } else {
            let entries = map
                .entries
                .iter()
                .map(|(k, v)| Json::Array(vec![self.value(k), self.value(v)]))
                .collect();
            m.insert("$map".into(), Json::Array(entries));
        }
        Json::Object(m)
    }

    fn reference(&mut self, k: u32) -> Json {
        if !self.opts.resolve_refs || self.table.budget.get() == 0 {
            return ref_json(k);
        }
        let Some(target) = self.table.targets.get(k as usize).copied() else {
            return ref_json(k);
        };
        let ptr: *const Value = target;
        if self.stack.contains(&ptr) {
            return ref_json(k);
        }
        self.expanding += 1;
        let copy = self.value(target);
        self.expanding -= 1;
        copy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_json_maps_by_size_and_shape() {
        assert_eq!(json_to_value(&json!(5)).ok(), Some(Value::Int(5)));
        assert_eq!(
            json_to_value(&json!(5_000_000_000i64)).ok(),
            Some(Value::Long(5_000_000_000))
        );
        assert_eq!(json_to_value(&json!(1.5)).ok(), Some(Value::Double(1.5)));
        assert_eq!(
            json_to_value(&json!([1, "a"])).ok(),
            Some(Value::List(List::untyped(vec![Value::Int(1), "a".into()])))
        );
        assert!(json_to_value(&json!(u64::MAX)).is_err());
    }

    #[test]
    fn class_objects_use_the_long_field_rule() {
        let v =
            json_to_value(&json!({"$class": "com.example.User", "id": 42, "age": 7, "ownerId": 1}))
                .ok();
        assert_eq!(
            v,
            Some(Value::Object(Object::new(
                "com.example.User",
                vec![
                    ("id".into(), Value::Long(42)),
                    ("age".into(), Value::Int(7)),
                    ("ownerId".into(), Value::Long(1)),
                ]
            )))
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(
            json_to_value(&json!({"$long": 5})).ok(),
            Some(Value::Long(5))
        );
        assert_eq!(
            json_to_value(&json!({"$int": "7"})).ok(),
            Some(Value::Int(7))
        );
        assert!(json_to_value(&json!({"$int": 5_000_000_000i64})).is_err());
        assert_eq!(
            json_to_value(&json!({"$date": 1000})).ok(),
            Some(Value::Date(1000))
        );
        assert_eq!(
            json_to_value(&json!({"$binary": "AAEC"})).ok(),
            Some(Value::Binary(vec![0, 1, 2]))
        );
        assert_eq!(
            json_to_value(&json!({"$list": [1], "$type": "[int"})).ok(),
            Some(Value::List(List::typed("[int", vec![Value::Int(1)])))
        );
        assert_eq!(
            json_to_value(&json!({"$map": [[1, "x"]]})).ok(),
            Some(Value::Map(Map::untyped(vec![(Value::Int(1), "x".into())])))
        );
        assert!(json_to_value(&json!({"$long": 5, "x": 1})).is_err());
        assert!(json_to_value(&json!({"$bogus": 5})).is_err());
    }

    #[test]
    fn declared_types_convert() {
        let t = |j: Json, ty: &str| json_to_typed_value(&j, ty, "arg").ok();
        assert_eq!(t(json!(42), "long"), Some(Value::Long(42)));
        assert_eq!(t(json!(42), "java.lang.Integer"), Some(Value::Int(42)));
        assert_eq!(t(json!(3), "double"), Some(Value::Double(3.0)));
        assert_eq!(t(json!(300), "byte"), None);
        assert_eq!(t(json!("x"), "int"), None);
        assert_eq!(
            t(json!([1, 2]), "long[]"),
            Some(Value::List(List::typed(
                "[long",
                vec![Value::Long(1), Value::Long(2)]
            )))
        );
        assert_eq!(
            t(json!(["a"]), "[Ljava.lang.String;"),
            Some(Value::List(List::typed("[string", vec!["a".into()])))
        );
        assert_eq!(
            t(json!({"id": 1}), "com.example.User"),
            Some(Value::Object(Object::new(
                "com.example.User",
                vec![("id".into(), Value::Long(1))]
            )))
        );
        assert_eq!(
            t(json!("RED"), "com.example.Color"),
            Some(Value::Object(Object::new(
                "com.example.Color",
                vec![("name".into(), "RED".into())]
            )))
        );
        assert_eq!(t(json!({"$int": 1}), "long"), Some(Value::Int(1)));
    }

    #[test]
    fn guesses_and_type_lists() {
        assert_eq!(guess_java_type(&json!("a")), "java.lang.String");
        assert_eq!(guess_java_type(&json!(1)), "int");
        assert_eq!(guess_java_type(&json!(1i64 << 40)), "long");
        assert_eq!(guess_java_type(&json!(true)), "boolean");
        assert_eq!(guess_java_type(&json!({"$class": "a.B"})), "a.B");
        assert_eq!(guess_java_type(&json!({"k": 1})), "java.util.Map");
        assert_eq!(
            guess_java_type(&json!({"$list": [], "$type": "[int"})),
            "int[]"
        );
        assert_eq!(
            split_types("int, java.util.Map<String,Integer>,long"),
            vec!["int", "java.util.Map", "long"]
        );
        assert!(split_types("").is_empty());
    }

    #[test]
    fn renders_classes_types_and_refs() {
        let list = Value::List(List::typed("java.util.LinkedList", vec![Value::Int(1)]));
        let obj = Value::Object(Object::new(
            "a.B",
            vec![
                ("self".into(), Value::Ref(0)),
                ("l".into(), list),
                ("again".into(), Value::Ref(1)),
            ],
        ));
        let raw = render_standalone(&obj, RenderOptions::default());
        assert_eq!(
            raw,
            json!({"$class": "a.B", "self": {"$ref": 0}, "l": {"$type": "java.util.LinkedList", "$list": [1]}, "again": {"$ref": 1}})
        );
        let resolved = render_standalone(
            &obj,
            RenderOptions {
                resolve_refs: true,
                ..RenderOptions::default()
            },
        );
        assert_eq!(
            resolved,
            json!({"$class": "a.B", "self": {"$ref": 0}, "l": {"$type": "java.util.LinkedList", "$list": [1]}, "again": {"$type": "java.util.LinkedList", "$list": [1]}})
        );
        let odd = Value::Map(Map::untyped(vec![(Value::Int(1), Value::Double(f64::NAN))]));
        assert_eq!(
            render_standalone(&odd, RenderOptions::default()),
            json!({"$map": [[1, {"$double": "NaN"}]]})
        );
    }

    /// JSON values in `j`, itself included.
    fn nodes(j: &Json) -> usize {
        match j {
            Json::Array(a) => 1 + a.iter().map(nodes).sum::<usize>(),
            Json::Object(m) => 1 + m.values().map(nodes).sum::<usize>(),
            _ => 1,
        }
    }

    #[test]
    fn expanding_references_is_bounded() {
        // [L0, L1, …, L20]: L0 holds 16 ints, each Li 16 references to L(i-1): printed in
        // full, L20 would be 16^21 ints.
        let mut lists = vec![Value::List(List::untyped(vec![Value::Int(0); 16]))];
        for i in 1..=20 {
            lists.push(Value::List(List::untyped(vec![Value::Ref(i); 16])));
        }
        let bomb = Value::List(List::untyped(lists));
        let resolve = RenderOptions {
            resolve_refs: true,
            ..RenderOptions::default()
        };
        let json = render_standalone(&bomb, resolve);
        let printed = nodes(&json);
        let budget = DEFAULT_MAX_EXPANSION * EXPANSION_FLOOR;
        assert!(printed <= 2 * budget, "{printed} values printed");
        let text = json.to_string();
        assert!(text.contains("$ref") && text.contains(EXPANSION_SPENT));
        // Within the budget, copies print in full.
        let small = Value::List(List::untyped(vec![
            Value::List(List::untyped(vec![Value::Int(1)])),
            Value::Ref(1),
        ]));
        assert_eq!(render_standalone(&small, resolve), json!([[1], [1]]));
    }

    #[test]
    fn typed_arguments_make_the_descriptor_and_name_the_argument() {
        let args = [json!("x"), json!(5), json!({"k": 1})];
        let types: Vec<String> = args.iter().map(guess_java_type).collect();
        let (desc, values) = typed_arguments(&args, &types).unwrap();
        assert_eq!(desc, "Ljava/lang/String;ILjava/util/Map;");
        assert_eq!(values[1], Value::Int(5));
        let e = typed_arguments(&[json!("x")], &["int".into()]).unwrap_err();
        assert_eq!(e.path, "argument 0");
        assert!(typed_arguments(&[json!(1)], &[]).is_err());
    }

    #[test]
    fn plain_rendering_drops_the_escapes() {
        let plain = RenderOptions {
            resolve_refs: true,
            plain: true,
            ..RenderOptions::default()
        };
        let user = Value::Object(Object::new(
            "com.example.User",
            vec![
                ("id".into(), Value::Long(42)),
                (
                    "tags".into(),
                    Value::List(List::typed("java.util.ArrayList", vec!["a".into()])),
                ),
                ("born".into(), Value::Date(1000)),
                ("photo".into(), Value::Binary(vec![0, 1, 2])),
                ("score".into(), Value::Double(f64::INFINITY)),
                (
                    "byId".into(),
                    Value::Map(Map {
                        type_name: Some("java.util.TreeMap".into()),
                        entries: vec![(Value::Int(7), "seven".into()), ("$x".into(), Value::Null)],
                    }),
                ),
                ("again".into(), Value::Ref(1)),
            ],
        ));
        assert_eq!(
            render_standalone(&user, plain),
            json!({"id": 42, "tags": ["a"], "born": 1000, "photo": "AAEC", "score": "Infinity",
                   "byId": {"7": "seven", "$x": null}, "again": ["a"]})
        );
    }

    #[test]
    fn round_trip_through_json() {
        let j = json!({"$class": "a.B", "when": {"$date": 5}, "data": {"$binary": "AAE="}, "m": {"$type": "java.util.TreeMap", "k": [1]}});
        let v = json_to_value(&j).ok();
        let back = v.map(|v| render_standalone(&v, RenderOptions::default()));
        assert_eq!(back, Some(j));
    }
}
