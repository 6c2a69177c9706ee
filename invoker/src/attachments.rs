//! `Attachments`: a call's string-keyed side values, decoded from the wire only when read.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use once_cell::sync::OnceCell;
use oxidubbo_hessian2::{Decoder, Value};

type Pairs = Vec<(Cow<'static, str>, Value)>;

/// A call's attachments: string keys to Hessian values (usually strings), in insertion order.
///
/// Dubbo carries a handful of these per call (`path`, `version`, `timeout`, …), so a small
/// vector beats a hash map and keeps the wire order stable; Dubbo's own keys are stored as
/// `&'static str`, so they cost no allocation per call.
///
/// Attachments received on the wire may stay encoded ([`Attachments::from_encoded`]) until
/// something reads them: a provider whose filters and service never look at them pays for
/// no string copies. Entries set since then override the encoded ones. A map that nearly
/// every message carries alike can be a [`StaticMap`] ([`Attachments::from_static`]),
/// decoded once per process.
#[derive(Clone, Default)]
pub struct Attachments {
    /// Entries set directly; all of them once `encoded` has been merged in.
    pairs: Pairs,
    /// Entries as received, decoded on first read; `pairs` override them.
    encoded: Option<Received>,
}

/// Received entries still encoded: a call's own, or a map shared by the whole process.
#[derive(Clone)]
enum Received {
    Own(Box<Encoded>),
    Static(&'static Encoded),
}

impl std::ops::Deref for Received {
    type Target = Encoded;

    fn deref(&self) -> &Encoded {
        match self {
            Received::Own(encoded) => encoded,
            Received::Static(encoded) => encoded,
        }
    }
}

impl Received {
    /// The entries, to change: a static map becomes one of the call's own first (still
    /// encoded, whether or not the static one was decoded meanwhile). Always `Some`.
    fn to_mut(&mut self) -> Option<&mut Encoded> {
        if let Received::Static(shared) = *self {
            *self = Received::Own(Box::new(Encoded::new(shared.map.clone())));
        }
        match self {
            Received::Own(encoded) => Some(encoded),
            Received::Static(_) => None,
        }
    }

    fn into_pairs(self) -> Pairs {
        match self {
            Received::Own(encoded) => encoded.into_pairs(),
            Received::Static(shared) => shared.pairs().clone(),
        }
    }
}

/// A Hessian map of strings to strings held in a `static`, for attachments that nearly
/// every message carries alike (a provider's `{dubbo: 2.0.2}`): [`Attachments::from_static`]
/// shares it without allocating, and it is decoded at most once per process.
///
/// ```
/// use oxidubbo_invoker::{Attachments, StaticMap};
///
/// static VERSION: StaticMap = StaticMap::new(b"H\x05dubbo\x052.0.2Z");
/// let attachments = Attachments::from_static(&VERSION);
/// assert_eq!(attachments.get_str("dubbo"), Some("2.0.2"));
/// ```
pub struct StaticMap(Encoded);

impl StaticMap {
    /// The map encoded as `map`: one Hessian map (`H … Z`) whose keys and values are all
    /// strings. Bytes of any other shape read as no entries (with a warning), as a map
    /// given to [`Attachments::from_encoded`] would.
    pub const fn new(map: &'static [u8]) -> Self {
        StaticMap(Encoded::new(Bytes::from_static(map)))
    }
}

impl std::fmt::Debug for StaticMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.pairs().iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

#[derive(Clone)]
struct Encoded {
    /// A Hessian map whose keys and values are strings.
    map: Bytes,
    /// Entries set over the map's with [`Attachments::insert_shared`] or
    /// [`Attachments::insert_static`], shared with their owner until the map is decoded.
    shared: [Option<(&'static str, SharedStr)>; SHARED_MAX],
    /// Keys removed with [`Attachments::remove_all`] while the map was encoded: dropped
    /// from the map's entries when it is decoded.
    removed: &'static [&'static str],
    decoded: OnceCell<Pairs>,
}

/// How many [`Attachments::insert_shared`] entries stay shared (a provider sets two).
const SHARED_MAX: usize = 2;

/// The value of an entry set with [`Attachments::insert_shared`] or
/// [`Attachments::insert_static`].
#[derive(Clone)]
enum SharedStr {
    Counted(Arc<str>),
    /// No count to change per call, where every thread of a process would change the same.
    Static(&'static str),
}

impl SharedStr {
    fn as_str(&self) -> &str {
        match self {
            SharedStr::Counted(s) => s,
            SharedStr::Static(s) => s,
        }
    }
}

impl Encoded {
    /// `map` as received: nothing set over it, removed from it or decoded yet.
    const fn new(map: Bytes) -> Self {
        Encoded {
            map,
            shared: [const { None }; SHARED_MAX],
            removed: &[],
            decoded: OnceCell::new(),
        }
    }

    fn pairs(&self) -> &Pairs {
        self.decoded.get_or_init(|| self.decode())
    }

    fn into_pairs(self) -> Pairs {
        match self.decoded.into_inner() {
            Some(pairs) => pairs,
            None => Encoded {
                decoded: OnceCell::new(),
                ..self
            }
            .decode(),
        }
    }

    /// The map's entries but the removed ones, then the shared ones (which override
    /// them), as [`Attachments::insert`] would have set them.
    fn decode(&self) -> Pairs {
        let mut pairs = decode_map(&self.map);
        if !self.removed.is_empty() {
            pairs.retain(|(k, _)| !self.removed.contains(&k.as_ref()));
        }
        for (key, value) in self.shared.iter().flatten() {
            pairs.retain(|(k, _)| k != key);
            pairs.push((Cow::Borrowed(key), Value::from(value.as_str())));
        }
        pairs
    }
}

/// Decodes a map checked by the codec that kept it encoded; the same bytes decoded again
/// cannot fail, but if they did the call would go on without them.
fn decode_map(map: &[u8]) -> Pairs {
    match Decoder::new(map).read_string_map_with(|k| intern_key(&k)) {
        Ok(Some(pairs)) => Attachments::from_pairs(pairs).pairs,
        Ok(None) => Pairs::new(),
        Err(e) => {
            tracing::warn!(error = %e, "dropping undecodable attachments");
            Pairs::new()
        }
    }
}

/// Attachment keys Dubbo peers send on every call; [`intern_key`] maps them to statics.
const WELL_KNOWN_KEYS: &[&str] = &[
    "path",
    "interface",
    "version",
    "group",
    "timeout",
    "token",
    "dubbo",
    "generic",
    "application",
    "remote.application",
    "remote.address",
    "side",
    "async",
    "return",
    "input",
    "output",
    "dubbo.tag",
    "dubbo.force.tag",
];

/// The static copy of a well-known attachment key, or an owned copy of any other.
pub fn intern_key(key: &str) -> Cow<'static, str> {
    match WELL_KNOWN_KEYS.iter().find(|k| **k == key) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(key.to_owned()),
    }
}

impl Attachments {
    /// An empty set.
    pub fn new() -> Self {
        Attachments::default()
    }

    /// Attachments kept encoded until first read: `map` is one Hessian map (`H … Z`) whose
    /// keys and values are all strings, already checked by the caller (the dubbo codec
    /// checks it while it looks for `group`). A key given twice keeps its last value.
    pub fn from_encoded(map: Bytes) -> Self {
        Attachments {
            pairs: Pairs::new(),
            encoded: Some(Received::Own(Box::new(Encoded::new(map)))),
        }
    }

    /// The entries of `map`, shared: nothing is copied or allocated until they change.
    pub fn from_static(map: &'static StaticMap) -> Self {
        Attachments {
            pairs: Pairs::new(),
            encoded: Some(Received::Static(&map.0)),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let set = self.pairs.iter().find(|(k, _)| k == key);
        let received = || {
            self.encoded
                .as_ref()?
                .pairs()
                .iter()
                .find(|(k, _)| k == key)
        };
        set.or_else(received).map(|(_, v)| v)
    }

    /// The value of `key` if it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// Attachments from decoded pairs; a key given twice keeps its last value (as a Java
    /// `HashMap` would).
    pub fn from_pairs(mut pairs: Pairs) -> Self {
        // Which entries to keep: the last occurrence of each key. Linear in the number of
        // entries (a hostile peer may send thousands), without allocating in the common
        // case of no duplicates among a handful of keys.
        let keep: Option<Vec<bool>> = if pairs.len() <= 16 {
            let duplicated = |i: usize| pairs[i + 1..].iter().any(|(k, _)| *k == pairs[i].0);
            (0..pairs.len())
                .any(duplicated)
                .then(|| (0..pairs.len()).map(|i| !duplicated(i)).collect())
        } else {
            let mut seen = std::collections::HashSet::with_capacity(pairs.len());
            let mut keep: Vec<bool> = pairs
                .iter()
                .rev()
                .map(|(k, _)| seen.insert(k.as_ref()))
                .collect();
            keep.reverse();
            keep.contains(&false).then_some(keep)
        };
        if let Some(keep) = keep {
            let mut flags = keep.into_iter();
            pairs.retain(|_| flags.next().unwrap_or(true));
        }
        Attachments {
            pairs,
            encoded: None,
        }
    }

    /// Sets `key`, replacing an earlier value.
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<Value>) {
        let key = key.into();
        let value = value.into();
        match self.pairs.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.pairs.push((key, value)),
        }
    }

    /// Sets `key` to the string `value`, as [`insert`](Self::insert) does, but while the
    /// received entries are still encoded (and for two such keys at most), `value` stays
    /// shared and is copied into a `String` only when something reads the attachments: a
    /// provider sets the `remote.address` of every call this way.
    pub fn insert_shared(&mut self, key: &'static str, value: &Arc<str>) {
        self.set_shared(key, SharedStr::Counted(Arc::clone(value)));
    }

    /// [`insert_shared`](Self::insert_shared) for a value that lives as long as the
    /// program (a provider's `dubbo` version `"2.0.2"`): no count is changed per call.
    pub fn insert_static(&mut self, key: &'static str, value: &'static str) {
        self.set_shared(key, SharedStr::Static(value));
    }

    fn set_shared(&mut self, key: &'static str, value: SharedStr) {
        let slot = self.encoded.as_mut().filter(|e| e.decoded.get().is_none());
        let slot = slot.and_then(|e| {
            let mut slots = e.to_mut()?.shared.iter_mut();
            slots.find(|s| s.as_ref().is_none_or(|(k, _)| *k == key))
        });
        match slot {
            // An entry set directly overrides a shared one.
            Some(slot) if !self.pairs.iter().any(|(k, _)| k == key) => *slot = Some((key, value)),
            _ => self.insert(key, value.as_str().to_owned()),
        }
    }

    /// Sets `key` only when it is absent.
    pub fn insert_if_absent(&mut self, key: &str, value: impl Into<Value>) {
        if self.get(key).is_none() {
            self.pairs.push((intern_key(key), value.into()));
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.merge_encoded();
        let i = self.pairs.iter().position(|(k, _)| k == key)?;
        Some(self.pairs.remove(i).1)
    }

    /// Removes every key of `keys`.
    ///
    /// Received entries still encoded stay encoded: the keys are dropped when the map is
    /// decoded, so a provider whose service never reads its attachments never decodes
    /// them (the `context` filter hides Dubbo's own keys from every call this way).
    pub fn remove_all(&mut self, keys: &'static [&'static str]) {
        self.pairs.retain(|(k, _)| !keys.contains(&k.as_ref()));
        let Some(encoded) = self.encoded.as_mut() else {
            return;
        };
        let still_encoded = encoded.decoded.get().is_none();
        let keep_encoded = still_encoded && (encoded.removed.is_empty() || encoded.removed == keys);
        match keep_encoded.then(|| encoded.to_mut()).flatten() {
            Some(encoded) => {
                encoded.removed = keys;
                for slot in encoded.shared.iter_mut() {
                    if slot.as_ref().is_some_and(|(k, _)| keys.contains(k)) {
                        *slot = None;
                    }
                }
            }
            None => {
                self.merge_encoded();
                self.pairs.retain(|(k, _)| !keys.contains(&k.as_ref()));
            }
        }
    }

    /// Iterates over the entries in insertion order (received entries first).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        let received = self.encoded.as_ref().map(|e| e.pairs().as_slice());
        let received = received.unwrap_or_default().iter().filter(|(k, _)| {
            // Overridden by an entry set since.
            !self.pairs.iter().any(|(set, _)| set == k)
        });
        received
            .chain(self.pairs.iter())
            .map(|(k, v)| (k.as_ref(), v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Folds the received entries into `pairs`, those set since overriding them.
    fn merge_encoded(&mut self) {
        if let Some(encoded) = self.encoded.take() {
            let mut merged = encoded.into_pairs();
            merged.retain(|(k, _)| !self.pairs.iter().any(|(set, _)| set == k));
            merged.append(&mut self.pairs);
            self.pairs = merged;
        }
    }
}

impl std::fmt::Debug for Attachments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for Attachments {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl FromIterator<(String, Value)> for Attachments {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut a = Attachments::new();
        for (k, v) in iter {
            a.insert(k, v);
        }
        a
    }
}

impl IntoIterator for Attachments {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(mut self) -> Self::IntoIter {
        self.merge_encoded();
        let pairs: Vec<(String, Value)> = self
            .pairs
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v))
            .collect();
        pairs.into_iter()
    }
}
