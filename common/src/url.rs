//! The Dubbo [`Url`]: parsing, printing, typed getters and the consumer/provider merge.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::codec::{self, Part};
use crate::error::{UrlError, quote};
use crate::keys;
use crate::service_key::ServiceKey;
use crate::url_attributes::UrlAttributes;

/// Keys whose consumer value wins over the provider value in [`Url::merge_consumer`].
const CONSUMER_WINS: [&str; 4] = [
    keys::LOADBALANCE,
    keys::CLUSTER,
    keys::RETRIES,
    keys::TIMEOUT,
];

/// An immutable Dubbo URL: `protocol://[user[:password]@]host[:port][/path][?k=v&…]`.
///
/// Dubbo describes every provider, consumer, registry and override as such a URL. A `Url`
/// never changes once built; share it as `Arc<Url>`. Changes go through
/// [`Url::with_param`], [`Url::without_param`] or [`Url::to_builder`], which return a new
/// `Url`. Cloning a `Url` is one reference-count increment, and no getter allocates.
///
/// # Parts
///
/// * **protocol**: required; letters, digits, `+ - . _`.
/// * **username/password**: optional; an empty one is the same as none.
/// * **host**: a name, an IPv4 address, or an IPv6 address. IPv6 is written in brackets
///   (`[::1]:20880`) and stored without them. Java's unbracketed form (`fe80::1:20880`,
///   the last `:` starts the port unless a `%` zone id follows it) is also read. The host is
///   not percent-decoded, so zone ids such as `fe80::1%en0` stay as they are. It must not
///   contain `/ ? @ [ ]`.
/// * **port**: `0` when missing; [`Display`](fmt::Display) leaves out `:0`.
/// * **path**: without its leading `/` (all leading slashes are removed); may be empty.
/// * **parameters**: in the order first seen. Keys are unique.
///
/// # Repeated keys
///
/// Like Dubbo Java (whose parser puts parameters into a map), a repeated key keeps its
/// **last** value. The parameter stays at the position where the key first appeared.
/// Display writes each key once, so `parse(display(u)) == u` holds.
///
/// # Escaping
///
/// Parsing decodes `%XX` escapes in the user name, password, path, keys and values. A `+`
/// stays a `+`: this is RFC 3986, not form encoding, and it matches Java, whose URL parser
/// takes registry strings literally. An invalid escape is an error.
/// [`Display`](fmt::Display) and [`Url::to_full_string`] escape only what would change how
/// the string splits: `%` everywhere; `&` in keys and values; `=` in keys; `?` in the path;
/// `:`, `@`, `/`, `?` in the user name; `@`, `/`, `?` in the password. Everything else,
/// including spaces and non-ASCII, is written as it is. So a Dubbo URL with ordinary values
/// prints exactly as Java's `URL.toFullString()` does, and any value survives a round trip.
///
/// # Empty values
///
/// [`Url::param`] returns a present-but-empty value as `Some("")`. The getters that take a
/// default ([`Url::param_or`], [`Url::int_param`], …) treat an empty value as missing, as
/// Dubbo Java and dubbo-go do.
///
/// # Equality
///
/// `==` compares every part, including parameter order. [`Url::eq_ignoring_param_order`]
/// ignores the order.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Url {
    inner: Arc<Inner>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Inner {
    protocol: Box<str>,
    username: Option<Box<str>>,
    password: Option<Box<str>>,
    host: Box<str>,
    port: u16,
    path: Box<str>,
    /// Unique keys, in the order first seen.
    params: Vec<(Box<str>, Box<str>)>,
    /// Indices into `params`, ordered by key bytes, for binary search.
    sorted: Vec<usize>,
    /// Local values kept with the data (see [`Url::attribute`]).
    attributes: UrlAttributes,
}

/// A weak handle on a [`Url`]'s data: it upgrades only while some `Url` (or `Arc<Url>`)
/// sharing that data is alive.
///
/// A `Url` is itself a handle on shared data, so a `Weak<Url>` taken from an `Arc<Url>`
/// proves nothing about the data: a clone of the `Url` may still hold it. Lifecycle tests
/// watch the data with this instead.
///
/// ```
/// use oxidubbo_common::Url;
///
/// let url = Url::parse("dubbo://127.0.0.1:20880/com.example.Greeter").unwrap();
/// let weak = url.downgrade();
/// let clone = url.clone();
/// drop(url);
/// assert!(weak.upgrade().is_some(), "the clone holds the data");
/// drop(clone);
/// assert!(weak.upgrade().is_none());
/// ```
#[derive(Clone)]
pub struct WeakUrl {
    inner: std::sync::Weak<Inner>,
}

impl WeakUrl {
    /// The URL, if its data is still alive.
    pub fn upgrade(&self) -> Option<Url> {
        self.inner.upgrade().map(|inner| Url { inner })
    }

    /// Whether some `Url` still holds the data.
    pub fn is_alive(&self) -> bool {
        self.inner.strong_count() > 0
    }
}

impl fmt::Debug for WeakUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.upgrade() {
            Some(url) => write!(f, "WeakUrl({url})"),
            None => f.write_str("WeakUrl(released)"),
        }
    }
}

/// Builds a [`Url`] step by step. Get one from [`Url::builder`] or [`Url::to_builder`].
///
/// Setting a parameter that is already set replaces its value and keeps its position.
#[derive(Debug, Clone, Default)]
pub struct UrlBuilder {
    protocol: String,
    username: Option<String>,
    password: Option<String>,
    host: String,
    port: u16,
    path: String,
    params: Vec<(String, String)>,
}

impl UrlBuilder {
    /// Sets the host. Brackets around an IPv6 address (`[::1]`) are removed.
    ///
    /// The host is written as it is, so it must not contain `/ ? @ [ ]` (a name, an IPv4
    /// address or an IPv6 address, with an optional `%zone`); otherwise the printed URL
    /// does not parse back to the same `Url`.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        let host = host.into();
        self.host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(inner) => inner.to_owned(),
            None => host,
        };
        self
    }

    /// Sets the port (`0` means none).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Sets the path; leading `/` are removed.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Sets the user name; an empty one means none.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Sets the password; an empty one means none.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Sets a parameter. A key set twice keeps the last value at the first position.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((key.into(), value.into()));
        self
    }

    /// Sets several parameters, in order, as [`UrlBuilder::param`] does.
    pub fn params<K, V>(mut self, params: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.params
            .extend(params.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Removes a parameter if it is set.
    pub fn remove_param(mut self, key: &str) -> Self {
        self.params.retain(|(k, _)| k != key);
        self
    }

    /// Builds the [`Url`].
    pub fn build(self) -> Url {
        let UrlBuilder {
            protocol,
            username,
            password,
            host,
            port,
            path,
            params,
        } = self;
        let params = dedup_last_wins(params);
        let sorted = sorted_index(&params);
        Url {
            inner: Arc::new(Inner {
                protocol: protocol.into_boxed_str(),
                username: non_empty(username),
                password: non_empty(password),
                host: host.into_boxed_str(),
                port,
                path: path.trim_start_matches('/').into(),
                params,
                sorted,
                attributes: UrlAttributes::default(),
            }),
        }
    }
}

fn non_empty(s: Option<String>) -> Option<Box<str>> {
    s.filter(|s| !s.is_empty()).map(String::into_boxed_str)
}

/// Keeps one entry per key: the last value, at the position of the first occurrence.
fn dedup_last_wins(params: Vec<(String, String)>) -> Vec<(Box<str>, Box<str>)> {
    let mut order: Vec<usize> = (0..params.len()).collect();
    // Stable, so equal keys stay in input order: first occurrence first, last value last.
    order.sort_by(|&a, &b| key_of(&params, a).cmp(key_of(&params, b)));
    let same_key = |a: &usize, b: &usize| key_of(&params, *a) == key_of(&params, *b);
    if !order
        .windows(2)
        .any(|w| matches!(w, [a, b] if same_key(a, b)))
    {
        return params
            .into_iter()
            .map(|(k, v)| (k.into_boxed_str(), v.into_boxed_str()))
            .collect();
    }
    // value_from[i] = Some(j): entry i is the first of its key and takes the value of entry j.
    let mut value_from: Vec<Option<usize>> = vec![None; params.len()];
    for group in order.chunk_by(same_key) {
        if let (Some(&first), Some(&last)) = (group.first(), group.last()) {
            if let Some(slot) = value_from.get_mut(first) {
                *slot = Some(last);
            }
        }
    }
    let mut slots: Vec<Option<(String, String)>> = params.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(slots.len());
    for (i, from) in value_from.into_iter().enumerate() {
        let Some(from) = from else { continue };
        let value = slots
            .get_mut(from)
            .and_then(Option::as_mut)
            .map(|(_, v)| std::mem::take(v));
        let key = slots.get_mut(i).and_then(Option::take).map(|(k, _)| k);
        if let (Some(k), Some(v)) = (key, value) {
            out.push((k.into_boxed_str(), v.into_boxed_str()));
        }
    }
    out
}

fn key_of(params: &[(String, String)], i: usize) -> &str {
    params.get(i).map_or("", |(k, _)| k.as_str())
}

fn sorted_index(params: &[(Box<str>, Box<str>)]) -> Vec<usize> {
    let mut sorted: Vec<usize> = (0..params.len()).collect();
    sorted.sort_by(|&a, &b| {
        let ka = params.get(a).map_or("", |(k, _)| &**k);
        let kb = params.get(b).map_or("", |(k, _)| &**k);
        ka.cmp(kb)
    });
    sorted
}

impl Url {
    /// A weak handle on this URL's data (see [`WeakUrl`]).
    pub fn downgrade(&self) -> WeakUrl {
        WeakUrl {
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// The attribute of type `T` of this URL's data, made by `init` the first time it is
    /// asked for: Dubbo's URL attributes, local values (never compared, hashed, printed or
    /// sent) shared by every clone of this `Url` and released with its data. A URL made
    /// from this one ([`Url::with_param`], [`Url::to_builder`]…) starts without any.
    ///
    /// Reading an attribute takes no lock and allocates nothing; call statistics
    /// (`RpcStatus`) live here, so that they go with the URL of the invoker they count.
    ///
    /// ```
    /// use oxidubbo_common::Url;
    ///
    /// struct Calls(std::sync::atomic::AtomicU32);
    ///
    /// let url = Url::parse("dubbo://127.0.0.1:20880/com.example.Greeter").unwrap();
    /// let calls = url.attribute(|| Calls(0.into()));
    /// calls.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    /// let again = url.clone().attribute(|| Calls(0.into())).0.load(std::sync::atomic::Ordering::Relaxed);
    /// assert_eq!(again, 1, "clones share the data and its attributes");
    /// ```
    pub fn attribute<T: std::any::Any + Send + Sync>(&self, init: impl FnOnce() -> T) -> &T {
        self.inner.attributes.get_or_init(init)
    }

    /// Parses `protocol://[user[:password]@]host[:port][/path][?k=v&…]`.
    ///
    /// The protocol is required; see [`Url::parse_with_default_protocol`] for `host:port`.
    /// A host is required unless there is a path (`file:///tmp/x`). See the type docs for
    /// escaping and repeated keys. Errors say what is wrong and where; parsing never panics.
    pub fn parse(s: &str) -> Result<Url, UrlError> {
        if s.is_empty() {
            return Err(UrlError::Empty);
        }
        let Some((protocol, rest)) = s.split_once("://") else {
            return Err(UrlError::MissingProtocol { input: quote(s) });
        };
        if protocol.is_empty() {
            return Err(UrlError::MissingProtocol { input: quote(s) });
        }
        if let Some(ch) = protocol.chars().find(|&c| !is_protocol_char(c)) {
            return Err(UrlError::InvalidProtocol {
                protocol: quote(protocol),
                ch,
            });
        }

        let (before_query, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        let (authority, raw_path) = before_query.split_once('/').unwrap_or((before_query, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };

        let mut builder = Url::builder(protocol);
        if let Some(userinfo) = userinfo {
            let (user, pass) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            builder = builder.username(codec::percent_decode(user, || "the user name".into())?);
            if let Some(pass) = pass {
                builder = builder.password(codec::percent_decode(pass, || "the password".into())?);
            }
        }

        let (host, port) = split_host_port(hostport, s)?;
        let path = codec::percent_decode(raw_path, || "the path".into())?;
        if host.is_empty() && path.trim_start_matches('/').is_empty() {
            return Err(UrlError::MissingHost {
                protocol: quote(protocol),
                input: quote(s),
            });
        }
        builder = builder.host(host).port(port).path(path);

        if let Some(query) = query {
            for segment in query.split('&').filter(|seg| !seg.is_empty()) {
                let (k, v) = segment.split_once('=').unwrap_or((segment, ""));
                let key = codec::percent_decode(k, || format!("parameter name {:?}", quote(k)))?;
                let value =
                    codec::percent_decode(v, || format!("the value of parameter {:?}", quote(k)))?;
                builder.params.push((key, value));
            }
        }
        Ok(builder.build())
    }

    /// Like [`Url::parse`], but a string without `<protocol>://` (e.g. `127.0.0.1:2181`, as
    /// Dubbo accepts in registry addresses) gets `default_protocol` put in front.
    pub fn parse_with_default_protocol(s: &str, default_protocol: &str) -> Result<Url, UrlError> {
        let has_protocol = s
            .split_once("://")
            .is_some_and(|(p, _)| !p.is_empty() && p.chars().all(is_protocol_char));
        if has_protocol {
            Url::parse(s)
        } else {
            Url::parse(&format!("{default_protocol}://{s}"))
        }
    }

    /// Starts building a URL with the given protocol (letters, digits, `+ - . _`; it is not
    /// checked here, but [`Url::parse`] rejects anything else).
    pub fn builder(protocol: &str) -> UrlBuilder {
        UrlBuilder {
            protocol: protocol.to_owned(),
            ..UrlBuilder::default()
        }
    }

    /// A builder holding all parts of this URL, to derive a changed copy.
    pub fn to_builder(&self) -> UrlBuilder {
        let i = &*self.inner;
        UrlBuilder {
            protocol: i.protocol.to_string(),
            username: i.username.as_deref().map(str::to_owned),
            password: i.password.as_deref().map(str::to_owned),
            host: i.host.to_string(),
            port: i.port,
            path: i.path.to_string(),
            params: i
                .params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The protocol (scheme), e.g. `dubbo`.
    pub fn protocol(&self) -> &str {
        &self.inner.protocol
    }

    /// The host, without brackets for IPv6.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// The port, `0` when the URL has none.
    pub fn port(&self) -> u16 {
        self.inner.port
    }

    /// The path, without its leading `/`; often the interface name.
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// The user name, if any.
    pub fn username(&self) -> Option<&str> {
        self.inner.username.as_deref()
    }

    /// The password, if any.
    pub fn password(&self) -> Option<&str> {
        self.inner.password.as_deref()
    }

    /// `host:port`, with an IPv6 host in brackets (`[::1]:20880`). As in Dubbo Java's
    /// `URL.getAddress`, a port of `0` is left out: the address is then just the host.
    pub fn address(&self) -> String {
        let mut out = String::with_capacity(self.inner.host.len() + 8);
        // Writing to a String cannot fail.
        let _ = self.write_address(&mut out);
        out
    }

    fn write_address(&self, out: &mut impl fmt::Write) -> fmt::Result {
        let host = self.host();
        if host.contains(':') {
            out.write_char('[')?;
            out.write_str(host)?;
            out.write_char(']')?;
        } else {
            out.write_str(host)?;
        }
        if self.port() != 0 {
            write!(out, ":{}", self.port())?;
        }
        Ok(())
    }

    /// The value of parameter `key`, `Some("")` if present but empty.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.find_param(&[key])
    }

    /// Whether parameter `key` is present (even if empty).
    pub fn has_param(&self, key: &str) -> bool {
        self.param(key).is_some()
    }

    /// The value of parameter `key`, or `default` when it is missing or empty.
    pub fn param_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        non_empty_str(self.param(key)).unwrap_or(default)
    }

    /// Parameter `key` as a bool: `true`/`false` (any case) or `1`/`0`; otherwise `default`.
    pub fn bool_param(&self, key: &str, default: bool) -> bool {
        parse_bool(self.param(key)).unwrap_or(default)
    }

    /// Parameter `key` as a decimal `i64` (surrounding spaces allowed); otherwise `default`.
    pub fn int_param(&self, key: &str, default: i64) -> i64 {
        parse_int(self.param(key)).unwrap_or(default)
    }

    /// Parameter `key` as a whole number of milliseconds (Dubbo's unit for `timeout`,
    /// `heartbeat`, …); `default` when missing, empty, negative or not a number.
    pub fn duration_ms_param(&self, key: &str, default: Duration) -> Duration {
        parse_ms(self.param(key)).unwrap_or(default)
    }

    /// Parameter `key` for method `method`. Looks, in order, for the first non-empty value of:
    ///
    /// 1. `methods.<method>.<key>` (dubbo-go's form);
    /// 2. `<method>.<key>` (the form Dubbo Java writes for `<dubbo:method>` settings);
    /// 3. `<key>` (the service-level value).
    pub fn method_param(&self, method: &str, key: &str) -> Option<&str> {
        non_empty_str(self.find_param(&[keys::METHODS_PREFIX, method, ".", key]))
            .or_else(|| non_empty_str(self.find_param(&[method, ".", key])))
            .or_else(|| non_empty_str(self.param(key)))
    }

    /// [`Url::method_param`] or `default`.
    pub fn method_param_or<'a>(&'a self, method: &str, key: &str, default: &'a str) -> &'a str {
        self.method_param(method, key).unwrap_or(default)
    }

    /// [`Url::method_param`] as a bool, like [`Url::bool_param`].
    pub fn method_bool_param(&self, method: &str, key: &str, default: bool) -> bool {
        parse_bool(self.method_param(method, key)).unwrap_or(default)
    }

    /// [`Url::method_param`] as an `i64`, like [`Url::int_param`].
    pub fn method_int_param(&self, method: &str, key: &str, default: i64) -> i64 {
        parse_int(self.method_param(method, key)).unwrap_or(default)
    }

    /// [`Url::method_param`] in milliseconds, like [`Url::duration_ms_param`].
    pub fn method_duration_ms_param(&self, method: &str, key: &str, default: Duration) -> Duration {
        parse_ms(self.method_param(method, key)).unwrap_or(default)
    }

    /// All parameters, in the order first seen.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner.params.iter().map(|(k, v)| (&**k, &**v))
    }

    /// All parameters, sorted by key (byte order).
    pub fn sorted_params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner
            .sorted
            .iter()
            .filter_map(|&i| self.inner.params.get(i))
            .map(|(k, v)| (&**k, &**v))
    }

    /// Number of parameters.
    pub fn param_count(&self) -> usize {
        self.inner.params.len()
    }

    /// A new URL with parameter `key` set to `value` (replacing, in place, any old value).
    pub fn with_param(&self, key: &str, value: impl Into<String>) -> Url {
        let value = value.into();
        let mut inner = (*self.inner).clone();
        match inner.params.iter_mut().find(|(k, _)| &**k == key) {
            Some(slot) => slot.1 = value.into_boxed_str(),
            None => {
                inner.params.push((key.into(), value.into_boxed_str()));
                inner.sorted = sorted_index(&inner.params);
            }
        }
        Url {
            inner: Arc::new(inner),
        }
    }

    /// A new URL with parameter `key` set to the text form of `url`; read it back with
    /// [`Url::sub_url`]. This is how a `registry://` URL carries `export`/`refer`.
    pub fn with_sub_url(&self, key: &str, url: &Url) -> Url {
        self.with_param(key, url.to_string())
    }

    /// A new URL without parameter `key` (the same URL, cheaply cloned, if it is absent).
    pub fn without_param(&self, key: &str) -> Url {
        if !self.has_param(key) {
            return self.clone();
        }
        let mut inner = (*self.inner).clone();
        inner.params.retain(|(k, _)| &**k != key);
        inner.sorted = sorted_index(&inner.params);
        Url {
            inner: Arc::new(inner),
        }
    }

    /// The service interface: the `interface` parameter, else the path.
    pub fn interface(&self) -> &str {
        non_empty_str(self.param(keys::INTERFACE)).unwrap_or(self.path())
    }

    /// The `group` parameter, if present and not empty.
    pub fn group(&self) -> Option<&str> {
        non_empty_str(self.param(keys::GROUP))
    }

    /// The `version` parameter, if present and not empty (`"0.0.0"` is returned as is;
    /// [`ServiceKey`] is where it counts as no version).
    pub fn version(&self) -> Option<&str> {
        non_empty_str(self.param(keys::VERSION))
    }

    /// `group/interface:version` from [`Url::interface`], [`Url::group`] and
    /// [`Url::version`], as Dubbo Java's `URL.getServiceKey()` builds it; version `"0.0.0"`
    /// counts as none (see [`ServiceKey`]).
    pub fn service_key(&self) -> ServiceKey {
        ServiceKey::new(self.interface(), self.group(), self.version())
    }

    /// Dubbo's full string form (`URL.toFullString()`): like [`Display`](fmt::Display),
    /// but with the parameters **sorted by key**, as Java's `TreeMap` sorts them (UTF-16
    /// order). This is the string that registry node names encode (wire spec §6.1).
    pub fn to_full_string(&self) -> String {
        let mut out = String::with_capacity(self.estimated_len());
        let _ = self.write_url(&mut out, true, false);
        out
    }

    /// The ZooKeeper node name of this URL: `encode_component(to_full_string())`.
    pub fn to_node_name(&self) -> String {
        Url::encode_component(&self.to_full_string())
    }

    /// Reads a ZooKeeper node name written by [`Url::to_node_name`] or by Dubbo Java.
    pub fn from_node_name(name: &str) -> Result<Url, UrlError> {
        Url::parse(&Url::decode_component(name)?)
    }

    /// Java's `URLEncoder.encode(s, "UTF-8")` (Dubbo's `URL.encode`): letters, digits and
    /// `* - . _` stay, a space becomes `+`, every other byte becomes `%XX`.
    pub fn encode_component(s: &str) -> String {
        codec::form_encode(s)
    }

    /// Java's `URLDecoder.decode(s, "UTF-8")` (Dubbo's `URL.decode`): `%XX` escapes, and
    /// `+` is a space. Bad escapes and non-UTF-8 results are errors.
    pub fn decode_component(s: &str) -> Result<String, UrlError> {
        codec::form_decode(s)
    }

    /// Merges a provider URL (from the registry) with the consumer's URL, as dubbo-go's
    /// `MergeURL` does:
    ///
    /// * protocol, user, host, port and path come from the provider;
    /// * a parameter the provider has (non-empty) keeps the provider's value;
    /// * a consumer parameter the provider lacks (or has empty) is added;
    /// * except for `loadbalance`, `cluster`, `retries` and `timeout`: a non-empty consumer
    ///   value wins. This also covers their method-level and dotted forms (any key ending in
    ///   `.loadbalance`, `.cluster`, `.retries` or `.timeout`, e.g. `methods.sayHello.timeout`,
    ///   `sayHello.timeout`, `connect.timeout`, `heartbeat.timeout`).
    /// * `remote.application` is set to the provider's `application`, if it has one.
    ///
    /// Note that with this rule `side` and `application` keep the provider's values.
    pub fn merge_consumer(provider: &Url, consumer: &Url) -> Url {
        let mut builder = provider.to_builder();
        for (key, value) in consumer.params() {
            if value.is_empty() {
                continue;
            }
            let provider_has = non_empty_str(provider.param(key)).is_some();
            if !provider_has || consumer_wins(key) {
                builder.params.push((key.to_owned(), value.to_owned()));
            }
        }
        if let Some(app) = non_empty_str(provider.param(keys::APPLICATION)) {
            builder
                .params
                .push((keys::REMOTE_APPLICATION.to_owned(), app.to_owned()));
        }
        builder.build()
    }

    /// Reads the URL embedded in parameter `key` (`export`, `refer`): `Ok(None)` if the
    /// parameter is missing or empty.
    ///
    /// A value that contains `://` is parsed as it is: parsing the outer URL already decoded
    /// it once (this is the form [`Url::with_sub_url`] writes, and the form a Java
    /// `registry://…?export=dubbo%3A%2F%2F…` string has after parsing). Otherwise the value is
    /// taken to be still form-encoded and is decoded with [`Url::decode_component`] first.
    pub fn sub_url(&self, key: &str) -> Result<Option<Url>, UrlError> {
        let Some(value) = non_empty_str(self.param(key)) else {
            return Ok(None);
        };
        let parsed = if value.contains("://") {
            Url::parse(value)
        } else {
            Url::decode_component(value).and_then(|decoded| Url::parse(&decoded))
        };
        parsed.map(Some).map_err(|e| UrlError::SubUrl {
            key: quote(key),
            source: Box::new(e),
        })
    }

    /// Whether `self` and `other` are equal when parameter order is ignored.
    pub fn eq_ignoring_param_order(&self, other: &Url) -> bool {
        let (a, b) = (&*self.inner, &*other.inner);
        a.protocol == b.protocol
            && a.username == b.username
            && a.password == b.password
            && a.host == b.host
            && a.port == b.port
            && a.path == b.path
            && a.params.len() == b.params.len()
            && self.sorted_params().eq(other.sorted_params())
    }

    /// Binary search for the key that is the concatenation of `parts` (no allocation).
    fn find_param(&self, parts: &[&str]) -> Option<&str> {
        let inner = &*self.inner;
        let found = inner.sorted.binary_search_by(|&i| {
            let key = inner.params.get(i).map_or("", |(k, _)| &**k);
            key.bytes().cmp(parts.iter().flat_map(|p| p.bytes()))
        });
        let index = found.ok()?;
        let &pos = inner.sorted.get(index)?;
        inner.params.get(pos).map(|(_, v)| &**v)
    }

    fn estimated_len(&self) -> usize {
        let i = &*self.inner;
        16 + i.protocol.len()
            + i.host.len()
            + i.path.len()
            + i.params
                .iter()
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>()
    }

    fn write_url(&self, out: &mut impl fmt::Write, sorted: bool, redact: bool) -> fmt::Result {
        let i = &*self.inner;
        out.write_str(&i.protocol)?;
        out.write_str("://")?;
        if i.username.is_some() || i.password.is_some() {
            if let Some(user) = &i.username {
                codec::write_escaped(out, user, Part::User)?;
            }
            if let Some(pass) = &i.password {
                out.write_char(':')?;
                if redact {
                    out.write_str("***")?;
                } else {
                    codec::write_escaped(out, pass, Part::Password)?;
                }
            }
            out.write_char('@')?;
        }
        self.write_address(out)?;
        if !i.path.is_empty() {
            out.write_char('/')?;
            codec::write_escaped(out, &i.path, Part::Path)?;
        }
        if sorted {
            let mut params: Vec<&(Box<str>, Box<str>)> = i.params.iter().collect();
            params.sort_by(|a, b| java_string_cmp(&a.0, &b.0));
            write_params(out, params.into_iter())
        } else {
            write_params(out, i.params.iter())
        }
    }
}

fn write_params<'a>(
    out: &mut impl fmt::Write,
    params: impl Iterator<Item = &'a (Box<str>, Box<str>)>,
) -> fmt::Result {
    let mut sep = '?';
    for (k, v) in params {
        out.write_char(sep)?;
        sep = '&';
        codec::write_escaped(out, k, Part::Key)?;
        out.write_char('=')?;
        codec::write_escaped(out, v, Part::Value)?;
    }
    Ok(())
}

/// Java `String.compareTo`: compares UTF-16 code units.
fn java_string_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn consumer_wins(key: &str) -> bool {
    CONSUMER_WINS.iter().any(|name| {
        key == *name
            || key
                .strip_suffix(name)
                .is_some_and(|head| head.ends_with('.'))
    })
}

fn is_protocol_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_')
}

fn non_empty_str(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

fn parse_bool(s: Option<&str>) -> Option<bool> {
    let s = s?.trim();
    if s.eq_ignore_ascii_case("true") || s == "1" {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") || s == "0" {
        Some(false)
    } else {
        None
    }
}

fn parse_int(s: Option<&str>) -> Option<i64> {
    s?.trim().parse().ok()
}

fn parse_ms(s: Option<&str>) -> Option<Duration> {
    s?.trim().parse::<u64>().ok().map(Duration::from_millis)
}

/// Splits `host[:port]` or `[v6][:port]`; `input` is the whole URL, for error messages.
fn split_host_port<'a>(hostport: &'a str, input: &str) -> Result<(&'a str, u16), UrlError> {
    if let Some(after_open) = hostport.strip_prefix('[') {
        let Some((host, after)) = after_open.split_once(']') else {
            return Err(UrlError::UnclosedIpv6 {
                input: quote(input),
            });
        };
        if host.contains('[') {
            return Err(UrlError::InvalidHost {
                host: quote(host),
                ch: '[',
            });
        }
        if after.is_empty() {
            return Ok((host, 0));
        }
        return match after.strip_prefix(':') {
            Some(port) => Ok((host, parse_port(port, input)?)),
            None => Err(UrlError::AfterIpv6 {
                found: quote(after),
                input: quote(input),
            }),
        };
    }
    if let Some(ch) = hostport.chars().find(|&c| c == '[' || c == ']') {
        return Err(UrlError::InvalidHost {
            host: quote(hostport),
            ch,
        });
    }
    match hostport.rsplit_once(':') {
        None => Ok((hostport, 0)),
        // Java's rule: an unbracketed IPv6 host with a zone id and no port.
        Some((_, tail)) if tail.contains('%') => Ok((hostport, 0)),
        Some((host, port)) => Ok((host, parse_port(port, input)?)),
    }
}

fn parse_port(port: &str, input: &str) -> Result<u16, UrlError> {
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::InvalidPort {
            port: quote(port),
            input: quote(input),
        });
    }
    match port.parse::<u64>() {
        Ok(n) => u16::try_from(n).map_err(|_| UrlError::PortOutOfRange {
            port: quote(port),
            input: quote(input),
        }),
        // All digits, so the only failure is overflow.
        Err(_) => Err(UrlError::PortOutOfRange {
            port: quote(port),
            input: quote(input),
        }),
    }
}

impl fmt::Display for Url {
    /// Writes the URL with parameters in their stored order; [`Url::parse`] reads it back
    /// to an equal `Url`. Includes the password: use `{:?}` for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_url(f, false, false)
    }
}

impl fmt::Debug for Url {
    /// Writes `Url("…")` with the password replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(self.estimated_len());
        self.write_url(&mut s, false, true)?;
        f.debug_tuple("Url").field(&s).finish()
    }
}

impl FromStr for Url {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Url, UrlError> {
        Url::parse(s)
    }
}

impl TryFrom<&str> for Url {
    type Error = UrlError;

    fn try_from(s: &str) -> Result<Url, UrlError> {
        Url::parse(s)
    }
}
