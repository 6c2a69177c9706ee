//! Ports bound ahead of the export that serves on them: a configuration's port 0 becomes a
//! free port whose listener is kept, so that the port written into the provider URL is the
//! port served (binding port 0, dropping the listener and binding its port again lets
//! another socket take it in between).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use oxidubbo_invoker::RpcError;

/// `host:port`, with an IPv6 host in brackets.
pub(crate) fn join_address(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A protocol's listeners bound ahead of their export, by address.
#[derive(Default)]
pub(crate) struct Reservations {
    listeners: Mutex<HashMap<String, std::net::TcpListener>>,
}

impl Reservations {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, std::net::TcpListener>> {
        self.listeners.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Binds a free port on `host` and keeps its listener until it is taken by an export
    /// ([`Reservations::take`]) or the reservation is dropped.
    pub(crate) fn reserve(self: &Arc<Self>, host: &str) -> Result<ReservedPort, RpcError> {
        let failed = |e: std::io::Error| RpcError::Network(format!("failed to bind {host}: {e}"));
        let listener = std::net::TcpListener::bind((host, 0)).map_err(failed)?;
        let port = listener.local_addr().map_err(failed)?.port();
        let address = join_address(host, port);
        self.lock().insert(address.clone(), listener);
        Ok(ReservedPort {
            address,
            port,
            table: Arc::downgrade(self),
        })
    }

    /// The listener reserved for `address`, for the export that serves there.
    pub(crate) fn take(&self, address: &str) -> Option<std::net::TcpListener> {
        self.lock().remove(address)
    }

    /// Closes every reserved listener (the protocol is destroyed).
    pub(crate) fn clear(&self) {
        let listeners = std::mem::take(&mut *self.lock());
        drop(listeners);
    }
}

/// A port bound ahead of the export that serves on it (see `reserve_port` of
/// [`DubboProtocol`](crate::DubboProtocol) and [`TripleProtocol`](crate::TripleProtocol)).
/// Dropped before an export took it, its listener is closed.
#[derive(Debug)]
pub struct ReservedPort {
    address: String,
    port: u16,
    table: Weak<Reservations>,
}

impl ReservedPort {
    /// The port bound.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for ReservedPort {
    fn drop(&mut self) {
        if let Some(table) = self.table.upgrade() {
            let unused = table.take(&self.address);
            drop(unused);
        }
    }
}
