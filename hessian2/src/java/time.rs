//! `java.time`: the types hessian-lite writes as handle objects of the package
//! `com.alibaba.com.caucho.hessian.io.java8`.
//!
//! Each public type converts to and from a private handle struct whose serde form is the
//! handle object, fields in hessian-lite's order. Values are checked on the way in (a month
//! of 13 is an error, not a panic).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use handles::*;
use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, Serializer};

use crate::{Date, Error, Result};

/// The serde derives of the handle structs, kept apart from the public types.
mod handles {
    use serde::{Deserialize, Serialize};

    use super::{LocalDate, LocalDateTime, LocalTime, ZoneOffset};

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.YearHandle")]
    pub(super) struct YearHandle {
        pub year: i32,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.YearMonthHandle")]
    pub(super) struct YearMonthHandle {
        pub month: i32,
        pub year: i32,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.MonthDayHandle")]
    pub(super) struct MonthDayHandle {
        pub day: i32,
        pub month: i32,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.PeriodHandle")]
    pub(super) struct PeriodHandle {
        pub days: i32,
        pub months: i32,
        pub years: i32,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.OffsetTimeHandle")]
    pub(super) struct OffsetTimeHandle {
        #[serde(rename = "zoneOffset")]
        pub zone_offset: ZoneOffset,
        #[serde(rename = "localTime")]
        pub local_time: LocalTime,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.ZoneIdHandle")]
    pub(super) struct ZoneIdHandle {
        #[serde(rename = "zoneId")]
        pub zone_id: String,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.LocalDateHandle")]
    pub(super) struct LocalDateHandle {
        pub day: i32,
        pub month: i32,
        pub year: i32,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.LocalTimeHandle")]
    pub(super) struct LocalTimeHandle {
        pub nano: i32,
        pub second: i32,
        pub minute: i32,
        pub hour: i32,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.LocalDateTimeHandle")]
    pub(super) struct LocalDateTimeHandle {
        pub time: LocalTime,
        pub date: LocalDate,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.InstantHandle")]
    pub(super) struct InstantHandle {
        pub nanos: i32,
        pub seconds: i64,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.DurationHandle")]
    pub(super) struct DurationHandle {
        pub nanos: i32,
        pub seconds: i64,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.ZoneOffsetHandle")]
    pub(super) struct ZoneOffsetHandle {
        pub seconds: i32,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.ZonedDateTimeHandle")]
    pub(super) struct ZonedDateTimeHandle {
        pub offset: ZoneOffset,
        #[serde(rename = "dateTime")]
        pub date_time: LocalDateTime,
        #[serde(rename = "zoneId")]
        pub zone_id: String,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "com.alibaba.com.caucho.hessian.io.java8.OffsetDateTimeHandle")]
    pub(super) struct OffsetDateTimeHandle {
        pub offset: ZoneOffset,
        #[serde(rename = "dateTime")]
        pub date_time: LocalDateTime,
    }
}

/// Serde impls through a handle: `Serialize` via `From<&T>`, `Deserialize` via `TryFrom`.
macro_rules! via_handle {
    ($($ty:ty => $handle:ident;)*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $handle::from(self).serialize(serializer)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$ty>::try_from($handle::deserialize(deserializer)?).map_err(D::Error::custom)
            }
        }
    )*};
}

via_handle! {
    LocalDate => LocalDateHandle;
    LocalTime => LocalTimeHandle;
    LocalDateTime => LocalDateTimeHandle;
    Instant => InstantHandle;
    Duration => DurationHandle;
    ZoneOffset => ZoneOffsetHandle;
    ZonedDateTime => ZonedDateTimeHandle;
    OffsetDateTime => OffsetDateTimeHandle;
    Year => YearHandle;
    YearMonth => YearMonthHandle;
    MonthDay => MonthDayHandle;
    Period => PeriodHandle;
    OffsetTime => OffsetTimeHandle;
    ZoneId => ZoneIdHandle;
}

const NANOS_PER_SECOND: u32 = 1_000_000_000;

/// Java's year range (`Year.MIN_VALUE..=Year.MAX_VALUE`).
const YEARS: (i32, i32) = (-999_999_999, 999_999_999);

fn days_in_month(month: u32, leap: bool) -> u32 {
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A year as ISO-8601 (and Java) writes it in dates: at least 4 digits, `+` above 9999.
fn write_iso_year(f: &mut fmt::Formatter<'_>, year: i32) -> fmt::Result {
    match year {
        y if y > 9999 => write!(f, "+{y}"),
        y if y < 0 => write!(f, "-{:04}", y.unsigned_abs()),
        y => write!(f, "{y:04}"),
    }
}

/// A month value read from a handle: out-of-range numbers stay out of range.
fn unsigned(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn range<T: PartialOrd + fmt::Display>(what: &str, v: T, lo: T, hi: T) -> Result<T> {
    if v < lo || v > hi {
        return Err(Error::message(format!(
            "{what} {v} is out of range {lo}..={hi}"
        )));
    }
    Ok(v)
}

fn nanos(what: &str, n: i32) -> Result<u32> {
    u32::try_from(n)
        .ok()
        .filter(|&n| n < NANOS_PER_SECOND)
        .ok_or_else(|| Error::message(format!("{what} nanos {n} is out of range 0..=999999999")))
}

/// A `java.time.LocalDate`: a date without a time zone, in the ISO calendar.
///
/// ```
/// use oxidubbo_hessian2::java::LocalDate;
///
/// let d = LocalDate::new(2024, 2, 29).unwrap();
/// assert_eq!(d.to_string(), "2024-02-29");
/// assert!(LocalDate::new(2023, 2, 29).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDate {
    year: i32,
    month: u8,
    day: u8,
}

impl LocalDate {
    /// The date `year`-`month`-`day`; `year` within Java's ±999,999,999.
    ///
    /// # Errors
    ///
    /// A year, month or day that Java's `LocalDate.of` would reject.
    pub fn new(year: i32, month: u32, day: u32) -> Result<Self> {
        range("LocalDate year", year, YEARS.0, YEARS.1)?;
        let month = range("LocalDate month", month, 1, 12)?;
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let day = range("LocalDate day", day, 1, days_in_month(month, leap))?;
        #[allow(clippy::cast_possible_truncation)]
        Ok(LocalDate {
            year,
            month: month as u8,
            day: day as u8,
        })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// Days since 1970-01-01, negative before (Java's `toEpochDay()`).
    pub fn epoch_day(self) -> i64 {
        // Shift the year to start in March, so the leap day ends it; count 400-year eras.
        let month = i64::from(self.month);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year.rem_euclid(400);
        let march_month = (month + 9) % 12;
        let day_of_year = (153 * march_month + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * DAYS_PER_ERA + day_of_era - DAYS_0000_03_01_TO_EPOCH
    }

    /// The date `days` after 1970-01-01 (Java's `LocalDate.ofEpochDay`).
    ///
    /// # Errors
    ///
    /// A date beyond Java's year range.
    pub fn from_epoch_day(days: i64) -> Result<Self> {
        let out_of_range = || Error::message(format!("epoch day {days} is out of range"));
        if days.unsigned_abs() > 400_000_000_000 {
            return Err(out_of_range());
        }
        let z = days + DAYS_0000_03_01_TO_EPOCH;
        let era = z.div_euclid(DAYS_PER_ERA);
        let day_of_era = z.rem_euclid(DAYS_PER_ERA);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let march_month = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * march_month + 2) / 5 + 1;
        let month = (march_month + 2) % 12 + 1;
        let year = era * 400 + year_of_era + i64::from(month <= 2);
        let year = i32::try_from(year).map_err(|_| out_of_range())?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        LocalDate::new(year, month as u32, day as u32)
    }
}

/// Days in 400 Gregorian years.
const DAYS_PER_ERA: i64 = 146_097;
/// Days from 0000-03-01 to 1970-01-01.
const DAYS_0000_03_01_TO_EPOCH: i64 = 719_468;

impl fmt::Display for LocalDate {
    /// ISO-8601, as Java's `toString()`: `2024-02-29`, `+12345-01-01`, `-0001-01-01`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_iso_year(f, self.year)?;
        write!(f, "-{:02}-{:02}", self.month, self.day)
    }
}

impl From<&LocalDate> for LocalDateHandle {
    fn from(d: &LocalDate) -> Self {
        LocalDateHandle {
            day: i32::from(d.day),
            month: i32::from(d.month),
            year: d.year,
        }
    }
}

impl TryFrom<LocalDateHandle> for LocalDate {
    type Error = Error;

    fn try_from(h: LocalDateHandle) -> Result<Self> {
        LocalDate::new(h.year, unsigned(h.month), unsigned(h.day))
    }
}

/// A `java.time.LocalTime`: a time of day without a time zone, to the nanosecond.
///
/// ```
/// use oxidubbo_hessian2::java::LocalTime;
///
/// let t = LocalTime::new(23, 59, 58, 123_456_789).unwrap();
/// assert_eq!(t.to_string(), "23:59:58.123456789");
/// assert!(LocalTime::new(24, 0, 0, 0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    hour: u8,
    minute: u8,
    second: u8,
    nano: u32,
}

impl LocalTime {
    /// The time `hour`:`minute`:`second`.`nano`.
    ///
    /// # Errors
    ///
    /// A field out of its range (hour 0–23, minute and second 0–59, nano 0–999,999,999).
    pub fn new(hour: u32, minute: u32, second: u32, nano: u32) -> Result<Self> {
        #[allow(clippy::cast_possible_truncation)]
        Ok(LocalTime {
            hour: range("LocalTime hour", hour, 0, 23)? as u8,
            minute: range("LocalTime minute", minute, 0, 59)? as u8,
            second: range("LocalTime second", second, 0, 59)? as u8,
            nano: range("LocalTime nano", nano, 0, NANOS_PER_SECOND - 1)?,
        })
    }

    /// The hour, 0 to 23.
    pub fn hour(self) -> u32 {
        u32::from(self.hour)
    }

    /// The minute, 0 to 59.
    pub fn minute(self) -> u32 {
        u32::from(self.minute)
    }

    /// The second, 0 to 59.
    pub fn second(self) -> u32 {
        u32::from(self.second)
    }

    /// The nanosecond of the second.
    pub fn nano(self) -> u32 {
        self.nano
    }

    /// Seconds since midnight (Java's `toSecondOfDay()`).
    pub fn second_of_day(self) -> u32 {
        u32::from(self.hour) * 3600 + u32::from(self.minute) * 60 + u32::from(self.second)
    }
}

impl fmt::Display for LocalTime {
    /// As Java's `toString()`: `23:59`, `23:59:58`, `23:59:58.120`, `23:59:58.123456789`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)?;
        if self.second == 0 && self.nano == 0 {
            return Ok(());
        }
        write!(f, ":{:02}", self.second)?;
        match self.nano {
            0 => Ok(()),
            n if n % 1_000_000 == 0 => write!(f, ".{:03}", n / 1_000_000),
            n if n % 1_000 == 0 => write!(f, ".{:06}", n / 1_000),
            n => write!(f, ".{n:09}"),
        }
    }
}

impl From<&LocalTime> for LocalTimeHandle {
    #[allow(clippy::cast_possible_wrap)]
    fn from(t: &LocalTime) -> Self {
        LocalTimeHandle {
            nano: t.nano as i32,
            second: i32::from(t.second),
            minute: i32::from(t.minute),
            hour: i32::from(t.hour),
        }
    }
}

impl TryFrom<LocalTimeHandle> for LocalTime {
    type Error = Error;

    fn try_from(h: LocalTimeHandle) -> Result<Self> {
        LocalTime::new(
            unsigned(h.hour),
            unsigned(h.minute),
            unsigned(h.second),
            unsigned(h.nano),
        )
    }
}

/// A `java.time.LocalDateTime`: a [`LocalDate`] and a [`LocalTime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDateTime {
    /// The date.
    pub date: LocalDate,
    /// The time of day.
    pub time: LocalTime,
}

impl LocalDateTime {
    /// The date-time of `date` at `time`.
    pub fn new(date: LocalDate, time: LocalTime) -> Self {
        LocalDateTime { date, time }
    }

    /// The instant at which this date-time is seen with `offset` (Java's
    /// `toInstant(offset)`).
    ///
    /// ```
    /// use oxidubbo_hessian2::java::{LocalDate, LocalDateTime, LocalTime, ZoneOffset};
    ///
    /// let noon = LocalDateTime::new(LocalDate::new(2024, 6, 1)?, LocalTime::new(12, 0, 0, 0)?);
    /// let i = noon.to_instant(ZoneOffset::new(7200)?)?;
    /// assert_eq!(i.seconds(), 1_717_236_000); // 2024-06-01T10:00:00Z
    /// assert_eq!(LocalDateTime::from_instant(i, ZoneOffset::new(7200)?)?, noon);
    /// # Ok::<(), oxidubbo_hessian2::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// An instant beyond Java's `Instant` range.
    pub fn to_instant(self, offset: ZoneOffset) -> Result<Instant> {
        let seconds = self.date.epoch_day() * 86_400 + i64::from(self.time.second_of_day())
            - i64::from(offset.seconds);
        Instant::new(seconds, self.time.nano)
    }

    /// The date-time that `instant` is at `offset` (Java's `ofInstant`).
    ///
    /// # Errors
    ///
    /// A date beyond Java's year range.
    pub fn from_instant(instant: Instant, offset: ZoneOffset) -> Result<Self> {
        let local = instant.seconds + i64::from(offset.seconds);
        let date = LocalDate::from_epoch_day(local.div_euclid(86_400))?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let second = local.rem_euclid(86_400) as u32;
        let time = LocalTime::new(second / 3600, second / 60 % 60, second % 60, instant.nanos)?;
        Ok(LocalDateTime { date, time })
    }
}

impl fmt::Display for LocalDateTime {
    /// As Java's `toString()`: `1999-12-31T23:59:59.000000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}T{}", self.date, self.time)
    }
}

impl From<&LocalDateTime> for LocalDateTimeHandle {
    fn from(dt: &LocalDateTime) -> Self {
        LocalDateTimeHandle {
            time: dt.time,
            date: dt.date,
        }
    }
}

impl TryFrom<LocalDateTimeHandle> for LocalDateTime {
    type Error = Error;

    fn try_from(h: LocalDateTimeHandle) -> Result<Self> {
        Ok(LocalDateTime::new(h.date, h.time))
    }
}

/// Java's `Instant.MIN` and `Instant.MAX` in epoch seconds.
const INSTANT_SECONDS: (i64, i64) = (-31_557_014_167_219_200, 31_556_889_864_403_199);

/// A `java.time.Instant`: seconds since the Unix epoch and a nanosecond within the second
/// (for times before 1970 the seconds are negative and the nanoseconds still count forward).
///
/// ```
/// use oxidubbo_hessian2::java::Instant;
/// use oxidubbo_hessian2::Date;
///
/// let i = Instant::new(-1, 500).unwrap(); // 1969-12-31T23:59:59.000000500Z
/// assert_eq!(Date::from(i), Date(-1000));
/// assert_eq!(Instant::from(Date(-1)), Instant::new(-1, 999_000_000).unwrap());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    seconds: i64,
    nanos: u32,
}

impl Instant {
    /// `seconds` since the epoch plus `nanos` (below one second).
    ///
    /// # Errors
    ///
    /// `nanos` of a second or more, or seconds outside Java's `Instant.MIN..=Instant.MAX`.
    pub fn new(seconds: i64, nanos: u32) -> Result<Self> {
        range(
            "Instant seconds",
            seconds,
            INSTANT_SECONDS.0,
            INSTANT_SECONDS.1,
        )?;
        range("Instant nanos", nanos, 0, NANOS_PER_SECOND - 1)?;
        Ok(Instant { seconds, nanos })
    }

    /// Seconds since the epoch (`getEpochSecond()`).
    pub fn seconds(self) -> i64 {
        self.seconds
    }

    /// The nanosecond within the second (`getNano()`).
    pub fn nanos(self) -> u32 {
        self.nanos
    }
}

impl From<Date> for Instant {
    fn from(d: Date) -> Self {
        let seconds = d.0.div_euclid(1000);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let nanos = d.0.rem_euclid(1000) as u32 * 1_000_000;
        Instant { seconds, nanos }
    }
}

impl From<Instant> for Date {
    /// Whole milliseconds, rounding towards the past (like `Date.from(instant)`), saturating
    /// at the limits of an `i64`.
    fn from(i: Instant) -> Self {
        let ms = i
            .seconds
            .saturating_mul(1000)
            .saturating_add(i64::from(i.nanos / 1_000_000));
        Date(ms)
    }
}

impl From<SystemTime> for Instant {
    /// Saturates at Java's `Instant.MIN`/`Instant.MAX`.
    fn from(t: SystemTime) -> Self {
        let (seconds, nanos) = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                d.subsec_nanos(),
            ),
            Err(e) => {
                let d = e.duration();
                let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                match d.subsec_nanos() {
                    0 => (-secs, 0),
                    n => (-secs - 1, NANOS_PER_SECOND - n),
                }
            }
        };
        if seconds < INSTANT_SECONDS.0 {
            return Instant {
                seconds: INSTANT_SECONDS.0,
                nanos: 0,
            };
        }
        if seconds > INSTANT_SECONDS.1 {
            return Instant {
                seconds: INSTANT_SECONDS.1,
                nanos: NANOS_PER_SECOND - 1,
            };
        }
        Instant { seconds, nanos }
    }
}

impl TryFrom<Instant> for SystemTime {
    type Error = Error;

    /// Fails when the platform's `SystemTime` cannot represent the instant.
    fn try_from(i: Instant) -> Result<Self> {
        let t = if i.seconds >= 0 {
            UNIX_EPOCH.checked_add(std::time::Duration::new(i.seconds.unsigned_abs(), i.nanos))
        } else {
            UNIX_EPOCH
                .checked_sub(std::time::Duration::from_secs(i.seconds.unsigned_abs()))
                .and_then(|t| t.checked_add(std::time::Duration::from_nanos(u64::from(i.nanos))))
        };
        t.ok_or_else(|| Error::message(format!("instant {i:?} is out of range for SystemTime")))
    }
}

impl From<&Instant> for InstantHandle {
    #[allow(clippy::cast_possible_wrap)]
    fn from(i: &Instant) -> Self {
        InstantHandle {
            nanos: i.nanos as i32,
            seconds: i.seconds,
        }
    }
}

impl TryFrom<InstantHandle> for Instant {
    type Error = Error;

    fn try_from(h: InstantHandle) -> Result<Self> {
        Instant::new(h.seconds, nanos("Instant", h.nanos)?)
    }
}

/// A `java.time.Duration`: seconds (possibly negative) and a nanosecond adjustment that
/// counts forward, as Java keeps it (`-0.5 s` is `seconds = -1, nanos = 500_000_000`).
///
/// ```
/// use oxidubbo_hessian2::java::Duration;
///
/// let d = Duration::try_from(std::time::Duration::from_millis(1500)).unwrap();
/// assert_eq!((d.seconds(), d.nanos()), (1, 500_000_000));
/// assert!(std::time::Duration::try_from(Duration::new(-1, 0).unwrap()).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: i64,
    nanos: u32,
}

impl Duration {
    /// `seconds` plus `nanos` (below one second).
    ///
    /// # Errors
    ///
    /// `nanos` of a second or more.
    pub fn new(seconds: i64, nanos: u32) -> Result<Self> {
        range("Duration nanos", nanos, 0, NANOS_PER_SECOND - 1)?;
        Ok(Duration { seconds, nanos })
    }

    /// The seconds (`getSeconds()`).
    pub fn seconds(self) -> i64 {
        self.seconds
    }

    /// The nanosecond adjustment, 0 to 999,999,999 (`getNano()`).
    pub fn nanos(self) -> u32 {
        self.nanos
    }
}

impl TryFrom<std::time::Duration> for Duration {
    type Error = Error;

    /// Fails for durations of more than `i64::MAX` seconds.
    fn try_from(d: std::time::Duration) -> Result<Self> {
        let seconds = i64::try_from(d.as_secs())
            .map_err(|_| Error::message(format!("duration {d:?} is too long for Java")))?;
        Ok(Duration {
            seconds,
            nanos: d.subsec_nanos(),
        })
    }
}

impl TryFrom<Duration> for std::time::Duration {
    type Error = Error;

    /// Fails for negative durations.
    fn try_from(d: Duration) -> Result<Self> {
        let secs = u64::try_from(d.seconds)
            .map_err(|_| Error::message(format!("duration {d:?} is negative")))?;
        Ok(std::time::Duration::new(secs, d.nanos))
    }
}

impl From<&Duration> for DurationHandle {
    #[allow(clippy::cast_possible_wrap)]
    fn from(d: &Duration) -> Self {
        DurationHandle {
            nanos: d.nanos as i32,
            seconds: d.seconds,
        }
    }
}

impl TryFrom<DurationHandle> for Duration {
    type Error = Error;

    fn try_from(h: DurationHandle) -> Result<Self> {
        Duration::new(h.seconds, nanos("Duration", h.nanos)?)
    }
}

/// A `java.time.ZoneOffset`: an offset from UTC in seconds, within ±18 hours.
///
/// ```
/// use oxidubbo_hessian2::java::ZoneOffset;
///
/// assert_eq!(ZoneOffset::new(5 * 3600 + 1800).unwrap().to_string(), "+05:30");
/// assert_eq!(ZoneOffset::UTC.to_string(), "Z");
/// assert!(ZoneOffset::new(19 * 3600).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZoneOffset {
    seconds: i32,
}

impl ZoneOffset {
    /// UTC: an offset of zero.
    pub const UTC: ZoneOffset = ZoneOffset { seconds: 0 };

    /// The offset of `seconds` east of UTC.
    ///
    /// # Errors
    ///
    /// An offset beyond ±18 hours.
    pub fn new(seconds: i32) -> Result<Self> {
        range("ZoneOffset seconds", seconds, -18 * 3600, 18 * 3600)?;
        Ok(ZoneOffset { seconds })
    }

    /// The offset in seconds (`getTotalSeconds()`).
    pub fn seconds(self) -> i32 {
        self.seconds
    }
}

impl fmt::Display for ZoneOffset {
    /// As Java's `getId()`: `Z`, `+05:30`, `-03:00`, `+01:02:03`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.seconds == 0 {
            return f.write_str("Z");
        }
        let sign = if self.seconds < 0 { '-' } else { '+' };
        let s = self.seconds.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", s / 3600, s / 60 % 60)?;
        match s % 60 {
            0 => Ok(()),
            sec => write!(f, ":{sec:02}"),
        }
    }
}

impl From<&ZoneOffset> for ZoneOffsetHandle {
    fn from(o: &ZoneOffset) -> Self {
        ZoneOffsetHandle { seconds: o.seconds }
    }
}

impl TryFrom<ZoneOffsetHandle> for ZoneOffset {
    type Error = Error;

    fn try_from(h: ZoneOffsetHandle) -> Result<Self> {
        ZoneOffset::new(h.seconds)
    }
}

/// A `java.time.ZonedDateTime`: a local date-time, its offset from UTC and the zone's ID
/// (`Europe/Paris`, or an offset ID such as `+02:00`).
///
/// The zone's rules are Java's business: Java rebuilds the value with
/// `ZonedDateTime.ofLocal(dateTime, ZoneId.of(zoneId), offset)`, so an unknown zone ID is an
/// error there, not here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ZonedDateTime {
    /// The local date-time.
    pub date_time: LocalDateTime,
    /// The offset in effect.
    pub offset: ZoneOffset,
    /// The zone's ID.
    pub zone_id: String,
}

impl ZonedDateTime {
    /// The instant this date-time stands for (its local date-time at its offset).
    ///
    /// # Errors
    ///
    /// An instant beyond Java's `Instant` range.
    pub fn to_instant(&self) -> Result<Instant> {
        self.date_time.to_instant(self.offset)
    }
}

impl fmt::Display for ZonedDateTime {
    /// As Java's `toString()`: `2024-06-01T12:00+02:00[Europe/Paris]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.date_time, self.offset)?;
        if self.zone_id != self.offset.to_string() {
            write!(f, "[{}]", self.zone_id)?;
        }
        Ok(())
    }
}

impl From<&ZonedDateTime> for ZonedDateTimeHandle {
    fn from(z: &ZonedDateTime) -> Self {
        ZonedDateTimeHandle {
            offset: z.offset,
            date_time: z.date_time,
            zone_id: z.zone_id.clone(),
        }
    }
}

impl TryFrom<ZonedDateTimeHandle> for ZonedDateTime {
    type Error = Error;

    fn try_from(h: ZonedDateTimeHandle) -> Result<Self> {
        Ok(ZonedDateTime {
            date_time: h.date_time,
            offset: h.offset,
            zone_id: h.zone_id,
        })
    }
}

/// A `java.time.OffsetDateTime`: a local date-time and its offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OffsetDateTime {
    /// The local date-time.
    pub date_time: LocalDateTime,
    /// The offset.
    pub offset: ZoneOffset,
}

impl OffsetDateTime {
    /// The instant this date-time stands for.
    ///
    /// # Errors
    ///
    /// An instant beyond Java's `Instant` range.
    pub fn to_instant(&self) -> Result<Instant> {
        self.date_time.to_instant(self.offset)
    }
}

impl fmt::Display for OffsetDateTime {
    /// As Java's `toString()`: `2024-06-01T12:00-03:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.date_time, self.offset)
    }
}

impl From<&OffsetDateTime> for OffsetDateTimeHandle {
    fn from(o: &OffsetDateTime) -> Self {
        OffsetDateTimeHandle {
            offset: o.offset,
            date_time: o.date_time,
        }
    }
}

impl TryFrom<OffsetDateTimeHandle> for OffsetDateTime {
    type Error = Error;

    fn try_from(h: OffsetDateTimeHandle) -> Result<Self> {
        Ok(OffsetDateTime {
            date_time: h.date_time,
            offset: h.offset,
        })
    }
}

/// A `java.time.Year`: a year of the ISO calendar, within ±999,999,999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Year(i32);

impl Year {
    /// The year `year`.
    ///
    /// # Errors
    ///
    /// A year beyond ±999,999,999.
    pub fn new(year: i32) -> Result<Self> {
        range("Year", year, YEARS.0, YEARS.1).map(Year)
    }

    /// The year's number (`getValue()`).
    pub fn value(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Year {
    /// The number, as Java's `toString()`: `2024`, `-44`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<&Year> for YearHandle {
    fn from(y: &Year) -> Self {
        YearHandle { year: y.0 }
    }
}

impl TryFrom<YearHandle> for Year {
    type Error = Error;

    fn try_from(h: YearHandle) -> Result<Self> {
        Year::new(h.year)
    }
}

/// A `java.time.YearMonth`: a month of a year (`2024-02`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u8,
}

impl YearMonth {
    /// The month `month` (1 to 12) of `year`.
    ///
    /// # Errors
    ///
    /// A year beyond ±999,999,999 or a month outside 1–12.
    pub fn new(year: i32, month: u32) -> Result<Self> {
        range("YearMonth year", year, YEARS.0, YEARS.1)?;
        #[allow(clippy::cast_possible_truncation)]
        let month = range("YearMonth month", month, 1, 12)? as u8;
        Ok(YearMonth { year, month })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }
}

impl fmt::Display for YearMonth {
    /// As Java's `toString()`: `2024-02`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_iso_year(f, self.year)?;
        write!(f, "-{:02}", self.month)
    }
}

impl From<&YearMonth> for YearMonthHandle {
    fn from(ym: &YearMonth) -> Self {
        YearMonthHandle {
            month: i32::from(ym.month),
            year: ym.year,
        }
    }
}

impl TryFrom<YearMonthHandle> for YearMonth {
    type Error = Error;

    fn try_from(h: YearMonthHandle) -> Result<Self> {
        YearMonth::new(h.year, unsigned(h.month))
    }
}

/// A `java.time.MonthDay`: a day of a month, in any year (`--02-29`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: u8,
    day: u8,
}

impl MonthDay {
    /// The day `day` of `month` (February 29 is allowed, as in Java).
    ///
    /// # Errors
    ///
    /// A month outside 1–12, or a day the month never has.
    pub fn new(month: u32, day: u32) -> Result<Self> {
        let month = range("MonthDay month", month, 1, 12)?;
        let day = range("MonthDay day", day, 1, days_in_month(month, true))?;
        #[allow(clippy::cast_possible_truncation)]
        Ok(MonthDay {
            month: month as u8,
            day: day as u8,
        })
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u32 {
        u32::from(self.day)
    }
}

impl fmt::Display for MonthDay {
    /// As Java's `toString()`: `--02-29`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--{:02}-{:02}", self.month, self.day)
    }
}

impl From<&MonthDay> for MonthDayHandle {
    fn from(md: &MonthDay) -> Self {
        MonthDayHandle {
            day: i32::from(md.day),
            month: i32::from(md.month),
        }
    }
}

impl TryFrom<MonthDayHandle> for MonthDay {
    type Error = Error;

    fn try_from(h: MonthDayHandle) -> Result<Self> {
        MonthDay::new(unsigned(h.month), unsigned(h.day))
    }
}

/// A `java.time.Period`: years, months and days, each any `int` (`P1Y-2M30D`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Period {
    /// The years.
    pub years: i32,
    /// The months.
    pub months: i32,
    /// The days.
    pub days: i32,
}

impl fmt::Display for Period {
    /// As Java's `toString()`: `P1Y-2M30D`, `P0D`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Period::default() {
            return f.write_str("P0D");
        }
        f.write_str("P")?;
        for (n, unit) in [(self.years, 'Y'), (self.months, 'M'), (self.days, 'D')] {
            if n != 0 {
                write!(f, "{n}{unit}")?;
            }
        }
        Ok(())
    }
}

impl From<&Period> for PeriodHandle {
    fn from(p: &Period) -> Self {
        PeriodHandle {
            days: p.days,
            months: p.months,
            years: p.years,
        }
    }
}

impl TryFrom<PeriodHandle> for Period {
    type Error = Error;

    fn try_from(h: PeriodHandle) -> Result<Self> {
        Ok(Period {
            years: h.years,
            months: h.months,
            days: h.days,
        })
    }
}

/// A `java.time.OffsetTime`: a time of day and its offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OffsetTime {
    /// The local time.
    pub time: LocalTime,
    /// The offset.
    pub offset: ZoneOffset,
}

impl fmt::Display for OffsetTime {
    /// As Java's `toString()`: `07:30:15.500+09:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.time, self.offset)
    }
}

impl From<&OffsetTime> for OffsetTimeHandle {
    fn from(t: &OffsetTime) -> Self {
        OffsetTimeHandle {
            zone_offset: t.offset,
            local_time: t.time,
        }
    }
}

impl TryFrom<OffsetTimeHandle> for OffsetTime {
    type Error = Error;

    fn try_from(h: OffsetTimeHandle) -> Result<Self> {
        Ok(OffsetTime {
            time: h.local_time,
            offset: h.zone_offset,
        })
    }
}

/// A `java.time.ZoneId` that is a region (`America/New_York`), kept as its ID; Java resolves
/// it with `ZoneId.of`. A `ZoneOffset` is a [`ZoneOffset`] (Java writes it as one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ZoneId(pub String);

impl fmt::Display for ZoneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&ZoneId> for ZoneIdHandle {
    fn from(z: &ZoneId) -> Self {
        ZoneIdHandle {
            zone_id: z.0.clone(),
        }
    }
}

impl TryFrom<ZoneIdHandle> for ZoneId {
    type Error = Error;

    fn try_from(h: ZoneIdHandle) -> Result<Self> {
        Ok(ZoneId(h.zone_id))
    }
}
