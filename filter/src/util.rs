//! Small helpers shared by the built-in filters.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use oxidubbo_common::{Url, keys};
use tokio::sync::Semaphore;

/// Whether `url` sets `key` (non-empty) at service level or for any method
/// (`<method>.<key>`, `methods.<method>.<key>`).
pub(crate) fn has_param_anywhere(url: &Url, key: &str) -> bool {
    url.params().any(|(k, v)| {
        !v.trim().is_empty()
            && (k == key
                || k.strip_suffix(key)
                    .is_some_and(|prefix| prefix.ends_with('.')))
    })
}

/// Dubbo's `ConfigUtils.isNotEmpty`: present, not empty and not `false`, `0`, `null` or
/// `N/A` (any case).
pub(crate) fn is_set(value: Option<&str>) -> Option<&str> {
    let v = value?.trim();
    if v.is_empty()
        || ["false", "0", "null", "n/a"]
            .iter()
            .any(|no| v.eq_ignore_ascii_case(no))
    {
        return None;
    }
    Some(v)
}

/// Whether `method` is one of the service's methods according to the URL's `methods`
/// parameter (always true when the URL does not list them, or lists `*`).
pub(crate) fn is_known_method(url: &Url, method: &str) -> bool {
    match url.param(keys::METHODS).map(str::trim) {
        None | Some("") | Some("*") => true,
        Some(list) => list.split(',').any(|m| m.trim() == method),
    }
}

/// The most per-method entries a limiter keeps; beyond it unknown methods share one slot
/// pool, so random method names from the wire cannot grow memory without bound.
const MAX_METHODS: usize = 1024;

/// One semaphore per method, made on first use with that method's limit.
#[derive(Debug, Default)]
pub(crate) struct MethodSemaphores {
    map: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl MethodSemaphores {
    /// The semaphore of `method` (limit `max`, used when it is made), or of the shared
    /// overflow pool `""` when too many methods are tracked.
    pub(crate) fn get(&self, method: &str, max: i64) -> Arc<Semaphore> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = map.get(method) {
            return Arc::clone(s);
        }
        let key = if map.len() < MAX_METHODS { method } else { "" };
        let permits = usize::try_from(max)
            .unwrap_or(1)
            .clamp(1, Semaphore::MAX_PERMITS);
        Arc::clone(
            map.entry(key.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(permits))),
        )
    }
}
