//! `MethodName`: the name an [`Invocation`](crate::Invocation) calls, cheap to keep.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A method name that filters and cluster invokers can keep past the call they hand on
/// without copying it: a static name (a typed client's literal) or a shared one (the
/// provider takes its names from the exported service) clones for free; an owned one is
/// copied, as a `String` would be.
///
/// ```
/// use oxidubbo_invoker::MethodName;
///
/// let name = MethodName::from("sayHello");
/// let kept = name.clone();
/// assert_eq!(kept, "sayHello");
/// assert_eq!(kept.len(), 8); // a `str` underneath
/// ```
#[derive(Clone)]
pub struct MethodName(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
    Owned(String),
}

impl MethodName {
    /// The name as a `str`.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
            Repr::Owned(s) => s,
        }
    }
}

impl Default for MethodName {
    fn default() -> Self {
        MethodName(Repr::Static(""))
    }
}

impl Deref for MethodName {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for MethodName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for MethodName {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for MethodName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MethodName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for MethodName {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for MethodName {}

impl std::hash::Hash for MethodName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for MethodName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for MethodName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&'static str> for MethodName {
    fn from(name: &'static str) -> Self {
        MethodName(Repr::Static(name))
    }
}

impl From<String> for MethodName {
    fn from(name: String) -> Self {
        MethodName(Repr::Owned(name))
    }
}

impl From<Arc<str>> for MethodName {
    fn from(name: Arc<str>) -> Self {
        MethodName(Repr::Shared(name))
    }
}

impl From<Cow<'static, str>> for MethodName {
    fn from(name: Cow<'static, str>) -> Self {
        match name {
            Cow::Borrowed(s) => MethodName(Repr::Static(s)),
            Cow::Owned(s) => MethodName(Repr::Owned(s)),
        }
    }
}

impl From<MethodName> for String {
    fn from(name: MethodName) -> Self {
        match name.0 {
            Repr::Owned(s) => s,
            other => MethodName(other).as_str().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_reads_and_compares_as_its_text() {
        let shared: Arc<str> = Arc::from("echo");
        let forms = [
            MethodName::from("echo"),
            MethodName::from("echo".to_owned()),
            MethodName::from(Arc::clone(&shared)),
            MethodName::from(Cow::Borrowed("echo")),
        ];
        for name in &forms {
            assert_eq!(name, "echo");
            assert_eq!(name, &forms[0]);
            assert_eq!(name.to_string(), "echo");
            assert_eq!(format!("{name:?}"), "\"echo\"");
        }
        // A shared name is kept, not copied.
        let kept = forms[2].clone();
        assert!(matches!(&kept.0, Repr::Shared(s) if Arc::ptr_eq(s, &shared)));
        assert_eq!(String::from(kept), "echo");
    }
}
