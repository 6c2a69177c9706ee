//! `java.sql`: [`SqlDate`], [`SqlTime`] and [`SqlTimestamp`], the JDBC date types that
//! entities carry.

use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::field;
use crate::{Date, Value};

macro_rules! sql_date {
    ($($(#[$doc:meta])* $ty:ident => $class:literal;)*) => {$(
        $(#[$doc])*
        ///
        /// On the wire (hessian-lite and Caucho alike): an object of class
        #[doc = concat!("`", $class, "`")]
        /// with one field, `value`, a Hessian date (milliseconds since the epoch, UTC).
        /// Reading also accepts a plain date.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $ty(pub Date);

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut s = serializer.serialize_struct($class, 1)?;
                s.serialize_field("value", &self.0)?;
                s.end()
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let v = Value::deserialize(deserializer)?;
                match field(&v, "value").unwrap_or(&v) {
                    Value::Date(ms) => Ok($ty(Date(*ms))),
                    other => Err(D::Error::custom(format!(
                        concat!("expected a ", $class, " (an object with a date field `value`), found {}"),
                        crate::ser::describe(other)
                    ))),
                }
            }
        }

        impl From<Date> for $ty {
            fn from(d: Date) -> Self {
                $ty(d)
            }
        }

        impl From<$ty> for Date {
            fn from(d: $ty) -> Self {
                d.0
            }
        }
    )*};
}

sql_date! {
    /// A `java.sql.Date`: a date as the milliseconds of its midnight (in the JVM's zone).
    SqlDate => "java.sql.Date";
    /// A `java.sql.Time`: a time of day as milliseconds (of 1970-01-01, in the JVM's zone).
    SqlTime => "java.sql.Time";
    /// A `java.sql.Timestamp`, to the millisecond (Hessian carries no more of its nanos).
    SqlTimestamp => "java.sql.Timestamp";
}
