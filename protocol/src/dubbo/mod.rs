//! The dubbo2 TCP protocol (`dubbo://`, Hessian 2): codec, server and multiplexed client.
//!
//! [`DubboProtocol::global`] is the process-wide instance. It tracks the services it
//! exported (by service key), the invokers it referred, one server per exported address and
//! one shared connection per provider address, and [`Protocol::destroy`] releases all of it.

pub mod codec;
pub mod header;

mod client;
mod invoker;
mod server;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use once_cell::sync::Lazy;
use oxidubbo_common::{ServiceKey, Url, defaults, keys};
use oxidubbo_invoker::{Invoker, RpcError};

use self::client::{ClientConfig, Connection};
use self::invoker::DubboInvoker;
use self::server::{Server, ServerConfig};
use crate::exporter::{ExportOwner, ExporterTable, ServiceExporter};
use crate::referred::ReferredInvokers;
use crate::{Exporter, Protocol, ProtocolCounts};

static GLOBAL: Lazy<DubboProtocol> = Lazy::new(DubboProtocol::new);

/// The dubbo2 protocol.
pub struct DubboProtocol {
    state: Arc<DubboState>,
}

pub(crate) struct DubboState {
    exporters: Arc<ExporterTable>,
    invokers: ReferredInvokers,
    servers: tokio::sync::Mutex<HashMap<String, ServerEntry>>,
    server_count: AtomicUsize,
    clients: Mutex<HashMap<String, ClientEntry>>,
}

struct ServerEntry {
    server: Arc<Server>,
    services: usize,
}

struct ClientEntry {
    connection: Arc<Connection>,
    invokers: usize,
}

fn payload_of(url: &Url) -> usize {
    usize::try_from(url.int_param(keys::PAYLOAD, defaults::PAYLOAD)).unwrap_or(0)
}

fn heartbeat_of(url: &Url) -> (Duration, Duration) {
    let heartbeat = url.duration_ms_param(
        keys::HEARTBEAT,
        Duration::from_millis(defaults::HEARTBEAT_MS),
    );
    let idle = url.duration_ms_param(keys::IDLE_TIMEOUT, heartbeat * 3);
    (
        heartbeat.max(Duration::from_millis(1)),
        idle.max(Duration::from_millis(1)),
    )
}

/// The address a provider URL binds: `bind.ip`/`bind.port` when set, else its host and port.
fn bind_address(url: &Url) -> String {
    let host = url.param("bind.ip").unwrap_or(url.host());
    let port = url
        .param("bind.port")
        .and_then(|p| p.parse().ok())
        .unwrap_or(url.port());
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

impl DubboProtocol {
    /// A private instance (tests use one each to stay independent of the global).
    pub fn new() -> Self {
        DubboProtocol {
            state: Arc::new(DubboState {
                exporters: Arc::new(ExporterTable::default()),
                invokers: ReferredInvokers::default(),
                servers: tokio::sync::Mutex::new(HashMap::new()),
                server_count: AtomicUsize::new(0),
                clients: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The process-wide instance.
    pub fn global() -> &'static DubboProtocol {
        &GLOBAL
    }

    /// What the protocol holds now.
    pub fn counts(&self) -> ProtocolCounts {
        ProtocolCounts {
            exporters: self.state.exporters.len(),
            invokers: self.state.invokers.len(),
            servers: self.state.server_count.load(Ordering::Acquire),
            connections: self.state.lock_clients().len(),
        }
    }

    /// Calls sent on this protocol's client connections and still waiting for an answer.
    pub fn pending_calls(&self) -> usize {
        self.state
            .lock_clients()
            .values()
            .map(|e| e.connection.pending())
            .sum()
    }

    /// Connections accepted by this protocol's servers and still open.
    pub async fn server_connections(&self) -> usize {
        self.state
            .servers
            .lock()
            .await
            .values()
            .map(|e| e.server.connections())
            .sum()
    }

    /// The addresses this protocol's servers listen on.
    pub async fn server_addresses(&self) -> Vec<std::net::SocketAddr> {
        self.state
            .servers
            .lock()
            .await
            .values()
            .map(|e| e.server.local_addr())
            .collect()
    }

    /// Sends the read-only event on every server connection: consumers stop sending new
    /// calls here (the first step of a graceful shutdown).
    pub async fn send_readonly(&self) {
        for entry in self.state.servers.lock().await.values() {
            entry.server.send_readonly();
        }
    }
}

impl Default for DubboProtocol {
    fn default() -> Self {
        DubboProtocol::new()
    }
}

impl DubboState {
    fn lock_clients(&self) -> std::sync::MutexGuard<'_, HashMap<String, ClientEntry>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An invoker was destroyed: forget it and release its share of the connection.
    pub(crate) fn release_invoker(&self, id: u64, address: &str) {
        self.invokers.remove(id);
        let closing = {
            let mut clients = self.lock_clients();
            match clients.get_mut(address) {
                Some(entry) if entry.invokers > 1 => {
                    entry.invokers -= 1;
                    None
                }
                Some(_) => clients.remove(address).map(|e| e.connection),
                None => None,
            }
        };
        if let Some(connection) = closing {
            connection.close();
        }
    }

    async fn acquire_connection(&self, url: &Url) -> Result<Arc<Connection>, RpcError> {
        let address = url.address();
        if let Some(entry) = self.lock_clients().get_mut(&address) {
            entry.invokers += 1;
            return Ok(Arc::clone(&entry.connection));
        }
        let (heartbeat, idle_timeout) = heartbeat_of(url);
        let config = ClientConfig {
            heartbeat,
            idle_timeout,
            connect_timeout: url.duration_ms_param(
                keys::CONNECT_TIMEOUT,
                Duration::from_millis(defaults::CONNECT_TIMEOUT_MS),
            ),
            payload: payload_of(url),
            reconnect_max: Duration::from_secs(2),
        };
        let fresh = Arc::new(Connection::connect(address.clone(), config).await?);
        let mut clients = self.lock_clients();
        let entry = clients.entry(address).or_insert_with(|| ClientEntry {
            connection: Arc::clone(&fresh),
            invokers: 0,
        });
        entry.invokers += 1;
        let shared = Arc::clone(&entry.connection);
        drop(clients);
        if !Arc::ptr_eq(&shared, &fresh) {
            fresh.close(); // lost a race with another refer of the same address
        }
        Ok(shared)
    }
}

impl ExportOwner for DubboState {
    async fn release_export(&self, key: &ServiceKey, invoker: &Arc<dyn Invoker>, address: &str) {
        if !self.exporters.remove(key, invoker) {
            return;
        }
        let closing = {
            let mut servers = self.servers.lock().await;
            match servers.get_mut(address) {
                Some(entry) if entry.services > 1 => {
                    entry.services -= 1;
                    None
                }
                Some(_) => {
                    self.server_count.fetch_sub(1, Ordering::AcqRel);
                    servers.remove(address).map(|e| e.server)
                }
                None => None,
            }
        };
        if let Some(server) = closing {
            server.close().await;
        }
    }
}

#[async_trait]
impl Protocol for DubboProtocol {
    async fn export(&self, invoker: Arc<dyn Invoker>) -> Result<Arc<dyn Exporter>, RpcError> {
        let url = invoker
            .url()
            .ok_or_else(|| RpcError::Destroyed("cannot export a destroyed invoker".into()))?;
        let key = url.service_key();
        let address = bind_address(&url);
        let state = &self.state;
        state.exporters.insert(key.clone(), Arc::clone(&invoker))?;
        let mut servers = state.servers.lock().await;
        if let Some(entry) = servers.get_mut(&address) {
            entry.services += 1;
        } else {
            let (_, idle_timeout) = heartbeat_of(&url);
            let config = ServerConfig {
                idle_timeout,
                payload: payload_of(&url),
            };
            match Server::bind(&address, Arc::clone(&state.exporters), config).await {
                Ok(server) => {
                    servers.insert(
                        address.clone(),
                        ServerEntry {
                            server: Arc::new(server),
                            services: 1,
                        },
                    );
                    state.server_count.fetch_add(1, Ordering::AcqRel);
                }
                Err(e) => {
                    state.exporters.remove(&key, &invoker);
                    return Err(e);
                }
            }
        }
        drop(servers);
        tracing::info!(%key, %address, "exported over dubbo");
        Ok(Arc::new(ServiceExporter::new(
            key,
            address,
            invoker,
            Arc::downgrade(state),
        )))
    }

    async fn refer(&self, url: Arc<Url>) -> Result<Arc<dyn Invoker>, RpcError> {
        let connection = self.state.acquire_connection(&url).await?;
        let id = self.state.invokers.next_id();
        let address = url.address();
        let invoker: Arc<dyn Invoker> = Arc::new(DubboInvoker::new(
            url,
            id,
            connection,
            Arc::downgrade(&self.state),
        ));
        self.state.invokers.insert(id, Arc::clone(&invoker));
        tracing::debug!(%address, "referred over dubbo");
        Ok(invoker)
    }

    async fn destroy(&self) {
        let state = &self.state;
        let connections: Vec<_> = state
            .lock_clients()
            .drain()
            .map(|(_, e)| e.connection)
            .collect();
        for invoker in state.invokers.drain() {
            invoker.destroy();
        }
        for connection in connections {
            connection.close_and_wait().await;
        }
        for (_, invoker) in state.exporters.drain() {
            invoker.destroy();
        }
        let servers: Vec<_> = state
            .servers
            .lock()
            .await
            .drain()
            .map(|(_, e)| e.server)
            .collect();
        state
            .server_count
            .fetch_sub(servers.len(), Ordering::AcqRel);
        for server in servers {
            server.close().await;
        }
    }
}
