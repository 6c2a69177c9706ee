//! `generic` (provider): serves Dubbo's generic calls.
//!
//! A consumer without the service's classes calls
//! `$invoke(String method, String[] parameterTypes, Object[] args)` (or `$invokeAsync`).
//! This filter turns such a call into a normal call of `method`, with the JVM descriptor
//! built from the Java type names (`java.lang.String` → `Ljava/lang/String;`). Attachments
//! and the URL snapshot are kept. The `generic` attachment says how the arguments come:
//!
//! - absent, `true` or `raw.return` (Dubbo's default): as values, POJOs as maps with their
//!   class under `"class"` (Java's `PojoUtils.generalize` form) or as objects; they pass
//!   through as [`Value`]s, which a typed service reads as its structs;
//! - `gson`: each argument is a JSON string (or null), read for its declared type by the
//!   JSON mapping of `oxidubbo_hessian2::json` (`{"id": 1, "name": "a"}` for a
//!   `com.example.User` becomes an object of that class, `7` for a `long` a long);
//! - `bean`: each argument a `JavaBeanDescriptor` (or null), realized as the value it
//!   describes ([`crate::java_bean`]);
//! - `protobuf-json`: passed, unconverted, to IDL services (exported with
//!   `serialization=protobuf`), which read the one argument as the request message in
//!   protobuf JSON and answer the response message so (`oxidubbo::triple`); refused for
//!   the others;
//! - `nativejava` and any other: refused with a clear error.
//!
//! The result goes back generalized, as Java's `GenericFilter` and dubbo-go's send it:
//! every object in it becomes a map with its class under `"class"` ([`generalize`]);
//! `raw.return` sends it as it is, `bean` as its `JavaBeanDescriptor`. [`invocation`] makes the `$invoke` call a generic
//! consumer sends.
//!
//! The arguments keep the references of the body they came in: Hessian numbers the lists,
//! maps and objects of a body across all its values, so once the `method`, `parameterTypes`
//! and `args` wrappers are gone, the references among the arguments are renumbered as if
//! the arguments had been sent alone (a reference to a wrapper itself is refused).
//!
//! A provider whose own URL says `generic=true` (it serves `$invoke` itself) gets no
//! generic filter.

use std::sync::Arc;

use oxidubbo_common::keys;
use oxidubbo_hessian2::descriptor::class_name_to_descriptor;
use oxidubbo_hessian2::{List, Map, Value};
use oxidubbo_invoker::{Invocation, RpcError, RpcResult};

use crate::observer::observer_filter;
use crate::util::is_set;
use crate::{Begin, Called, Filter, FilterContext, Observation, Observer, Side};

/// The filter's name in `service.filter`.
pub const NAME: &str = "generic";
/// The method name of a generic call.
pub const INVOKE: &str = "$invoke";
/// The method name of an asynchronous generic call.
pub const INVOKE_ASYNC: &str = "$invokeAsync";

/// The parameter types of `$invoke`: `(String, String[], Object[])`.
pub const INVOKE_DESCRIPTOR: &str = "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;";
/// The key under which a generalized POJO names its class.
pub const CLASS_KEY: &str = "class";

/// How the arguments of a generic call come (the `generic` attachment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenericKind {
    /// `true` (or absent): values, POJOs as maps; the result generalized.
    Default,
    /// `raw.return`: as [`GenericKind::Default`], the result sent as it is.
    RawReturn,
    /// `gson`: each argument a JSON string; the result generalized.
    Gson,
    /// `bean`: each argument and the result a `JavaBeanDescriptor`
    /// ([`crate::java_bean`]).
    Bean,
    /// `protobuf-json`: one argument, the request message as protobuf JSON; the result the
    /// response message so. Served by IDL services themselves (this filter passes such
    /// calls to services exported with `serialization=protobuf`, and refuses them for
    /// the others).
    ProtobufJson,
}

impl GenericKind {
    /// Every kind, in the order of [`GenericKind::slot`].
    const ALL: [GenericKind; 5] = [
        GenericKind::Default,
        GenericKind::RawReturn,
        GenericKind::Gson,
        GenericKind::Bean,
        GenericKind::ProtobufJson,
    ];

    /// The kind as an observation's slot.
    fn slot(self) -> usize {
        GenericKind::ALL
            .iter()
            .position(|k| *k == self)
            .unwrap_or(0)
    }

    /// The kind [`GenericKind::slot`] gave `slot` for.
    fn from_slot(slot: usize) -> GenericKind {
        GenericKind::ALL
            .get(slot)
            .copied()
            .unwrap_or(GenericKind::Default)
    }

    /// The kind the attachment value `generic` names, `None` for one this filter does
    /// not serve.
    pub fn parse(generic: Option<&str>) -> Option<GenericKind> {
        match generic.map(str::trim) {
            None | Some("") => Some(GenericKind::Default),
            Some(k) if k.eq_ignore_ascii_case("true") => Some(GenericKind::Default),
            Some(k) if k.eq_ignore_ascii_case("raw.return") => Some(GenericKind::RawReturn),
            Some(k) if k.eq_ignore_ascii_case("gson") => Some(GenericKind::Gson),
            Some(k) if k.eq_ignore_ascii_case("bean") => Some(GenericKind::Bean),
            Some(k) if k.eq_ignore_ascii_case("protobuf-json") => Some(GenericKind::ProtobufJson),
            Some(_) => None,
        }
    }
}

/// The `$invoke` call a generic consumer sends for `method(parameter_types…)` with
/// `args` (POJOs as maps with a `"class"` key, see [`pojo`]), with `generic=true`.
pub fn invocation(method: &str, parameter_types: &[&str], args: Vec<Value>) -> Invocation {
    let types = parameter_types.iter().map(|t| Value::from(*t)).collect();
    Invocation::new(
        INVOKE,
        INVOKE_DESCRIPTOR,
        vec![
            Value::from(method),
            Value::List(List::typed("[string", types)),
            Value::List(List::typed("[object", args)),
        ],
    )
    .with_attachment(keys::GENERIC, "true")
}

/// A POJO as generic calls carry it: a map with `class` first, then the fields.
pub fn pojo<'a>(class: &str, fields: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    let mut entries = vec![(Value::from(CLASS_KEY), Value::from(class))];
    entries.extend(fields.into_iter().map(|(k, v)| (Value::from(k), v)));
    Value::Map(Map::untyped(entries))
}

/// `value` with every object in it turned into a map with its class under `"class"` and
/// its fields after it (Java's `PojoUtils.generalize` form); lists and maps keep their
/// types, the rest is unchanged. References stay valid: an object and its map are one
/// container each.
pub fn generalize(value: Value) -> Value {
    match value {
        Value::Object(o) => {
            let mut entries = Vec::with_capacity(o.fields.len() + 1);
            entries.push((Value::from(CLASS_KEY), Value::from(o.class_name)));
            entries.extend(
                o.fields
                    .into_iter()
                    .map(|(k, v)| (Value::from(k), generalize(v))),
            );
            Value::Map(Map::untyped(entries))
        }
        Value::List(mut l) => {
            l.items = l.items.into_iter().map(generalize).collect();
            Value::List(l)
        }
        Value::Map(mut m) => {
            m.entries = m
                .entries
                .into_iter()
                .map(|(k, v)| (generalize(k), generalize(v)))
                .collect();
            Value::Map(m)
        }
        other => other,
    }
}

/// See the [module documentation](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct GenericFilter {
    /// Whether the service is an IDL one (`serialization=protobuf`): it serves
    /// `protobuf-json` calls itself.
    idl: bool,
}

fn bad(invocation: &Invocation, why: impl std::fmt::Display) -> RpcError {
    let service = invocation
        .url()
        .map(|u| u.service_key().to_string())
        .unwrap_or_default();
    RpcError::Codec(format!("generic call of {service} refused: {why}"))
}

/// How many lists, maps and objects `value` holds, itself included.
fn containers(value: &Value) -> u32 {
    match value {
        Value::List(l) => 1 + l.items.iter().map(containers).sum::<u32>(),
        Value::Map(m) => {
            1 + m
                .entries
                .iter()
                .map(|(k, v)| containers(k) + containers(v))
                .sum::<u32>()
        }
        Value::Object(o) => 1 + o.fields.iter().map(|(_, v)| containers(v)).sum::<u32>(),
        _ => 0,
    }
}

/// Renumbers the references in `value` for a stream without its first `by` containers;
/// `Err(k)` for a reference to one of those.
fn renumber_refs(value: &mut Value, by: u32) -> Result<(), u32> {
    if by == 0 {
        return Ok(());
    }
    match value {
        Value::Ref(k) => {
            *k = k.checked_sub(by).ok_or(*k)?;
            Ok(())
        }
        Value::List(l) => l.items.iter_mut().try_for_each(|v| renumber_refs(v, by)),
        Value::Map(m) => m.entries.iter_mut().try_for_each(|(k, v)| {
            renumber_refs(k, by)?;
            renumber_refs(v, by)
        }),
        Value::Object(o) => o
            .fields
            .iter_mut()
            .try_for_each(|(_, v)| renumber_refs(v, by)),
        _ => Ok(()),
    }
}

fn items(value: Value) -> Option<Vec<Value>> {
    match value {
        Value::Null => Some(Vec::new()),
        Value::List(list) => Some(list.items),
        _ => None,
    }
}

/// Turns a `$invoke`/`$invokeAsync` call into the call it stands for.
///
/// # Errors
///
/// [`RpcError::Codec`] for a malformed generic call (wrong argument kinds, a bad Java type
/// name, as many types as arguments not given) or an unsupported generic serialization.
pub fn convert(invocation: Invocation) -> Result<Invocation, RpcError> {
    convert_kind(invocation).map(|(call, _)| call)
}

/// [`convert`], and the kind of generic call it was.
///
/// # Errors
///
/// As [`convert`].
pub fn convert_kind(mut invocation: Invocation) -> Result<(Invocation, GenericKind), RpcError> {
    let generic = is_set(invocation.attachments().get_str(keys::GENERIC)).map(str::to_owned);
    let Some(kind) = GenericKind::parse(generic.as_deref()) else {
        return Err(bad(
            &invocation,
            format!(
                "generic serialization {:?} is not supported (only \"true\", \"raw.return\", \"gson\", \"bean\" and, by IDL services, \"protobuf-json\")",
                generic.unwrap_or_default()
            ),
        ));
    };
    let mut args = invocation.take_arguments().into_iter();
    let (Some(Value::String(method)), Some(types), Some(values), None) =
        (args.next(), args.next(), args.next(), args.next())
    else {
        return Err(bad(
            &invocation,
            "expected (String method, String[] parameterTypes, Object[] args)",
        ));
    };
    // The containers the arguments come after: the types list and the args list.
    let wrappers = containers(&types) + containers(&values).min(1);
    let Some(types) = items(types) else {
        return Err(bad(&invocation, "parameterTypes is not a String[]"));
    };
    let Some(mut values) = items(values) else {
        return Err(bad(&invocation, "args is not an Object[]"));
    };
    if let Err(k) = values
        .iter_mut()
        .try_for_each(|v| renumber_refs(v, wrappers))
    {
        return Err(bad(
            &invocation,
            format!("{method}: an argument is a reference (#{k}) to the generic call's own lists"),
        ));
    }
    if types.len() != values.len() {
        return Err(bad(
            &invocation,
            format!(
                "{method}: {} parameter types but {} arguments",
                types.len(),
                values.len()
            ),
        ));
    }
    let mut descriptor = String::new();
    for (i, t) in types.iter().enumerate() {
        let Some(name) = t.as_str() else {
            return Err(bad(
                &invocation,
                format!("{method}: a parameter type is not a String"),
            ));
        };
        match class_name_to_descriptor(name.trim()) {
            Ok(d) => descriptor.push_str(&d),
            Err(e) => return Err(bad(&invocation, format!("{method}: {e}"))),
        }
        let arrived = match kind {
            GenericKind::Gson => from_gson(std::mem::take(&mut values[i]), name.trim(), i),
            GenericKind::Bean => crate::java_bean::realize(std::mem::take(&mut values[i]))
                .map_err(|why| format!("argument {i}: {why}")),
            GenericKind::Default | GenericKind::RawReturn | GenericKind::ProtobufJson => continue,
        };
        values[i] = arrived.map_err(|why| bad(&invocation, format!("{method}: {why}")))?;
    }
    let mut call = Invocation::new(method.into_string(), descriptor, values);
    *call.attachments_mut() = std::mem::take(invocation.attachments_mut());
    if let Some(url) = invocation.url() {
        call.set_url(Arc::clone(url));
    }
    Ok((call, kind))
}

/// A `gson` argument: null, or a JSON string read for the declared type `java_type`.
fn from_gson(value: Value, java_type: &str, index: usize) -> Result<Value, String> {
    let text = match value {
        Value::Null => return Ok(Value::Null),
        Value::String(text) => text,
        other => {
            return Err(format!(
                "argument {index} is a {} where gson generic calls send JSON strings",
                crate::java_bean::kind_of(&other)
            ));
        }
    };
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("argument {index} is not JSON: {e}"))?;
    oxidubbo_hessian2::json::json_to_typed_value(&json, java_type, &format!("args[{index}]"))
        .map_err(|e| e.to_string())
}

// An observer: the chain turns a generic call into the call it stands for in the hop that
// reaches it, and its answer back into the generic form.
impl Observer for GenericFilter {
    fn begin(&self, invocation: &mut Invocation) -> Begin {
        let name = invocation.method_name();
        if (name != INVOKE && name != INVOKE_ASYNC) || invocation.arguments().len() != 3 {
            return Begin::Pass;
        }
        let generic = is_set(invocation.attachments().get_str(keys::GENERIC));
        if GenericKind::parse(generic) == Some(GenericKind::ProtobufJson) {
            if self.idl {
                return Begin::Pass;
            }
            return Begin::Answer(Err(bad(
                invocation,
                "protobuf-json generic calls are served by IDL (protobuf) services only",
            )));
        }
        let url = invocation.url().cloned();
        let generic_call = std::mem::replace(invocation, Invocation::new(INVOKE, "", Vec::new()));
        match convert_kind(generic_call) {
            Ok((call, kind)) => {
                *invocation = call;
                Begin::Watch(Observation {
                    slot: kind.slot(),
                    stamp: 0,
                })
            }
            Err(e) => {
                // What the observers before this one log of the refused call.
                if let Some(url) = url {
                    invocation.set_url(url);
                }
                Begin::Answer(Err(e))
            }
        }
    }

    fn end(&self, watched: Observation, _: &Called, result: &mut Result<RpcResult, RpcError>) {
        let Ok(answer) = result else { return };
        let value = std::mem::take(&mut answer.value);
        answer.value = match GenericKind::from_slot(watched.slot) {
            GenericKind::Default | GenericKind::Gson | GenericKind::ProtobufJson => {
                generalize(value)
            }
            GenericKind::RawReturn => value,
            GenericKind::Bean => match crate::java_bean::describe(&value) {
                Ok(described) => described,
                Err(why) => {
                    *result = Err(RpcError::Codec(format!(
                        "the result as a JavaBeanDescriptor: {why}"
                    )));
                    return;
                }
            },
        };
    }
}

observer_filter!(GenericFilter);

/// The factory: active on the provider side unless the service is itself generic
/// (`generic=true` on its URL).
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    if ctx.side != Side::Provider || ctx.url.bool_param(keys::GENERIC, false) {
        return Ok(None);
    }
    let idl = ctx.url.param(keys::SERIALIZATION) == Some("protobuf");
    Ok(Some(Arc::new(GenericFilter { idl })))
}
