//! [`QosApplication`]: what the QoS commands need from the running application.

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_invoker::Invoker;

/// A service the application provides.
#[derive(Clone)]
pub struct ProviderService {
    /// The service key, `group/interface:version` (group and version only when set).
    pub service_key: String,
    /// The interface name.
    pub interface: String,
    /// Its method names.
    pub methods: Vec<String>,
    /// Whether it is registered (published) in its registries now.
    pub published: bool,
    /// The exported invoker: the provider filter chain over the implementation.
    pub invoker: Option<Arc<dyn Invoker>>,
}

/// A service the application calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerService {
    /// The service key, `group/interface:version` (group and version only when set).
    pub service_key: String,
    /// Whether it has a provider to call now (Java's `NUM` column counts the addresses;
    /// the consumer chain does not tell how many, so `ls` prints `AVL` `Y` or `N`).
    pub available: bool,
}

/// The kubelet probes, Java's `live`, `ready` and `startup` commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// The process answers.
    Live,
    /// The application serves: started, and not shutting down.
    Ready,
    /// The application has started (and is not shutting down).
    Startup,
}

/// The running application, as the QoS commands see it.
#[async_trait]
pub trait QosApplication: Send + Sync {
    /// The services provided (`ls`, `invoke`, `online`, `offline`).
    fn providers(&self) -> Vec<ProviderService>;
    /// The services referred (`ls`).
    fn consumers(&self) -> Vec<ConsumerService>;
    /// The ports the application's servers listen on (`ps`).
    fn ports(&self) -> Vec<u16>;
    /// A probe's answer (`live`, `ready`, `startup`).
    fn probe(&self, probe: Probe) -> bool;
    /// The configuration in effect, as text (`getConfig`).
    fn config_text(&self) -> String;
    /// The metrics text exposition, `None` when metrics are disabled (`metrics`).
    fn metrics_text(&self) -> Option<String>;
    /// Registers (`online = true`) or unregisters the provided services whose service key
    /// or interface matches `pattern` (a regular-expression-free match: equal, or `*` for
    /// all; `None`: all), without stopping them. Returns how many services matched.
    ///
    /// # Errors
    ///
    /// A message when a registry refused.
    async fn set_online(&self, pattern: Option<&str>, online: bool) -> Result<usize, String>;
}
