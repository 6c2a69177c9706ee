//! `java.math`: [`BigDecimal`] and [`BigInteger`].

use std::fmt;
use std::str::FromStr;

use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::{Array, field, string_value};
use crate::{Error, Result, Value};

/// A `java.math.BigDecimal`, kept as the decimal text Java's `toString()` gives
/// (`"12.50"`, `"-1.5E-7"`): no arithmetic, no loss.
///
/// On the wire (hessian-lite): an object of class `java.math.BigDecimal` with one field,
/// `value`, the text. Scale counts in Java (`"1.0"` and `"1.00"` are different values), and
/// here too: equality is textual.
///
/// ```
/// use oxidubbo_hessian2::java::BigDecimal;
///
/// let d: BigDecimal = "-1.5E-7".parse().unwrap();
/// assert_eq!(d.to_string(), "-1.5E-7");
/// assert!("1.2.3".parse::<BigDecimal>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BigDecimal(String);

impl BigDecimal {
    /// Checks `text` against the grammar of Java's `new BigDecimal(String)`: an optional
    /// sign, digits with at most one `.` (at least one digit), then optionally `e`/`E`, an
    /// optional sign and the exponent's digits (which must fit in an `int`).
    ///
    /// # Errors
    ///
    /// Text that Java would reject with a `NumberFormatException`.
    pub fn new(text: impl Into<String>) -> Result<Self> {
        let text = text.into();
        check_decimal(&text)?;
        Ok(BigDecimal(text))
    }

    /// The decimal text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_decimal(text: &str) -> Result<()> {
    let bad = |why: &str| Error::message(format!("invalid BigDecimal {text:?}: {why}"));
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (significand, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let mut digits = 0;
    let mut dots = 0;
    for b in significand.bytes() {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return Err(bad("not a digit")),
        }
    }
    if digits == 0 {
        return Err(bad("no digits"));
    }
    if dots > 1 {
        return Err(bad("more than one `.`"));
    }
    if let Some(exp) = exponent {
        let unsigned_exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if unsigned_exp.is_empty() || !unsigned_exp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("malformed exponent"));
        }
        if exp.strip_prefix('+').unwrap_or(exp).parse::<i32>().is_err() {
            return Err(bad("exponent out of range"));
        }
    }
    Ok(())
}

impl FromStr for BigDecimal {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        BigDecimal::new(s)
    }
}

impl fmt::Display for BigDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<i64> for BigDecimal {
    fn from(v: i64) -> Self {
        BigDecimal(v.to_string())
    }
}

impl From<BigInteger> for BigDecimal {
    fn from(v: BigInteger) -> Self {
        BigDecimal(v.to_string())
    }
}

/// Serializes `{ value: text }` as an object of class `class`.
pub(super) fn serialize_string_value<S: Serializer>(
    serializer: S,
    class: &'static str,
    text: &str,
) -> Result<S::Ok, S::Error> {
    let mut s = serializer.serialize_struct(class, 1)?;
    s.serialize_field("value", text)?;
    s.end()
}

impl Serialize for BigDecimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_string_value(serializer, "java.math.BigDecimal", &self.0)
    }
}

impl<'de> Deserialize<'de> for BigDecimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        string_value(&v, "java.math.BigDecimal")
            .and_then(BigDecimal::new)
            .map_err(D::Error::custom)
    }
}

/// A `java.math.BigInteger`: a sign and a magnitude of any size.
///
/// On the wire (hessian-lite, which writes the JDK's own fields): an object of class
/// `java.math.BigInteger` with `signum` (-1, 0 or 1), `mag` (the magnitude as big-endian
/// 32-bit words, an `[int` list without leading zeros) and the JDK's lazily computed caches
/// (JDK 9+ names, written as 0, "not computed"). Reading needs only `signum` and `mag`, so
/// JDK 8's field names (`bitCount`, …, as dubbo-go-hessian2 writes them) work too, as does a
/// `{ value: "<decimal>" }` object.
///
/// ```
/// use oxidubbo_hessian2::java::BigInteger;
///
/// let n: BigInteger = "-123456789012345678901234567890".parse().unwrap();
/// assert_eq!(n.signum(), -1);
/// assert_eq!(n.to_string(), "-123456789012345678901234567890");
/// assert_eq!(BigInteger::from(255i64).to_i128(), Some(255));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BigInteger {
    negative: bool,
    /// Big-endian words, no leading zero word; empty for zero.
    mag: Vec<u32>,
}

impl BigInteger {
    /// Builds a value from Java's representation: `signum` (-1, 0, 1) and the magnitude as
    /// big-endian 32-bit words (leading zero words are dropped).
    ///
    /// # Errors
    ///
    /// A `signum` outside -1..=1, or 0 with a non-zero magnitude (Java's
    /// "signum-magnitude mismatch").
    pub fn from_signum_mag(signum: i32, mag: &[u32]) -> Result<Self> {
        let start = mag.iter().position(|&w| w != 0).unwrap_or(mag.len());
        let mag = mag[start..].to_vec();
        match signum {
            0 if mag.is_empty() => Ok(BigInteger::default()),
            0 => Err(Error::message("BigInteger signum-magnitude mismatch")),
            -1 | 1 => Ok(BigInteger {
                negative: signum < 0 && !mag.is_empty(),
                mag,
            }),
            other => Err(Error::message(format!("invalid BigInteger signum {other}"))),
        }
    }

    /// -1, 0 or 1.
    pub fn signum(&self) -> i32 {
        match (self.mag.is_empty(), self.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        }
    }

    /// The magnitude as big-endian 32-bit words, without leading zeros (empty for zero).
    pub fn magnitude(&self) -> &[u32] {
        &self.mag
    }

    /// The value as an `i128`, if it fits.
    pub fn to_i128(&self) -> Option<i128> {
        if self.mag.len() > 4 {
            return None;
        }
        let m = self
            .mag
            .iter()
            .fold(0u128, |acc, &w| (acc << 32) | u128::from(w));
        if self.negative {
            0i128.checked_sub_unsigned(m)
        } else {
            i128::try_from(m).ok()
        }
    }

    fn from_u128(negative: bool, mut m: u128) -> Self {
        let mut mag = Vec::new();
        while m != 0 {
            mag.push((m & 0xffff_ffff) as u32);
            m >>= 32;
        }
        mag.reverse();
        BigInteger {
            negative: negative && !mag.is_empty(),
            mag,
        }
    }
}

impl From<i128> for BigInteger {
    fn from(v: i128) -> Self {
        BigInteger::from_u128(v < 0, v.unsigned_abs())
    }
}

impl From<i64> for BigInteger {
    fn from(v: i64) -> Self {
        BigInteger::from(i128::from(v))
    }
}

impl From<u64> for BigInteger {
    fn from(v: u64) -> Self {
        BigInteger::from_u128(false, u128::from(v))
    }
}

/// `mag = mag * mul + add` on big-endian words.
fn mul_add(mag: &mut Vec<u32>, mul: u32, add: u32) {
    let mut carry = u64::from(add);
    for w in mag.iter_mut().rev() {
        let t = u64::from(*w) * u64::from(mul) + carry;
        *w = (t & 0xffff_ffff) as u32;
        carry = t >> 32;
    }
    if carry != 0 {
        mag.insert(0, carry as u32);
    }
}

/// `mag = mag / div`, returning the remainder; drops a leading zero word.
fn div_rem(mag: &mut Vec<u32>, div: u32) -> u32 {
    let mut rem = 0u64;
    for w in mag.iter_mut() {
        let t = (rem << 32) | u64::from(*w);
        *w = (t / u64::from(div)) as u32;
        rem = t % u64::from(div);
    }
    if mag.first() == Some(&0) {
        mag.remove(0);
    }
    rem as u32
}

/// Most decimal digits accepted when parsing (Java's limit is far larger; this bounds
/// the quadratic parse of untrusted text).
const MAX_DIGITS: usize = 100_000;

impl FromStr for BigInteger {
    type Err = Error;

    /// Parses decimal text with an optional sign, like `new BigInteger(String)`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::message(format!("invalid BigInteger {s:?}: {why}"));
        let negative = s.starts_with('-');
        let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("not a decimal integer"));
        }
        if digits.len() > MAX_DIGITS {
            return Err(bad("too many digits"));
        }
        let mut mag = Vec::new();
        for chunk in digits.as_bytes().chunks(9) {
            let value = chunk
                .iter()
                .fold(0u32, |a, &b| a * 10 + u32::from(b - b'0'));
            mul_add(&mut mag, 10u32.pow(chunk.len() as u32), value);
        }
        let start = mag.iter().position(|&w| w != 0).unwrap_or(mag.len());
        mag.drain(..start);
        Ok(BigInteger {
            negative: negative && !mag.is_empty(),
            mag,
        })
    }
}

impl fmt::Display for BigInteger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mag.is_empty() {
            return f.write_str("0");
        }
        let mut mag = self.mag.clone();
        let mut chunks = Vec::new();
        while !mag.is_empty() {
            chunks.push(div_rem(&mut mag, 1_000_000_000));
        }
        let mut out = String::with_capacity(chunks.len() * 9 + 1);
        if self.negative {
            out.push('-');
        }
        let mut rest = chunks.iter().rev();
        if let Some(first) = rest.next() {
            out.push_str(&first.to_string());
        }
        for c in rest {
            out.push_str(&format!("{c:09}"));
        }
        f.write_str(&out)
    }
}

impl Serialize for BigInteger {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The JDK's non-static fields in hessian-lite's order; the caches 0 ("not computed").
        #[allow(clippy::cast_possible_wrap)]
        let mag = Array(self.mag.iter().map(|&w| w as i32).collect::<Vec<i32>>());
        let mut s = serializer.serialize_struct("java.math.BigInteger", 6)?;
        s.serialize_field("mag", &mag)?;
        s.serialize_field("firstNonzeroIntNumPlusTwo", &0i32)?;
        s.serialize_field("lowestSetBitPlusTwo", &0i32)?;
        s.serialize_field("bitLengthPlusOne", &0i32)?;
        s.serialize_field("bitCountPlusOne", &0i32)?;
        s.serialize_field("signum", &self.signum())?;
        s.end()
    }
}

fn big_integer_from_value(v: &Value) -> Result<BigInteger> {
    if let Some(Value::String(s)) = field(v, "value") {
        return s.parse();
    }
    if let Value::String(s) = v {
        return s.parse();
    }
    let bad = || {
        Error::message(format!(
            "expected a java.math.BigInteger (fields `signum` and `mag`), found {}",
            crate::ser::describe(v)
        ))
    };
    let signum = field(v, "signum").and_then(Value::as_i64).ok_or_else(bad)?;
    let words = match field(v, "mag") {
        Some(Value::List(l)) => l
            .items
            .iter()
            .map(|w| match w.as_i64() {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Some(w) if (i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&w) => Ok(w as u32),
                _ => Err(Error::message(format!(
                    "BigInteger `mag` holds {}, not an int",
                    crate::ser::describe(w)
                ))),
            })
            .collect::<Result<Vec<u32>>>()?,
        Some(Value::Null) | None => Vec::new(),
        Some(_) => return Err(bad()),
    };
    let signum = i32::try_from(signum).map_err(|_| bad())?;
    BigInteger::from_signum_mag(signum, &words)
}

impl<'de> Deserialize<'de> for BigInteger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        big_integer_from_value(&v).map_err(D::Error::custom)
    }
}
