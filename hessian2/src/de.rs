//! Serde deserialization out of [`Value`]: [`from_value`], and `Deserialize` for [`Value`].

use std::cell::Cell;
use std::fmt;
use std::io::Read;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, Expected, IntoDeserializer, MapAccess,
    SeqAccess, Unexpected, VariantAccess, Visitor,
};
use serde::{Deserialize, Deserializer, forward_to_deserialize_any};

use crate::date::DATE_NAME;
use crate::decode::{DEFAULT_MAX_EXPANSION, EXPANSION_FLOOR, decode_value};
use crate::ser::{LIST_NAME, MAP_NAME, OBJECT_NAME, REF_NAME, describe};
use crate::{Error, List, Map, Object, Result, Str, Value};

/// How many containers deep deserialization may descend (references included) before it
/// gives up with an error.
pub const MAX_DEPTH: usize = 128;

/// Reserved newtype name through which `Value`'s `Deserialize` impl asks this crate's
/// deserializer for a lossless copy.
const VALUE_NAME: &str = "$oxidubbo_hessian2::Value";

/// Builds a `T` from a [`Value`].
///
/// # Mapping
///
/// * **Objects** fill structs by **field name**, like Hessian's Java deserializer: the class
///   name is not checked, unknown fields are skipped, and missing `Option` fields become
///   `None` (other missing fields are an error unless `#[serde(default)]`). An untyped or typed
///   `Map` with string keys fills a struct the same way, and both objects and maps fill Rust
///   maps (object field names become string keys).
/// * **Lists** fill sequences, tuples and sets (a tuple must match the length exactly).
///   A `Binary` fills `Vec<u8>` (and any other sequence of integers) as well as
///   bytes types.
/// * **Strings** fill `String`; a string of exactly one character fills `char`.
/// * **Enums**: a Java enum object (any object with a string field `name`) or a plain string
///   selects a unit variant; a map with exactly one string key selects a variant and carries
///   its content (the form [`to_value`](crate::to_value) writes for non-unit variants).
/// * **Dates** fill [`Date`](crate::Date) (an `Int`/`Long` is taken as milliseconds) and, as
///   milliseconds, any integer type.
///
/// # Numeric leniency
///
/// Like Java peers, which read whichever numeric form arrives: `Int`, `Long` and integral
/// `Double`s fill every integer type **when the value fits** (otherwise the error names the
/// value and the target type); a `Double` with a fractional part, NaN or an infinity never
/// fills an integer (no silent truncation). `Int`, `Long` and `Double` all fill `f32`/`f64`.
/// Nothing converts to or from `bool` or strings.
///
/// # References
///
/// A [`Value::Ref`] is resolved against the containers (lists, maps, objects) of the root
/// value numbered in preorder, which is how Hessian numbers them in a stream. The table is
/// built only when the root contains a reference. Deserialization descends at most
/// [`MAX_DEPTH`] containers deep, so a reference cycle that the target type would follow
/// forever ends in an error rather than a stack overflow.
///
/// Each reference followed is copied into the result, so a value holding references may
/// cost far more than its own size: what is deserialized out of it is limited to
/// [`DEFAULT_MAX_EXPANSION`] times its own size (see [`Values`]), beyond which
/// deserialization fails with [`Error::Limit`].
///
/// The values of one stream (a Dubbo body's arguments) share one reference table: use
/// [`Values`] to deserialize them.
///
/// # Deserializing a `Value`
///
/// `from_value::<Value>(v)` returns `v` unchanged (dates, binaries, typed lists and maps,
/// objects and references included). A `Value` nested **inside** another type (a struct
/// field, a `Vec<Value>`, a map value) is detached from the root's reference numbering, so
/// references inside it are resolved by copying what they point at; a reference cycle there
/// is an error — deserialize the whole root as a `Value` to keep cycles.
///
/// ```
/// use oxidubbo_hessian2::{from_value, Object, Value};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct User { id: i64, name: String, email: Option<String> }
///
/// let v = Value::Object(Object::new("com.example.User", vec![
///     ("name".into(), Value::from("ann")),
///     ("id".into(), Value::Int(1)), // an int is fine where a long is declared
///     ("age".into(), Value::Int(30)), // unknown fields are skipped
/// ]));
/// let user: User = from_value(v).unwrap();
/// assert_eq!(user, User { id: 1, name: "ann".into(), email: None });
/// ```
///
/// # Errors
///
/// A type mismatch (the message names the expected type, what was found and where), an
/// integer that does not fit, a dangling reference, or nesting deeper than [`MAX_DEPTH`].
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T> {
    from_value_ref(&value)
}

/// Like [`from_value`], but borrows the value (which stays usable afterwards).
///
/// # Errors
///
/// As for [`from_value`].
pub fn from_value_ref<T: DeserializeOwned>(value: &Value) -> Result<T> {
    Values::new(std::slice::from_ref(value)).deserialize(0)
}

/// The values of one Hessian stream, in the order they were read, deserialized with one
/// reference table and one expansion budget — as Java's `Hessian2Input` reads the
/// arguments of a Dubbo request.
///
/// A stream numbers its lists, maps and objects across all its values (Java's
/// `Hessian2Output` keeps one reference table for a whole body), so an argument may be
/// `Q 0`, the object that an earlier argument began. [`from_value`] on that argument alone
/// would find nothing to resolve it against.
///
/// # Expansion
///
/// A reference is copied into the result each time it is followed, so a few KiB of lists
/// of references to lists could stand for billions of elements. Everything deserialized
/// through one `Values` — counted as values (every element, entry key and value, and
/// field) plus the bytes of strings and binaries — is limited to
/// `max_expansion × max(own size, `[`EXPANSION_FLOOR`]`)`, where the own size is that of
/// the values counted the same way with each reference as one value;
/// `max_expansion` is [`DEFAULT_MAX_EXPANSION`] (16) unless set with
/// [`Values::with_max_expansion`]. Beyond it deserialization fails with [`Error::Limit`].
/// Values without references never reach it (nothing is counted for them at all).
///
/// ```
/// use oxidubbo_hessian2::{Decoder, Encoder, Value, Values, to_value};
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// #[serde(rename = "com.example.User")]
/// struct User { id: i64 }
///
/// // A body whose second argument is the object the first one began: `Q 0`.
/// let mut enc = Encoder::new(Vec::new());
/// enc.write_value(&to_value(&User { id: 7 })?)?;
/// enc.write_value(&Value::Ref(0))?;
/// let body = enc.into_inner();
///
/// let mut dec = Decoder::new(&body);
/// let args = vec![dec.read_value()?, dec.read_value()?];
/// let values = Values::new(&args);
/// assert_eq!(values.deserialize::<User>(1)?, User { id: 7 });
/// # Ok::<(), oxidubbo_hessian2::Error>(())
/// ```
pub struct Values<'a> {
    roots: &'a [Value],
    ctx: Ctx<'a>,
    max_expansion: usize,
    own_size: u64,
}

impl<'a> Values<'a> {
    /// The values of one stream, in order, with the default expansion limit.
    pub fn new(values: &'a [Value]) -> Self {
        Self::with_max_expansion(values, DEFAULT_MAX_EXPANSION)
    }

    /// The values of one stream, in order, that may expand at most `max_expansion` times
    /// their own size through references (see [the type docs](Values#expansion)).
    pub fn with_max_expansion(values: &'a [Value], max_expansion: usize) -> Self {
        let mut has_refs = false;
        let mut own_size = 0u64;
        for v in values {
            let (refs, size) = scan(v);
            has_refs |= refs;
            own_size = own_size.saturating_add(size);
        }
        let ctx = if has_refs {
            Ctx::with_refs(ref_table(values), budget(max_expansion, own_size))
        } else {
            Ctx::default()
        };
        Values {
            roots: values,
            ctx,
            max_expansion,
            own_size,
        }
    }

    /// Deserializes the value at `index`.
    ///
    /// # Errors
    ///
    /// As for [`from_value`], plus the expansion limit; an `index` past the end is an error.
    pub fn deserialize<T: DeserializeOwned>(&self, index: usize) -> Result<T> {
        let v = self.roots.get(index).ok_or_else(|| {
            Error::message(format!(
                "no value #{index}: the stream has {}",
                self.roots.len()
            ))
        })?;
        T::deserialize(De::root(v, &self.ctx))
    }

    /// Deserializes a value read from the same stream after these — such as a Dubbo
    /// request's attachment, which may refer to an argument — resolving its references
    /// against these values.
    ///
    /// # Errors
    ///
    /// As for [`Values::deserialize`]; a reference past these values' containers dangles.
    pub fn deserialize_value<T: DeserializeOwned>(&self, value: &Value) -> Result<T> {
        if self.ctx.refs.is_some() {
            return T::deserialize(De::root(value, &self.ctx));
        }
        let (refs, size) = scan(value);
        if !refs {
            return T::deserialize(De::root(value, &self.ctx));
        }
        // These values hold no reference, so their table was not built: build it now.
        let own_size = self.own_size.saturating_add(size);
        let ctx = Ctx::with_refs(ref_table(self.roots), budget(self.max_expansion, own_size));
        T::deserialize(De::root(value, &ctx))
    }
}

impl fmt::Debug for Values<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Values")
            .field("len", &self.roots.len())
            .field("max_expansion", &self.max_expansion)
            .finish_non_exhaustive()
    }
}

/// Decodes exactly one Hessian value from `bytes` and deserializes it, like
/// `serde_json::from_slice`: `from_value(decode_value(bytes)?)`.
///
/// For a Dubbo body, which holds several values, use a [`Decoder`](crate::Decoder) and
/// [`from_value`] on each value.
///
/// # Errors
///
/// Malformed Hessian (including bytes after the value), then anything [`from_value`]
/// reports.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    from_value(decode_value(bytes)?)
}

/// Reads `reader` to its end, then works as [`from_slice`].
///
/// # Errors
///
/// I/O errors from the reader, then as for [`from_slice`].
pub fn from_reader<R: Read, T: DeserializeOwned>(mut reader: R) -> Result<T> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    from_slice(&bytes)
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::message(msg)
    }
}

// ---------------------------------------------------------------------------------------------
// References

/// Whether `root` holds a reference, and its own size (values plus string and binary
/// bytes, each reference counting as one value).
fn scan(root: &Value) -> (bool, u64) {
    let mut refs = false;
    let mut size = 0u64;
    let mut stack = vec![root];
    while let Some(v) = stack.pop() {
        size = size.saturating_add(cost(v));
        match v {
            Value::Ref(_) => refs = true,
            Value::List(l) => stack.extend(&l.items),
            Value::Map(m) => {
                for (k, v) in &m.entries {
                    stack.push(k);
                    stack.push(v);
                }
            }
            Value::Object(o) => stack.extend(o.fields.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    (refs, size)
}

/// What deserializing `v` itself costs against the expansion budget: one value, plus its
/// bytes for a string or binary (its elements are counted as they are visited).
fn cost(v: &Value) -> u64 {
    match v {
        Value::String(s) => 1 + s.len() as u64,
        Value::Binary(b) => 1 + b.len() as u64,
        _ => 1,
    }
}

fn budget(max_expansion: usize, own_size: u64) -> u64 {
    let base = own_size.max(EXPANSION_FLOOR as u64);
    (max_expansion as u64).saturating_mul(base)
}

/// The containers of `roots` in preorder (map keys before their values), numbered across
/// all the roots as one stream numbers them.
fn ref_table(roots: &[Value]) -> Vec<&Value> {
    let mut table = Vec::new();
    let mut stack: Vec<&Value> = roots.iter().rev().collect();
    while let Some(v) = stack.pop() {
        match v {
            Value::List(l) => {
                table.push(v);
                stack.extend(l.items.iter().rev());
            }
            Value::Map(m) => {
                table.push(v);
                for (k, v) in m.entries.iter().rev() {
                    stack.push(v);
                    stack.push(k);
                }
            }
            Value::Object(o) => {
                table.push(v);
                stack.extend(o.fields.iter().rev().map(|(_, v)| v));
            }
            _ => {}
        }
    }
    table
}

/// What all the deserializers of one [`Values`] share.
#[derive(Default)]
struct Ctx<'a> {
    /// The reference table; `None` when no value holds a reference.
    refs: Option<Vec<&'a Value>>,
    /// What may still be deserialized, in values and bytes; counted only when there are
    /// references (without them nothing can expand).
    budget: Option<Budget>,
}

impl<'a> Ctx<'a> {
    fn with_refs(refs: Vec<&'a Value>, limit: u64) -> Self {
        Ctx {
            refs: Some(refs),
            budget: Some(Budget {
                left: Cell::new(limit),
                limit,
            }),
        }
    }

    fn charge(&self, v: &Value) -> Result<()> {
        let Some(budget) = &self.budget else {
            return Ok(());
        };
        match budget.left.get().checked_sub(cost(v)) {
            Some(left) => {
                budget.left.set(left);
                Ok(())
            }
            None => {
                budget.left.set(0);
                Err(Error::Limit(format!(
                    "the values expand to more than {} values and bytes through their \
                     references",
                    budget.limit
                )))
            }
        }
    }
}

struct Budget {
    left: Cell<u64>,
    limit: u64,
}

// ---------------------------------------------------------------------------------------------
// Error helpers

const AT: &str = "at `";
const MAX_PATH: usize = 256;

/// Prefixes a path segment (`name` or `[i]`) to the location an error message carries.
fn at(e: Error, segment: &str) -> Error {
    match e {
        Error::Message(m) => {
            if let Some(rest) = m.strip_prefix(AT) {
                if rest.len() > MAX_PATH {
                    return Error::Message(m);
                }
                let sep = if rest.starts_with('[') { "" } else { "." };
                Error::Message(format!("{AT}{segment}{sep}{rest}"))
            } else {
                Error::Message(format!("{AT}{segment}`: {m}"))
            }
        }
        other => other,
    }
}

fn invalid_type(v: &Value, exp: &dyn Expected) -> Error {
    let found = describe(v);
    de::Error::invalid_type(Unexpected::Other(&found), exp)
}

fn key_segment(k: &Value) -> String {
    match k {
        Value::String(s) => s.to_string(),
        Value::Int(i) => format!("[{i}]"),
        Value::Long(l) => format!("[{l}]"),
        other => format!("[{}]", describe(other)),
    }
}

/// An `i64` for any integral numeric value (and a date's milliseconds).
fn integral(v: &Value) -> Option<i64> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    match *v {
        Value::Int(i) => Some(i64::from(i)),
        Value::Long(l) | Value::Date(l) => Some(l),
        #[allow(clippy::cast_possible_truncation)]
        Value::Double(d) if d.fract() == 0.0 && (-LIMIT..LIMIT).contains(&d) => Some(d as i64),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The deserializer

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Filling an ordinary Rust type.
    Typed,
    /// Filling a `Value` taken from the root: references are kept as `Value::Ref`.
    ValueKeepRefs,
    /// Filling a `Value` nested in a typed value: references are resolved by copying.
    ValueInlineRefs,
}

#[derive(Clone, Copy)]
struct De<'a, 'c> {
    v: &'a Value,
    ctx: &'c Ctx<'a>,
    depth: usize,
    mode: Mode,
}

impl<'a, 'c> De<'a, 'c> {
    /// Follows a `Value::Ref` to the container it points at.
    fn resolve(self) -> Result<Self> {
        match *self.v {
            Value::Ref(k) => {
                let target = self
                    .ctx
                    .refs
                    .as_ref()
                    .and_then(|t| usize::try_from(k).ok().and_then(|k| t.get(k)))
                    .ok_or_else(|| {
                        Error::message(format!(
                            "dangling reference #{k}: the root value has fewer containers"
                        ))
                    })?;
                Ok(De { v: target, ..self })
            }
            _ => Ok(self),
        }
    }

    /// A template for the children of this container, one level deeper.
    fn enter(self) -> Result<Self> {
        if self.depth >= MAX_DEPTH {
            return Err(Error::message(format!(
                "values nested more than {MAX_DEPTH} containers deep (a reference cycle?)"
            )));
        }
        Ok(De {
            depth: self.depth + 1,
            ..self
        })
    }

    fn root(v: &'a Value, ctx: &'c Ctx<'a>) -> Self {
        De {
            v,
            ctx,
            depth: 0,
            mode: Mode::Typed,
        }
    }

    /// A deserializer for `v`, a child of this container's template: charged to the
    /// expansion budget.
    fn child(self, v: &'a Value) -> Result<Self> {
        self.ctx.charge(v)?;
        Ok(De { v, ..self })
    }

    fn visit_list<'de, V: Visitor<'de>>(self, items: &'a [Value], visitor: V) -> Result<V::Value> {
        let mut seq = Seq {
            items: items.iter(),
            child: self.enter()?,
            index: 0,
        };
        let out = visitor.visit_seq(&mut seq)?;
        let rest = seq.items.len();
        if rest > 0 {
            return Err(de::Error::invalid_length(
                items.len(),
                &format!("{} elements", items.len() - rest).as_str(),
            ));
        }
        Ok(out)
    }

    fn visit_map_value<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.v {
            Value::Map(m) => visitor.visit_map(Entries::new(&m.entries, self.enter()?)),
            Value::Object(o) => visitor.visit_map(Fields::new(&o.fields, self.enter()?)),
            other => Err(invalid_type(other, &visitor)),
        }
    }

    fn any_typed<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.v {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i32(*i),
            Value::Long(l) | Value::Date(l) => visitor.visit_i64(*l),
            Value::Double(d) => visitor.visit_f64(*d),
            Value::String(s) => visitor.visit_str(s),
            Value::Binary(b) => visitor.visit_bytes(b),
            Value::List(l) => self.visit_list(&l.items, visitor),
            Value::Map(_) | Value::Object(_) => self.visit_map_value(visitor),
            Value::Ref(_) => self.resolve()?.any_typed(visitor),
        }
    }

    /// `deserialize_any` while filling a `Value`: forms serde has no words for travel as
    /// enum variants with reserved names, which `Value`'s visitor turns back into themselves.
    fn any_value<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let content = match self.v {
            Value::Ref(k) if self.mode == Mode::ValueKeepRefs => Content::U32(*k),
            Value::Ref(_) => return self.resolve()?.any_value(visitor),
            Value::Date(ms) => Content::I64(*ms),
            Value::List(l) if l.type_name.is_some() || !l.fixed_length => {
                Content::List(l, self.enter()?)
            }
            Value::Map(m) if m.type_name.is_some() => Content::Map(m, self.enter()?),
            Value::Object(o) => Content::Object(o, self.enter()?),
            _ => return self.any_typed(visitor),
        };
        let tag = match content {
            Content::U32(_) => REF_NAME,
            Content::I64(_) => DATE_NAME,
            Content::List(..) => LIST_NAME,
            Content::Map(..) => MAP_NAME,
            Content::Object(..) => OBJECT_NAME,
        };
        visitor.visit_enum(Tagged { tag, content })
    }

    fn int<T: TryFrom<i64>>(self, ty: &str, exp: &dyn Expected) -> Result<T> {
        let de = self.resolve()?;
        let n = integral(de.v).ok_or_else(|| invalid_type(de.v, exp))?;
        T::try_from(n)
            .map_err(|_| Error::message(format!("{} does not fit in {ty}", describe(de.v))))
    }
}

macro_rules! deserialize_int {
    ($($method:ident $visit:ident $ty:ty;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            let n: $ty = self.int(stringify!($ty), &visitor)?;
            visitor.$visit(n)
        }
    )*};
}

impl<'de> Deserializer<'de> for De<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.mode {
            Mode::Typed => self.any_typed(visitor),
            Mode::ValueKeepRefs | Mode::ValueInlineRefs => self.any_value(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let de = self.resolve()?;
        match de.v {
            Value::Bool(b) => visitor.visit_bool(*b),
            other => Err(invalid_type(other, &visitor)),
        }
    }

    deserialize_int! {
        deserialize_i8 visit_i8 i8;
        deserialize_i16 visit_i16 i16;
        deserialize_i32 visit_i32 i32;
        deserialize_i64 visit_i64 i64;
        deserialize_i128 visit_i128 i128;
        deserialize_u8 visit_u8 u8;
        deserialize_u16 visit_u16 u16;
        deserialize_u32 visit_u32 u32;
        deserialize_u64 visit_u64 u64;
        deserialize_u128 visit_u128 u128;
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let de = self.resolve()?;
        match de.v.as_f64() {
            Some(d) => visitor.visit_f64(d),
            None => Err(invalid_type(de.v, &visitor)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let de = self.resolve()?;
        if let Value::String(s) = de.v {
            let mut chars = s.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                return visitor.visit_char(c);
            }
        }
        Err(invalid_type(de.v, &visitor))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let de = self.resolve()?;
        match de.v {
            Value::String(s) => visitor.visit_str(s),
            other => Err(invalid_type(other, &visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let de = self.resolve()?;
        match de.v {
            Value::Binary(b) => visitor.visit_bytes(b),
            Value::String(s) => visitor.visit_str(s),
            Value::List(l) => de.visit_list(&l.items, visitor),
            other => Err(invalid_type(other, &visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let de = self.resolve()?;
        match de.v {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(de),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let de = self.resolve()?;
        match de.v {
            Value::Null => visitor.visit_unit(),
            other => Err(invalid_type(other, &visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        match name {
            VALUE_NAME => {
                let mode = match self.mode {
                    Mode::Typed if self.depth == 0 => Mode::ValueKeepRefs,
                    Mode::Typed => Mode::ValueInlineRefs,
                    keep => keep,
                };
                visitor.visit_newtype_struct(De { mode, ..self })
            }
            DATE_NAME => {
                let de = self.resolve()?;
                match de.v {
                    Value::Date(ms) => visitor.visit_newtype_struct(ms.into_deserializer()),
                    Value::Int(_) | Value::Long(_) => visitor.visit_newtype_struct(de),
                    other => Err(invalid_type(other, &"a java.util.Date")),
                }
            }
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let de = self.resolve()?;
        match de.v {
            Value::List(l) => de.visit_list(&l.items, visitor),
            Value::Binary(b) => de::value::SeqDeserializer::<_, Error>::new(b.iter().copied())
                .deserialize_any(visitor),
            other => Err(invalid_type(other, &visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.resolve()?.visit_map_value(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.resolve()?.visit_map_value(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let de = self.resolve()?;
        match de.v {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            Value::Object(o) => match o.get("name") {
                Some(Value::String(s)) => visitor.visit_enum(s.as_str().into_deserializer()),
                _ => Err(Error::message(format!(
                    "expected enum {name}, found {} without a string field `name`",
                    describe(de.v)
                ))),
            },
            Value::Map(m) if m.entries.len() == 1 => match &m.entries[..] {
                [(Value::String(variant), content)] => visitor.visit_enum(VariantContent {
                    variant,
                    content: de.enter()?.child(content)?,
                }),
                _ => Err(Error::message(format!(
                    "expected enum {name}, found a map whose key is not a string"
                ))),
            },
            other => Err(Error::message(format!(
                "expected enum {name} (a Java enum object, a string or a one-entry map), found {}",
                describe(other)
            ))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let de = self.resolve()?;
        match de.v {
            Value::String(s) => visitor.visit_str(s),
            _ => de.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}

// ---------------------------------------------------------------------------------------------
// Accessors

struct Seq<'a, 'c> {
    items: std::slice::Iter<'a, Value>,
    child: De<'a, 'c>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Seq<'_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let Some(v) = self.items.next() else {
            return Ok(None);
        };
        let i = self.index;
        self.index += 1;
        seed.deserialize(self.child.child(v)?)
            .map(Some)
            .map_err(|e| at(e, &format!("[{i}]")))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'a, 'c> {
    entries: std::slice::Iter<'a, (Value, Value)>,
    pending: Option<&'a (Value, Value)>,
    child: De<'a, 'c>,
}

impl<'a, 'c> Entries<'a, 'c> {
    fn new(entries: &'a [(Value, Value)], child: De<'a, 'c>) -> Self {
        Entries {
            entries: entries.iter(),
            pending: None,
            child,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some(entry);
        seed.deserialize(self.child.child(&entry.0)?)
            .map(Some)
            .map_err(|e| at(e, &format!("{} (key)", key_segment(&entry.0))))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let (k, v) = self
            .pending
            .take()
            .ok_or_else(|| Error::message("map value requested before its key"))?;
        seed.deserialize(self.child.child(v)?)
            .map_err(|e| at(e, &key_segment(k)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct Fields<'a, 'c> {
    fields: std::slice::Iter<'a, (Str, Value)>,
    pending: Option<&'a (Str, Value)>,
    child: De<'a, 'c>,
}

impl<'a, 'c> Fields<'a, 'c> {
    fn new(fields: &'a [(Str, Value)], child: De<'a, 'c>) -> Self {
        Fields {
            fields: fields.iter(),
            pending: None,
            child,
        }
    }
}

impl<'de> MapAccess<'de> for Fields<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some(field) = self.fields.next() else {
            return Ok(None);
        };
        self.pending = Some(field);
        seed.deserialize(de::value::StrDeserializer::<Error>::new(&field.0))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let (k, v) = self
            .pending
            .take()
            .ok_or_else(|| Error::message("field value requested before its name"))?;
        seed.deserialize(self.child.child(v)?).map_err(|e| at(e, k))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// A variant selected by a one-entry map `{variant: content}`.
struct VariantContent<'a, 'c> {
    variant: &'a str,
    content: De<'a, 'c>,
}

impl<'de> EnumAccess<'de> for VariantContent<'_, '_> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let v = seed.deserialize(de::value::StrDeserializer::<Error>::new(self.variant))?;
        Ok((v, self))
    }
}

impl<'de> VariantAccess<'de> for VariantContent<'_, '_> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        let de = self.content.resolve()?;
        match de.v {
            Value::Null => Ok(()),
            other => Err(at(
                invalid_type(other, &"null for a unit variant"),
                self.variant,
            )),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self.content)
            .map_err(|e| at(e, self.variant))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.content
            .deserialize_seq(visitor)
            .map_err(|e| at(e, self.variant))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.content
            .deserialize_map(visitor)
            .map_err(|e| at(e, self.variant))
    }
}

// ---------------------------------------------------------------------------------------------
// Value mode: reserved-name variants that carry the forms serde cannot express

enum Content<'a, 'c> {
    I64(i64),
    U32(u32),
    List(&'a List, De<'a, 'c>),
    Map(&'a Map, De<'a, 'c>),
    Object(&'a Object, De<'a, 'c>),
}

struct Tagged<'a, 'c> {
    tag: &'static str,
    content: Content<'a, 'c>,
}

impl<'de> EnumAccess<'de> for Tagged<'_, '_> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let v = seed.deserialize(de::value::StrDeserializer::<Error>::new(self.tag))?;
        Ok((v, self))
    }
}

impl<'de> VariantAccess<'de> for Tagged<'_, '_> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        Err(Error::message(format!(
            "`{}` is not a unit variant",
            self.tag
        )))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        match self.content {
            Content::I64(n) => seed.deserialize(n.into_deserializer()),
            Content::U32(n) => seed.deserialize(n.into_deserializer()),
            _ => Err(Error::message(format!(
                "`{}` is not a newtype variant",
                self.tag
            ))),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        let parts = match self.content {
            Content::List(l, child) => [
                Part::Name(l.type_name.as_deref()),
                Part::Bool(l.fixed_length),
                Part::Items(&l.items, child),
            ],
            Content::Map(m, child) => [
                Part::Name(m.type_name.as_deref()),
                Part::Entries(&m.entries, child),
                Part::Done,
            ],
            Content::Object(o, child) => [
                Part::Name(Some(&o.class_name)),
                Part::Fields(&o.fields, child),
                Part::Done,
            ],
            Content::I64(_) | Content::U32(_) => {
                return Err(Error::message(format!(
                    "`{}` is not a tuple variant",
                    self.tag
                )));
            }
        };
        visitor.visit_seq(Parts {
            parts: parts.into_iter(),
        })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value> {
        Err(Error::message(format!(
            "`{}` is not a struct variant",
            self.tag
        )))
    }
}

enum Part<'a, 'c> {
    Name(Option<&'a str>),
    Bool(bool),
    Items(&'a [Value], De<'a, 'c>),
    Entries(&'a [(Value, Value)], De<'a, 'c>),
    Fields(&'a [(Str, Value)], De<'a, 'c>),
    Done,
}

struct Parts<'a, 'c> {
    parts: std::array::IntoIter<Part<'a, 'c>, 3>,
}

impl<'de> SeqAccess<'de> for Parts<'_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.parts.next() {
            None | Some(Part::Done) => Ok(None),
            Some(part) => seed.deserialize(part).map(Some),
        }
    }
}

impl<'de> Deserializer<'de> for Part<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Part::Name(Some(s)) => visitor.visit_str(s),
            Part::Name(None) | Part::Done => visitor.visit_unit(),
            Part::Bool(b) => visitor.visit_bool(b),
            Part::Items(items, child) => visitor.visit_seq(Seq {
                items: items.iter(),
                child,
                index: 0,
            }),
            Part::Entries(entries, child) => visitor.visit_map(Entries::new(entries, child)),
            Part::Fields(fields, child) => visitor.visit_map(Fields::new(fields, child)),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

// ---------------------------------------------------------------------------------------------
// Deserialize for Value

impl<'de> Deserialize<'de> for Value {
    /// From this crate's deserializer the result is an exact copy (see the
    /// [`from_value`]); from other formats, integers become `Int` when they come as
    /// 8/16/32-bit and `Long` otherwise, sequences untyped lists and maps untyped maps.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(VALUE_NAME, ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any Hessian value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i8<E: de::Error>(self, v: i8) -> Result<Value, E> {
        Ok(Value::Int(i32::from(v)))
    }

    fn visit_i16<E: de::Error>(self, v: i16) -> Result<Value, E> {
        Ok(Value::Int(i32::from(v)))
    }

    fn visit_i32<E: de::Error>(self, v: i32) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Long(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Long)
            .map_err(|_| E::custom(format!("i128 value {v} does not fit in a Java long")))
    }

    fn visit_u8<E: de::Error>(self, v: u8) -> Result<Value, E> {
        Ok(Value::Int(i32::from(v)))
    }

    fn visit_u16<E: de::Error>(self, v: u16) -> Result<Value, E> {
        Ok(Value::Int(i32::from(v)))
    }

    fn visit_u32<E: de::Error>(self, v: u32) -> Result<Value, E> {
        Ok(i32::try_from(v).map_or(Value::Long(i64::from(v)), Value::Int))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Long)
            .map_err(|_| E::custom(format!("u64 value {v} does not fit in a Java long")))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Long)
            .map_err(|_| E::custom(format!("u128 value {v} does not fit in a Java long")))
    }

    fn visit_f32<E: de::Error>(self, v: f32) -> Result<Value, E> {
        Ok(Value::Double(f64::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Double(v))
    }

    fn visit_char<E: de::Error>(self, v: char) -> Result<Value, E> {
        Ok(Value::String(Str::from(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(Str::from(v)))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(Str::from(v)))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Binary(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Binary(v))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        Ok(Value::List(List::untyped(collect_items(seq)?)))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        Ok(Value::Map(Map::untyped(collect_entries(map)?)))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, variant): (String, _) = data.variant()?;
        match tag.as_str() {
            DATE_NAME => variant.newtype_variant::<i64>().map(Value::Date),
            REF_NAME => variant.newtype_variant::<u32>().map(Value::Ref),
            LIST_NAME | MAP_NAME | OBJECT_NAME => variant.tuple_variant(3, PartsVisitor(tag)),
            _ => Err(de::Error::custom(format!(
                "enum variant `{tag}` cannot be represented as a Hessian value"
            ))),
        }
    }
}

fn collect_items<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<Value>, A::Error> {
    let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
    while let Some(v) = seq.next_element::<Value>()? {
        items.push(v);
    }
    Ok(items)
}

fn collect_entries<'de, A: MapAccess<'de>>(mut map: A) -> Result<Vec<(Value, Value)>, A::Error> {
    let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
    while let Some(kv) = map.next_entry::<Value, Value>()? {
        entries.push(kv);
    }
    Ok(entries)
}

/// Reads the parts of a reserved-name list, map or object variant.
struct PartsVisitor(String);

impl<'de> Visitor<'de> for PartsVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the parts of `{}`", self.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let missing = || de::Error::custom(format!("`{}` is missing a part", self.0));
        let name = match seq.next_element::<Value>()?.ok_or_else(missing)? {
            Value::String(s) => Some(s),
            Value::Null => None,
            other => {
                return Err(de::Error::custom(format!(
                    "`{}` has a bad type name: {}",
                    self.0,
                    describe(&other)
                )));
            }
        };
        match self.0.as_str() {
            LIST_NAME => {
                let fixed_length = seq.next_element::<bool>()?.ok_or_else(missing)?;
                let items = seq.next_element_seed(ItemsSeed)?.ok_or_else(missing)?;
                Ok(Value::List(List {
                    type_name: name,
                    fixed_length,
                    items,
                }))
            }
            MAP_NAME => {
                let entries = seq.next_element_seed(EntriesSeed)?.ok_or_else(missing)?;
                Ok(Value::Map(Map {
                    type_name: name,
                    entries,
                }))
            }
            _ => {
                let fields = seq.next_element_seed(FieldsSeed)?.ok_or_else(missing)?;
                Ok(Value::Object(Object {
                    class_name: name.unwrap_or_default(),
                    fields,
                }))
            }
        }
    }
}

struct ItemsSeed;

impl<'de> DeserializeSeed<'de> for ItemsSeed {
    type Value = Vec<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Value>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("list items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Vec<Value>, A::Error> {
        collect_items(seq)
    }
}

struct EntriesSeed;

impl<'de> DeserializeSeed<'de> for EntriesSeed {
    type Value = Vec<(Value, Value)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed {
    type Value = Vec<(Value, Value)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("map entries")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        collect_entries(map)
    }
}

struct FieldsSeed;

impl<'de> DeserializeSeed<'de> for FieldsSeed {
    type Value = Vec<(Str, Value)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed {
    type Value = Vec<(Str, Value)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("object fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(kv) = map.next_entry::<Str, Value>()? {
            fields.push(kv);
        }
        Ok(fields)
    }
}
