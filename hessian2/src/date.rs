//! Wrapper types for the Hessian forms that plain Rust types cannot express through serde:
//! [`Date`] (`java.util.Date`) and [`Binary`] (`byte[]`).
//!
//! Both serialize through serde in a way that this crate's serializer recognizes, and that
//! other formats (JSON, …) still render sensibly: a [`Date`] is a newtype struct with the
//! reserved name [`DATE_NAME`] around its milliseconds, a [`Binary`] goes through
//! `serialize_bytes`.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::{Error, Value};

/// Reserved newtype-struct name under which [`Date`] serializes its milliseconds.
///
/// This crate's serializer turns a newtype struct of this name into [`Value::Date`], and its
/// deserializer hands a [`Value::Date`] (or an integer, taken as milliseconds) to a newtype
/// struct of this name. Do not give your own types this name.
pub const DATE_NAME: &str = "$oxidubbo_hessian2::Date";

/// A `java.util.Date`: milliseconds since the Unix epoch, UTC (negative before 1970).
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use oxidubbo_hessian2::{to_value, Date, Value};
///
/// let t = UNIX_EPOCH + Duration::from_millis(894_621_091_000);
/// let d = Date::from(t);
/// assert_eq!(d, Date(894_621_091_000));
/// assert_eq!(to_value(&d).unwrap(), Value::Date(894_621_091_000));
/// assert_eq!(SystemTime::try_from(d).unwrap(), t);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Date(pub i64);

impl Date {
    /// The current time, truncated to milliseconds.
    pub fn now() -> Self {
        Date::from(SystemTime::now())
    }

    /// Milliseconds since the Unix epoch.
    pub fn millis(self) -> i64 {
        self.0
    }
}

impl From<SystemTime> for Date {
    /// Converts to whole milliseconds, rounding towards the past (like `Math.floorDiv`), and
    /// saturating at `i64::MIN`/`i64::MAX` for times hundreds of millions of years away.
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(after) => Date(i64::try_from(after.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => {
                let before = e.duration();
                let mut ms = before.as_millis();
                if before.subsec_nanos() % 1_000_000 != 0 {
                    ms += 1;
                }
                Date(i64::try_from(ms).map_or(i64::MIN, |m| -m))
            }
        }
    }
}

impl TryFrom<Date> for SystemTime {
    type Error = Error;

    /// Fails when the platform's `SystemTime` cannot represent the date.
    fn try_from(d: Date) -> Result<Self, Error> {
        let magnitude = Duration::from_millis(d.0.unsigned_abs());
        let t = if d.0 >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        };
        t.ok_or_else(|| Error::message(format!("date {} ms is out of range for SystemTime", d.0)))
    }
}

impl From<Date> for Value {
    fn from(d: Date) -> Self {
        Value::Date(d.0)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(DATE_NAME, &self.0)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;

        impl<'de> Visitor<'de> for DateVisitor {
            type Value = Date;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a java.util.Date (milliseconds since the epoch)")
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Date, D::Error> {
                i64::deserialize(d).map(Date)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Date, E> {
                Ok(Date(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Date, E> {
                i64::try_from(v)
                    .map(Date)
                    .map_err(|_| E::custom(format!("date {v} ms is out of range")))
            }
        }

        deserializer.deserialize_newtype_struct(DATE_NAME, DateVisitor)
    }
}

/// A Java `byte[]`: serialized as a Hessian binary rather than as a list of ints.
///
/// `Vec<u8>` serializes as a list (serde sees a sequence); wrap it in `Binary` (or use
/// `serde_bytes`) to get [`Value::Binary`]. Deserializing accepts a binary or a list of
/// small integers.
///
/// ```
/// use oxidubbo_hessian2::{to_value, Binary, Value};
///
/// assert_eq!(to_value(&Binary(vec![1, 2])).unwrap(), Value::Binary(vec![1, 2]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Binary(pub Vec<u8>);

impl From<Vec<u8>> for Binary {
    fn from(b: Vec<u8>) -> Self {
        Binary(b)
    }
}

impl From<Binary> for Vec<u8> {
    fn from(b: Binary) -> Self {
        b.0
    }
}

impl From<Binary> for Value {
    fn from(b: Binary) -> Self {
        Value::Binary(b.0)
    }
}

impl AsRef<[u8]> for Binary {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Serialize for Binary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Binary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BinaryVisitor;

        impl<'de> Visitor<'de> for BinaryVisitor {
            type Value = Binary;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte array")
            }

            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Binary, E> {
                Ok(Binary(v.to_vec()))
            }

            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Binary, E> {
                Ok(Binary(v))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Binary, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Binary(out))
            }
        }

        deserializer.deserialize_byte_buf(BinaryVisitor)
    }
}
