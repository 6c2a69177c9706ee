//! The condition router: Dubbo's `when => then` rules.

use std::borrow::Cow;
use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker};

use super::Router;

/// A condition rule that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("illegal route rule {rule:?}: {reason}")]
pub struct RuleError {
    /// The rule text.
    pub rule: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Values a key must match (`=`) and must not match (`!=`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct MatchPair {
    matches: Vec<String>,
    mismatches: Vec<String>,
}

/// One side of a rule: keys and what their values must be; all must hold.
type Conditions = Vec<(String, MatchPair)>;

/// Dubbo's condition router. A rule `when => then` reads: calls whose consumer side
/// matches `when` may only go to providers matching `then`. For example
/// `method = find* => host = 10.20.*` sends `find…` calls to hosts `10.20.*` only.
///
/// - Conditions are `key = values` or `key != values`, joined by `&`; values are
///   comma-separated, and `*` at the start or end (or alone) is a wildcard. A value
///   `$key` stands for the consumer URL's value of `key`.
/// - Keys are URL parameters, `host`, `port`, `address`, `protocol`, `path`; on the
///   `when` side `method` is the called method.
/// - An empty (or `true`) `when` matches every call; an empty (or `false`) `then`
///   forbids the matching calls (no provider).
/// - When `then` leaves no provider, the router returns all of them unless `force`.
/// - Destroyed invokers (no URL) are dropped, never a panic.
#[derive(Debug, Clone)]
pub struct ConditionRouter {
    rule: String,
    when: Conditions,
    then: Option<Conditions>,
    force: bool,
    priority: i32,
}

impl ConditionRouter {
    /// Parses `rule`. Not forced, priority 0.
    pub fn new(rule: &str) -> Result<Self, RuleError> {
        let rule = rule.trim();
        let (when, then) = match rule.find("=>") {
            Some(i) => (rule[..i].trim(), rule[i + 2..].trim()),
            None => ("", rule),
        };
        let when = if when.is_empty() || when == "true" {
            Vec::new()
        } else {
            parse_conditions(rule, when)?
        };
        let then = if then.is_empty() || then == "false" {
            None
        } else {
            Some(parse_conditions(rule, then)?)
        };
        Ok(ConditionRouter {
            rule: rule.to_owned(),
            when,
            then,
            force: false,
            priority: 0,
        })
    }

    /// A router from a `route://` URL: parameters `rule`, `force` (default false) and
    /// `priority` (default 0).
    pub fn from_url(url: &Url) -> Result<Self, RuleError> {
        let rule = url.param("rule").unwrap_or_default();
        let router = ConditionRouter::new(rule)?;
        Ok(router
            .with_force(url.bool_param("force", false))
            .with_priority(i32::try_from(url.int_param("priority", 0)).unwrap_or(0)))
    }

    /// Whether an empty `then` result is returned as is (instead of all providers).
    pub fn with_force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Sets the priority in a [`super::RouterChain`].
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// The rule text.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    fn match_when(&self, url: Option<&Url>, invocation: &Invocation) -> bool {
        self.when.is_empty() || match_conditions(&self.when, url, None, Some(invocation))
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, '&' | '!' | '=' | ',')
}

/// Splits a condition text as Dubbo's `([&!=,]*)\s*([^&!=,\s]+)` does.
fn tokens(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let end = text.len();
    let at = |k: usize| bytes.get(k).map_or(end, |&(p, _)| p);
    let mut i = 0;
    while i < bytes.len() {
        let mut j = i;
        while j < bytes.len() && is_separator(bytes[j].1) {
            j += 1;
        }
        let mut k = j;
        while k < bytes.len() && bytes[k].1.is_whitespace() {
            k += 1;
        }
        let mut m = k;
        while m < bytes.len() && !is_separator(bytes[m].1) && !bytes[m].1.is_whitespace() {
            m += 1;
        }
        if m > k {
            out.push((&text[at(i)..at(j)], &text[at(k)..at(m)]));
            i = m;
        } else {
            i += 1;
        }
    }
    out
}

fn parse_conditions(rule: &str, text: &str) -> Result<Conditions, RuleError> {
    let error = |reason: String| RuleError {
        rule: rule.to_owned(),
        reason,
    };
    let mut conditions: Conditions = Vec::new();
    let mut key: Option<usize> = None;
    // Which list the last values went to: true = matches, false = mismatches.
    let mut values: Option<bool> = None;
    for (separator, content) in tokens(text) {
        match separator {
            "" | "&" => {
                let index = match conditions.iter().position(|(k, _)| k == content) {
                    Some(i) => i,
                    None => {
                        conditions.push((content.to_owned(), MatchPair::default()));
                        conditions.len() - 1
                    }
                };
                key = Some(index);
                values = None;
            }
            "=" | "!=" => {
                let Some(index) = key else {
                    return Err(error(format!(
                        "{separator:?} before any key, at {content:?}"
                    )));
                };
                let is_match = separator == "=";
                let pair = &mut conditions[index].1;
                if is_match {
                    pair.matches.push(content.to_owned());
                } else {
                    pair.mismatches.push(content.to_owned());
                }
                values = Some(is_match);
            }
            "," => {
                let (Some(index), Some(is_match)) = (key, values) else {
                    return Err(error(format!("\",\" before any value, at {content:?}")));
                };
                let pair = &mut conditions[index].1;
                if is_match {
                    pair.matches.push(content.to_owned());
                } else {
                    pair.mismatches.push(content.to_owned());
                }
            }
            other => {
                return Err(error(format!("unexpected {other:?} before {content:?}")));
            }
        }
    }
    Ok(conditions)
}

/// The value of `key` in `url` as Dubbo's `getRawParameter` gives it.
fn raw_param<'a>(url: &'a Url, key: &str) -> Option<Cow<'a, str>> {
    match key {
        "protocol" => Some(Cow::Borrowed(url.protocol())),
        "host" => Some(Cow::Borrowed(url.host())),
        "port" => Some(Cow::Owned(url.port().to_string())),
        "path" => Some(Cow::Borrowed(url.path())),
        "address" => Some(Cow::Owned(url.address())),
        "username" => url.username().map(Cow::Borrowed),
        "password" => url.password().map(Cow::Borrowed),
        _ => url
            .param(key)
            .or_else(|| url.param(&format!("default.{key}")))
            .map(Cow::Borrowed),
    }
}

/// Whether every condition holds for `url` (and `invocation`, for `method`).
fn match_conditions(
    conditions: &Conditions,
    url: Option<&Url>,
    param: Option<&Url>,
    invocation: Option<&Invocation>,
) -> bool {
    let mut result = false;
    for (key, pair) in conditions {
        let sample: Option<Cow<'_, str>> = match invocation {
            Some(inv) if key == "method" || key == "methods" => {
                Some(Cow::Borrowed(inv.method_name()))
            }
            _ => url.and_then(|u| raw_param(u, key)),
        };
        match sample {
            Some(value) => {
                if !pair.is_match(&value, param) {
                    return false;
                }
                result = true;
            }
            None => {
                if !pair.matches.is_empty() {
                    return false;
                }
                result = true;
            }
        }
    }
    result
}

impl MatchPair {
    fn is_match(&self, value: &str, param: Option<&Url>) -> bool {
        let any = |patterns: &[String]| patterns.iter().any(|p| glob_match(p, value, param));
        match (self.matches.is_empty(), self.mismatches.is_empty()) {
            (false, true) => any(&self.matches),
            (true, false) => !any(&self.mismatches),
            (false, false) => !any(&self.mismatches) && any(&self.matches),
            (true, true) => false,
        }
    }
}

/// Dubbo's glob: `*` alone matches anything; one `*` at the start, end or middle is a
/// wildcard; `$key` is the value of `key` in `param` (the consumer URL).
fn glob_match(pattern: &str, value: &str, param: Option<&Url>) -> bool {
    let resolved;
    let pattern = match (pattern.strip_prefix('$'), param) {
        (Some(key), Some(param)) => {
            resolved = raw_param(param, key);
            resolved.as_deref().unwrap_or("")
        }
        _ => pattern,
    };
    if pattern == "*" {
        return true;
    }
    if pattern.is_empty() || value.is_empty() {
        return pattern.is_empty() && value.is_empty();
    }
    match pattern.rfind('*') {
        None => pattern == value,
        Some(i) if i == pattern.len() - 1 => value.starts_with(&pattern[..i]),
        Some(0) => value.ends_with(&pattern[1..]),
        Some(i) => {
            let (prefix, suffix) = (&pattern[..i], &pattern[i + 1..]);
            value.len() >= prefix.len() + suffix.len()
                && value.starts_with(prefix)
                && value.ends_with(suffix)
        }
    }
}

impl Router for ConditionRouter {
    fn route(
        &self,
        invokers: Vec<Arc<dyn Invoker>>,
        url: Option<&Url>,
        invocation: &Invocation,
    ) -> Vec<Arc<dyn Invoker>> {
        if invokers.is_empty() || !self.match_when(url, invocation) {
            return invokers;
        }
        let Some(then) = &self.then else {
            tracing::warn!(rule = %self.rule, method = invocation.method_name(), "call forbidden by route rule");
            return Vec::new();
        };
        let result: Vec<Arc<dyn Invoker>> = invokers
            .iter()
            .filter(|invoker| match invoker.url() {
                Some(provider) => match_conditions(then, Some(&provider), url, None),
                None => false,
            })
            .cloned()
            .collect();
        if !result.is_empty() || self.force {
            if result.is_empty() {
                tracing::warn!(rule = %self.rule, "forced route rule left no provider");
            }
            return result;
        }
        tracing::warn!(rule = %self.rule, "route rule left no provider, ignoring it");
        invokers.into_iter().filter(|i| !i.is_destroyed()).collect()
    }

    fn priority(&self) -> i32 {
        self.priority
    }
}
