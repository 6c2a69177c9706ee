//! The Triple protocol (`tri://`): gRPC over HTTP/2, and unary calls in JSON over HTTP/1.1
//! or HTTP/2 (what curl sends, TRIPLE.md §8), on one port, TRIPLE.md being the wire
//! reference.
//!
//! [`TripleProtocol::global`] is the process-wide instance. Like
//! [`DubboProtocol`](crate::DubboProtocol) it tracks the services it exported (one table
//! per listening address: a service exported on one port does not answer on another), the
//! invokers it referred, its servers and one shared HTTP/2 connection per provider
//! address, and [`Protocol::destroy`] releases all of it.
//!
//! A service exported with `serialization=protobuf` is an IDL service, served by the
//! [`call`] contract; any other is an interface-style service whose unary calls carry
//! Hessian arguments in the [`wrapper`] messages. Both kinds also answer HTTP-unary calls:
//! `POST /{service}/{method}` with `Content-Type: application/json`, the body being the
//! request message's protobuf JSON (IDL) or the arguments (interface-style: a JSON array
//! of them, or the only one), the answer the response message or the result in JSON.
//!
//! The wire pieces: [`frame`] (gRPC framing, limits, gzip), [`status`] (codes,
//! `grpc-message`, `grpc-timeout`), [`wrapper`] and [`headers`] (attachments as headers).

pub mod call;
pub mod frame;
pub mod headers;
pub mod status;
pub mod wrapper;

mod body;
mod client;
mod exec;
mod http_unary;
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
use self::invoker::TripleInvoker;
use self::server::{Server, ServerConfig};
use crate::exporter::{ExportOwner, ExporterTable, ServiceExporter};
use crate::referred::ReferredInvokers;
use crate::reserve::{Reservations, ReservedPort, join_address};
use crate::tls::{ClientTlsSettings, ServerTlsSettings};
use crate::{Exporter, Protocol, ProtocolCounts};

/// Triple's default port (Java's and dubbo-go's).
pub const DEFAULT_PORT: u16 = 50051;

static GLOBAL: Lazy<TripleProtocol> = Lazy::new(TripleProtocol::new);

/// The Triple protocol.
pub struct TripleProtocol {
    state: Arc<TripleState>,
}

pub(crate) struct TripleState {
    invokers: ReferredInvokers,
    servers: tokio::sync::Mutex<HashMap<String, Arc<Server>>>,
    server_count: AtomicUsize,
    exporter_count: AtomicUsize,
    clients: Mutex<HashMap<String, ClientEntry>>,
    /// Listeners bound ahead of their export ([`TripleProtocol::reserve_port`]), by address.
    reserved: Arc<Reservations>,
}

struct ClientEntry {
    connection: Arc<Connection>,
    invokers: usize,
}

fn payload_of(url: &Url) -> usize {
    usize::try_from(url.int_param(keys::PAYLOAD, defaults::PAYLOAD)).unwrap_or(0)
}

/// The address a provider URL binds: `bind.ip`/`bind.port` when set, else its host and
/// port (50051 when it has none).
fn bind_address(url: &Url) -> String {
    let host = url.param("bind.ip").unwrap_or(url.host());
    let port = url
        .param("bind.port")
        .and_then(|p| p.parse().ok())
        .unwrap_or(url.port());
    let port = if port == 0 { DEFAULT_PORT } else { port };
    join_address(host, port)
}

/// The address a consumer URL calls (port 50051 when it has none).
fn provider_address(url: &Url) -> String {
    if url.port() == 0 {
        join_address(url.host(), DEFAULT_PORT)
    } else {
        url.address()
    }
}

impl TripleProtocol {
    /// A private instance (tests use one each to stay independent of the global).
    pub fn new() -> Self {
        TripleProtocol {
            state: Arc::new(TripleState {
                invokers: ReferredInvokers::default(),
                servers: tokio::sync::Mutex::new(HashMap::new()),
                server_count: AtomicUsize::new(0),
                exporter_count: AtomicUsize::new(0),
                clients: Mutex::new(HashMap::new()),
                reserved: Arc::default(),
            }),
        }
    }

    /// The process-wide instance.
    pub fn global() -> &'static TripleProtocol {
        &GLOBAL
    }

    /// What the protocol holds now.
    pub fn counts(&self) -> ProtocolCounts {
        ProtocolCounts {
            exporters: self.state.exporter_count.load(Ordering::Acquire),
            invokers: self.state.invokers.len(),
            servers: self.state.server_count.load(Ordering::Acquire),
            connections: self.state.lock_clients().len(),
        }
    }

    /// Connections accepted by this protocol's servers and still open.
    pub async fn server_connections(&self) -> usize {
        let servers = self.state.servers.lock().await;
        servers.values().map(|s| s.connections()).sum()
    }

    /// Binds a free port on `host` now and keeps the listener: the first service exported
    /// on `host` and that port is served on this very listener, so the port found is the
    /// port served. The listener is closed when the reservation is dropped unused, or by
    /// [`Protocol::destroy`].
    ///
    /// # Errors
    ///
    /// [`RpcError::Network`] when `host` cannot be bound.
    pub fn reserve_port(&self, host: &str) -> Result<ReservedPort, RpcError> {
        self.state.reserved.reserve(host)
    }

    /// The addresses this protocol's servers listen on.
    pub async fn server_addresses(&self) -> Vec<std::net::SocketAddr> {
        let servers = self.state.servers.lock().await;
        servers.values().map(|s| s.local_addr()).collect()
    }
}

impl Default for TripleProtocol {
    fn default() -> Self {
        TripleProtocol::new()
    }
}

impl TripleState {
    fn lock_clients(&self) -> std::sync::MutexGuard<'_, HashMap<String, ClientEntry>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An invoker was destroyed: forget it and release its share of `connection`.
    pub(crate) fn release_invoker(&self, id: u64, pool_key: &str, connection: &Arc<Connection>) {
        self.invokers.remove(id);
        let closing = {
            let mut clients = self.lock_clients();
            match clients.get_mut(pool_key) {
                // Its connection was replaced (its task had ended): nothing is shared.
                Some(entry) if !Arc::ptr_eq(&entry.connection, connection) => None,
                Some(entry) if entry.invokers > 1 => {
                    entry.invokers -= 1;
                    None
                }
                Some(_) => clients.remove(pool_key).map(|e| e.connection),
                None => None,
            }
        };
        if let Some(connection) = closing {
            connection.close();
        }
    }

    async fn acquire_connection(
        &self,
        url: &Url,
        pool_key: &str,
        tls: Option<ClientTlsSettings>,
    ) -> Result<Arc<Connection>, RpcError> {
        let address = provider_address(url);
        if let Some(entry) = self.lock_clients().get_mut(pool_key) {
            // A connection whose supervisor ended without being closed (the runtime it was
            // spawned on shut down) serves no one: it is replaced below.
            if !entry.connection.is_finished() {
                entry.invokers += 1;
                return Ok(Arc::clone(&entry.connection));
            }
        }
        let config = ClientConfig {
            tls,
            connect_timeout: url.duration_ms_param(
                keys::CONNECT_TIMEOUT,
                Duration::from_millis(defaults::CONNECT_TIMEOUT_MS),
            ),
            keep_alive: url
                .duration_ms_param(
                    keys::HEARTBEAT,
                    Duration::from_millis(defaults::HEARTBEAT_MS),
                )
                .max(Duration::from_millis(100)),
            reconnect_max: Duration::from_secs(2),
        };
        let fresh = Arc::new(Connection::connect(address, config).await?);
        let mut clients = self.lock_clients();
        let entry = clients
            .entry(pool_key.to_owned())
            .or_insert_with(|| ClientEntry {
                connection: Arc::clone(&fresh),
                invokers: 0,
            });
        if entry.connection.is_finished() {
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

impl ExportOwner for TripleState {
    async fn release_export(&self, key: &ServiceKey, invoker: &Arc<dyn Invoker>, address: &str) {
        let closing = {
            let mut servers = self.servers.lock().await;
            let Some(server) = servers.get(address) else {
                return;
            };
            if !server.exporters().remove(key, invoker) {
                return;
            }
            self.exporter_count.fetch_sub(1, Ordering::AcqRel);
            if !server.exporters().is_empty() {
                None
            } else {
                self.server_count.fetch_sub(1, Ordering::AcqRel);
                servers.remove(address)
            }
        };
        if let Some(server) = closing {
            server.close().await;
        }
    }
}

#[async_trait]
impl Protocol for TripleProtocol {
    async fn export(&self, invoker: Arc<dyn Invoker>) -> Result<Arc<dyn Exporter>, RpcError> {
        let url = invoker
            .url()
            .ok_or_else(|| RpcError::Destroyed("cannot export a destroyed invoker".into()))?;
        let key = url.service_key();
        let address = bind_address(&url);
        let state = &self.state;
        let mut servers = state.servers.lock().await;
        let server = match servers.get(&address) {
            Some(server) => {
                if server.is_tls() != crate::tls::ssl_enabled(&url) {
                    return Err(RpcError::Config(format!(
                        "{address} is already served {}; {key} asks for ssl-enabled={}",
                        if server.is_tls() {
                            "with TLS"
                        } else {
                            "without TLS"
                        },
                        !server.is_tls()
                    )));
                }
                Arc::clone(server)
            }
            None => {
                let config = ServerConfig {
                    payload: payload_of(&url),
                    tls: ServerTlsSettings::from_url(&url)?,
                };
                let table = Arc::new(ExporterTable::default());
                let reserved = state.reserved.take(&address);
                let server = Arc::new(Server::bind(&address, reserved, table, config).await?);
                servers.insert(address.clone(), Arc::clone(&server));
                state.server_count.fetch_add(1, Ordering::AcqRel);
                server
            }
        };
        let inserted = server.exporters().insert(key.clone(), Arc::clone(&invoker));
        if let Err(e) = inserted {
            if server.exporters().is_empty() {
                servers.remove(&address);
                state.server_count.fetch_sub(1, Ordering::AcqRel);
                drop(servers);
                server.close().await;
            }
            return Err(e);
        }
        state.exporter_count.fetch_add(1, Ordering::AcqRel);
        drop(servers);
        tracing::info!(%key, %address, "exported over triple");
        Ok(Arc::new(ServiceExporter::new(
            key,
            address,
            invoker,
            Arc::downgrade(state),
        )))
    }

    async fn refer(&self, url: Arc<Url>) -> Result<Arc<dyn Invoker>, RpcError> {
        let address = provider_address(&url);
        let tls = ClientTlsSettings::from_url(&url)?;
        // TLS settings are part of the key: a TLS reference never shares a plaintext
        // connection, nor one made with other certificates.
        let pool_key = match &tls {
            Some(settings) => format!("{address} tls {settings:?}"),
            None => address.clone(),
        };
        let secure = tls.is_some();
        let connection = self.state.acquire_connection(&url, &pool_key, tls).await?;
        let id = self.state.invokers.next_id();
        let invoker: Arc<dyn Invoker> = Arc::new(TripleInvoker::new(
            url.clone(),
            id,
            (pool_key, secure),
            payload_of(&url),
            connection,
            Arc::downgrade(&self.state),
        ));
        self.state.invokers.insert(id, Arc::clone(&invoker));
        tracing::debug!(%address, "referred over triple");
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
        let servers: Vec<_> = state.servers.lock().await.drain().map(|(_, s)| s).collect();
        state
            .server_count
            .fetch_sub(servers.len(), Ordering::AcqRel);
        for server in servers {
            for (_, invoker) in server.exporters().drain() {
                state.exporter_count.fetch_sub(1, Ordering::AcqRel);
                invoker.destroy();
            }
            server.close().await;
        }
        state.reserved.clear();
    }
}
