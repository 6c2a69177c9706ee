//! The Hessian 2.0 decoder over a byte slice.
//!
//! [`Decoder`] reads every form of `DUBBO_WIRE.md` §3.1 and is safe on untrusted input: it
//! never panics, checks every declared length against the bytes left before reserving
//! memory, limits nesting depth, and reports the byte offset in its errors.
//!
//! Decisions worth knowing:
//!
//! * **Strings** are counted in UTF-16 units. A surrogate pair written as two 3-byte
//!   sequences (Java's form) becomes one `char`, even across chunk boundaries. A *lone*
//!   surrogate (Java can send one) cannot live in a Rust `String` and becomes U+FFFD.
//!   4-byte UTF-8 sequences are **rejected**, as Java's `Hessian2Input` rejects them
//!   ("bad utf-8 encoding"); so are stray continuation bytes. Overlong 2/3-byte forms are
//!   accepted, as Java accepts them.
//! * **References** stay references: `Q k` decodes to [`Value::Ref`]`(k)`, never a copy.
//!   Lists, maps and objects take their ref number before their contents are read, so a
//!   self-reference (an exception whose `cause` is itself) decodes.
//! * **Expansion** is bounded. What the values read would become once their references
//!   are resolved (by [`from_value`](crate::from_value), or any code that copies what a
//!   reference points at) is counted as they are read: a few KiB of lists of references to
//!   lists of references would otherwise stand for billions of elements. See
//!   [`DecoderOptions::max_expansion`].
//! * An empty type name (a typed list or map whose type string is `""`) decodes as
//!   untyped (`type_name: None`).
//! * Internal ints (lengths, indexes) and [`Decoder::read_i32`] are lenient like Java's
//!   `readInt`: long and double forms are converted, `N`/`F` are 0 and `T` is 1.
//! * After an error the decoder's position and tables are unspecified; drop it.

use crate::Str;
use crate::constants::*;
use crate::error::{Error, Result};
use crate::value::{List, Map, Object, Value};
use compact_str::CompactString;
use smallvec::SmallVec;
use std::borrow::Cow;

/// Most elements reserved up front for a declared length: a length is checked against the
/// bytes left, but each element is a whole `Value`, so nested declared lengths must not
/// multiply into a huge reservation. Longer collections grow as they are read.
const PREALLOC_MAX: usize = 1024;

/// Most bytes scanned for ASCII at once from a short string's start (see
/// `Decoder::ascii_at`), so a reader that stops early does not pay for the whole input.
const TEXT_RUN: usize = 1024;

/// A string of at least this many bytes is scanned alone: its own bytes are most of the
/// work, and those after it may well be read some other way (a request's attachments
/// are), so they are not scanned ahead of need.
const LONG_TEXT: usize = 64;

/// Limits of a [`Decoder`], to bound the work and memory spent on untrusted input.
///
/// Memory use is in any case bounded by a small multiple of the input size: every length is
/// checked against the bytes left before anything is reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderOptions {
    /// Deepest nesting of lists, maps and objects (default 128).
    pub max_depth: usize,
    /// Largest string or binary value, in bytes after joining chunks (default 64 MiB).
    pub max_bytes: usize,
    /// Most elements of one list, entries of one map or fields of one class definition
    /// (default 16 Mi).
    pub max_len: usize,
    /// Most bytes the decoder may copy out of its class-definition and type tables into
    /// decoded values (class, field and type names repeated for each instance or typed
    /// list), which would otherwise let a small input expand a long name many times
    /// (default 64 MiB).
    pub max_name_copy_bytes: usize,
    /// How many times the size of its input the values read may stand for once their
    /// references are resolved (default [`DEFAULT_MAX_EXPANSION`], 16).
    ///
    /// The *expanded size* of a value is its number of values (the value itself and every
    /// element, entry key and value, and field, at any depth) plus the bytes of its strings
    /// and binaries, where a reference counts as a copy of the list, map or object it
    /// points at. A reference to a container still being read (a cycle, such as an
    /// exception whose `cause` is itself) counts as one value: it cannot be copied out in
    /// full, and code that follows it must bound its own work (as
    /// [`from_value`](crate::from_value) does).
    ///
    /// The expanded sizes of all the values read from one input (a Dubbo body: all its
    /// arguments and attachments) may add up to at most
    /// `max_expansion × max(input length, `[`EXPANSION_FLOOR`]`)`; beyond it reading fails
    /// with [`Error::Limit`]. Values without references always fit: each takes at least
    /// as many input bytes as it counts.
    pub max_expansion: usize,
}

/// The default of [`DecoderOptions::max_expansion`].
pub const DEFAULT_MAX_EXPANSION: usize = 16;

/// The smallest input length [`DecoderOptions::max_expansion`] is applied to, so that a
/// short input may still share a list or object a few times (16 × 4 KiB: 64 Ki values and
/// bytes by default).
pub const EXPANSION_FLOOR: usize = 4096;

impl Default for DecoderOptions {
    fn default() -> Self {
        DecoderOptions {
            max_depth: 128,
            max_bytes: 64 << 20,
            max_len: 16 << 20,
            max_name_copy_bytes: 64 << 20,
            max_expansion: DEFAULT_MAX_EXPANSION,
        }
    }
}

impl DecoderOptions {
    /// The most that the values read from `input_len` bytes may expand to (see
    /// [`DecoderOptions::max_expansion`]).
    pub fn max_expanded_size(&self, input_len: usize) -> u64 {
        let base = input_len.max(EXPANSION_FLOOR) as u64;
        (self.max_expansion as u64).saturating_mul(base)
    }
}

/// How many class and field names a decoder keeps without allocating (a request body
/// has a class or two of a few fields).
const INLINE_CLASS_NAMES: usize = 8;

/// How many class definitions a decoder keeps without allocating.
const INLINE_CLASSES: usize = 2;

/// The class definitions read: their names in one list (each class's name, then its
/// field names, borrowed from the input when they are short ASCII strings), and for each
/// class where its names begin and how many fields it has. The first few live in the
/// decoder itself.
#[derive(Debug, Default)]
struct ClassDefs<'a> {
    names: SmallVec<[Cow<'a, str>; INLINE_CLASS_NAMES]>,
    classes: SmallVec<[(usize, usize); INLINE_CLASSES]>,
}

impl<'a> ClassDefs<'a> {
    fn len(&self) -> usize {
        self.classes.len()
    }

    /// The names (class name, then field names) of class `index`.
    fn get(&self, index: usize) -> Option<&[Cow<'a, str>]> {
        let &(first, fields) = self.classes.get(index)?;
        self.names
            .get(first..first.checked_add(fields)?.checked_add(1)?)
    }
}

/// How many ref numbers' sizes a decoder keeps without allocating (a request body has a
/// few lists, maps and objects).
const INLINE_REFS: usize = 16;

/// The expanded size of each list, map and object begun, by ref number: the first
/// [`INLINE_REFS`] in the decoder itself, the rest on the heap.
#[derive(Debug, Default)]
struct RefSizes {
    len: usize,
    inline: [u64; INLINE_REFS],
    more: Vec<u64>,
}

impl RefSizes {
    /// Adds a ref number (its size 0 until set); returns it.
    fn push(&mut self) -> usize {
        let k = self.len;
        if k >= INLINE_REFS {
            self.more.push(0);
        }
        self.len += 1;
        k
    }

    fn get(&self, k: usize) -> Option<u64> {
        match k.checked_sub(INLINE_REFS) {
            None if k < self.len => self.inline.get(k).copied(),
            None => None,
            Some(i) => self.more.get(i).copied(),
        }
    }

    fn set(&mut self, k: usize, size: u64) {
        let slot = match k.checked_sub(INLINE_REFS) {
            None => self.inline.get_mut(k),
            Some(i) => self.more.get_mut(i),
        };
        if let Some(slot) = slot {
            *slot = size;
        }
    }
}

/// Streaming Hessian 2.0 decoder over a byte slice.
///
/// Successive reads share one reference, class-definition and type table, like the
/// values of one Dubbo body. Bytes after the last value read are left alone.
///
/// ```
/// use oxidubbo_hessian2::{Decoder, Value};
///
/// let mut dec = Decoder::new(b"\x052.0.2\xc8\x30N");
/// assert_eq!(dec.read_string()?, "2.0.2");
/// assert_eq!(dec.read_i32()?, 48);
/// assert_eq!(dec.read_value()?, Value::Null);
/// assert!(dec.is_eof());
/// # Ok::<(), oxidubbo_hessian2::Error>(())
/// ```
#[derive(Debug)]
pub struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    opts: DecoderOptions,
    depth: usize,
    refs: u32,
    /// The expanded size of each list, map and object begun, by ref number; 0 while it is
    /// still being read.
    sizes: RefSizes,
    /// The expanded size of the value read last.
    last_size: u64,
    /// The expanded sizes of the values read so far from the top level, added up.
    expanded: u64,
    max_expanded: u64,
    classes: ClassDefs<'a>,
    types: Vec<Str>,
    name_copy_bytes: usize,
    /// A run of the input, from `text_start`, known to be ASCII (scanned once for all the
    /// strings in it rather than once per string).
    text: &'a str,
    text_start: usize,
}

impl<'a> Decoder<'a> {
    /// A decoder with default [`DecoderOptions`].
    #[inline]
    pub fn new(input: &'a [u8]) -> Self {
        Self::with_options(input, DecoderOptions::default())
    }

    /// A decoder with the given limits.
    #[inline]
    pub fn with_options(input: &'a [u8], opts: DecoderOptions) -> Self {
        Decoder {
            input,
            pos: 0,
            opts,
            depth: 0,
            refs: 0,
            sizes: RefSizes::default(),
            last_size: 0,
            expanded: 0,
            max_expanded: opts.max_expanded_size(input.len()),
            classes: ClassDefs::default(),
            types: Vec::new(),
            name_copy_bytes: 0,
            text: "",
            text_start: 0,
        }
    }

    /// Byte offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Number of bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    /// Whether every byte has been read.
    pub fn is_eof(&self) -> bool {
        self.remaining() == 0
    }

    /// The next byte, without consuming it.
    pub fn peek_byte(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// The unread bytes.
    pub fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    /// A decoder over the same input and with the same options, at byte `pos`, with tables
    /// of its own (no references, class definitions or types read yet): for looking ahead
    /// without moving this one. What this one has checked of the input's text is not
    /// checked again.
    ///
    /// ```
    /// use oxidubbo_hessian2::Decoder;
    ///
    /// let mut dec = Decoder::new(b"\x05hello\x05world");
    /// assert_eq!(dec.fork_at(6).read_str()?, "world");
    /// assert_eq!(dec.read_str()?, "hello");
    /// # Ok::<(), oxidubbo_hessian2::Error>(())
    /// ```
    pub fn fork_at(&self, pos: usize) -> Decoder<'a> {
        let mut fork = Decoder::with_options(self.input, self.opts);
        fork.pos = pos.min(self.input.len());
        fork.text = self.text;
        fork.text_start = self.text_start;
        fork
    }

    // ---- byte-level helpers -------------------------------------------------------------

    #[inline]
    fn next(&mut self) -> Result<u8> {
        match self.input.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(Error::Eof { offset: self.pos }),
        }
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.input.get(self.pos..end)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(Error::Eof {
                offset: self.input.len(),
            }),
        }
    }

    #[inline]
    fn take_array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        s.try_into().map_err(|_| Error::Eof { offset: self.pos })
    }

    /// The `len` bytes at `pos` as a `str`, if they are all ASCII (then they are also `len`
    /// UTF-16 units). The input is scanned in ASCII runs of up to [`TEXT_RUN`] bytes from a
    /// short string's start, each byte once, so a body's short strings are not checked one
    /// by one; a string of [`LONG_TEXT`] bytes or more is scanned alone.
    #[inline]
    fn ascii_at(&mut self, pos: usize, len: usize) -> Option<&'a str> {
        let from = pos.checked_sub(self.text_start)?;
        if let Some(text) = self.text.get(from..from.checked_add(len)?) {
            return Some(text);
        }
        let run_end = self.text_start + self.text.len();
        if from < self.text.len() && self.input.get(run_end).is_some_and(|b| !b.is_ascii()) {
            // Inside the run but past its end, where a byte is not ASCII.
            return None;
        }
        self.ascii_run(pos, len)
    }

    /// Scans the ASCII run at `pos` (see [`Decoder::ascii_at`]).
    #[cold]
    fn ascii_run(&mut self, pos: usize, len: usize) -> Option<&'a str> {
        let window = self.input.get(pos..)?;
        let run = if len >= LONG_TEXT { len } else { TEXT_RUN };
        let window = window.get(..run).unwrap_or(window);
        let ascii = window.get(..ascii_prefix(window)).unwrap_or_default();
        // Already known to be ASCII; `simdutf8` makes it a `str` for less than `std` does.
        self.text = simdutf8::basic::from_utf8(ascii).unwrap_or_default();
        self.text_start = pos;
        self.text.get(..len)
    }

    fn u16_be(&mut self) -> Result<usize> {
        Ok(usize::from(u16::from_be_bytes(self.take_array()?)))
    }

    fn i32_be(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.take_array()?))
    }

    fn i64_be(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.take_array()?))
    }

    fn invalid(offset: usize, message: impl Into<String>) -> Error {
        Error::Invalid {
            offset,
            message: message.into(),
        }
    }

    fn unexpected(byte: u8, offset: usize, context: &'static str) -> Error {
        Error::UnexpectedByte {
            byte,
            offset,
            context,
        }
    }

    /// Checks a declared element count (each element takes at least one byte).
    fn check_count(&self, n: i64, offset: usize, what: &str) -> Result<usize> {
        let n = usize::try_from(n)
            .map_err(|_| Self::invalid(offset, format!("negative {what} {n}")))?;
        if n > self.opts.max_len {
            return Err(Error::Limit(format!(
                "{what} {n} at offset {offset} exceeds max_len {}",
                self.opts.max_len
            )));
        }
        if n > self.remaining() {
            // Each element takes at least one byte: the input is truncated (or lying).
            return Err(Error::Eof {
                offset: self.input.len(),
            });
        }
        Ok(n)
    }

    /// A first capacity for a collection of unknown length (entries of `min_bytes` bytes
    /// at least): none when it is empty, else a few, never more than the input could hold.
    fn small_capacity(&self, min_bytes: usize) -> usize {
        if self.peek_byte() == Some(BC_END) {
            0
        } else {
            (self.remaining() / min_bytes).min(8)
        }
    }

    fn charge_name_copy(&mut self, len: usize) -> Result<()> {
        self.name_copy_bytes = self.name_copy_bytes.saturating_add(len);
        if self.name_copy_bytes > self.opts.max_name_copy_bytes {
            return Err(Error::Limit(format!(
                "more than {} bytes of class/type names copied (offset {})",
                self.opts.max_name_copy_bytes, self.pos
            )));
        }
        Ok(())
    }

    /// Numbers a list, map or object that begins; returns its ref number.
    fn add_ref(&mut self) -> Result<usize> {
        self.refs = self
            .refs
            .checked_add(1)
            .ok_or_else(|| Self::invalid(self.pos, "too many references"))?;
        Ok(self.sizes.push())
    }

    /// Adds the value read last to `size`, the expanded size of a container begun at
    /// `start`, failing once it is over the limit.
    fn grow(&self, size: &mut u64, start: usize) -> Result<()> {
        *size = size.saturating_add(self.last_size);
        self.check_expanded(*size, start)
    }

    #[inline]
    fn check_expanded(&self, size: u64, start: usize) -> Result<()> {
        if size > self.max_expanded {
            return Err(self.expanded_too_much(start));
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn expanded_too_much(&self, start: usize) -> Error {
        Error::Limit(format!(
            "the values read up to offset {} expand to more than {} values and bytes \
                 through references (value at offset {start}; max_expansion {} of {} input bytes)",
            self.pos,
            self.max_expanded,
            self.opts.max_expansion,
            self.input.len(),
        ))
    }

    /// Ends a container begun as ref `k`: records its expanded size, which is also the
    /// size of the value read last.
    fn close(&mut self, k: usize, size: u64) {
        self.sizes.set(k, size);
        self.last_size = size;
    }

    /// Counts a value read at the top level towards the input's expansion limit.
    fn count_top_level(&mut self, start: usize) -> Result<()> {
        if self.depth == 0 {
            self.expanded = self.expanded.saturating_add(self.last_size);
            self.check_expanded(self.expanded, start)?;
        }
        Ok(())
    }

    fn enter(&mut self, offset: usize) -> Result<()> {
        if self.depth >= self.opts.max_depth {
            return Err(Error::Limit(format!(
                "nesting deeper than {} at offset {offset}",
                self.opts.max_depth
            )));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ---- numbers ------------------------------------------------------------------------

    /// Reads a number after its tag, as `(int form, value)`; `None` if `tag` is not a
    /// number tag. Integers come back exactly; doubles as [`Num::Double`].
    fn number_after_tag(&mut self, tag: u8) -> Result<Option<Num>> {
        let n = match tag {
            0x80..=0xbf => Num::Int(i32::from(tag) - i32::from(BC_INT_ZERO)),
            0xc0..=0xcf => {
                let b0 = self.next()?;
                Num::Int(((i32::from(tag) - i32::from(BC_INT_BYTE_ZERO)) << 8) | i32::from(b0))
            }
            0xd0..=0xd7 => {
                let [b1, b0] = self.take_array()?;
                Num::Int(
                    ((i32::from(tag) - i32::from(BC_INT_SHORT_ZERO)) << 16)
                        | (i32::from(b1) << 8)
                        | i32::from(b0),
                )
            }
            BC_INT => Num::Int(self.i32_be()?),
            0xd8..=0xef => Num::Long(i64::from(tag) - i64::from(BC_LONG_ZERO)),
            0xf0..=0xff => {
                let b0 = self.next()?;
                Num::Long(((i64::from(tag) - i64::from(BC_LONG_BYTE_ZERO)) << 8) | i64::from(b0))
            }
            0x38..=0x3f => {
                let [b1, b0] = self.take_array()?;
                Num::Long(
                    ((i64::from(tag) - i64::from(BC_LONG_SHORT_ZERO)) << 16)
                        | (i64::from(b1) << 8)
                        | i64::from(b0),
                )
            }
            BC_LONG_INT => Num::Long(i64::from(self.i32_be()?)),
            BC_LONG => Num::Long(self.i64_be()?),
            BC_DOUBLE_ZERO => Num::Double(0.0),
            BC_DOUBLE_ONE => Num::Double(1.0),
            BC_DOUBLE_BYTE => Num::Double(f64::from(self.next()? as i8)),
            BC_DOUBLE_SHORT => Num::Double(f64::from(i16::from_be_bytes(self.take_array()?))),
            BC_DOUBLE_MILL => Num::Double(0.001 * f64::from(self.i32_be()?)),
            BC_DOUBLE => Num::Double(f64::from_bits(u64::from_be_bytes(self.take_array()?))),
            _ => return Ok(None),
        };
        Ok(Some(n))
    }

    /// Reads any numeric form leniently, as Java's `readInt`/`readLong`/`readDouble` do:
    /// `N`/`F` → 0, `T` → 1.
    fn read_number(&mut self, expected: &'static str) -> Result<Num> {
        let start = self.pos;
        let tag = self.next()?;
        match tag {
            BC_NULL | BC_FALSE => Ok(Num::Int(0)),
            BC_TRUE => Ok(Num::Int(1)),
            _ => self
                .number_after_tag(tag)?
                .ok_or_else(|| Self::unexpected(tag, start, expected)),
        }
    }

    /// Reads an int leniently, like Java's `Hessian2Input.readInt`: int forms as is, long
    /// forms truncated to 32 bits, doubles cast (saturating, NaN → 0), `N`/`F` → 0, `T` → 1.
    pub fn read_i32(&mut self) -> Result<i32> {
        Ok(match self.read_number("expected an int")? {
            Num::Int(i) => i,
            Num::Long(l) => l as i32,
            Num::Double(d) => d as i32,
        })
    }

    /// Reads a long leniently, like Java's `readLong`: any int/long form, doubles cast
    /// (saturating), `N`/`F` → 0, `T` → 1.
    pub fn read_i64(&mut self) -> Result<i64> {
        Ok(match self.read_number("expected a long")? {
            Num::Int(i) => i64::from(i),
            Num::Long(l) => l,
            Num::Double(d) => d as i64,
        })
    }

    /// Reads a double from any numeric form (`N`/`F` → 0.0, `T` → 1.0), like Java's
    /// `readDouble`.
    pub fn read_f64(&mut self) -> Result<f64> {
        Ok(match self.read_number("expected a double")? {
            Num::Int(i) => f64::from(i),
            Num::Long(l) => l as f64,
            Num::Double(d) => d,
        })
    }

    /// Reads `T` or `F`.
    pub fn read_bool(&mut self) -> Result<bool> {
        let start = self.pos;
        match self.next()? {
            BC_TRUE => Ok(true),
            BC_FALSE => Ok(false),
            b => Err(Self::unexpected(b, start, "expected a boolean")),
        }
    }

    /// Reads `N`; returns `true` and consumes it if the next value is null.
    pub fn read_null(&mut self) -> bool {
        if self.peek_byte() == Some(BC_NULL) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    // ---- strings and binaries -----------------------------------------------------------

    /// Reads a string (any chunking and length forms). `N` is an error: see
    /// [`Decoder::read_string_or_null`].
    pub fn read_string(&mut self) -> Result<String> {
        let start = self.pos;
        match self.peek_byte() {
            Some(0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK) => {
                if let Some(text) = self.short_ascii_string() {
                    return self.check_short(text, start).map(str::to_owned);
                }
                self.string_chunks().map(CompactString::into_string)
            }
            Some(b) => Err(Self::unexpected(b, start, "expected a string")),
            None => Err(Error::Eof { offset: start }),
        }
    }

    /// Reads a string or `N` (→ `None`).
    pub fn read_string_or_null(&mut self) -> Result<Option<String>> {
        if self.read_null() {
            Ok(None)
        } else {
            self.read_string().map(Some)
        }
    }

    /// Reads a string, borrowing it from the input when it is a single chunk of ASCII
    /// (the common case for names and keys) and copying it otherwise.
    #[inline(always)]
    pub fn read_str(&mut self) -> Result<Cow<'a, str>> {
        if let Some(text) = self.short_ascii_string() {
            return Ok(Cow::Borrowed(text));
        }
        self.read_string().map(Cow::Owned)
    }

    /// Reads a map whose keys are all strings (Dubbo's attachments) straight into pairs,
    /// without building a [`Value::Map`]; `key` turns each borrowed key into the caller's
    /// key type. `None` for a null. The map takes a reference number like any map, so later
    /// `Q` references stay aligned.
    pub fn read_string_map_with<K>(
        &mut self,
        mut key: impl FnMut(Cow<'a, str>) -> K,
    ) -> Result<Option<Vec<(K, Value)>>> {
        let start = self.pos;
        match self.peek_byte() {
            Some(BC_NULL) => {
                self.pos += 1;
                return Ok(None);
            }
            Some(BC_MAP_UNTYPED) => self.pos += 1,
            Some(BC_MAP) => {
                self.pos += 1;
                self.read_type()?;
            }
            Some(b) => return Err(Self::unexpected(b, start, "expected a map")),
            None => {
                return Err(Error::Eof {
                    offset: self.input.len(),
                });
            }
        }
        let r = self.add_ref()?;
        self.enter(start)?;
        let mut entries = Vec::with_capacity(8);
        let mut size: u64 = 1;
        while self.peek_byte() != Some(BC_END) {
            if entries.len() >= self.opts.max_len {
                return Err(Error::Limit(format!(
                    "map at offset {start} larger than max_len {}",
                    self.opts.max_len
                )));
            }
            let k = self.read_str()?;
            size = size.saturating_add(1 + k.len() as u64);
            entries.push((key(k), Value::Null));
            if let Some((_, v)) = entries.last_mut() {
                self.read_element_to(v)?;
            }
            self.grow(&mut size, start)?;
        }
        self.pos += 1;
        self.leave();
        self.close(r, size);
        self.count_top_level(start)?;
        Ok(Some(entries))
    }

    /// Reads a map whose keys are all strings straight into owned pairs; see
    /// [`Decoder::read_string_map_with`].
    pub fn read_string_map(&mut self) -> Result<Option<Vec<(String, Value)>>> {
        self.read_string_map_with(Cow::into_owned)
    }

    /// Reads a string in one of the short forms (`0x00`-`0x1f`, `0x30`-`0x33`: up to 1023
    /// units, one chunk) if it is all ASCII, borrowed from the input; else reads nothing.
    #[inline]
    fn short_ascii_string(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let (len, head) = match *self.input.get(start)? {
            tag @ 0x00..=0x1f => (usize::from(tag), 1),
            tag @ 0x30..=0x33 => {
                let b0 = *self.input.get(start + 1)?;
                (
                    (usize::from(tag - BC_STRING_SHORT) << 8) | usize::from(b0),
                    2,
                )
            }
            _ => return None,
        };
        let text = self.ascii_at(start + head, len)?;
        self.pos = start + head + len;
        Some(text)
    }

    /// Reads a string starting at its first chunk tag.
    fn string_body(&mut self) -> Result<Str> {
        let start = self.pos;
        if let Some(text) = self.short_ascii_string() {
            return self.check_short(text, start).map(Str::from);
        }
        self.string_chunks().map(Str)
    }

    /// A string read by [`Decoder::short_ascii_string`] from `start`, checked against
    /// `max_bytes`.
    #[inline]
    fn check_short<'t>(&self, text: &'t str, start: usize) -> Result<&'t str> {
        if text.len() > self.opts.max_bytes {
            return Err(self.string_too_long(start));
        }
        Ok(text)
    }

    #[cold]
    #[inline(never)]
    fn string_too_long(&self, start: usize) -> Error {
        Error::Limit(format!(
            "string at offset {start} exceeds max_bytes {}",
            self.opts.max_bytes
        ))
    }

    /// Reads a string of any form, chunk by chunk (inline while it is short).
    fn string_chunks(&mut self) -> Result<CompactString> {
        let mut out = CompactString::default();
        let mut high: Option<u16> = None;
        loop {
            let start = self.pos;
            let tag = self.next()?;
            let (len, last) = match tag {
                0x00..=0x1f => (usize::from(tag), true),
                0x30..=0x33 => {
                    let b0 = self.next()?;
                    (
                        (usize::from(tag - BC_STRING_SHORT) << 8) | usize::from(b0),
                        true,
                    )
                }
                BC_STRING => (self.u16_be()?, true),
                BC_STRING_CHUNK => (self.u16_be()?, false),
                _ => return Err(Self::unexpected(tag, start, "expected a string chunk")),
            };
            if len > self.remaining() {
                // Each unit takes at least one byte.
                return Err(Error::Eof {
                    offset: self.input.len(),
                });
            }
            if out.len().saturating_add(len) > self.opts.max_bytes {
                return Err(Error::Limit(format!(
                    "string at offset {start} exceeds max_bytes {}",
                    self.opts.max_bytes
                )));
            }
            if out.is_empty() {
                // Most strings are one chunk: allocate it exactly (when it is too long to
                // be inline), without `reserve`'s growth path.
                out = CompactString::with_capacity(len);
            } else {
                out.reserve(len);
            }
            self.read_units(len, &mut out, &mut high)?;
            if out.len() > self.opts.max_bytes {
                return Err(Error::Limit(format!(
                    "string at offset {start} exceeds max_bytes {}",
                    self.opts.max_bytes
                )));
            }
            if last {
                break;
            }
        }
        if high.is_some() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
        Ok(out)
    }

    /// Decodes `len` UTF-16 units of Hessian's UTF-8 into `out`.
    fn read_units(
        &mut self,
        len: usize,
        out: &mut CompactString,
        high: &mut Option<u16>,
    ) -> Result<()> {
        // Fast path: the next `len` bytes are ASCII, one unit each.
        if high.is_none() {
            if let Some(text) = self.ascii_at(self.pos, len) {
                out.push_str(text);
                self.pos += len;
                return Ok(());
            }
        }
        for _ in 0..len {
            let start = self.pos;
            let b = self.next()?;
            let unit: u32 = if b < 0x80 {
                if high.take().is_some() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
                out.push(char::from(b));
                continue;
            } else if b & 0xe0 == 0xc0 {
                let c1 = self.continuation(start)?;
                (u32::from(b & 0x1f) << 6) | c1
            } else if b & 0xf0 == 0xe0 {
                let c1 = self.continuation(start)?;
                let c2 = self.continuation(start)?;
                (u32::from(b & 0x0f) << 12) | (c1 << 6) | c2
            } else {
                return Err(Self::invalid(
                    start,
                    format!(
                        "bad utf-8 encoding: byte 0x{b:02x} (Hessian allows only 1-3 byte sequences)"
                    ),
                ));
            };
            push_unit(unit, out, high);
        }
        Ok(())
    }

    fn continuation(&mut self, start: usize) -> Result<u32> {
        let b = self.next()?;
        if b & 0xc0 != 0x80 {
            return Err(Self::invalid(
                start,
                format!("bad utf-8 encoding: 0x{b:02x} is not a continuation byte"),
            ));
        }
        Ok(u32::from(b & 0x3f))
    }

    /// Reads a binary (any chunking and length forms).
    pub fn read_bytes(&mut self) -> Result<Vec<u8>> {
        let start = self.pos;
        match self.peek_byte() {
            Some(0x20..=0x2f | 0x34..=0x37 | BC_BINARY | BC_BINARY_CHUNK) => self.binary_body(),
            Some(b) => Err(Self::unexpected(b, start, "expected a binary")),
            None => Err(Error::Eof { offset: start }),
        }
    }

    fn binary_body(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let start = self.pos;
            let tag = self.next()?;
            let (len, last) = match tag {
                0x20..=0x2f => (usize::from(tag - BC_BINARY_DIRECT), true),
                0x34..=0x37 => {
                    let b0 = self.next()?;
                    (
                        (usize::from(tag - BC_BINARY_SHORT) << 8) | usize::from(b0),
                        true,
                    )
                }
                BC_BINARY => (self.u16_be()?, true),
                BC_BINARY_CHUNK => (self.u16_be()?, false),
                _ => return Err(Self::unexpected(tag, start, "expected a binary chunk")),
            };
            if out.len().saturating_add(len) > self.opts.max_bytes {
                return Err(Error::Limit(format!(
                    "binary at offset {start} exceeds max_bytes {}",
                    self.opts.max_bytes
                )));
            }
            let data = self.take(len)?;
            out.extend_from_slice(data);
            if last {
                return Ok(out);
            }
        }
    }

    // ---- types, class definitions -------------------------------------------------------

    /// Reads a type: a string (added to the type table) or an int index into it.
    /// Returns `None` for an empty type name.
    fn read_type(&mut self) -> Result<Option<Str>> {
        let start = self.pos;
        match self.peek_byte() {
            Some(0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK) => {
                let t = self.string_body()?;
                self.types.push(t.clone());
                Ok((!t.is_empty()).then_some(t))
            }
            Some(_) => {
                let index = self.read_i32()?;
                let t = usize::try_from(index)
                    .ok()
                    .and_then(|i| self.types.get(i))
                    .cloned()
                    .ok_or_else(|| {
                        Self::invalid(
                            start,
                            format!(
                                "type ref {index} but only {} types defined",
                                self.types.len()
                            ),
                        )
                    })?;
                self.charge_name_copy(t.len())?;
                Ok((!t.is_empty()).then_some(t))
            }
            None => Err(Error::Eof { offset: start }),
        }
    }

    /// Reads a class definition after its `C`.
    fn read_class_def(&mut self) -> Result<()> {
        let class_name = self.read_str()?;
        let start = self.pos;
        let n = self.read_i32()?;
        let n = self.check_count(i64::from(n), start, "field count")?;
        let first = self.classes.names.len();
        self.classes
            .names
            .reserve(n.saturating_add(1).min(PREALLOC_MAX));
        self.classes.names.push(class_name);
        for _ in 0..n {
            let name = self.read_str()?;
            self.classes.names.push(name);
        }
        self.classes.classes.push((first, n));
        Ok(())
    }

    // ---- values -------------------------------------------------------------------------

    /// Reads the next value of the stream.
    ///
    /// Class definitions (`C`) before it are read and remembered; lists, maps and objects
    /// take ref numbers; `Q k` stays [`Value::Ref`]`(k)`.
    pub fn read_value(&mut self) -> Result<Value> {
        let mut v = Value::Null;
        let start = self.pos;
        if self.read_short_string_to(&mut v)? {
            self.count_top_level(start)?;
        } else {
            self.read_other_value_to(&mut v)?;
        }
        Ok(v)
    }

    /// Reads the next element of a list, map or object into `slot`, which holds nothing
    /// to drop (a `Null` put there for it): the value is written where it stays rather
    /// than returned and moved.
    ///
    /// The commonest value, a short ASCII string, is read here (inlined into the lists,
    /// maps and objects) without the general dispatch of
    /// [`Decoder::read_other_value_to`]; an element is never at the top level, so it is
    /// not counted there.
    #[inline(always)]
    fn read_element_to(&mut self, slot: &mut Value) -> Result<()> {
        if self.read_short_string_to(slot)? {
            return Ok(());
        }
        self.read_other_value_to(slot)
    }

    /// Reads the next element of a list onto the end of `items` (see
    /// [`Decoder::read_element_to`]).
    #[inline(always)]
    fn read_element_pushed(&mut self, items: &mut Vec<Value>) -> Result<()> {
        items.push(Value::Null);
        match items.last_mut() {
            Some(item) => self.read_element_to(item),
            None => Ok(()),
        }
    }

    /// Reads a short-form ASCII string into `slot` (see [`Decoder::read_element_to`]) if
    /// one comes next; `false` (nothing read) if not.
    #[inline(always)]
    fn read_short_string_to(&mut self, slot: &mut Value) -> Result<bool> {
        let start = self.pos;
        let Some(text) = self.short_ascii_string() else {
            return Ok(false);
        };
        let s = self.check_short(text, start)?;
        self.last_size = 1 + s.len() as u64;
        place(slot, Value::String(Str::from(s)));
        Ok(true)
    }

    /// Reads any value into `slot` (see [`Decoder::read_element_to`]), after class
    /// definitions before it.
    #[inline(never)]
    fn read_other_value_to(&mut self, slot: &mut Value) -> Result<()> {
        loop {
            let start = self.pos;
            let tag = self.next()?;
            if tag == BC_CLASS_DEF {
                self.read_class_def()?;
                continue;
            }
            self.value_after_tag(tag, start, slot)?;
            return self.count_top_level(start);
        }
    }

    /// Reads and discards the next value (its lists, maps, objects, class definitions and
    /// types still count in this stream's tables).
    pub fn skip_value(&mut self) -> Result<()> {
        self.read_value().map(drop)
    }

    /// Reads the value whose tag was `tag` into `slot` (see [`Decoder::read_element_to`]).
    fn value_after_tag(&mut self, tag: u8, start: usize, slot: &mut Value) -> Result<()> {
        let v = match tag {
            BC_NULL => Value::Null,
            BC_TRUE => Value::Bool(true),
            BC_FALSE => Value::Bool(false),
            0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK => {
                self.pos = start;
                Value::String(self.string_body()?)
            }
            0x20..=0x2f | 0x34..=0x37 | BC_BINARY | BC_BINARY_CHUNK => {
                self.pos = start;
                Value::Binary(self.binary_body()?)
            }
            BC_DATE => Value::Date(self.i64_be()?),
            BC_DATE_MINUTE => Value::Date(i64::from(self.i32_be()?) * 60_000),
            BC_MAP_UNTYPED => return self.read_map(None, start, slot),
            BC_MAP => {
                let t = self.read_type()?;
                return self.read_map(t, start, slot);
            }
            BC_LIST_VARIABLE => {
                let t = self.read_type()?;
                return self.read_list(t, None, start, slot);
            }
            BC_LIST_VARIABLE_UNTYPED => return self.read_list(None, None, start, slot),
            BC_LIST_FIXED => {
                let t = self.read_type()?;
                let len_at = self.pos;
                let n = self.read_i32()?;
                let n = self.check_count(i64::from(n), len_at, "list length")?;
                return self.read_list(t, Some(n), start, slot);
            }
            BC_LIST_FIXED_UNTYPED => {
                let len_at = self.pos;
                let n = self.read_i32()?;
                let n = self.check_count(i64::from(n), len_at, "list length")?;
                return self.read_list(None, Some(n), start, slot);
            }
            0x70..=0x77 => {
                let t = self.read_type()?;
                let n = self.check_count(i64::from(tag - BC_LIST_DIRECT), start, "list length")?;
                return self.read_list(t, Some(n), start, slot);
            }
            0x78..=0x7f => {
                let n = self.check_count(
                    i64::from(tag - BC_LIST_DIRECT_UNTYPED),
                    start,
                    "list length",
                )?;
                return self.read_list(None, Some(n), start, slot);
            }
            BC_OBJECT => {
                let index = self.read_i32()?;
                return self.read_instance(index, start, slot);
            }
            0x60..=0x6f => {
                return self.read_instance(i32::from(tag - BC_OBJECT_DIRECT), start, slot);
            }
            BC_REF => {
                let k = self.read_i32()?;
                match u32::try_from(k) {
                    Ok(k) if k < self.refs => Value::Ref(k),
                    _ => {
                        return Err(Self::invalid(
                            start,
                            format!(
                                "reference {k} but only {} lists/maps/objects begun",
                                self.refs
                            ),
                        ));
                    }
                }
            }
            _ => match self.number_after_tag(tag)? {
                Some(Num::Int(i)) => Value::Int(i),
                Some(Num::Long(l)) => Value::Long(l),
                Some(Num::Double(d)) => Value::Double(d),
                None => return Err(Self::unexpected(tag, start, "expected a value")),
            },
        };
        self.last_size = match &v {
            // Lists, maps and objects set it themselves (and returned above).
            Value::List(_) | Value::Map(_) | Value::Object(_) => self.last_size,
            Value::String(s) => 1 + s.len() as u64,
            Value::Binary(b) => 1 + b.len() as u64,
            // A container still being read (a cycle) counts as one value.
            Value::Ref(k) => self
                .sizes
                .get(*k as usize)
                .filter(|&size| size > 0)
                .unwrap_or(1),
            _ => 1,
        };
        place(slot, v);
        Ok(())
    }

    fn read_list(
        &mut self,
        type_name: Option<Str>,
        len: Option<usize>,
        start: usize,
        slot: &mut Value,
    ) -> Result<()> {
        let r = self.add_ref()?;
        self.enter(start)?;
        let mut size: u64 = 1;
        let items = match len {
            Some(n) => {
                let mut items = Vec::with_capacity(n.min(PREALLOC_MAX));
                for _ in 0..n {
                    self.read_element_pushed(&mut items)?;
                    self.grow(&mut size, start)?;
                }
                items
            }
            None => {
                let mut items = Vec::with_capacity(self.small_capacity(1));
                while self.peek_byte() != Some(BC_END) {
                    if items.len() >= self.opts.max_len {
                        return Err(Error::Limit(format!(
                            "list at offset {start} longer than max_len {}",
                            self.opts.max_len
                        )));
                    }
                    self.read_element_pushed(&mut items)?;
                    self.grow(&mut size, start)?;
                }
                self.pos += 1;
                items
            }
        };
        self.leave();
        self.close(r, size);
        place(
            slot,
            Value::List(List {
                type_name,
                fixed_length: len.is_some(),
                items,
            }),
        );
        Ok(())
    }

    fn read_map(&mut self, type_name: Option<Str>, start: usize, slot: &mut Value) -> Result<()> {
        let r = self.add_ref()?;
        self.enter(start)?;
        let mut size: u64 = 1;
        let mut entries = Vec::with_capacity(self.small_capacity(2));
        while self.peek_byte() != Some(BC_END) {
            if entries.len() >= self.opts.max_len {
                return Err(Error::Limit(format!(
                    "map at offset {start} larger than max_len {}",
                    self.opts.max_len
                )));
            }
            entries.push((Value::Null, Value::Null));
            if let Some((k, v)) = entries.last_mut() {
                self.read_element_to(k)?;
                self.grow(&mut size, start)?;
                self.read_element_to(v)?;
                self.grow(&mut size, start)?;
            }
        }
        self.pos += 1;
        self.leave();
        self.close(r, size);
        place(slot, Value::Map(Map { type_name, entries }));
        Ok(())
    }

    fn read_instance(&mut self, index: i32, start: usize, slot: &mut Value) -> Result<()> {
        let index = usize::try_from(index).unwrap_or(usize::MAX);
        let Some((class_name, field_names)) = self.classes.get(index).and_then(<[_]>::split_first)
        else {
            return Err(Self::invalid(
                start,
                format!(
                    "object of class {index} but only {} classes defined",
                    self.classes.len()
                ),
            ));
        };
        let class_name = Str::from(&**class_name);
        let field_count = field_names.len();
        let names_len = field_names.iter().map(|n| n.len()).sum::<usize>();
        self.check_count(field_count as i64, start, "field count")?;
        // The field names first (copies of the class definition's, at most `PREALLOC_MAX`
        // up front), then their values.
        let mut fields: Vec<(Str, Value)> = field_names
            .iter()
            .take(PREALLOC_MAX)
            .map(|name| (Str::from(&**name), Value::Null))
            .collect();
        self.charge_name_copy(class_name.len().saturating_add(names_len))?;
        let r = self.add_ref()?;
        self.enter(start)?;
        let mut size: u64 = 1;
        for i in 0..field_count {
            if i >= fields.len() {
                // Past the names copied up front (a class of very many fields).
                let name = self.classes.get(index).and_then(|names| names.get(i + 1));
                let name = name.map(|n| Str::from(&**n)).unwrap_or_default();
                fields.push((name, Value::Null));
            }
            if let Some((_, value)) = fields.get_mut(i) {
                self.read_element_to(value)?;
            }
            self.grow(&mut size, start)?;
        }
        self.leave();
        self.close(r, size);
        place(slot, Value::Object(Object { class_name, fields }));
        Ok(())
    }
}

/// Puts `v` in `slot`, which holds nothing to drop (a `Null`): forgetting what was there
/// skips a call to `Value`'s drop.
#[inline]
fn place(slot: &mut Value, v: Value) {
    std::mem::forget(std::mem::replace(slot, v));
}

/// How many bytes at the start of `bytes` are ASCII, checked 16, then 8 at a time.
fn ascii_prefix(bytes: &[u8]) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0x80; 8]));
    let mut n = 0;
    for pair in bytes.chunks_exact(16) {
        let (a, b) = pair.split_at(8);
        if (word(a) | word(b)) & HIGH != 0 {
            break;
        }
        n += 16;
    }
    let mut words = bytes.get(n..).unwrap_or_default().chunks_exact(8);
    for chunk in &mut words {
        let high = word(chunk) & HIGH;
        if high != 0 {
            return n + high.trailing_zeros() as usize / 8;
        }
        n += 8;
    }
    n + words
        .remainder()
        .iter()
        .position(|b| !b.is_ascii())
        .unwrap_or(words.remainder().len())
}

/// A decoded number.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i32),
    Long(i64),
    Double(f64),
}

/// Appends one UTF-16 unit, joining surrogate pairs and replacing lone surrogates.
#[inline]
fn push_unit(unit: u32, out: &mut CompactString, high: &mut Option<u16>) {
    match unit {
        0xd800..=0xdbff => {
            if high.replace(unit as u16).is_some() {
                out.push(char::REPLACEMENT_CHARACTER);
            }
        }
        0xdc00..=0xdfff => match high.take() {
            Some(h) => {
                let cp = 0x1_0000 + ((u32::from(h) - 0xd800) << 10) + (unit - 0xdc00);
                out.push(char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            None => out.push(char::REPLACEMENT_CHARACTER),
        },
        _ => {
            if high.take().is_some() {
                out.push(char::REPLACEMENT_CHARACTER);
            }
            out.push(char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
    }
}

/// Decodes exactly one value; bytes after it are an error. For a Dubbo body (several
/// values, possibly followed by padding such as dubbo-go's extra `N`), use [`Decoder`].
pub fn decode_value(bytes: &[u8]) -> Result<Value> {
    let mut dec = Decoder::new(bytes);
    let v = dec.read_value()?;
    if !dec.is_eof() {
        return Err(Error::Invalid {
            offset: dec.position(),
            message: format!("{} trailing bytes after the value", dec.remaining()),
        });
    }
    Ok(v)
}

/// Decodes every value of a stream (one shared table), until the input ends.
pub fn decode_values(bytes: &[u8]) -> Result<Vec<Value>> {
    let mut dec = Decoder::new(bytes);
    let mut out = Vec::new();
    while !dec.is_eof() {
        out.push(dec.read_value()?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{LONG_TEXT, TEXT_RUN, ascii_prefix, decode_values};
    use crate::{Value, encode_value};

    /// Strings that start inside a scanned ASCII run and end past it are read whole,
    /// whether the run stopped at its length or at a byte that is not ASCII.
    #[test]
    fn strings_across_the_end_of_a_scanned_run_are_read_whole() {
        for len in [
            1,
            7,
            31,
            32,
            LONG_TEXT - 1,
            LONG_TEXT,
            100,
            TEXT_RUN - 1,
            TEXT_RUN + 1,
        ] {
            for odd_one in [None, Some(0), Some(3), Some(9)] {
                let strings: Vec<String> = (0..12)
                    .map(|i| {
                        let text: String = (0..len)
                            .map(|j| char::from(b'a' + ((i + j) % 26) as u8))
                            .collect();
                        match odd_one {
                            Some(k) if k == i => format!("é{text}"),
                            _ => text,
                        }
                    })
                    .collect();
                let mut stream = Vec::new();
                for s in &strings {
                    stream.extend(encode_value(&Value::from(s.as_str())).unwrap());
                }
                let values = decode_values(&stream).unwrap();
                let read: Vec<&str> = values.iter().map(|v| v.as_str().unwrap()).collect();
                assert_eq!(read, strings, "strings of {len}, non-ASCII one {odd_one:?}");
            }
        }
    }

    /// The first non-ASCII byte is found wherever it is: in a 16-byte step, in an 8-byte
    /// one, or in the tail.
    #[test]
    fn ascii_prefix_stops_at_the_first_high_byte() {
        for len in 0..48 {
            let mut bytes = vec![b'a'; len];
            assert_eq!(ascii_prefix(&bytes), len);
            for at in 0..len {
                bytes[at] = 0xc3;
                assert_eq!(ascii_prefix(&bytes), at, "len {len}, high byte at {at}");
                bytes[at] = 0x80;
                assert_eq!(ascii_prefix(&bytes), at);
                bytes[at] = b'a';
            }
        }
    }
}
