//! `DubboInvoker`: calls one provider over a shared connection.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::peer_span::PeerAddress;
use arc_swap::ArcSwapOption;
use async_trait::async_trait;
use oxidubbo_common::{Url, defaults, keys};
use oxidubbo_invoker::{BaseInvoker, Invocation, Invoker, RpcError, RpcResult};

use super::DubboState;
use super::client::{ClientKey, Connection};
use super::codec::Target;

/// An invoker for one provider address over the dubbo protocol.
///
/// Destroying it releases its URL, its target (with the provider's token) and its share of
/// the connection; the invoker itself may be held on to, and answers `Destroyed`.
pub(crate) struct DubboInvoker {
    base: BaseInvoker,
    id: u64,
    address: String,
    /// Recorded on the caller's span per call.
    peer: PeerAddress,
    /// The connection it shares: found by this key in the protocol's table.
    key: Arc<ClientKey>,
    /// Where calls go; `None` once destroyed.
    target: ArcSwapOption<Target>,
    timeout: (Duration, String),
    method_timeouts: HashMap<String, (Duration, String)>,
    connection: Arc<Connection>,
    state: Weak<DubboState>,
}

impl DubboInvoker {
    pub(crate) fn new(
        url: Arc<Url>,
        id: u64,
        key: Arc<ClientKey>,
        connection: Arc<Connection>,
        state: Weak<DubboState>,
    ) -> DubboInvoker {
        let version = url.version().unwrap_or(defaults::VERSION).to_owned();
        let target = Target::new(
            url.interface(),
            version,
            url.group().map(str::to_owned),
            url.param(keys::TOKEN)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        );
        let with_text = |d: Duration| (d, d.as_millis().to_string());
        let timeout = with_text(
            url.duration_ms_param(keys::TIMEOUT, Duration::from_millis(defaults::TIMEOUT_MS)),
        );
        let method_timeouts = url
            .params()
            .filter_map(|(k, v)| {
                let method = k
                    .strip_prefix(keys::METHODS_PREFIX)?
                    .strip_suffix(".timeout")?;
                let ms = v.trim().parse().ok()?;
                Some((method.to_owned(), with_text(Duration::from_millis(ms))))
            })
            .collect();
        DubboInvoker {
            address: url.address(),
            peer: PeerAddress::of(&url),
            base: BaseInvoker::new(url),
            id,
            key,
            target: ArcSwapOption::from_pointee(target),
            timeout,
            method_timeouts,
            connection,
            state,
        }
    }
}

#[async_trait]
impl Invoker for DubboInvoker {
    async fn invoke(&self, invocation: Invocation) -> Result<RpcResult, RpcError> {
        if self.base.is_destroyed() {
            return Err(RpcError::Destroyed(format!(
                "the invoker of {} was destroyed",
                self.address
            )));
        }
        self.peer.record();
        let (timeout, timeout_ms) = match self.method_timeouts.get(invocation.method_name()) {
            Some((d, text)) => (*d, text.as_str()),
            None => (self.timeout.0, self.timeout.1.as_str()),
        };
        let twoway = invocation.attachments().get_str("return") != Some("false");
        // The target is only read while the frame is encoded (a borrowed load, no count
        // shared by every caller is touched); the wait for the answer does not hold it.
        let frame = match &*self.target.load() {
            Some(target) => self
                .connection
                .encode(target, &invocation, timeout_ms, twoway)?,
            None => {
                return Err(RpcError::Destroyed(format!(
                    "the invoker of {} was destroyed",
                    self.address
                )));
            }
        };
        let result = self
            .connection
            .request(frame, &invocation, timeout, twoway)
            .await;
        match result {
            Err(e) if self.base.is_destroyed() && !e.is_business() => {
                Err(RpcError::Destroyed(format!(
                    "invoker of {} was destroyed during the call ({e})",
                    self.address
                )))
            }
            other => other,
        }
    }

    fn url(&self) -> Option<Arc<Url>> {
        self.base.url()
    }

    fn is_available(&self) -> bool {
        self.base.is_available() && self.connection.is_available()
    }

    fn is_destroyed(&self) -> bool {
        self.base.is_destroyed()
    }

    fn destroy(&self) {
        if !self.base.destroy() {
            return;
        }
        self.target.store(None);
        match self.state.upgrade() {
            Some(state) => state.release_invoker(self.id, &self.key, &self.connection),
            None => self.connection.close(),
        }
    }
}
