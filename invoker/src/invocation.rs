//! `Invocation` and `RpcResult`: what goes into a call and what comes out.

use std::borrow::Cow;
use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_hessian2::Value;

/// A call's attachments: string keys to Hessian values (usually strings), in insertion order.
///
/// Dubbo carries a handful of these per call (`path`, `version`, `timeout`, …), so a small
/// vector beats a hash map and keeps the wire order stable; Dubbo's own keys are stored as
/// `&'static str`, so they cost no allocation per call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attachments(Vec<(Cow<'static, str>, Value)>);

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
        Attachments(Vec::new())
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key` if it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// Attachments from decoded pairs; a key given twice keeps its last value (as a Java
    /// `HashMap` would).
    pub fn from_pairs(mut pairs: Vec<(Cow<'static, str>, Value)>) -> Self {
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
        Attachments(pairs)
    }

    /// Sets `key`, replacing an earlier value.
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<Value>) {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// Sets `key` only when it is absent.
    pub fn insert_if_absent(&mut self, key: &str, value: impl Into<Value>) {
        if self.get(key).is_none() {
            self.0.push((intern_key(key), value.into()));
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    /// Iterates over the entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
    fn into_iter(self) -> Self::IntoIter {
        let pairs: Vec<(String, Value)> = self
            .0
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v))
            .collect();
        pairs.into_iter()
    }
}

/// One call: method, parameter types, arguments and attachments.
///
/// Cloning is cheap enough to retry: the arguments sit behind an `Arc`.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    method_name: Cow<'static, str>,
    parameter_types: Cow<'static, str>,
    arguments: Arc<Vec<Value>>,
    attachments: Attachments,
    url: Option<Arc<Url>>,
}

impl Invocation {
    /// A call of `method_name` with the JVM descriptor `parameter_types`
    /// (e.g. `Ljava/lang/String;I`) and its arguments.
    ///
    /// Static names (a typed client's literals) are kept without copying.
    pub fn new(
        method_name: impl Into<Cow<'static, str>>,
        parameter_types: impl Into<Cow<'static, str>>,
        arguments: Vec<Value>,
    ) -> Self {
        Invocation {
            method_name: method_name.into(),
            parameter_types: parameter_types.into(),
            arguments: Arc::new(arguments),
            attachments: Attachments::new(),
            url: None,
        }
    }

    /// Adds an attachment, builder style.
    pub fn with_attachment(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<Value>,
    ) -> Self {
        self.attachments.insert(key, value);
        self
    }

    /// The method name.
    pub fn method_name(&self) -> &str {
        &self.method_name
    }

    /// The JVM parameter descriptor, all parameters joined (`""` for none).
    pub fn parameter_types(&self) -> &str {
        &self.parameter_types
    }

    /// The arguments.
    pub fn arguments(&self) -> &[Value] {
        &self.arguments
    }

    /// Takes the arguments out, copying them only if a clone of this invocation shares them.
    pub fn take_arguments(&mut self) -> Vec<Value> {
        match Arc::get_mut(&mut self.arguments) {
            Some(args) => std::mem::take(args),
            None => Arc::unwrap_or_clone(std::mem::take(&mut self.arguments)),
        }
    }

    /// The attachments.
    pub fn attachments(&self) -> &Attachments {
        &self.attachments
    }

    /// The attachments, to change.
    pub fn attachments_mut(&mut self) -> &mut Attachments {
        &mut self.attachments
    }

    /// The URL snapshot of the invoker that started this call, if one was taken.
    ///
    /// Code that needs the URL during a call uses this snapshot throughout instead of
    /// re-reading the invoker's URL after an `await` (DESIGN.md, lifecycle rule 2).
    pub fn url(&self) -> Option<&Arc<Url>> {
        self.url.as_ref()
    }

    /// Records the URL snapshot for this call (the first invoker on the path does it).
    pub fn set_url(&mut self, url: Arc<Url>) {
        self.url = Some(url);
    }
}

/// A successful call's result: the returned value (`Null` for `void`) and the response's
/// attachments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RpcResult {
    /// The returned value.
    pub value: Value,
    /// Attachments sent back by the provider.
    pub attachments: Attachments,
}

impl RpcResult {
    /// A result holding `value` and no attachments.
    pub fn new(value: impl Into<Value>) -> Self {
        RpcResult {
            value: value.into(),
            attachments: Attachments::new(),
        }
    }
}
