//! Building chains from configuration: [`FilterFactory`], [`FilterRegistry`],
//! [`ChainBuilder`] and [`build_chain`].

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;

use once_cell::sync::Lazy;
use oxidubbo_common::{Url, keys};
use oxidubbo_invoker::{Invoker, RpcError};

use crate::graceful::Graceful;
use crate::{Filter, FilteredInvoker, Side};

/// What a [`FilterFactory`] returns: the filter, `None` when it is inactive for the URL,
/// or a configuration error.
pub type FactoryResult = Result<Option<Arc<dyn Filter>>, RpcError>;

/// A filter with the name it was configured under.
pub type NamedFilter = (String, Arc<dyn Filter>);

/// What a [`FilterFactory`] sees when a chain is built.
#[derive(Debug, Clone, Copy)]
pub struct FilterContext<'a> {
    /// The URL the chain is built for. Read parameters from it; do not keep it.
    pub url: &'a Url,
    /// The side of the chain.
    pub side: Side,
    /// The in-flight counter of the chain (used by the `graceful` filter).
    pub graceful: &'a Graceful,
}

/// Makes a filter for one chain.
///
/// Factories are stateless; the filter they return may hold state for its chain (a rate
/// limiter, a log writer), which goes away with the chain. A factory returns `Ok(None)`
/// when the filter has nothing to do for this URL (for example `tps` without a `tps`
/// parameter), so an inactive filter costs nothing per call. It returns
/// [`RpcError::Config`] for a bad parameter value.
///
/// Any `Fn(&FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError>` is a factory.
pub trait FilterFactory: Send + Sync + 'static {
    /// The filter for the chain described by `ctx`, or `None` when it is inactive.
    fn create(&self, ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError>;
}

impl<F> FilterFactory for F
where
    F: Fn(&FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> + Send + Sync + 'static,
{
    fn create(&self, ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
        self(ctx)
    }
}

/// The provider's default chain, outermost first (see the crate documentation).
pub const PROVIDER_DEFAULTS: &[&str] = &[
    crate::graceful::NAME,
    crate::echo::NAME,
    crate::accesslog::NAME,
    crate::token::NAME,
    crate::tps::NAME,
    crate::executes::NAME,
    crate::timeout::NAME,
    crate::generic::NAME,
    crate::context::NAME,
    crate::exception::NAME,
];

/// The consumer's default chain, outermost first (see the crate documentation).
pub const CONSUMER_DEFAULTS: &[&str] = &[
    crate::graceful::NAME,
    crate::context::NAME,
    crate::token::NAME,
    crate::actives::NAME,
];

/// Filter factories by name, and the default filters of each side.
///
/// A registry is a plain value, owned by whoever builds chains (the bootstrap); there is
/// no global that custom filters are added to. [`FilterRegistry::builtin`] is a shared,
/// read-only registry of the built-in filters; start from
/// [`FilterRegistry::with_builtins`] to add your own.
///
/// ```
/// use std::sync::Arc;
/// use oxidubbo_filter::{FilterContext, FilterRegistry, Side};
/// # use oxidubbo_filter::{Filter, Next};
/// # use oxidubbo_invoker::{Invocation, RpcError, RpcResult};
/// # struct Audit;
/// # #[async_trait::async_trait]
/// # impl Filter for Audit {
/// #     async fn invoke(&self, next: Next<'_>, inv: Invocation) -> Result<RpcResult, RpcError> {
/// #         next.invoke(inv).await
/// #     }
/// # }
///
/// let mut registry = FilterRegistry::with_builtins();
/// registry
///     .register_filter("audit", |_: &FilterContext<'_>| {
///         Ok(Some(Arc::new(Audit) as Arc<dyn Filter>))
///     })
///     .unwrap();
/// let names = registry.resolve(Side::Consumer, Some("audit,-actives")).unwrap();
/// assert_eq!(names, ["graceful", "context", "token", "audit"]);
/// ```
#[derive(Clone)]
pub struct FilterRegistry {
    factories: BTreeMap<String, Arc<dyn FilterFactory>>,
    provider_defaults: Vec<String>,
    consumer_defaults: Vec<String>,
}

static BUILTIN: Lazy<Arc<FilterRegistry>> = Lazy::new(|| Arc::new(FilterRegistry::with_builtins()));

impl FilterRegistry {
    /// An empty registry: no filters, no defaults.
    pub fn new() -> Self {
        FilterRegistry {
            factories: BTreeMap::new(),
            provider_defaults: Vec::new(),
            consumer_defaults: Vec::new(),
        }
    }

    /// The built-in filters, with [`PROVIDER_DEFAULTS`] and [`CONSUMER_DEFAULTS`].
    pub fn with_builtins() -> Self {
        let mut r = FilterRegistry::new();
        type Make = fn(&FilterContext<'_>) -> FactoryResult;
        let builtins: [(&str, Make); 11] = [
            (crate::accesslog::NAME, crate::accesslog::factory),
            (crate::actives::NAME, crate::actives::factory),
            (crate::context::NAME, crate::context::factory),
            (crate::echo::NAME, crate::echo::factory),
            (crate::exception::NAME, crate::exception::factory),
            (crate::executes::NAME, crate::executes::factory),
            (crate::generic::NAME, crate::generic::factory),
            (crate::graceful::NAME, crate::graceful::factory),
            (crate::timeout::NAME, crate::timeout::factory),
            (crate::token::NAME, crate::token::factory),
            (crate::tps::NAME, crate::tps::factory),
        ];
        for (name, factory) in builtins {
            r.factories.insert(name.to_owned(), Arc::new(factory));
        }
        r.provider_defaults = PROVIDER_DEFAULTS.iter().map(|s| (*s).to_owned()).collect();
        r.consumer_defaults = CONSUMER_DEFAULTS.iter().map(|s| (*s).to_owned()).collect();
        r
    }

    /// A shared registry of the built-in filters (read-only; it holds only stateless
    /// factories).
    pub fn builtin() -> Arc<FilterRegistry> {
        Arc::clone(&BUILTIN)
    }

    /// Registers `factory` under `name`, replacing a filter of that name.
    ///
    /// # Errors
    ///
    /// [`RpcError::Config`] if `name` is empty, is `default`, starts with `-` or contains
    /// a comma or white space.
    pub fn register_filter(
        &mut self,
        name: &str,
        factory: impl FilterFactory,
    ) -> Result<(), RpcError> {
        if name.is_empty()
            || name == "default"
            || name.starts_with('-')
            || name.contains(|c: char| c == ',' || c.is_whitespace())
        {
            return Err(RpcError::Config(format!("invalid filter name {name:?}")));
        }
        self.factories.insert(name.to_owned(), Arc::new(factory));
        Ok(())
    }

    /// Registers `factory` under `name` and makes it a default filter of both sides, placed
    /// right after [`graceful`](crate::graceful) (outermost but for it), so it sees every
    /// call, the ones the other filters refuse included. The bootstrap adds `metrics` and
    /// `tracing` this way when they are enabled.
    ///
    /// # Errors
    ///
    /// As [`register_filter`](Self::register_filter).
    pub fn register_default_filter(
        &mut self,
        name: &str,
        factory: impl FilterFactory,
    ) -> Result<(), RpcError> {
        self.register_filter(name, factory)?;
        for names in [&mut self.provider_defaults, &mut self.consumer_defaults] {
            names.retain(|n| n != name);
            let at = names
                .iter()
                .position(|n| n == crate::graceful::NAME)
                .map_or(0, |i| i + 1);
            names.insert(at, name.to_owned());
        }
        Ok(())
    }

    /// Whether a filter named `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.factories.contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }

    /// The default filters of `side`, outermost first.
    pub fn defaults(&self, side: Side) -> &[String] {
        match side {
            Side::Provider => &self.provider_defaults,
            Side::Consumer => &self.consumer_defaults,
        }
    }

    /// Replaces the default filters of `side`.
    ///
    /// # Errors
    ///
    /// [`RpcError::Config`] naming the first name that is not registered.
    pub fn set_defaults<S: AsRef<str>>(
        &mut self,
        side: Side,
        names: impl IntoIterator<Item = S>,
    ) -> Result<(), RpcError> {
        let names: Vec<String> = names.into_iter().map(|s| s.as_ref().to_owned()).collect();
        for name in &names {
            self.check_known(name, "the default filters")?;
        }
        match side {
            Side::Provider => self.provider_defaults = names,
            Side::Consumer => self.consumer_defaults = names,
        }
        Ok(())
    }

    fn check_known(&self, name: &str, source: &str) -> Result<(), RpcError> {
        if self.factories.contains_key(name) {
            return Ok(());
        }
        let known: Vec<&str> = self.names().collect();
        Err(RpcError::Config(format!(
            "unknown filter {name:?} in {source} (known filters: {})",
            known.join(", ")
        )))
    }

    /// The filter names of a chain for `side`, outermost first, from a
    /// `service.filter`/`reference.filter` value (`None` or empty: the defaults).
    ///
    /// Dubbo's syntax: a comma-separated list; `default` stands for the side's default
    /// filters at that place (without it they come first); `-name` removes a filter;
    /// `-default` removes all defaults (a default named explicitly stays). A default
    /// also named explicitly takes its explicit place. Duplicates keep the first place.
    ///
    /// # Errors
    ///
    /// [`RpcError::Config`] naming an unknown filter (also in `-name`).
    pub fn resolve(&self, side: Side, spec: Option<&str>) -> Result<Vec<String>, RpcError> {
        let source = match side {
            Side::Provider => keys::SERVICE_FILTER,
            Side::Consumer => keys::REFERENCE_FILTER,
        };
        let items: Vec<&str> = spec
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let mut removed = HashSet::new();
        let mut explicit = HashSet::new();
        let mut no_defaults = false;
        let mut has_default = false;
        for item in &items {
            match item.strip_prefix('-').map(str::trim) {
                Some("default") => no_defaults = true,
                Some(name) => {
                    self.check_known(name, source)?;
                    removed.insert(name);
                }
                None if *item == "default" => has_default = true,
                None => {
                    self.check_known(item, source)?;
                    explicit.insert(*item);
                }
            }
        }
        let defaults: Vec<&str> = if no_defaults {
            Vec::new()
        } else {
            self.defaults(side)
                .iter()
                .map(String::as_str)
                .filter(|n| !removed.contains(n) && !explicit.contains(n))
                .collect()
        };
        let mut out: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        let push_defaults = |out: &mut Vec<String>, seen: &mut HashSet<String>| {
            for n in &defaults {
                if seen.insert((*n).to_owned()) {
                    out.push((*n).to_owned());
                }
            }
        };
        if !has_default {
            push_defaults(&mut out, &mut seen);
        }
        for item in &items {
            if *item == "default" {
                push_defaults(&mut out, &mut seen);
            } else if !item.starts_with('-')
                && !removed.contains(item)
                && seen.insert((*item).to_owned())
            {
                out.push((*item).to_owned());
            }
        }
        Ok(out)
    }

    /// Creates the filters named by `names` for the chain described by `ctx`, skipping
    /// the ones that are inactive for its URL.
    ///
    /// # Errors
    ///
    /// [`RpcError::Config`] for an unknown name or a factory's configuration error.
    pub fn create(
        &self,
        names: &[String],
        ctx: &FilterContext<'_>,
    ) -> Result<Vec<NamedFilter>, RpcError> {
        let mut filters = Vec::with_capacity(names.len());
        for name in names {
            let Some(factory) = self.factories.get(name) else {
                self.check_known(name, "the filter list")?;
                continue;
            };
            if let Some(filter) = factory.create(ctx)? {
                filters.push((name.clone(), filter));
            }
        }
        Ok(filters)
    }
}

impl Default for FilterRegistry {
    /// The same as [`FilterRegistry::with_builtins`].
    fn default() -> Self {
        FilterRegistry::with_builtins()
    }
}

impl fmt::Debug for FilterRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilterRegistry")
            .field("filters", &self.factories.keys().collect::<Vec<_>>())
            .field("provider_defaults", &self.provider_defaults)
            .field("consumer_defaults", &self.consumer_defaults)
            .finish()
    }
}

/// Builds the filter chain of one exported or referred service.
///
/// ```
/// use std::sync::Arc;
/// use oxidubbo_filter::{ChainBuilder, Graceful, Side};
/// use oxidubbo_invoker::{Invoker, RpcResult, ServiceInvoker, Url, service_fn};
///
/// let url = Arc::new(Url::parse("dubbo://127.0.0.1:20880/com.example.Greeter").unwrap());
/// let service = ServiceInvoker::new(url.clone(), service_fn(|_| async { Ok(RpcResult::new("hi")) }));
/// let graceful = Graceful::new(); // shared with the shutdown code
/// let chain = ChainBuilder::new(Side::Provider)
///     .graceful(graceful.clone())
///     .build(&url, Arc::new(service))
///     .unwrap();
/// assert_eq!(
///     chain.filter_names(),
///     ["graceful", "echo", "timeout", "generic", "context", "exception"]
/// );
/// ```
#[derive(Debug, Clone)]
pub struct ChainBuilder {
    side: Side,
    registry: Arc<FilterRegistry>,
    graceful: Option<Graceful>,
}

impl ChainBuilder {
    /// A builder for `side` using the built-in registry and a fresh [`Graceful`] counter
    /// per chain.
    pub fn new(side: Side) -> Self {
        ChainBuilder {
            side,
            registry: FilterRegistry::builtin(),
            graceful: None,
        }
    }

    /// Uses `registry` to look filters up (for custom filters).
    pub fn registry(mut self, registry: Arc<FilterRegistry>) -> Self {
        self.registry = registry;
        self
    }

    /// Counts the chain's calls in `graceful` (share one between chains to wait for all
    /// of them at shutdown).
    pub fn graceful(mut self, graceful: Graceful) -> Self {
        self.graceful = Some(graceful);
        self
    }

    /// Wraps `invoker` in the filters configured by `url` (`service.filter` for a
    /// provider, `reference.filter` for a consumer).
    ///
    /// # Errors
    ///
    /// [`RpcError::Config`] for an unknown filter name or a bad filter parameter.
    pub fn build(
        &self,
        url: &Url,
        invoker: Arc<dyn Invoker>,
    ) -> Result<Arc<FilteredInvoker>, RpcError> {
        let key = match self.side {
            Side::Provider => keys::SERVICE_FILTER,
            Side::Consumer => keys::REFERENCE_FILTER,
        };
        let names = self.registry.resolve(self.side, url.param(key))?;
        let graceful = self.graceful.clone().unwrap_or_default();
        let ctx = FilterContext {
            url,
            side: self.side,
            graceful: &graceful,
        };
        let filters = self.registry.create(&names, &ctx)?;
        Ok(Arc::new(FilteredInvoker::new(invoker, filters)))
    }
}

/// Wraps `invoker` in the filter chain that `url` configures for `side`, with the
/// built-in registry; see [`ChainBuilder`] for custom filters and a shared
/// [`Graceful`] counter.
///
/// # Errors
///
/// [`RpcError::Config`] for an unknown filter name or a bad filter parameter.
pub fn build_chain(
    url: &Url,
    side: Side,
    invoker: Arc<dyn Invoker>,
) -> Result<Arc<dyn Invoker>, RpcError> {
    let chain: Arc<dyn Invoker> = ChainBuilder::new(side).build(url, invoker)?;
    Ok(chain)
}
