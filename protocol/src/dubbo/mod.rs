//! The dubbo2 TCP protocol (`dubbo://`, Hessian 2): codec, server and multiplexed client.
//!
//! [`DubboProtocol::global`] is the process-wide instance. It tracks one server per listening
//! address, each with the services exported on it (by service key: a service answers only
//! on the addresses it was exported on), the invokers it referred, and one shared
//! connection per provider address and connection settings; [`Protocol::destroy`] releases
//! all of it, and an `export` or `refer` racing it either finishes before it starts (and is
//! torn down with the rest) or runs after it ends, on a clean protocol.

pub mod codec;
pub mod header;

mod client;
mod invoker;
mod server;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use once_cell::sync::Lazy;
use oxidubbo_common::{ServiceKey, Url, defaults, keys};
use oxidubbo_invoker::{Invoker, RpcError};
use tokio_util::sync::CancellationToken;

use self::client::{ClientConfig, ClientKey, Connection};
use self::invoker::DubboInvoker;
use self::server::{Server, ServerConfig};
use crate::exporter::{ExportOwner, ExporterTable, ServiceExporter};
use crate::referred::ReferredInvokers;
pub use crate::reserve::ReservedPort;
use crate::reserve::{Reservations, join_address};
use crate::tls::{ClientTlsSettings, ServerTlsSettings};
use crate::{Exporter, Protocol, ProtocolCounts};

static GLOBAL: Lazy<DubboProtocol> = Lazy::new(DubboProtocol::new);

/// The dubbo2 protocol.
pub struct DubboProtocol {
    state: Arc<DubboState>,
}

pub(crate) struct DubboState {
    /// Held shared by `export` and `refer` for their whole run, exclusively by `destroy`:
    /// what an export or refer makes is either torn down by the destroy or made after it.
    gate: tokio::sync::RwLock<()>,
    /// Cancelled when a destroy starts, so that refers waiting on a connect give up at once
    /// instead of holding the destroy up; a fresh one is put in when the destroy ends.
    generation: Mutex<CancellationToken>,
    /// Serialises exports, so that two exports of a new address do not both bind it.
    binding: tokio::sync::Mutex<()>,
    invokers: ReferredInvokers,
    /// The servers by listening address, each with its own exporter table.
    servers: Mutex<HashMap<String, ServerEntry>>,
    clients: Mutex<HashMap<Arc<ClientKey>, ClientEntry>>,
    /// Servers and connections taken out of the tables and not yet seen closed: a destroy
    /// (and an export, which may need their port) waits for them.
    closing: Mutex<Closing>,
    /// Listeners bound ahead of their export ([`DubboProtocol::reserve_port`]), by address.
    reserved: Arc<Reservations>,
}

struct ServerEntry {
    server: Arc<Server>,
    exporters: Arc<ExporterTable>,
}

struct ClientEntry {
    connection: Arc<Connection>,
    invokers: usize,
}

#[derive(Default)]
struct Closing {
    servers: Vec<Arc<Server>>,
    connections: Vec<Arc<Connection>>,
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
    join_address(host, port)
}

/// The settings a consumer URL asks of its connection: invokers whose settings are equal
/// share one connection to their address, others get their own.
fn client_key(url: &Url) -> Result<ClientKey, RpcError> {
    let (heartbeat, idle_timeout) = heartbeat_of(url);
    Ok(ClientKey {
        address: url.address(),
        config: ClientConfig {
            heartbeat,
            idle_timeout,
            connect_timeout: url.duration_ms_param(
                keys::CONNECT_TIMEOUT,
                Duration::from_millis(defaults::CONNECT_TIMEOUT_MS),
            ),
            payload: payload_of(url),
            reconnect_max: Duration::from_secs(2),
            tls: ClientTlsSettings::from_url(url)?,
        },
        serialization: url
            .param(keys::SERIALIZATION)
            .unwrap_or(defaults::SERIALIZATION)
            .to_owned(),
        connections: url
            .param(keys::CONNECTIONS)
            .unwrap_or("0")
            .trim()
            .to_owned(),
    })
}

impl DubboProtocol {
    /// A private instance (tests use one each to stay independent of the global).
    pub fn new() -> Self {
        DubboProtocol {
            state: Arc::new(DubboState {
                gate: tokio::sync::RwLock::new(()),
                generation: Mutex::new(CancellationToken::new()),
                binding: tokio::sync::Mutex::new(()),
                invokers: ReferredInvokers::default(),
                servers: Mutex::new(HashMap::new()),
                clients: Mutex::new(HashMap::new()),
                closing: Mutex::new(Closing::default()),
                reserved: Arc::default(),
            }),
        }
    }

    /// The process-wide instance.
    pub fn global() -> &'static DubboProtocol {
        &GLOBAL
    }

    /// What the protocol holds now.
    pub fn counts(&self) -> ProtocolCounts {
        self.state.forget_destroyed();
        let (servers, exporters) = {
            let servers = self.state.lock_servers();
            let exporters = servers.values().map(|e| e.exporters.len()).sum();
            (servers.len(), exporters)
        };
        ProtocolCounts {
            exporters,
            invokers: self.state.invokers.len(),
            servers,
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
            .lock_servers()
            .values()
            .map(|e| e.server.connections())
            .sum()
    }

    /// The addresses this protocol's servers listen on.
    pub async fn server_addresses(&self) -> Vec<std::net::SocketAddr> {
        self.state
            .lock_servers()
            .values()
            .map(|e| e.server.local_addr())
            .collect()
    }

    /// Sends the read-only event on every server connection: consumers stop sending new
    /// calls here (the first step of a graceful shutdown).
    pub async fn send_readonly(&self) {
        for entry in self.state.lock_servers().values() {
            entry.server.send_readonly();
        }
    }

    /// Binds a free port on `host` now and keeps the listener: the first service exported
    /// on `host` and that port is served on this very listener, so the port found is the
    /// port served (binding port 0, dropping the listener and binding its port again lets
    /// another socket take it in between). The listener is closed when the reservation is
    /// dropped unused, or by [`Protocol::destroy`].
    ///
    /// # Errors
    ///
    /// [`RpcError::Network`] when `host` cannot be bound.
    pub fn reserve_port(&self, host: &str) -> Result<ReservedPort, RpcError> {
        self.state.reserved.reserve(host)
    }

    /// Sends the read-only event on the servers of `services` (provider URLs exported with
    /// this protocol, found by their bind address) that serve no other service: the first
    /// step of one application's graceful shutdown when several share the protocol. A
    /// server that also serves another application's services is left alone, since the
    /// event makes its consumers stop calling the whole connection. Returns how many
    /// servers were told.
    pub async fn send_readonly_for(&self, services: &[Arc<Url>]) -> usize {
        let mut ours: HashMap<String, Vec<ServiceKey>> = HashMap::new();
        for url in services {
            let keys = ours.entry(bind_address(url)).or_default();
            let key = url.service_key();
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let servers = self.state.lock_servers();
        let mut told = 0;
        for (address, keys) in ours {
            if let Some(entry) = servers.get(&address) {
                let only_ours = entry.exporters.len() == keys.len()
                    && keys.iter().all(|k| entry.exporters.get(k).is_some());
                if only_ours {
                    entry.server.send_readonly();
                    told += 1;
                }
            }
        }
        told
    }
}

impl Default for DubboProtocol {
    fn default() -> Self {
        DubboProtocol::new()
    }
}

impl std::fmt::Debug for DubboState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DubboState")
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl DubboState {
    fn lock_clients(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<ClientKey>, ClientEntry>> {
        lock(&self.clients)
    }

    fn lock_servers(&self) -> std::sync::MutexGuard<'_, HashMap<String, ServerEntry>> {
        lock(&self.servers)
    }

    /// An invoker was destroyed: forget it and release its share of `connection`.
    pub(crate) fn release_invoker(&self, id: u64, key: &ClientKey, connection: &Arc<Connection>) {
        self.invokers.remove(id);
        let closing = {
            let mut clients = self.lock_clients();
            match clients.get_mut(key) {
                // Its connection was replaced (its task had ended): nothing is shared.
                Some(entry) if !Arc::ptr_eq(&entry.connection, connection) => None,
                Some(entry) if entry.invokers > 1 => {
                    entry.invokers -= 1;
                    None
                }
                Some(_) => clients.remove(key).map(|e| e.connection),
                None => None,
            }
        };
        if let Some(connection) = closing {
            connection.close();
            let mut closing = lock(&self.closing);
            closing.connections.retain(|c| !c.is_finished());
            closing.connections.push(connection);
        }
    }

    /// Takes out of the tables every exported invoker that was destroyed without being
    /// unexported, and retires the servers this leaves with no service.
    pub(crate) fn forget_destroyed(&self) {
        let mut gone = Vec::new();
        let emptied = {
            let mut servers = self.lock_servers();
            for entry in servers.values() {
                gone.extend(entry.exporters.remove_destroyed());
            }
            if gone.is_empty() {
                return;
            }
            let empty: Vec<String> = servers
                .iter()
                .filter(|(_, e)| e.exporters.is_empty())
                .map(|(address, _)| address.clone())
                .collect();
            let emptied: Vec<_> = empty
                .iter()
                .filter_map(|address| servers.remove(address))
                .map(|e| e.server)
                .collect();
            // Listed as closing before the lock is let go: an export that finds no server
            // at the address waits for these to free it.
            lock(&self.closing).servers.extend(emptied.iter().cloned());
            emptied
        };
        for server in emptied {
            server.cancel();
        }
        drop(gone);
    }

    /// Waits until every server and connection taken out of the tables has closed.
    async fn finish_closing(&self) {
        let (servers, connections) = {
            let closing = lock(&self.closing);
            (closing.servers.clone(), closing.connections.clone())
        };
        for server in &servers {
            server.close().await;
        }
        for connection in &connections {
            connection.close_and_wait().await;
        }
        let mut closing = lock(&self.closing);
        closing
            .servers
            .retain(|s| !servers.iter().any(|done| Arc::ptr_eq(s, done)));
        closing
            .connections
            .retain(|c| !connections.iter().any(|done| Arc::ptr_eq(c, done)));
    }

    async fn acquire_connection(
        &self,
        key: &Arc<ClientKey>,
        cancelled: &CancellationToken,
    ) -> Result<Arc<Connection>, RpcError> {
        if let Some(entry) = self.lock_clients().get_mut(key) {
            // A connection whose task ended without being closed (the runtime it was
            // spawned on shut down) serves no one: it is replaced below.
            if !entry.connection.is_finished() {
                entry.invokers += 1;
                return Ok(Arc::clone(&entry.connection));
            }
        }
        let connect = Connection::connect(key.address.clone(), key.config.clone());
        let fresh = tokio::select! {
            connected = connect => Arc::new(connected?),
            () = cancelled.cancelled() => {
                return Err(RpcError::Destroyed("the dubbo protocol is being destroyed".into()));
            }
        };
        let mut clients = self.lock_clients();
        let entry = clients
            .entry(Arc::clone(key))
            .or_insert_with(|| ClientEntry {
                connection: Arc::clone(&fresh),
                invokers: 0,
            });
        if entry.connection.is_finished() {
            entry.connection.close();
            *entry = ClientEntry {
                connection: Arc::clone(&fresh),
                invokers: 0,
            };
        }
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
        let closing = {
            let mut servers = self.lock_servers();
            let Some(entry) = servers.get(address) else {
                return;
            };
            if !entry.exporters.remove(key, invoker) || !entry.exporters.is_empty() {
                return;
            }
            let server = servers.remove(address).map(|e| e.server);
            if let Some(server) = &server {
                lock(&self.closing).servers.push(Arc::clone(server));
            }
            server
        };
        if let Some(server) = closing {
            server.close().await;
            lock(&self.closing)
                .servers
                .retain(|s| !Arc::ptr_eq(s, &server));
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
        let _gate = state.gate.read().await;
        let _binding = state.binding.lock().await;
        state.forget_destroyed();
        let served = state.lock_servers().get(&address).map(|entry| {
            if entry.server.is_tls() != crate::tls::ssl_enabled(&url) {
                return Err(RpcError::Config(format!(
                    "{address} is already served {}; {key} asks for ssl-enabled={}",
                    if entry.server.is_tls() {
                        "with TLS"
                    } else {
                        "without TLS"
                    },
                    !entry.server.is_tls()
                )));
            }
            entry.exporters.insert(key.clone(), Arc::clone(&invoker))
        });
        match served {
            Some(inserted) => inserted?,
            None => {
                // A server on its way out may still hold the port this export binds.
                state.finish_closing().await;
                let (_, idle_timeout) = heartbeat_of(&url);
                let config = ServerConfig {
                    idle_timeout,
                    payload: payload_of(&url),
                    accepts: usize::try_from(url.int_param(keys::ACCEPTS, 0)).unwrap_or(0),
                    tls: ServerTlsSettings::from_url(&url)?,
                };
                let exporters = Arc::new(ExporterTable::default());
                exporters.insert(key.clone(), Arc::clone(&invoker))?;
                let reserved = state.reserved.take(&address);
                let server = Server::bind(
                    &address,
                    reserved,
                    Arc::clone(&exporters),
                    config,
                    Arc::downgrade(state),
                )
                .await?;
                let entry = ServerEntry {
                    server: Arc::new(server),
                    exporters,
                };
                state.lock_servers().insert(address.clone(), entry);
            }
        }
        drop(url);
        tracing::info!(%key, %address, "exported over dubbo");
        Ok(Arc::new(ServiceExporter::new(
            key,
            address,
            invoker,
            Arc::downgrade(state),
        )))
    }

    async fn refer(&self, url: Arc<Url>) -> Result<Arc<dyn Invoker>, RpcError> {
        let state = &self.state;
        let _gate = state.gate.read().await;
        let cancelled = lock(&state.generation).clone();
        let key = Arc::new(client_key(&url)?);
        let connection = state.acquire_connection(&key, &cancelled).await?;
        let id = state.invokers.next_id();
        let invoker: Arc<dyn Invoker> = Arc::new(DubboInvoker::new(
            url,
            id,
            key,
            connection,
            Arc::downgrade(state),
        ));
        state.invokers.insert(id, Arc::clone(&invoker));
        tracing::debug!("referred over dubbo");
        Ok(invoker)
    }

    async fn destroy(&self) {
        let state = &self.state;
        lock(&state.generation).cancel();
        let _gate = state.gate.write().await;
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
        let servers: Vec<_> = state.lock_servers().drain().map(|(_, e)| e).collect();
        for entry in &servers {
            for (_, invoker) in entry.exporters.drain() {
                invoker.destroy();
            }
        }
        for entry in servers {
            entry.server.close().await;
        }
        state.reserved.clear();
        state.finish_closing().await;
        *lock(&state.generation) = CancellationToken::new();
    }
}
