//! The QoS commands' view of a running application ([`QosApplication`]), and the
//! `[qos]` server the bootstrap starts with it.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use oxidubbo_qos::{ConsumerService, Probe, ProviderService, QosApplication, QosServer};

use super::gauges::ProtocolGauges;
use super::running::{Exported, Registration, Shared};
use crate::Error;
use crate::config::Config;

/// The application as the QoS commands see it. It holds the application weakly: the
/// server it serves belongs to the application.
pub(crate) struct QosView {
    pub(crate) shared: Weak<Shared>,
}

/// Starts the `[qos]` server on `shared`'s application.
pub(crate) async fn start_qos_server(
    config: &Config,
    shared: &Arc<Shared>,
) -> Result<QosServer, Error> {
    let settings = &config.qos;
    let addr = settings
        .socket_addr()
        .map_err(|m| config.error_at(&["qos", "host"], m))?;
    let view = Arc::new(QosView {
        shared: Arc::downgrade(shared),
    });
    QosServer::start(addr, settings.accept_foreign_ip, view)
        .await
        .map_err(|e| {
            config
                .error_at(&["qos", "port"], format!("cannot listen on {addr}: {e}"))
                .into()
        })
}

/// Whether `pattern` names `exported`: `None` or `*` name every service; else its
/// interface, service key or `[services.<name>]` name.
fn names(exported: &Exported, pattern: Option<&str>) -> bool {
    match pattern.map(str::trim) {
        None | Some("" | "*") => true,
        Some(p) => {
            exported.name == p
                || exported.url.path() == p
                || exported.url.service_key().as_str() == p
        }
    }
}

/// Registers (`online`) or unregisters every registration of `exported`, moving them
/// between its published and withdrawn lists; the first failure, if any.
async fn switch(exported: &Exported, online: bool) -> Result<(), String> {
    let (from, to) = if online {
        (&exported.withdrawn, &exported.registrations)
    } else {
        (&exported.registrations, &exported.withdrawn)
    };
    let moving: Vec<Registration> =
        std::mem::take(&mut *from.lock().unwrap_or_else(|e| e.into_inner()));
    let mut failure = None;
    for r in moving {
        let done = if online {
            r.registry.register(&r.url).await
        } else {
            r.registry.unregister(&r.url).await
        };
        let target = match done {
            Ok(()) => to,
            Err(e) => {
                failure.get_or_insert(format!("services.{}: {e}", exported.name));
                from
            }
        };
        target.lock().unwrap_or_else(|e| e.into_inner()).push(r);
    }
    failure.map_or(Ok(()), Err)
}

#[async_trait::async_trait]
impl QosApplication for QosView {
    fn providers(&self) -> Vec<ProviderService> {
        let Some(shared) = self.shared.upgrade() else {
            return Vec::new();
        };
        let mut by_key: BTreeMap<String, ProviderService> = BTreeMap::new();
        for e in shared.lock_exported().iter() {
            let key = e.url.service_key().as_str().to_owned();
            let published = !e.lock_registrations().is_empty();
            let entry = by_key
                .entry(key.clone())
                .or_insert_with(|| ProviderService {
                    service_key: key,
                    interface: e
                        .url
                        .param(oxidubbo_common::keys::INTERFACE)
                        .unwrap_or(e.url.path())
                        .to_owned(),
                    methods: e
                        .url
                        .param(oxidubbo_common::keys::METHODS)
                        .unwrap_or_default()
                        .split(',')
                        .filter(|m| !m.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    published: false,
                    invoker: e.exporter.invoker(),
                });
            entry.published |= published;
        }
        by_key.into_values().collect()
    }

    fn consumers(&self) -> Vec<ConsumerService> {
        let Some(shared) = self.shared.upgrade() else {
            return Vec::new();
        };
        let references = shared.lock_references();
        references
            .values()
            .filter_map(|invoker| {
                let url = invoker.url()?;
                Some(ConsumerService {
                    service_key: url.service_key().as_str().to_owned(),
                    available: invoker.is_available(),
                })
            })
            .collect()
    }

    fn ports(&self) -> Vec<u16> {
        let Some(shared) = self.shared.upgrade() else {
            return Vec::new();
        };
        let mut ports: Vec<u16> = shared
            .lock_exported()
            .iter()
            .map(|e| e.url.port())
            .collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }

    fn probe(&self, probe: Probe) -> bool {
        let Some(shared) = self.shared.upgrade() else {
            return false;
        };
        match probe {
            Probe::Live => true,
            Probe::Ready | Probe::Startup => {
                shared.started.load(Ordering::Acquire)
                    && !shared.shutdown_began.load(Ordering::Acquire)
            }
        }
    }

    fn config_text(&self) -> String {
        let Some(shared) = self.shared.upgrade() else {
            return String::new();
        };
        toml::to_string_pretty(&shared.config).unwrap_or_else(|e| e.to_string())
    }

    fn metrics_text(&self) -> Option<String> {
        let shared = self.shared.upgrade()?;
        let metrics = shared.metrics.as_ref()?;
        let mut registry = metrics.registry();
        registry.register_collector(Box::new(ProtocolGauges {
            dubbo: shared.dubbo.clone(),
        }));
        Some(oxidubbo_metrics::encode(&registry))
    }

    async fn set_online(&self, pattern: Option<&str>, online: bool) -> Result<usize, String> {
        let Some(shared) = self.shared.upgrade() else {
            return Ok(0);
        };
        if shared.shutdown_began.load(Ordering::Acquire) {
            return Err("the application is shutting down".to_owned());
        }
        let matched: Vec<Arc<Exported>> = shared
            .lock_exported()
            .iter()
            .filter(|e| names(e, pattern))
            .cloned()
            .collect();
        let mut failure = None;
        for exported in &matched {
            if let Err(e) = switch(exported, online).await {
                failure.get_or_insert(e);
            }
        }
        failure.map_or(Ok(matched.len()), Err)
    }
}
