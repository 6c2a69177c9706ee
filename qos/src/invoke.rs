//! `invoke`: Java's `InvokeTelnet` syntax, `[service.]method(arg, …)` with JSON-ish
//! arguments (strings, numbers, booleans, `null`, lists, maps), called through the
//! exported invoker (the provider filter chain) of the service.

use std::time::Instant;

use oxidubbo_hessian2::{List, Map, Value};
use oxidubbo_invoker::Invocation;

use crate::app::{ProviderService, QosApplication};

/// Java's answer to an invoke line that is not `service.method(args)`.
pub const INVALID_FORMAT: &str = "Invalid parameters, format: service.method(args)";

/// A parsed invoke line.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeLine {
    /// The service (interface or service key), `None` when only the method is named.
    pub service: Option<String>,
    /// The method name.
    pub method: String,
    /// The arguments.
    pub arguments: Vec<Value>,
}

/// Parses `[service.]method(args)`.
///
/// # Errors
///
/// Java's texts: [`INVALID_FORMAT`], or `Invalid json argument, cause: …`.
pub fn parse(line: &str) -> Result<InvokeLine, String> {
    let line = line.trim();
    let (Some(open), true) = (line.find('('), line.ends_with(')')) else {
        return Err(INVALID_FORMAT.to_owned());
    };
    let target = line[..open].trim();
    let args = &line[open + 1..line.len() - 1];
    let (service, method) = match target.rfind('.') {
        Some(dot) => (Some(target[..dot].to_owned()), &target[dot + 1..]),
        None => (None, target),
    };
    if method.is_empty() || service.as_deref() == Some("") {
        return Err(INVALID_FORMAT.to_owned());
    }
    let json: serde_json::Value = serde_json::from_str(&format!("[{args}]"))
        .map_err(|e| format!("Invalid json argument, cause: {e}"))?;
    let arguments = match json {
        serde_json::Value::Array(items) => items.iter().map(to_value).collect(),
        _ => return Err(INVALID_FORMAT.to_owned()),
    };
    Ok(InvokeLine {
        service,
        method: method.to_owned(),
        arguments,
    })
}

/// A JSON value as a Hessian value: integers as `int` when they fit, else `long`.
fn to_value(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i32::try_from(i).map_or(Value::Long(i), Value::Int),
            (None, Some(f)) => Value::Double(f),
            (None, None) => Value::String(n.to_string().into()),
        },
        serde_json::Value::String(s) => Value::String(s.into()),
        serde_json::Value::Array(items) => {
            Value::List(List::untyped(items.iter().map(to_value).collect()))
        }
        serde_json::Value::Object(entries) => Value::Map(Map::untyped(
            entries
                .iter()
                .map(|(k, v)| (Value::String(k.into()), to_value(v)))
                .collect(),
        )),
    }
}

/// The JVM descriptor of the arguments, as a Java caller of that shape would send it.
fn descriptor(arguments: &[Value]) -> String {
    arguments
        .iter()
        .map(|a| match a {
            Value::Bool(_) => "Z",
            Value::Int(_) => "I",
            Value::Long(_) => "J",
            Value::Double(_) => "D",
            Value::String(_) => "Ljava/lang/String;",
            Value::List(_) => "Ljava/util/List;",
            Value::Map(_) => "Ljava/util/Map;",
            _ => "Ljava/lang/Object;",
        })
        .collect()
}

/// A Hessian value as JSON, the way Java prints an invoke's result.
pub fn to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null | Value::Ref(_) => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Long(l) | Value::Date(l) => (*l).into(),
        Value::Double(d) => {
            serde_json::Number::from_f64(*d).map_or(serde_json::Value::Null, Into::into)
        }
        Value::String(s) => s.to_string().into(),
        Value::Binary(b) => b.iter().map(|x| serde_json::Value::from(*x)).collect(),
        Value::List(l) => l.items.iter().map(to_json).collect(),
        Value::Map(m) => m
            .entries
            .iter()
            .map(|(k, v)| (key_text(k), to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Value::Object(o) => o
            .fields
            .iter()
            .map(|(k, v)| (k.to_string(), to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.to_string(),
        other => to_json(other).to_string(),
    }
}

/// Whether `provider` is the one `service` names (its interface, its service key, or the
/// interface's simple name, as Java accepts).
fn names(provider: &ProviderService, service: &str) -> bool {
    provider.interface == service
        || provider.service_key == service
        || provider.interface.rsplit('.').next() == Some(service)
}

/// Runs `line` (the text after `invoke`): Java's `result: <json>` and `elapsed: N ms.`,
/// or Java's error texts.
pub async fn run(app: &dyn QosApplication, line: &str) -> String {
    if line.trim().is_empty() {
        return "Please input method name, eg: \r\ninvoke xxxMethod(1234, \"abcd\", {\"prop\" : \"value\"})\r\ninvoke XxxService.xxxMethod(1234, \"abcd\", {\"prop\" : \"value\"})\r\ninvoke com.xxx.XxxService.xxxMethod(1234, \"abcd\", {\"prop\" : \"value\"})".to_owned();
    }
    let parsed = match parse(line) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let providers = app.providers();
    let provider = match &parsed.service {
        Some(service) => match providers.iter().find(|p| names(p, service)) {
            Some(p) => p,
            None => return format!("No such service {service}"),
        },
        None => match providers
            .iter()
            .find(|p| p.methods.contains(&parsed.method))
        {
            Some(p) => p,
            None => return format!("No such method {} in service", parsed.method),
        },
    };
    if !provider.methods.contains(&parsed.method) {
        return format!(
            "No such method {} in service {}",
            parsed.method, provider.interface
        );
    }
    let Some(invoker) = &provider.invoker else {
        return format!("No such service {}", provider.interface);
    };
    let types = descriptor(&parsed.arguments);
    let invocation = Invocation::new(parsed.method.clone(), types, parsed.arguments);
    let started = Instant::now();
    let result = invoker.invoke(invocation).await;
    let elapsed = started.elapsed().as_millis();
    match result {
        Ok(r) => format!("result: {}\r\nelapsed: {elapsed} ms.", to_json(&r.value)),
        Err(e) => format!("Failed to invoke method {}, cause: {e}", parsed.method),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_java_syntax_with_every_json_kind() {
        let p = parse(r#"a.b.Svc.m("x", 1, 5000000000, 1.5, true, null, [1], {"k": "v"})"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.service.as_deref(), Some("a.b.Svc"));
        assert_eq!(p.method, "m");
        assert_eq!(
            p.arguments,
            vec![
                Value::from("x"),
                Value::Int(1),
                Value::Long(5_000_000_000),
                Value::Double(1.5),
                Value::Bool(true),
                Value::Null,
                Value::List(List::untyped(vec![Value::Int(1)])),
                Value::Map(Map::untyped(vec![(Value::from("k"), Value::from("v"))])),
            ]
        );
        assert_eq!(descriptor(&p.arguments[..2]), "Ljava/lang/String;I");
    }

    #[test]
    fn a_method_alone_and_no_arguments() {
        let p = parse("m()").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (p.service, p.method.as_str(), p.arguments.len()),
            (None, "m", 0)
        );
    }

    #[test]
    fn bad_lines_get_java_texts() {
        for bad in ["m", "m(", ".m()", "a.()", "("] {
            assert_eq!(parse(bad), Err(INVALID_FORMAT.to_owned()), "{bad}");
        }
        let e = parse("a.m(\"x)").err().unwrap_or_default();
        assert!(e.starts_with("Invalid json argument, cause: "), "{e}");
    }
}
