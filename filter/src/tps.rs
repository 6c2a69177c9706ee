//! `tps` (provider): a rate limit per service — at most `tps` calls per `tps.interval`
//! milliseconds (default 60000); calls over it are refused with [`RpcError::Forbidden`]
//! (Dubbo's `TpsLimitFilter` and its fixed-window `StatItem`).
//!
//! The limiter belongs to the chain, i.e. to one exported service; its rate and interval
//! are read when the chain is built.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use oxidubbo_invoker::{Invocation, RpcError, RpcResult};
use tokio::time::Instant;

use crate::{Filter, FilterContext, Next, Side};

/// The filter's name in `service.filter`.
pub const NAME: &str = "tps";
/// The URL parameter of the rate: calls per interval.
pub const TPS: &str = "tps";
/// The URL parameter of the interval, in milliseconds.
pub const TPS_INTERVAL: &str = "tps.interval";
/// The default of [`TPS_INTERVAL`], in milliseconds.
pub const DEFAULT_INTERVAL_MS: u64 = 60_000;

/// See the [module documentation](self).
#[derive(Debug)]
pub struct TpsLimitFilter {
    rate: u64,
    interval: Duration,
    window: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    left: u64,
}

impl TpsLimitFilter {
    /// A limiter allowing `rate` calls per `interval`.
    pub fn new(rate: u64, interval: Duration) -> Self {
        TpsLimitFilter {
            rate,
            interval,
            window: Mutex::new(Window {
                started: Instant::now(),
                left: rate,
            }),
        }
    }

    /// Takes one call from the current window; `false` when the window is used up.
    pub fn try_acquire(&self) -> bool {
        let now = Instant::now();
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if now.saturating_duration_since(w.started) >= self.interval {
            w.started = now;
            w.left = self.rate;
        }
        if w.left == 0 {
            return false;
        }
        w.left -= 1;
        true
    }
}

#[async_trait]
impl Filter for TpsLimitFilter {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        if self.try_acquire() {
            return next.invoke(invocation).await;
        }
        let service = invocation
            .url()
            .map(|u| u.service_key().to_string())
            .unwrap_or_default();
        Err(RpcError::Forbidden(format!(
            "{service}.{}() refused: the service exceeded its rate limit of tps={} calls per {} ms",
            invocation.method_name(),
            self.rate,
            self.interval.as_millis(),
        )))
    }
}

/// The factory: active on the provider when the URL sets a positive `tps`.
///
/// # Errors
///
/// [`RpcError::Config`] when `tps` or `tps.interval` is not a number, or the interval is
/// not positive.
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    if ctx.side != Side::Provider {
        return Ok(None);
    }
    let Some(rate) = ctx.url.param(TPS).map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let rate: i64 = rate
        .parse()
        .map_err(|_| RpcError::Config(format!("{TPS}={rate:?} is not a whole number")))?;
    if rate <= 0 {
        return Ok(None);
    }
    let interval = match ctx
        .url
        .param(TPS_INTERVAL)
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => DEFAULT_INTERVAL_MS,
        Some(v) => match v.parse::<u64>() {
            Ok(ms) if ms > 0 => ms,
            _ => {
                return Err(RpcError::Config(format!(
                    "{TPS_INTERVAL}={v:?} must be a positive number of milliseconds"
                )));
            }
        },
    };
    Ok(Some(Arc::new(TpsLimitFilter::new(
        rate.unsigned_abs(),
        Duration::from_millis(interval),
    ))))
}
