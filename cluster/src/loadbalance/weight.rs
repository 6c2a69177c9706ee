//! Provider weights with Dubbo's warm-up.

use std::time::{SystemTime, UNIX_EPOCH};

use oxidubbo_common::{defaults, keys};
use oxidubbo_invoker::Invoker;

/// The weight of `invoker` for `method`, as Dubbo computes it: the provider URL's
/// `weight` (method-level first, default 100); while the provider is younger than its
/// `warmup` (default 10 min, measured from its `timestamp` parameter) the weight ramps up
/// linearly from 1. A provider whose timestamp lies in the future weighs 1; a destroyed
/// invoker weighs 0; the result is never negative.
pub fn invoker_weight(invoker: &dyn Invoker, method: &str) -> i64 {
    let Some(url) = invoker.url() else {
        return 0;
    };
    let mut weight = url.method_int_param(method, keys::WEIGHT, defaults::WEIGHT);
    if weight > 0 {
        let timestamp = url.int_param(keys::TIMESTAMP, 0);
        if timestamp > 0 {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0);
            let uptime = now.saturating_sub(timestamp);
            if uptime < 0 {
                return 1;
            }
            let warmup = url.int_param(keys::WARMUP, defaults::WARMUP_MS as i64);
            if uptime > 0 && uptime < warmup {
                weight = warmup_weight(uptime, warmup, weight);
            }
        }
    }
    weight.max(0)
}

/// The weight of a provider `uptime_ms` into a warm-up of `warmup_ms` with full weight
/// `weight`: `uptime / (warmup / weight)`, at least 1 and at most `weight`.
pub fn warmup_weight(uptime_ms: i64, warmup_ms: i64, weight: i64) -> i64 {
    if warmup_ms <= 0 || weight <= 0 {
        return weight.max(0);
    }
    let ww = (uptime_ms as f64 / (warmup_ms as f64 / weight as f64)) as i64;
    ww.clamp(1, weight)
}
