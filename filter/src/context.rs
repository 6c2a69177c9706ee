//! `context`: the call context that crosses the wire in attachments.
//!
//! * Consumer: attaches `remote.application` (the consumer's `application`, which the
//!   provider sees as its remote application) unless the call already has one.
//! * Provider: removes the framework's own keys ([`FRAMEWORK_KEYS`]: `path`, `interface`,
//!   `version`, `group`, `dubbo`, `token`, `timeout`, …) from the attachments, so the
//!   service sees only the consumer's attachments (and `remote.address`,
//!   `remote.application`). Put it after the filters that read those keys (`token`).
//!
//! Response attachments set by the service pass back unchanged on both sides.

use std::sync::Arc;

use oxidubbo_common::keys;
use oxidubbo_invoker::{Invocation, RpcError};

use crate::observer::observer_filter;
use crate::{Begin, Filter, FilterContext, Observer, Side};

/// The filter's name in `service.filter`/`reference.filter`.
pub const NAME: &str = "context";

/// The attachment keys the provider side strips before the service sees the call
/// (Dubbo's `ContextFilter` list).
pub const FRAMEWORK_KEYS: &[&str] = &[
    keys::PATH,
    keys::INTERFACE,
    keys::GROUP,
    keys::VERSION,
    keys::DUBBO,
    keys::TOKEN,
    keys::TIMEOUT,
    "_TO",
    "async",
    "dubbo.tag",
    "dubbo.force.tag",
];

/// See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct ContextFilter {
    side: Side,
    application: Option<String>,
}

impl ContextFilter {
    /// The filter for `side`; `application` is the consumer's application name.
    pub fn new(side: Side, application: Option<String>) -> Self {
        ContextFilter { side, application }
    }
}

// An observer: the chain changes the call's attachments in the hop that reaches it.
impl Observer for ContextFilter {
    fn begin(&self, invocation: &mut Invocation) -> Begin {
        let attachments = invocation.attachments_mut();
        match self.side {
            Side::Consumer => {
                if let Some(app) = &self.application {
                    attachments.insert_if_absent(keys::REMOTE_APPLICATION, app.as_str());
                }
            }
            Side::Provider => {
                attachments.remove_all(FRAMEWORK_KEYS);
            }
        }
        Begin::Pass
    }
}

observer_filter!(ContextFilter);

/// The factory: always active on the provider; on the consumer only when the URL names
/// an `application`.
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    let application = ctx
        .url
        .param(keys::APPLICATION)
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    Ok(match ctx.side {
        Side::Provider => Some(Arc::new(ContextFilter::new(Side::Provider, None))),
        Side::Consumer => application
            .map(|a| Arc::new(ContextFilter::new(Side::Consumer, Some(a))) as Arc<dyn Filter>),
    })
}
