//! The `Registry` and `NotifyListener` traits, and the matching rules every backend shares.

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_common::{Url, defaults, keys, values};

use crate::{MetadataServiceDelegation, RegistryError, ServiceDiscovery};

/// Receives the URLs a subscription currently sees, Dubbo style.
///
/// Each call carries the **complete current list of one category** (`providers`,
/// `consumers`, `configurators` or `routers`) for the subscribed service, never a diff. A
/// category that became empty is reported as a single `empty://` URL whose `category`
/// parameter names it. A registry calls a listener first when it subscribes (once per
/// subscribed category) and then after every change, one call at a time per subscription,
/// in the order the changes were seen.
#[async_trait]
pub trait NotifyListener: Send + Sync + 'static {
    /// The current URLs of one category (or one `empty://` URL).
    async fn notify(&self, urls: Vec<Url>);
}

/// What a registry holds right now, for tests and operators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistryCounts {
    /// URLs this registry registered and has not unregistered.
    pub registered: usize,
    /// Subscriptions (one listener each) not yet unsubscribed.
    pub subscriptions: usize,
    /// Backend watches alive (ZooKeeper: one watch task per subscribed category).
    pub watches: usize,
    /// Application instances this registry registered (`register-mode` `instance` or
    /// `all`): 0 or 1.
    pub instances: usize,
}

impl RegistryCounts {
    /// Whether the registry holds nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == RegistryCounts::default()
    }
}

/// A place where providers and consumers register and find each other.
///
/// Object-safe: registries are shared as `Arc<dyn Registry>`. Every backend keeps Dubbo's
/// semantics: a subscription is notified at once with the current list of each subscribed
/// category, then after every change; an empty category arrives as `empty://`;
/// [`Registry::destroy`] unregisters everything this registry registered, drops every
/// listener and closes the backend session.
#[async_trait]
pub trait Registry: Send + Sync + 'static {
    /// The registry's own URL (`memory://…`, `zookeeper://host:port`).
    fn url(&self) -> Url;

    /// Whether the registry can serve requests (connected and not destroyed).
    fn is_available(&self) -> bool;

    /// Publishes `url` under its interface and category (`category` parameter, default
    /// `providers`). Registering the same URL twice is not an error.
    async fn register(&self, url: &Url) -> Result<(), RegistryError>;

    /// Withdraws a URL this registry registered.
    async fn unregister(&self, url: &Url) -> Result<(), RegistryError>;

    /// Subscribes `listener` to the categories named by `url`'s `category` parameter
    /// (comma-separated; default `providers`; `*` for all four) of `url`'s interface, filtered
    /// by group, version and `enabled` as Dubbo matches them (see [`is_match`]). The listener
    /// is notified before this returns.
    async fn subscribe(
        &self,
        url: &Url,
        listener: Arc<dyn NotifyListener>,
    ) -> Result<(), RegistryError>;

    /// Removes the subscription of `listener` (the same `Arc`) for `url`. The registry drops
    /// its reference to the listener.
    async fn unsubscribe(
        &self,
        url: &Url,
        listener: &Arc<dyn NotifyListener>,
    ) -> Result<(), RegistryError>;

    /// The URLs a subscription for `url` would be notified with now (no `empty://`).
    async fn lookup(&self, url: &Url) -> Result<Vec<Url>, RegistryError>;

    /// Whether this registry points consumers at the application's `MetadataService`: it
    /// registers application instances whose `MetadataInfo` is kept `local` (served by the
    /// instance). The bootstrap exports the service only for such a registry and gives it to
    /// [`Registry::serve_metadata`]. `false` by default.
    fn needs_metadata_service(&self) -> bool {
        false
    }

    /// Has `service`, the application's `MetadataService` exported at `url`, answer for the
    /// application instance this registry registers (`storage-type` `local`): the instance's
    /// `MetadataInfo` is published to it and the instance points consumers at `url`. A
    /// registry that registers no application instance ignores it.
    async fn serve_metadata(
        &self,
        service: MetadataServiceDelegation,
        url: &Url,
    ) -> Result<(), RegistryError> {
        let _ = (service, url);
        Ok(())
    }

    /// The application-level side of this backend (instances, mapping, metadata report), if
    /// it has one. `None` (the default) means consumers can find providers at interface
    /// level only.
    fn discovery(&self) -> Option<&dyn ServiceDiscovery> {
        None
    }

    /// Unregisters everything, unsubscribes every listener and closes the backend.
    /// Idempotent; afterwards every operation fails with [`RegistryError::Destroyed`].
    async fn destroy(&self);

    /// What this registry holds now.
    fn counts(&self) -> RegistryCounts;
}

/// The four categories a subscription to `*` covers.
pub const ALL_CATEGORIES: [&str; 4] = [
    values::PROVIDERS_CATEGORY,
    values::CONSUMERS_CATEGORY,
    values::ROUTERS_CATEGORY,
    values::CONFIGURATORS_CATEGORY,
];

/// The category a registered URL goes to: its `category` parameter, default `providers`.
pub fn category_of(url: &Url) -> &str {
    url.param_or(keys::CATEGORY, defaults::CATEGORY)
}

/// The categories a subscription URL asks for: its comma-separated `category` parameter
/// (default `providers`; `*` means all four), without duplicates.
pub fn subscribed_categories(url: &Url) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in url
        .param_or(keys::CATEGORY, defaults::CATEGORY)
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        if c == values::ANY {
            return ALL_CATEGORIES.iter().map(|c| (*c).to_owned()).collect();
        }
        if !out.iter().any(|o| o == c) {
            out.push(c.to_owned());
        }
    }
    if out.is_empty() {
        out.push(defaults::CATEGORY.to_owned());
    }
    out
}

/// A copy of `url` with another protocol (scheme).
pub fn with_protocol(url: &Url, protocol: &str) -> Url {
    let mut b = Url::builder(protocol)
        .host(url.host())
        .port(url.port())
        .path(url.path())
        .params(url.params());
    if let Some(u) = url.username() {
        b = b.username(u);
    }
    if let Some(p) = url.password() {
        b = b.password(p);
    }
    b.build()
}

/// The `empty://` URL a subscription for `consumer` is notified with when `category` is
/// empty: the consumer URL with protocol `empty` and `category=<category>`.
pub fn empty_url(consumer: &Url, category: &str) -> Url {
    with_protocol(consumer, values::EMPTY_PROTOCOL).with_param(keys::CATEGORY, category)
}

/// Whether `url` is an `empty://` notification.
pub fn is_empty_url(url: &Url) -> bool {
    url.protocol() == values::EMPTY_PROTOCOL
}

fn normalized_version(url: &Url) -> Option<&str> {
    url.version().filter(|v| *v != defaults::VERSION)
}

/// Dubbo's `UrlUtils.isMatch` without the category check (registries keep categories
/// apart): whether the registered `provider` URL belongs to a subscription for `consumer`.
///
/// * the interfaces are equal (or either is `*`);
/// * the provider is enabled (`enabled` not `false`), unless the consumer asks for
///   `enabled=*`;
/// * the consumer's group is `*`, equal to the provider's, or a comma-separated list that
///   contains it (a missing and an empty group are the same);
/// * the consumer's version is `*` or equal to the provider's (missing, empty and `0.0.0`
///   are the same).
pub fn is_match(consumer: &Url, provider: &Url) -> bool {
    let (ci, pi) = (consumer.interface(), provider.interface());
    if ci != values::ANY && pi != values::ANY && ci != pi {
        return false;
    }
    if !provider.bool_param(keys::ENABLED, true) && consumer.param(keys::ENABLED) != Some("*") {
        return false;
    }
    let (cg, pg) = (consumer.group(), provider.group());
    let group_ok = match cg {
        Some(values::ANY) => true,
        None => pg.is_none(),
        Some(cg) => Some(cg) == pg || pg.is_some_and(|pg| cg.split(',').any(|g| g.trim() == pg)),
    };
    if !group_ok {
        return false;
    }
    let cv = normalized_version(consumer);
    cv == Some(values::ANY) || cv == normalized_version(provider)
}

/// Whether two listener handles are the same listener (same allocation).
pub(crate) fn same_listener<L: ?Sized>(a: &Arc<L>, b: &Arc<L>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn matching_follows_dubbo() {
        let c = u("consumer://127.0.0.1/com.A?interface=com.A&version=1.0.0");
        assert!(is_match(&c, &u("dubbo://1.1.1.1:1/com.A?version=1.0.0")));
        assert!(is_match(
            &c,
            &u("dubbo://127.0.0.1:2?interface=com.A&version=1.0.0&group=")
        ));
        assert!(!is_match(&c, &u("dubbo://1.1.1.1:1/com.A?version=2.0.0")));
        assert!(!is_match(&c, &u("dubbo://1.1.1.1:1/com.B?version=1.0.0")));
        assert!(!is_match(
            &c,
            &u("dubbo://1.1.1.1:1/com.A?version=1.0.0&enabled=false")
        ));
        assert!(!is_match(
            &c,
            &u("dubbo://1.1.1.1:1/com.A?version=1.0.0&group=g")
        ));
        let g = u("consumer://h/com.A?group=a,b&version=*");
        assert!(is_match(
            &g,
            &u("dubbo://1.1.1.1:1/com.A?group=b&version=9")
        ));
        assert!(!is_match(&g, &u("dubbo://1.1.1.1:1/com.A?group=c")));
        let none = u("consumer://h/com.A");
        assert!(is_match(&none, &u("dubbo://1.1.1.1:1/com.A?version=0.0.0")));
    }

    #[test]
    fn categories_and_empty() {
        assert_eq!(
            subscribed_categories(&u("consumer://h/a")),
            vec!["providers"]
        );
        assert_eq!(
            subscribed_categories(&u("consumer://h/a?category=providers,routers,providers")),
            vec!["providers", "routers"]
        );
        assert_eq!(
            subscribed_categories(&u("consumer://h/a?category=*")).len(),
            4
        );
        let e = empty_url(&u("consumer://h/a?category=providers,routers"), "routers");
        assert!(is_empty_url(&e));
        assert_eq!(category_of(&e), "routers");
        assert_eq!(e.path(), "a");
    }
}
