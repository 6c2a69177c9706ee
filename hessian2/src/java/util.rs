//! `java.util`: [`Locale`] and [`Uuid`].

use std::fmt;
use std::str::FromStr;

use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, Serializer};

use super::math::serialize_string_value;
use super::{field, string_value};
use crate::{Error, Result, Value};

/// The class hessian-lite writes a `java.util.Locale` as.
const LOCALE_HANDLE: &str = "com.alibaba.com.caucho.hessian.io.LocaleHandle";

/// A `java.util.Locale`, kept as the text Java's `toString()` gives: `language`,
/// `language_COUNTRY`, `language_COUNTRY_variant`, with `_#Script` appended when there is a
/// script (`zh_TW_#Hant`); the empty string is `Locale.ROOT`.
///
/// On the wire (hessian-lite): an object of class
/// `com.alibaba.com.caucho.hessian.io.LocaleHandle` with one field, `value`, the text.
/// Reading accepts any class with that field (Caucho names it
/// `com.caucho.hessian.io.LocaleHandle`) and a plain string.
///
/// ```
/// use oxidubbo_hessian2::java::Locale;
///
/// let l = Locale::new("zh", "CN");
/// assert_eq!(l.as_str(), "zh_CN");
/// assert_eq!((l.language(), l.country()), ("zh", "CN"));
/// let t = Locale::from_java("zh_TW_#Hant");
/// assert_eq!((t.country(), t.script()), ("TW", "Hant"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Locale(String);

impl Locale {
    /// The locale of `language` (`en`) and `country` (`US`, or empty).
    pub fn new(language: &str, country: &str) -> Self {
        if country.is_empty() {
            Locale(language.to_owned())
        } else {
            Locale(format!("{language}_{country}"))
        }
    }

    /// The locale whose Java `toString()` is `text`.
    pub fn from_java(text: impl Into<String>) -> Self {
        Locale(text.into())
    }

    /// The Java `toString()` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `(base, script)`: the text before and after `_#`.
    fn base_script(&self) -> (&str, &str) {
        self.0.split_once("_#").unwrap_or((&self.0, ""))
    }

    fn part(&self, i: usize) -> &str {
        self.base_script().0.splitn(3, '_').nth(i).unwrap_or("")
    }

    /// The language (`zh`), or empty.
    pub fn language(&self) -> &str {
        self.part(0)
    }

    /// The country (`CN`), or empty.
    pub fn country(&self) -> &str {
        self.part(1)
    }

    /// The variant, or empty.
    pub fn variant(&self) -> &str {
        self.part(2)
    }

    /// The script (`Hant`), or empty.
    pub fn script(&self) -> &str {
        self.base_script().1
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Locale {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_string_value(serializer, LOCALE_HANDLE, &self.0)
    }
}

impl<'de> Deserialize<'de> for Locale {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        string_value(&v, "java.util.Locale")
            .map(Locale::from_java)
            .map_err(D::Error::custom)
    }
}

/// A `java.util.UUID`: 128 bits, Java's `mostSigBits` then `leastSigBits`.
///
/// On the wire (hessian-lite 3.2.8 and later): an object of class `java.util.UUID` with one
/// field, `value`, the canonical text (`123e4567-e89b-12d3-a456-426614174000`). Reading also
/// accepts the `mostSigBits`/`leastSigBits` fields (what Caucho Hessian, dubbo-go-hessian2
/// and older hessian-lite write) and a plain string.
///
/// ```
/// use oxidubbo_hessian2::java::Uuid;
///
/// let u: Uuid = "123e4567-e89b-12d3-a456-426614174000".parse().unwrap();
/// assert_eq!(u.most_sig_bits(), 0x123e_4567_e89b_12d3);
/// assert_eq!(u.to_string(), "123e4567-e89b-12d3-a456-426614174000");
/// assert!("123e4567".parse::<Uuid>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Uuid(pub u128);

impl Uuid {
    /// The UUID of Java's two halves.
    #[allow(clippy::cast_sign_loss)]
    pub fn from_sig_bits(most: i64, least: i64) -> Self {
        Uuid((u128::from(most as u64) << 64) | u128::from(least as u64))
    }

    /// The high 64 bits, as Java's `getMostSignificantBits()`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    pub fn most_sig_bits(self) -> i64 {
        (self.0 >> 64) as u64 as i64
    }

    /// The low 64 bits, as Java's `getLeastSignificantBits()`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    pub fn least_sig_bits(self) -> i64 {
        self.0 as u64 as i64
    }

    /// The 16 bytes, big-endian.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// The UUID of 16 big-endian bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Uuid(u128::from_be_bytes(bytes))
    }
}

impl FromStr for Uuid {
    type Err = Error;

    /// Parses the canonical form: 32 hex digits (either case) in groups of 8-4-4-4-12.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::message(format!(
                "invalid UUID {s:?}: expected 8-4-4-4-12 hex digits"
            ))
        };
        let groups: Vec<&str> = s.split('-').collect();
        let lengths = groups.iter().map(|g| g.len()).collect::<Vec<_>>();
        if lengths != [8, 4, 4, 4, 12] {
            return Err(bad());
        }
        let hex: String = groups.concat();
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        u128::from_str_radix(&hex, 16).map(Uuid).map_err(|_| bad())
    }
}

impl fmt::Display for Uuid {
    /// The canonical lowercase form, as Java's `toString()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = format!("{:032x}", self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

impl Serialize for Uuid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_string_value(serializer, "java.util.UUID", &self.to_string())
    }
}

impl<'de> Deserialize<'de> for Uuid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        let halves = (field(&v, "mostSigBits"), field(&v, "leastSigBits"));
        if let (Some(most), Some(least)) = halves {
            return match (most.as_i64(), least.as_i64()) {
                (Some(m), Some(l)) => Ok(Uuid::from_sig_bits(m, l)),
                _ => Err(D::Error::custom(
                    "java.util.UUID: `mostSigBits` and `leastSigBits` must be longs",
                )),
            };
        }
        string_value(&v, "java.util.UUID")
            .and_then(str::parse)
            .map_err(D::Error::custom)
    }
}
