//! The streaming Hessian 2.0 encoder.
//!
//! [`Encoder`] writes values exactly as Java's `Hessian2Output` (hessian-lite) does:
//! the smallest int/long/double forms, dates in minutes when possible, strings counted
//! in UTF-16 units with surrogate pairs as two 3-byte sequences and `R` chunks of 0x8000
//! units, compact list forms, class definitions written once and type names written once
//! and then referenced by index. Several values written by one encoder share one
//! reference, class-definition and type table, like the values of one Dubbo body.

use std::collections::HashMap;
use std::io::Write;

use crate::Str;
use crate::constants::*;
use crate::error::{Error, Result};
use crate::value::{List, Map, Object, Value};

/// Settings of an [`Encoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderOptions {
    /// Size of the non-final `A` chunks of a large binary (1–65535, clamped).
    ///
    /// Java splits binaries where its internal buffer fills up, so the split points depend
    /// on what was written before; decoders accept any chunking. The default, 8189, is what
    /// current hessian-lite (8 KiB buffer) writes for a binary that starts on a fresh
    /// buffer; old Java Hessian (4 KiB buffer, as in the hessian.js fixtures) wrote 4093.
    pub binary_chunk_size: usize,
    /// Deepest nesting of lists, maps and objects [`Encoder::write_value`] accepts
    /// (guards the stack against pathological [`Value`] trees). Default 1024.
    pub max_depth: usize,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        EncoderOptions {
            binary_chunk_size: 8189,
            max_depth: 1024,
        }
    }
}

/// A class definition already written to this stream.
#[derive(Debug)]
struct ClassDef {
    fields: Vec<Str>,
    index: u32,
}

/// Streaming Hessian 2.0 encoder over any [`Write`].
///
/// All values written by one encoder share one reference, class-definition and type
/// table (a Dubbo body); [`Encoder::reset`] starts a new body. The encoder issues many
/// small writes: give it a `Vec<u8>` (the fast path) or a buffered writer.
///
/// ```
/// use oxidubbo_hessian2::{Encoder, Value};
///
/// let mut enc = Encoder::new(Vec::new());
/// enc.write_str("2.0.2")?;
/// enc.write_i32(48)?;
/// enc.write_value(&Value::Null)?;
/// assert_eq!(enc.into_inner(), b"\x052.0.2\xc8\x30N");
/// # Ok::<(), oxidubbo_hessian2::Error>(())
/// ```
#[derive(Debug)]
pub struct Encoder<W: Write> {
    w: W,
    opts: EncoderOptions,
    /// Number of lists, maps and objects begun so far (the next ref number).
    refs: u32,
    /// Class definitions by class name (one name may have several field sets); short
    /// names are inline, so a body with small classes fills the table without copies.
    classes: HashMap<Str, Vec<ClassDef>>,
    class_count: u32,
    /// Type names already written, with their index.
    types: HashMap<Str, u32>,
    depth: usize,
}

impl<W: Write> Encoder<W> {
    /// An encoder with default [`EncoderOptions`].
    pub fn new(w: W) -> Self {
        Self::with_options(w, EncoderOptions::default())
    }

    /// An encoder with the given options.
    pub fn with_options(w: W, opts: EncoderOptions) -> Self {
        let opts = EncoderOptions {
            binary_chunk_size: opts.binary_chunk_size.clamp(1, 0xffff),
            ..opts
        };
        Encoder {
            w,
            opts,
            refs: 0,
            classes: HashMap::new(),
            class_count: 0,
            types: HashMap::new(),
            depth: 0,
        }
    }

    /// Clears the reference, class-definition and type tables (Java's `reset()`), so the
    /// next value starts a new body.
    pub fn reset(&mut self) {
        self.refs = 0;
        self.classes.clear();
        self.class_count = 0;
        self.types.clear();
        self.depth = 0;
    }

    /// The writer.
    pub fn get_ref(&self) -> &W {
        &self.w
    }

    /// The writer, mutably (writing to it directly bypasses the encoder's tables).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.w
    }

    /// Consumes the encoder and returns the writer.
    pub fn into_inner(self) -> W {
        self.w
    }

    /// The ref number the next list, map or object will take (the number begun so far).
    pub fn next_ref(&self) -> u32 {
        self.refs
    }

    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.w.write_all(bytes)?;
        Ok(())
    }

    fn take_ref(&mut self) -> Result<()> {
        self.refs = self
            .refs
            .checked_add(1)
            .ok_or_else(|| Error::Encode("more than u32::MAX references".into()))?;
        Ok(())
    }

    /// Writes `N` (null).
    pub fn write_null(&mut self) -> Result<()> {
        self.put(&[BC_NULL])
    }

    /// Writes `T` or `F`.
    pub fn write_bool(&mut self, v: bool) -> Result<()> {
        self.put(&[if v { BC_TRUE } else { BC_FALSE }])
    }

    /// Writes an int in its smallest form (`80`–`bf`, `c0`–`cf`, `d0`–`d7`, `I`).
    #[inline]
    pub fn write_i32(&mut self, v: i32) -> Result<()> {
        let mut b = [0u8; 5];
        let n = encode_int(v, &mut b);
        self.put(&b[..n])
    }

    /// Writes a long in its smallest form (`d8`–`ef`, `f0`–`ff`, `38`–`3f`, `59`, `L`).
    #[inline]
    pub fn write_i64(&mut self, v: i64) -> Result<()> {
        let mut b = [0u8; 9];
        let n = if (-8..=15).contains(&v) {
            b[0] = (i64::from(BC_LONG_ZERO) + v) as u8;
            1
        } else if (-2048..=2047).contains(&v) {
            b[0] = (i64::from(BC_LONG_BYTE_ZERO) + (v >> 8)) as u8;
            b[1] = v as u8;
            2
        } else if (-262_144..=262_143).contains(&v) {
            b[0] = (i64::from(BC_LONG_SHORT_ZERO) + (v >> 16)) as u8;
            b[1] = (v >> 8) as u8;
            b[2] = v as u8;
            3
        } else if let Ok(i) = i32::try_from(v) {
            b[0] = BC_LONG_INT;
            b[1..5].copy_from_slice(&i.to_be_bytes());
            5
        } else {
            b[0] = BC_LONG;
            b[1..9].copy_from_slice(&v.to_be_bytes());
            9
        };
        self.put(&b[..n])
    }

    /// Writes a double as Java does: `5b`/`5c` for 0/1, `5d`/`5e` for whole numbers in
    /// byte/short range, `5f` (int32 thousandths) when exact, else `D`.
    ///
    /// Like Java, `-0.0` is written as `5b` (it decodes as `+0.0`) and every NaN is written
    /// as the canonical NaN `7ff8000000000000`.
    pub fn write_f64(&mut self, v: f64) -> Result<()> {
        // `as i32` saturates and maps NaN to 0, exactly like Java's `(int)` cast.
        let int_value = v as i32;
        if f64::from(int_value) == v {
            if int_value == 0 {
                return self.put(&[BC_DOUBLE_ZERO]);
            }
            if int_value == 1 {
                return self.put(&[BC_DOUBLE_ONE]);
            }
            if let Ok(b) = i8::try_from(int_value) {
                return self.put(&[BC_DOUBLE_BYTE, b as u8]);
            }
            if let Ok(s) = i16::try_from(int_value) {
                let [b1, b0] = s.to_be_bytes();
                return self.put(&[BC_DOUBLE_SHORT, b1, b0]);
            }
        }
        let mills = (v * 1000.0) as i32;
        if 0.001 * f64::from(mills) == v {
            let [b3, b2, b1, b0] = mills.to_be_bytes();
            return self.put(&[BC_DOUBLE_MILL, b3, b2, b1, b0]);
        }
        let bits = if v.is_nan() {
            0x7ff8_0000_0000_0000u64
        } else {
            v.to_bits()
        };
        let mut b = [0u8; 9];
        b[0] = BC_DOUBLE;
        b[1..9].copy_from_slice(&bits.to_be_bytes());
        self.put(&b)
    }

    /// Writes a date (ms since the epoch, UTC): `4b` + minutes when `ms` is a whole number
    /// of minutes that fits in 32 bits, else `4a` + ms.
    pub fn write_date(&mut self, ms: i64) -> Result<()> {
        if ms % 60_000 == 0 {
            if let Ok(minutes) = i32::try_from(ms / 60_000) {
                let [b3, b2, b1, b0] = minutes.to_be_bytes();
                return self.put(&[BC_DATE_MINUTE, b3, b2, b1, b0]);
            }
        }
        let mut b = [0u8; 9];
        b[0] = BC_DATE;
        b[1..9].copy_from_slice(&ms.to_be_bytes());
        self.put(&b)
    }

    /// Writes a string: length in UTF-16 units, characters beyond the BMP as two 3-byte
    /// surrogate sequences, `R` chunks of 0x8000 units (0x7fff when a pair would be split).
    pub fn write_str(&mut self, s: &str) -> Result<()> {
        let bytes = s.as_bytes();
        if bytes.is_ascii() {
            self.write_ascii(bytes)
        } else {
            self.write_str_general(s)
        }
    }

    /// ASCII fast path: units == bytes.
    fn write_ascii(&mut self, mut b: &[u8]) -> Result<()> {
        while b.len() > STRING_CHUNK_UNITS {
            let (chunk, rest) = b.split_at(STRING_CHUNK_UNITS);
            self.put(&[BC_STRING_CHUNK, 0x80, 0x00])?;
            self.put(chunk)?;
            b = rest;
        }
        self.string_header(b.len())?;
        self.put(b)
    }

    fn write_str_general(&mut self, s: &str) -> Result<()> {
        let mut rest = s;
        let mut remaining = utf16_len(s.as_bytes());
        while remaining > STRING_CHUNK_UNITS {
            let (end, units) = prefix_units(rest, STRING_CHUNK_UNITS);
            let (chunk, tail) = rest.split_at(end);
            let [hi, lo] = (units as u16).to_be_bytes();
            self.put(&[BC_STRING_CHUNK, hi, lo])?;
            self.put_cesu(chunk)?;
            rest = tail;
            remaining -= units;
        }
        self.string_header(remaining)?;
        self.put_cesu(rest)
    }

    /// Header of a final string piece of `units` UTF-16 units (at most 0x8000).
    fn string_header(&mut self, units: usize) -> Result<()> {
        if units <= STRING_DIRECT_MAX {
            self.put(&[units as u8])
        } else if units <= STRING_SHORT_MAX {
            self.put(&[BC_STRING_SHORT + (units >> 8) as u8, units as u8])
        } else {
            self.put(&[BC_STRING, (units >> 8) as u8, units as u8])
        }
    }

    /// Writes UTF-8 text, replacing every 4-byte sequence by its two 3-byte surrogates.
    fn put_cesu(&mut self, s: &str) -> Result<()> {
        let mut bytes = s.as_bytes();
        while let Some(pos) = bytes.iter().position(|&b| b >= 0xf0) {
            let (run, tail) = bytes.split_at(pos);
            self.put(run)?;
            let Some((quad, tail)) = tail.split_first_chunk::<4>() else {
                // Unreachable for a `&str`; keep the bytes rather than panic.
                return self.put(tail);
            };
            let cp = (u32::from(quad[0] & 0x07) << 18)
                | (u32::from(quad[1] & 0x3f) << 12)
                | (u32::from(quad[2] & 0x3f) << 6)
                | u32::from(quad[3] & 0x3f);
            let c = cp - 0x1_0000;
            let hi = 0xd800 + (c >> 10);
            let lo = 0xdc00 + (c & 0x3ff);
            let six = [
                0xe0 | (hi >> 12) as u8,
                0x80 | ((hi >> 6) & 0x3f) as u8,
                0x80 | (hi & 0x3f) as u8,
                0xe0 | (lo >> 12) as u8,
                0x80 | ((lo >> 6) & 0x3f) as u8,
                0x80 | (lo & 0x3f) as u8,
            ];
            self.put(&six)?;
            bytes = tail;
        }
        self.put(bytes)
    }

    /// Writes a binary: `20`–`2f`, `34`–`37`, `B`, with `A` chunks of
    /// [`EncoderOptions::binary_chunk_size`] for large values.
    pub fn write_bytes(&mut self, mut b: &[u8]) -> Result<()> {
        let chunk = self.opts.binary_chunk_size;
        while b.len() > chunk {
            let (head, rest) = b.split_at(chunk);
            let [hi, lo] = (chunk as u16).to_be_bytes();
            self.put(&[BC_BINARY_CHUNK, hi, lo])?;
            self.put(head)?;
            b = rest;
        }
        let len = b.len();
        if len <= BINARY_DIRECT_MAX {
            self.put(&[BC_BINARY_DIRECT + len as u8])?;
        } else if len <= BINARY_SHORT_MAX {
            self.put(&[BC_BINARY_SHORT + (len >> 8) as u8, len as u8])?;
        } else {
            self.put(&[BC_BINARY, (len >> 8) as u8, len as u8])?;
        }
        self.put(b)
    }

    /// Writes a type name: the string on first use in this stream, its int index after.
    fn write_type(&mut self, type_name: &str) -> Result<()> {
        if type_name.is_empty() {
            return Err(Error::Encode("empty type name".into()));
        }
        if let Some(&index) = self.types.get(type_name) {
            return self.write_i32(index as i32);
        }
        let index = self.types.len() as u32;
        self.types.insert(type_name.into(), index);
        self.write_str(type_name)
    }

    /// Begins a list and takes the next ref number.
    ///
    /// `len: Some(n)` writes a fixed-length list (`78+n`/`70+n` for n ≤ 7, else `58`/`V`),
    /// `None` a variable-length one (`57`/`55`). `type_name` `None` writes an untyped list
    /// (Java `ArrayList`). Returns `true` when the list is variable-length and must be closed
    /// with [`Encoder::write_list_end`]; a fixed-length list is complete after its `n`
    /// values and must not be closed.
    pub fn write_list_begin(
        &mut self,
        len: Option<usize>,
        type_name: Option<&str>,
    ) -> Result<bool> {
        self.take_ref()?;
        match (len, type_name) {
            (Some(n), None) if n <= LIST_DIRECT_MAX => {
                self.put(&[BC_LIST_DIRECT_UNTYPED + n as u8])?;
            }
            (Some(n), Some(t)) if n <= LIST_DIRECT_MAX => {
                self.put(&[BC_LIST_DIRECT + n as u8])?;
                self.write_type(t)?;
            }
            (Some(n), t) => {
                let n = i32::try_from(n)
                    .map_err(|_| Error::Encode(format!("list length {n} exceeds i32")))?;
                match t {
                    None => self.put(&[BC_LIST_FIXED_UNTYPED])?,
                    Some(t) => {
                        self.put(&[BC_LIST_FIXED])?;
                        self.write_type(t)?;
                    }
                }
                self.write_i32(n)?;
            }
            (None, None) => self.put(&[BC_LIST_VARIABLE_UNTYPED])?,
            (None, Some(t)) => {
                self.put(&[BC_LIST_VARIABLE])?;
                self.write_type(t)?;
            }
        }
        Ok(len.is_none())
    }

    /// Ends a variable-length list (`Z`). Only for lists begun with `len: None`.
    pub fn write_list_end(&mut self) -> Result<()> {
        self.put(&[BC_END])
    }

    /// Begins a map and takes the next ref number: `H` when `type_name` is `None`
    /// (Java `HashMap`), else `M` and the type. Write keys and values alternately, then
    /// [`Encoder::write_map_end`].
    pub fn write_map_begin(&mut self, type_name: Option<&str>) -> Result<()> {
        self.take_ref()?;
        match type_name {
            None => self.put(&[BC_MAP_UNTYPED]),
            Some(t) => {
                self.put(&[BC_MAP])?;
                self.write_type(t)
            }
        }
    }

    /// Ends a map (`Z`).
    pub fn write_map_end(&mut self) -> Result<()> {
        self.put(&[BC_END])
    }

    /// Begins an object instance of `class` with the given field names and takes the next
    /// ref number. On the first use of this class (with these fields) in the stream it
    /// writes the `C` definition; then it writes the instance header (`60+i` or `O i`).
    ///
    /// The caller must then write exactly `fields.len()` values, in order. Returns `true`
    /// when the definition was written by this call (first use), `false` when an earlier
    /// definition was reused.
    pub fn write_object_begin(&mut self, class: &str, fields: &[&str]) -> Result<bool> {
        self.object_header(class, fields.iter().copied(), fields.len())
    }

    fn object_header<'f, I>(&mut self, class: &str, fields: I, count: usize) -> Result<bool>
    where
        I: Iterator<Item = &'f str> + Clone,
    {
        self.take_ref()?;
        let existing = self.classes.get(class).and_then(|defs| {
            defs.iter()
                .find(|d| {
                    d.fields.len() == count && d.fields.iter().map(|f| &**f).eq(fields.clone())
                })
                .map(|d| d.index)
        });
        let (index, new) = match existing {
            Some(i) => (i, false),
            None => {
                let n = i32::try_from(count)
                    .map_err(|_| Error::Encode(format!("{count} fields exceed i32")))?;
                self.put(&[BC_CLASS_DEF])?;
                self.write_str(class)?;
                self.write_i32(n)?;
                for f in fields.clone() {
                    self.write_str(f)?;
                }
                let index = self.class_count;
                self.class_count += 1;
                let def = ClassDef {
                    fields: fields.map(Into::into).collect(),
                    index,
                };
                self.classes.entry(class.into()).or_default().push(def);
                (index, true)
            }
        };
        if (index as usize) <= OBJECT_DIRECT_MAX {
            self.put(&[BC_OBJECT_DIRECT + index as u8])?;
        } else {
            self.put(&[BC_OBJECT])?;
            self.write_i32(index as i32)?;
        }
        Ok(new)
    }

    /// Writes `Q k`, a reference to the k-th list, map or object begun in this stream.
    ///
    /// Fails if fewer than `k + 1` have begun (the reference could not be decoded).
    pub fn write_ref(&mut self, k: u32) -> Result<()> {
        if k >= self.refs {
            return Err(Error::Encode(format!(
                "reference {k} points forward: only {} lists/maps/objects begun",
                self.refs
            )));
        }
        self.put(&[BC_REF])?;
        self.write_i32(k as i32)
    }

    /// Writes any [`Value`], sharing this stream's tables.
    pub fn write_value(&mut self, v: &Value) -> Result<()> {
        match v {
            Value::Null => self.write_null(),
            Value::Bool(b) => self.write_bool(*b),
            Value::Int(i) => self.write_i32(*i),
            Value::Long(l) => self.write_i64(*l),
            Value::Double(d) => self.write_f64(*d),
            Value::Date(ms) => self.write_date(*ms),
            Value::String(s) => self.write_str(s),
            Value::Binary(b) => self.write_bytes(b),
            Value::List(l) => self.nested(|e| e.write_list(l)),
            Value::Map(m) => self.nested(|e| e.write_map(m)),
            Value::Object(o) => self.nested(|e| e.write_object(o)),
            Value::Ref(k) => self.write_ref(*k),
        }
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        if self.depth >= self.opts.max_depth {
            return Err(Error::Limit(format!(
                "value nested deeper than {} levels",
                self.opts.max_depth
            )));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn write_list(&mut self, l: &List) -> Result<()> {
        let len = l.fixed_length.then_some(l.items.len());
        let variable = self.write_list_begin(len, l.type_name.as_deref())?;
        for item in &l.items {
            self.write_value(item)?;
        }
        if variable {
            self.write_list_end()?;
        }
        Ok(())
    }

    fn write_map(&mut self, m: &Map) -> Result<()> {
        self.write_map_begin(m.type_name.as_deref())?;
        for (k, v) in &m.entries {
            self.write_value(k)?;
            self.write_value(v)?;
        }
        self.write_map_end()
    }

    fn write_object(&mut self, o: &Object) -> Result<()> {
        let names = o.fields.iter().map(|(n, _)| n.as_str());
        self.object_header(&o.class_name, names, o.fields.len())?;
        for (_, v) in &o.fields {
            self.write_value(v)?;
        }
        Ok(())
    }
}

/// Encodes an int in its smallest form into `b`, returning the length.
#[inline]
fn encode_int(v: i32, b: &mut [u8; 5]) -> usize {
    if (-16..=47).contains(&v) {
        b[0] = (i32::from(BC_INT_ZERO) + v) as u8;
        1
    } else if (-2048..=2047).contains(&v) {
        b[0] = (i32::from(BC_INT_BYTE_ZERO) + (v >> 8)) as u8;
        b[1] = v as u8;
        2
    } else if (-262_144..=262_143).contains(&v) {
        b[0] = (i32::from(BC_INT_SHORT_ZERO) + (v >> 16)) as u8;
        b[1] = (v >> 8) as u8;
        b[2] = v as u8;
        3
    } else {
        b[0] = BC_INT;
        b[1..5].copy_from_slice(&v.to_be_bytes());
        5
    }
}

/// Number of UTF-16 units of valid UTF-8 text.
fn utf16_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .map(|&b| usize::from((b & 0xc0) != 0x80) + usize::from(b >= 0xf0))
        .sum()
}

/// The longest prefix of `s` with at most `max` UTF-16 units that does not split a
/// character: (byte length, units).
fn prefix_units(s: &str, max: usize) -> (usize, usize) {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        let u = c.len_utf16();
        if units + u > max {
            return (i, units);
        }
        units += u;
    }
    (s.len(), units)
}

/// Encodes one value into a new `Vec<u8>` (a fresh stream).
pub fn encode_value(v: &Value) -> Result<Vec<u8>> {
    let mut enc = Encoder::new(Vec::new());
    enc.write_value(v)?;
    Ok(enc.into_inner())
}
