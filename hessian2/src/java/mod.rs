//! The Java types that Dubbo services commonly pass, in the form Dubbo's Java serializer
//! (hessian-lite) puts them on the wire, with serde `Serialize`/`Deserialize`.
//!
//! | Java | Rust | on the wire (hessian-lite) |
//! |---|---|---|
//! | `java.math.BigDecimal` | [`BigDecimal`] | object `java.math.BigDecimal` { `value`: its `toString()` } |
//! | `java.math.BigInteger` | [`BigInteger`] | object `java.math.BigInteger` with the JDK's fields: `signum`, `mag` (`[int`), the caches as 0 |
//! | `java.time.LocalDate` | [`LocalDate`] | object `…java8.LocalDateHandle` { `day`, `month`, `year` } |
//! | `java.time.LocalTime` | [`LocalTime`] | object `…java8.LocalTimeHandle` { `nano`, `second`, `minute`, `hour` } |
//! | `java.time.LocalDateTime` | [`LocalDateTime`] | object `…java8.LocalDateTimeHandle` { `time`, `date` } |
//! | `java.time.Instant` | [`Instant`] | object `…java8.InstantHandle` { `nanos`, `seconds` } |
//! | `java.time.Duration` | [`Duration`] | object `…java8.DurationHandle` { `nanos`, `seconds` } |
//! | `java.time.ZoneOffset` | [`ZoneOffset`] | object `…java8.ZoneOffsetHandle` { `seconds` } |
//! | `java.time.ZonedDateTime` | [`ZonedDateTime`] | object `…java8.ZonedDateTimeHandle` { `offset`, `dateTime`, `zoneId` } |
//! | `java.time.OffsetDateTime` | [`OffsetDateTime`] | object `…java8.OffsetDateTimeHandle` { `offset`, `dateTime` } |
//! | `java.time.OffsetTime` | [`OffsetTime`] | object `…java8.OffsetTimeHandle` { `zoneOffset`, `localTime` } |
//! | `java.time.Year` | [`Year`] | object `…java8.YearHandle` { `year` } |
//! | `java.time.YearMonth` | [`YearMonth`] | object `…java8.YearMonthHandle` { `month`, `year` } |
//! | `java.time.MonthDay` | [`MonthDay`] | object `…java8.MonthDayHandle` { `day`, `month` } |
//! | `java.time.Period` | [`Period`] | object `…java8.PeriodHandle` { `days`, `months`, `years` } |
//! | `java.time.ZoneId` (a region) | [`ZoneId`] | object `…java8.ZoneIdHandle` { `zoneId` } |
//! | `java.util.Locale` | [`Locale`] | object `com.alibaba.com.caucho.hessian.io.LocaleHandle` { `value`: its `toString()` } |
//! | `java.util.UUID` | [`Uuid`] | object `java.util.UUID` { `value`: its `toString()` } |
//! | `int[]`, `long[]`, `short[]`, `boolean[]`, `double[]`, `float[]`, `String[]`, `Object[]` | [`Array`] | typed list `[int`, `[long`, `[short`, `[boolean`, `[double`, `[float`, `[string`, `[object` |
//! | `byte[]` | [`Binary`](crate::Binary) | binary |
//! | `char[]` | `String` | string |
//! | `java.util.Date` | [`Date`](crate::Date) | date |
//! | `java.sql.Date`, `java.sql.Time`, `java.sql.Timestamp` | [`SqlDate`], [`SqlTime`], [`SqlTimestamp`] | object of that class { `value`: date } |
//! | an `enum` | a unit-only Rust `enum` with `#[serde(rename = "<class>")]` | object `<class>` { `name` } |
//!
//! Each type (and `Array<T>` as the Java array) implements
//! [`JavaType`](crate::descriptor::JavaType), so method descriptors name the Java class:
//! `LocalDate` is `Ljava/time/LocalDate;`, `Array<i32>` is `[I`.
//!
//! `…java8` stands for `com.alibaba.com.caucho.hessian.io.java8`: hessian-lite writes the
//! `java.time` values as these handle objects (unless its opt-in compact mode is on, which
//! this module does not read). Caucho's own Hessian 4.0.38 differs for several of these —
//! it has no `java.time` or `Locale` support on current JDKs, writes `BigDecimal` and `UUID`
//! field by field, and names the locale handle `com.caucho.hessian.io.LocaleHandle` — and
//! Dubbo services use hessian-lite, so this module follows hessian-lite.
//!
//! Fields are written in hessian-lite's order (primitive and `java.lang` fields, then the
//! others, the whole list reversed), so a value decoded from Java's bytes re-encodes to the
//! same bytes; reading matches fields by name, so any order is accepted. Reading is also
//! lenient where Java peers differ: a [`Uuid`] is accepted as `{mostSigBits, leastSigBits}`
//! too (Caucho, dubbo-go-hessian2 and older hessian-lite), a [`Locale`] under Caucho's
//! handle name, a [`BigInteger`] with the JDK 8 field names, and [`BigDecimal`], [`Uuid`]
//! and [`Locale`] as a plain string.
//!
//! ```
//! use oxidubbo_hessian2::java::{BigDecimal, LocalDate};
//! use oxidubbo_hessian2::{from_slice, to_vec};
//!
//! let day = LocalDate::new(2024, 2, 29)?;
//! let bytes = to_vec(&day)?;
//! assert_eq!(from_slice::<LocalDate>(&bytes)?, day);
//!
//! let price: BigDecimal = "12.50".parse()?;
//! assert_eq!(from_slice::<BigDecimal>(&to_vec(&price)?)?.as_str(), "12.50");
//! # Ok::<(), oxidubbo_hessian2::Error>(())
//! ```
//!
//! A Java enum is a unit-only Rust enum named after the Java class; each variant is
//! written as `{ name: "<CONSTANT>" }`, as Java's `EnumSerializer` does (serde's
//! `rename_all` turns Rust's variant names into Java's constant names):
//!
//! ```
//! use oxidubbo_hessian2::{from_slice, to_value, to_vec, Object, Value};
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! #[serde(rename = "org.example.Color", rename_all = "SCREAMING_SNAKE_CASE")]
//! enum Color { Red, DarkGreen }
//!
//! assert_eq!(to_value(&Color::DarkGreen)?, Value::Object(Object::new(
//!     "org.example.Color",
//!     vec![("name".into(), Value::from("DARK_GREEN"))],
//! )));
//! assert_eq!(from_slice::<Color>(&to_vec(&Color::Red)?)?, Color::Red);
//! # Ok::<(), oxidubbo_hessian2::Error>(())
//! ```

mod array;
mod math;
mod sql;
mod time;
mod util;

pub use array::{Array, ArrayElement};
pub use math::{BigDecimal, BigInteger};
pub use sql::{SqlDate, SqlTime, SqlTimestamp};
pub use time::{
    Duration, Instant, LocalDate, LocalDateTime, LocalTime, MonthDay, OffsetDateTime, OffsetTime,
    Period, Year, YearMonth, ZoneId, ZoneOffset, ZonedDateTime,
};
pub use util::{Locale, Uuid};

use crate::Value;

crate::java_type!(
    BigDecimal => "java.math.BigDecimal",
    BigInteger => "java.math.BigInteger",
    LocalDate => "java.time.LocalDate",
    LocalTime => "java.time.LocalTime",
    LocalDateTime => "java.time.LocalDateTime",
    Instant => "java.time.Instant",
    Duration => "java.time.Duration",
    ZoneOffset => "java.time.ZoneOffset",
    ZonedDateTime => "java.time.ZonedDateTime",
    OffsetDateTime => "java.time.OffsetDateTime",
    OffsetTime => "java.time.OffsetTime",
    Year => "java.time.Year",
    YearMonth => "java.time.YearMonth",
    MonthDay => "java.time.MonthDay",
    Period => "java.time.Period",
    ZoneId => "java.time.ZoneId",
    Locale => "java.util.Locale",
    Uuid => "java.util.UUID",
    SqlDate => "java.sql.Date",
    SqlTime => "java.sql.Time",
    SqlTimestamp => "java.sql.Timestamp",
);

/// A field of an object, or the entry of a map under a string key.
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v {
        Value::Object(o) => o.get(name),
        Value::Map(m) => m.get(name),
        _ => None,
    }
}

/// The string of a `{ value: "…" }` object (or map), or a plain string.
fn string_value<'a>(v: &'a Value, java: &str) -> crate::Result<&'a str> {
    let s = match v {
        Value::String(s) => Some(s.as_str()),
        _ => field(v, "value").and_then(Value::as_str),
    };
    s.ok_or_else(|| {
        crate::Error::message(format!(
            "expected a {java} (an object with a string field `value`, or a string), found {}",
            crate::ser::describe(v)
        ))
    })
}
