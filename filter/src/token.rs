//! `token`: access tokens. A provider whose URL has `token` refuses calls that do not carry
//! the same `token` attachment; a consumer attaches the `token` of its URL (which it got
//! from the provider's registered URL).

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_common::keys;
use oxidubbo_invoker::{Invocation, RpcError, RpcResult};

use crate::filter::snapshot;
use crate::util::is_set;
use crate::{Filter, FilterContext, Next, Side};

/// The filter's name in `service.filter`/`reference.filter`.
pub const NAME: &str = "token";

/// Checks (provider) or attaches (consumer) the `token` of the call's URL snapshot.
///
/// A token counts as set unless it is empty, `false`, `0`, `null` or `N/A`, as in Dubbo.
/// The provider's error is [`RpcError::Forbidden`], naming the service and method and
/// saying whether the token was missing or wrong (it never echoes the token).
#[derive(Debug, Clone, Copy)]
pub struct TokenFilter {
    side: Side,
}

impl TokenFilter {
    /// The filter for `side`.
    pub fn new(side: Side) -> Self {
        TokenFilter { side }
    }
}

#[async_trait]
impl Filter for TokenFilter {
    async fn invoke(
        &self,
        next: Next<'_>,
        mut invocation: Invocation,
    ) -> Result<RpcResult, RpcError> {
        let url = snapshot(&invocation)?;
        let Some(token) = is_set(url.param(keys::TOKEN)) else {
            return next.invoke(invocation).await;
        };
        match self.side {
            Side::Consumer => {
                invocation.attachments_mut().insert(keys::TOKEN, token);
            }
            Side::Provider => {
                let problem = match invocation.attachments().get_str(keys::TOKEN) {
                    Some(t) if t == token => None,
                    Some(_) => Some("a wrong token"),
                    None => Some("no token"),
                };
                if let Some(problem) = problem {
                    let from = invocation
                        .attachments()
                        .get_str("remote.address")
                        .unwrap_or("unknown");
                    return Err(RpcError::Forbidden(format!(
                        "invalid token: call of {}.{}() from consumer {from} to provider {} \
                         carried {problem}",
                        url.service_key(),
                        invocation.method_name(),
                        url.address(),
                    )));
                }
            }
        }
        next.invoke(invocation).await
    }
}

/// The factory: active when the URL has a token.
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    Ok(is_set(ctx.url.param(keys::TOKEN))
        .map(|_| Arc::new(TokenFilter::new(ctx.side)) as Arc<dyn Filter>))
}
