//! `generic` (provider): serves Dubbo's generic calls.
//!
//! A consumer without the service's classes calls
//! `$invoke(String method, String[] parameterTypes, Object[] args)` (or `$invokeAsync`).
//! This filter turns such a call into a normal call of `method`, with the JVM descriptor
//! built from the Java type names (`java.lang.String` → `Ljava/lang/String;`). POJO
//! arguments, sent as maps or objects, pass through as [`Value`]s; the result comes back
//! as it is. Attachments and the URL snapshot are kept.
//!
//! The arguments keep the references of the body they came in: Hessian numbers the lists,
//! maps and objects of a body across all its values, so once the `method`, `parameterTypes`
//! and `args` wrappers are gone, the references among the arguments are renumbered as if
//! the arguments had been sent alone (a reference to a wrapper itself is refused).
//!
//! Only Dubbo's default generic serialization (`generic` attachment absent or `true`) is
//! supported; `nativejava`, `bean`, `protobuf-json` and `gson` calls are refused with a
//! clear error. A provider whose own URL says `generic=true` (it serves `$invoke` itself)
//! gets no generic filter.

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_common::keys;
use oxidubbo_hessian2::Value;
use oxidubbo_hessian2::descriptor::class_name_to_descriptor;
use oxidubbo_invoker::{Invocation, RpcError, RpcResult};

use crate::util::is_set;
use crate::{Filter, FilterContext, Next, Side};

/// The filter's name in `service.filter`.
pub const NAME: &str = "generic";
/// The method name of a generic call.
pub const INVOKE: &str = "$invoke";
/// The method name of an asynchronous generic call.
pub const INVOKE_ASYNC: &str = "$invokeAsync";

/// See the [module documentation](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct GenericFilter;

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
pub fn convert(mut invocation: Invocation) -> Result<Invocation, RpcError> {
    if let Some(kind) = is_set(invocation.attachments().get_str(keys::GENERIC)) {
        if !kind.eq_ignore_ascii_case("true") {
            return Err(bad(
                &invocation,
                format!("generic serialization {kind:?} is not supported (only \"true\")"),
            ));
        }
    }
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
    for t in &types {
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
    }
    let mut call = Invocation::new(method, descriptor, values);
    *call.attachments_mut() = std::mem::take(invocation.attachments_mut());
    if let Some(url) = invocation.url() {
        call.set_url(Arc::clone(url));
    }
    Ok(call)
}

#[async_trait]
impl Filter for GenericFilter {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        let name = invocation.method_name();
        if (name == INVOKE || name == INVOKE_ASYNC) && invocation.arguments().len() == 3 {
            return next.invoke(convert(invocation)?).await;
        }
        next.invoke(invocation).await
    }
}

/// The factory: active on the provider side unless the service is itself generic
/// (`generic=true` on its URL).
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    if ctx.side != Side::Provider || ctx.url.bool_param(keys::GENERIC, false) {
        return Ok(None);
    }
    Ok(Some(Arc::new(GenericFilter)))
}
