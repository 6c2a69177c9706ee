//! [`Str`], the string of the value model.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;

use compact_str::CompactString;

/// An immutable UTF-8 string that keeps up to [`Str::INLINE_CAPACITY`] bytes inline and
/// longer ones on the heap: the string of [`Value::String`](crate::Value::String), of
/// objects' class and field names and of lists' and maps' type names.
///
/// Most strings of a Dubbo body are short (method names, versions, attachment keys, field
/// names), so decoding one allocates nothing. `Str` derefs to `str` and compares with
/// `str`, `&str` and `String`; make one with `From` (`"abc".into()`,
/// `Str::from(string)`) and take a `String` back with [`Str::into_string`] or `From`.
///
/// ```
/// use oxidubbo_hessian2::{Str, Value};
///
/// let s = Str::from("2.0.2");
/// assert_eq!(s, "2.0.2");
/// assert!(!s.is_heap_allocated());
/// assert_eq!(s.len(), 5); // any `str` method, through `Deref`
/// assert_eq!(Value::String(s).as_str(), Some("2.0.2"));
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str(pub(crate) CompactString);

impl Str {
    /// The longest string, in bytes, kept without a heap allocation.
    pub const INLINE_CAPACITY: usize = std::mem::size_of::<CompactString>();

    /// A string of `text` that never allocates: inline when it is short enough, else a
    /// reference to the static text (a `const fn`, for statics).
    pub const fn from_static(text: &'static str) -> Self {
        Str(CompactString::const_new(text))
    }

    /// The string as a `&str`.
    #[inline]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The string as an owned `String` (allocates when the string is inline).
    #[inline]
    pub fn into_string(self) -> String {
        self.0.into_string()
    }

    /// Whether the string owns a heap allocation (it is neither inline nor from
    /// [`Str::from_static`]).
    #[inline]
    pub fn is_heap_allocated(&self) -> bool {
        self.0.is_heap_allocated()
    }
}

impl Deref for Str {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Str {
    #[inline]
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<[u8]> for Str {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Borrow<str> for Str {
    #[inline]
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0.as_str(), f)
    }
}

impl From<&str> for Str {
    #[inline]
    fn from(s: &str) -> Self {
        Str(CompactString::new(s))
    }
}

impl From<&String> for Str {
    #[inline]
    fn from(s: &String) -> Self {
        Str(CompactString::new(s))
    }
}

impl From<&Str> for Str {
    #[inline]
    fn from(s: &Str) -> Self {
        s.clone()
    }
}

/// Keeps the `String`'s buffer when the string is too long to be inline.
impl From<String> for Str {
    #[inline]
    fn from(s: String) -> Self {
        Str(CompactString::from(s))
    }
}

impl From<Box<str>> for Str {
    #[inline]
    fn from(s: Box<str>) -> Self {
        Str(CompactString::from(s))
    }
}

impl From<Cow<'_, str>> for Str {
    #[inline]
    fn from(s: Cow<'_, str>) -> Self {
        match s {
            Cow::Borrowed(s) => Str::from(s),
            Cow::Owned(s) => Str::from(s),
        }
    }
}

impl From<char> for Str {
    #[inline]
    fn from(c: char) -> Self {
        Str::from(&*c.encode_utf8(&mut [0; 4]))
    }
}

impl From<Str> for String {
    #[inline]
    fn from(s: Str) -> Self {
        s.into_string()
    }
}

impl std::str::FromStr for Str {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Str::from(s))
    }
}

impl FromIterator<char> for Str {
    fn from_iter<I: IntoIterator<Item = char>>(iter: I) -> Self {
        Str(CompactString::from_iter(iter))
    }
}

impl<'a> FromIterator<&'a str> for Str {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        Str(CompactString::from_iter(iter))
    }
}

macro_rules! eq_str {
    ($($other:ty),*) => {$(
        impl PartialEq<$other> for Str {
            fn eq(&self, other: &$other) -> bool {
                self.as_str() == AsRef::<str>::as_ref(other)
            }
        }

        impl PartialEq<Str> for $other {
            fn eq(&self, other: &Str) -> bool {
                AsRef::<str>::as_ref(self) == other.as_str()
            }
        }
    )*};
}

eq_str!(str, &str, String);

impl serde::Serialize for Str {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Str {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;

        impl serde::de::Visitor<'_> for Visit {
            type Value = Str;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Str, E> {
                Ok(Str::from(v))
            }

            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Str, E> {
                Ok(Str::from(v))
            }
        }

        deserializer.deserialize_str(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::Str;

    #[test]
    fn short_strings_are_inline_and_long_ones_are_not() {
        assert_eq!(Str::INLINE_CAPACITY, 24);
        let short = "x".repeat(Str::INLINE_CAPACITY);
        let long = "x".repeat(Str::INLINE_CAPACITY + 1);
        assert!(!Str::from(short.as_str()).is_heap_allocated());
        assert!(Str::from(long.as_str()).is_heap_allocated());
        assert!(!Str::from(short.clone()).is_heap_allocated());
        assert_eq!(Str::from(long.clone()), long);
        let name = Str::from_static("org.apache.dubbo.samples.GreetingsService");
        assert!(!name.is_heap_allocated());
        assert_eq!(name, "org.apache.dubbo.samples.GreetingsService");
    }

    #[test]
    fn compares_and_prints_as_its_text() {
        let s = Str::from("héllo");
        assert_eq!(s, "héllo");
        assert_eq!("héllo", s);
        assert_eq!(s, String::from("héllo"));
        assert_ne!(s, "hello");
        assert_eq!(format!("{s}|{s:?}"), "héllo|\"héllo\"");
        assert_eq!(String::from(s.clone()), "héllo");
        assert_eq!(s.chars().count(), 5);
    }
}
