//! `generic` (provider): serves Dubbo's generic calls.
//!
//! A consumer without the service's classes calls
//! `$invoke(String method, String[] parameterTypes, Object[] args)` (or `$invokeAsync`).
//! This filter turns such a call into a normal call of `method`, with the JVM descriptor
//! built from the Java type names (`java.lang.String` → `Ljava/lang/String;`). POJO
//! arguments, sent as maps or objects, pass through as [`Value`]s; the result comes back
//! as it is. Attachments and the URL snapshot are kept.
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
    let Some(types) = items(types) else {
        return Err(bad(&invocation, "parameterTypes is not a String[]"));
    };
    let Some(values) = items(values) else {
        return Err(bad(&invocation, "args is not an Object[]"));
    };
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
