//! Well-known parameter values and URL protocols (schemes).

/// [`keys::SIDE`](crate::keys::SIDE) of a provider URL.
pub const PROVIDER_SIDE: &str = "provider";
/// [`keys::SIDE`](crate::keys::SIDE) of a consumer URL.
pub const CONSUMER_SIDE: &str = "consumer";
/// [`keys::CATEGORY`](crate::keys::CATEGORY) of provider nodes (the default).
pub const PROVIDERS_CATEGORY: &str = "providers";
/// [`keys::CATEGORY`](crate::keys::CATEGORY) of consumer nodes.
pub const CONSUMERS_CATEGORY: &str = "consumers";
/// [`keys::CATEGORY`](crate::keys::CATEGORY) of override (configurator) nodes.
pub const CONFIGURATORS_CATEGORY: &str = "configurators";
/// [`keys::CATEGORY`](crate::keys::CATEGORY) of router nodes.
pub const ROUTERS_CATEGORY: &str = "routers";
/// Wildcard value (`*`) matching any interface, group, version or category.
pub const ANY: &str = "*";

/// Protocol of the dubbo2 TCP protocol.
pub const DUBBO_PROTOCOL: &str = "dubbo";
/// Protocol of Triple.
pub const TRI_PROTOCOL: &str = "tri";
/// Protocol of in-process calls.
pub const INJVM_PROTOCOL: &str = "injvm";
/// Protocol of a registry URL that wraps a provider (`export`) or consumer (`refer`) URL.
pub const REGISTRY_PROTOCOL: &str = "registry";
/// Protocol of consumer URLs written to the registry.
pub const CONSUMER_PROTOCOL: &str = "consumer";
/// Protocol of configurator (override) URLs.
pub const OVERRIDE_PROTOCOL: &str = "override";
/// Protocol of router URLs.
pub const ROUTE_PROTOCOL: &str = "route";
/// Protocol a consumer uses internally for "this category is empty".
pub const EMPTY_PROTOCOL: &str = "empty";
