//! Serde serialization into [`Value`]: [`to_value`], and `Serialize` for [`Value`] itself.

use std::io::Write;

use serde::Serialize;
use serde::ser::{self, SerializeMap as _, SerializeStruct as _};

use crate::date::DATE_NAME;
use crate::encode::encode_value;
use crate::{Error, List, Map, Object, Result, Str, Value};

/// Reserved newtype name of `Value`'s typed / variable-length list form.
pub(crate) const LIST_NAME: &str = "$oxidubbo_hessian2::List";
/// Reserved newtype name of `Value`'s typed map form.
pub(crate) const MAP_NAME: &str = "$oxidubbo_hessian2::Map";
/// Reserved newtype name of `Value`'s object form.
pub(crate) const OBJECT_NAME: &str = "$oxidubbo_hessian2::Object";
/// Reserved newtype name of `Value`'s back-reference form.
pub(crate) const REF_NAME: &str = "$oxidubbo_hessian2::Ref";

/// Converts any `Serialize` type into a [`Value`].
///
/// # Mapping
///
/// | Rust (serde data model) | [`Value`] |
/// |---|---|
/// | `bool` | `Bool` |
/// | `i8`, `i16`, `i32`, `u8`, `u16` | `Int` |
/// | `u32` | `Int` if it fits in `i32`, else `Long` |
/// | `i64`; `u64`, `i128`, `u128` that fit in `i64` | `Long` (others are an error) |
/// | `f32`, `f64` | `Double` |
/// | `char`, `&str`, `String` | `String` |
/// | bytes (`serde_bytes`, [`Binary`](crate::Binary)) | `Binary` |
/// | `None`, `()`, unit structs | `Null` |
/// | `Some(x)`, newtype structs | `x` |
/// | sequences, tuples, tuple structs, sets | untyped fixed-length `List` |
/// | maps | untyped `Map` |
/// | structs | `Object`, class name = serde name, fields in declaration order |
/// | unit enum variants | Java enum: `Object { class: <enum name>, fields: [("name", <variant>)] }` |
/// | newtype / tuple / struct variants | externally tagged: untyped `Map { <variant>: inner }` (inner is the value, a `List`, or an untyped `Map` of the fields) |
/// | [`Date`](crate::Date) | `Date` |
///
/// Use `#[serde(rename = "com.example.User")]` to give a struct (or an enum) its Java class name.
///
/// # `Value` as a serde type
///
/// `Value` implements `Serialize` so it can sit inside your own types. Forms with a direct
/// serde equivalent use it (`Int` → `i32`, `Long` → `i64`, `Binary` → bytes, untyped
/// fixed-length `List` → sequence, untyped `Map` → map, …). The others go through newtype
/// structs with reserved names (`$oxidubbo_hessian2::…`) that [`to_value`] recognizes, so
/// `to_value(&v) == v` for every `Value`:
///
/// * `Date(ms)` → newtype [`DATE_NAME`](crate::DATE_NAME) around `ms`;
/// * typed or variable-length `List` → newtype `$oxidubbo_hessian2::List` around a struct
///   `{ type_name, fixed_length, items }`;
/// * typed `Map` → newtype `$oxidubbo_hessian2::Map` around `{ type_name, entries }`
///   (`entries` a map);
/// * `Object` → newtype `$oxidubbo_hessian2::Object` around `{ class_name, fields }`
///   (`fields` a map from field name to value);
/// * `Ref(k)` → newtype `$oxidubbo_hessian2::Ref` around `k`.
///
/// Other formats see the newtypes as their contents, so JSON shows a date as its milliseconds
/// and an object as `{"class_name": …, "fields": {…}}`.
///
/// ```
/// use oxidubbo_hessian2::{to_value, Object, Value};
///
/// #[derive(serde::Serialize)]
/// #[serde(rename = "com.example.User")]
/// struct User { id: i64, name: String }
///
/// let v = to_value(&User { id: 1, name: "ann".into() }).unwrap();
/// assert_eq!(v, Value::Object(Object::new("com.example.User", vec![
///     ("id".into(), Value::Long(1)),
///     ("name".into(), Value::from("ann")),
/// ])));
/// ```
///
/// # Errors
///
/// An integer that does not fit in a Java `long`, a map key that fails to serialize, or a
/// custom error raised by a `Serialize` impl.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value> {
    value.serialize(ValueSerializer)
}

/// Serializes `value` as one Hessian value (a fresh stream), like `serde_json::to_vec`.
///
/// The bytes are what Java's `Hessian2Output.writeObject` writes for the equivalent Java
/// object: `encode_value(&to_value(value)?)`.
///
/// ```
/// # use oxidubbo_hessian2::{from_slice, to_vec};
/// let bytes = to_vec(&vec![1i32, 2])?;
/// assert_eq!(bytes, [0x7a, 0x91, 0x92]);
/// assert_eq!(from_slice::<Vec<i32>>(&bytes)?, [1, 2]);
/// # Ok::<(), oxidubbo_hessian2::Error>(())
/// ```
///
/// # Errors
///
/// As for [`to_value`], plus anything the encoder rejects (for example a [`Value::Ref`]
/// that points forward).
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    encode_value(&to_value(value)?)
}

/// Serializes `value` as one Hessian value (a fresh stream) into `writer`.
///
/// The value is encoded in memory first and handed to the writer with one `write_all`, so
/// an unbuffered writer is fine.
///
/// # Errors
///
/// As for [`to_vec`], plus I/O errors from the writer.
pub fn to_writer<W: Write, T: Serialize + ?Sized>(mut writer: W, value: &T) -> Result<()> {
    writer.write_all(&to_vec(value)?)?;
    Ok(())
}

/// The serde `Serializer` whose output is a [`Value`].
struct ValueSerializer;

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::message(msg)
    }
}

fn long_from<T: TryInto<i64> + std::fmt::Display + Copy>(v: T, ty: &str) -> Result<Value> {
    v.try_into()
        .map(Value::Long)
        .map_err(|_| Error::message(format!("{ty} value {v} does not fit in a Java long")))
}

fn java_enum(name: &str, variant: &str) -> Value {
    Value::Object(Object::new(
        name,
        vec![(Str::from_static("name"), Value::String(Str::from(variant)))],
    ))
}

fn tagged(variant: &str, inner: Value) -> Value {
    Value::Map(Map::untyped(vec![(
        Value::String(Str::from(variant)),
        inner,
    )]))
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqSerializer;
    type SerializeTuple = SeqSerializer;
    type SerializeTupleStruct = SeqSerializer;
    type SerializeTupleVariant = SeqSerializer;
    type SerializeMap = MapSerializer;
    type SerializeStruct = StructSerializer;
    type SerializeStructVariant = MapSerializer;

    fn serialize_bool(self, v: bool) -> Result<Value> {
        Ok(Value::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value> {
        Ok(Value::Int(i32::from(v)))
    }

    fn serialize_i16(self, v: i16) -> Result<Value> {
        Ok(Value::Int(i32::from(v)))
    }

    fn serialize_i32(self, v: i32) -> Result<Value> {
        Ok(Value::Int(v))
    }

    fn serialize_i64(self, v: i64) -> Result<Value> {
        Ok(Value::Long(v))
    }

    fn serialize_i128(self, v: i128) -> Result<Value> {
        long_from(v, "i128")
    }

    fn serialize_u8(self, v: u8) -> Result<Value> {
        Ok(Value::Int(i32::from(v)))
    }

    fn serialize_u16(self, v: u16) -> Result<Value> {
        Ok(Value::Int(i32::from(v)))
    }

    fn serialize_u32(self, v: u32) -> Result<Value> {
        Ok(i32::try_from(v).map_or(Value::Long(i64::from(v)), Value::Int))
    }

    fn serialize_u64(self, v: u64) -> Result<Value> {
        long_from(v, "u64")
    }

    fn serialize_u128(self, v: u128) -> Result<Value> {
        long_from(v, "u128")
    }

    fn serialize_f32(self, v: f32) -> Result<Value> {
        Ok(Value::Double(f64::from(v)))
    }

    fn serialize_f64(self, v: f64) -> Result<Value> {
        Ok(Value::Double(v))
    }

    fn serialize_char(self, v: char) -> Result<Value> {
        Ok(Value::String(Str::from(v)))
    }

    fn serialize_str(self, v: &str) -> Result<Value> {
        Ok(Value::String(Str::from(v)))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Value> {
        Ok(Value::Binary(v.to_vec()))
    }

    fn serialize_none(self) -> Result<Value> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value> {
        Ok(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value> {
        Ok(java_enum(name, variant))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value> {
        let inner = value.serialize(ValueSerializer)?;
        match name {
            DATE_NAME => match inner {
                Value::Long(ms) | Value::Date(ms) => Ok(Value::Date(ms)),
                Value::Int(ms) => Ok(Value::Date(i64::from(ms))),
                other => Err(reserved_error(name, &other)),
            },
            LIST_NAME => list_from_repr(inner),
            MAP_NAME => map_from_repr(inner),
            OBJECT_NAME => object_from_repr(inner),
            REF_NAME => match inner {
                Value::Int(k) => u32::try_from(k)
                    .map(Value::Ref)
                    .map_err(|_| reserved_error(name, &Value::Int(k))),
                Value::Long(k) => u32::try_from(k)
                    .map(Value::Ref)
                    .map_err(|_| reserved_error(name, &Value::Long(k))),
                other => Err(reserved_error(name, &other)),
            },
            _ => Ok(inner),
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value> {
        Ok(tagged(variant, value.serialize(ValueSerializer)?))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSerializer> {
        Ok(SeqSerializer::new(len, None))
    }

    fn serialize_tuple(self, len: usize) -> Result<SeqSerializer> {
        Ok(SeqSerializer::new(Some(len), None))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqSerializer> {
        Ok(SeqSerializer::new(Some(len), None))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqSerializer> {
        Ok(SeqSerializer::new(Some(len), Some(variant)))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<MapSerializer> {
        Ok(MapSerializer::new(len, None))
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<StructSerializer> {
        Ok(StructSerializer {
            object: Object {
                class_name: Str::from_static(name),
                fields: Vec::with_capacity(len),
            },
        })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapSerializer> {
        Ok(MapSerializer::new(Some(len), Some(variant)))
    }
}

fn reserved_error(name: &str, found: &Value) -> Error {
    Error::message(format!(
        "malformed reserved newtype `{name}`: unexpected {}",
        describe(found)
    ))
}

/// A short description of a value's kind, for error messages.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Int(i) => format!("int {i}"),
        Value::Long(l) => format!("long {l}"),
        Value::Double(d) => format!("double {d}"),
        Value::Date(ms) => format!("date {ms}"),
        Value::String(s) if s.chars().count() <= 32 => format!("string {s:?}"),
        Value::String(s) => format!("string of {} chars", s.chars().count()),
        Value::Binary(b) => format!("binary of {} bytes", b.len()),
        Value::List(l) => match &l.type_name {
            Some(t) => format!("list `{t}` of {} items", l.items.len()),
            None => format!("list of {} items", l.items.len()),
        },
        Value::Map(m) => match &m.type_name {
            Some(t) => format!("map `{t}` of {} entries", m.entries.len()),
            None => format!("map of {} entries", m.entries.len()),
        },
        Value::Object(o) => format!("object `{}`", o.class_name),
        Value::Ref(k) => format!("reference #{k}"),
    }
}

/// Takes the field `name` out of the `Object` a reserved repr struct serialized to.
fn take_field(fields: &mut Vec<(Str, Value)>, name: &str, repr: &str) -> Result<Value> {
    match fields.iter().position(|(k, _)| k == name) {
        Some(i) => Ok(fields.swap_remove(i).1),
        None => Err(Error::message(format!(
            "malformed reserved newtype `{repr}`: no field `{name}`"
        ))),
    }
}

fn repr_fields(inner: Value, repr: &str) -> Result<Vec<(Str, Value)>> {
    match inner {
        Value::Object(o) => Ok(o.fields),
        Value::Map(m) => m
            .entries
            .into_iter()
            .map(|(k, v)| match k {
                Value::String(k) => Ok((k, v)),
                other => Err(reserved_error(repr, &other)),
            })
            .collect(),
        other => Err(reserved_error(repr, &other)),
    }
}

fn opt_string(v: Value, repr: &str) -> Result<Option<Str>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(reserved_error(repr, &other)),
    }
}

fn list_from_repr(inner: Value) -> Result<Value> {
    let mut f = repr_fields(inner, LIST_NAME)?;
    let type_name = opt_string(take_field(&mut f, "type_name", LIST_NAME)?, LIST_NAME)?;
    let fixed_length = match take_field(&mut f, "fixed_length", LIST_NAME)? {
        Value::Bool(b) => b,
        other => return Err(reserved_error(LIST_NAME, &other)),
    };
    let items = match take_field(&mut f, "items", LIST_NAME)? {
        Value::List(l) => l.items,
        other => return Err(reserved_error(LIST_NAME, &other)),
    };
    Ok(Value::List(List {
        type_name,
        fixed_length,
        items,
    }))
}

fn map_from_repr(inner: Value) -> Result<Value> {
    let mut f = repr_fields(inner, MAP_NAME)?;
    let type_name = opt_string(take_field(&mut f, "type_name", MAP_NAME)?, MAP_NAME)?;
    let entries = match take_field(&mut f, "entries", MAP_NAME)? {
        Value::Map(m) => m.entries,
        other => return Err(reserved_error(MAP_NAME, &other)),
    };
    Ok(Value::Map(Map { type_name, entries }))
}

fn object_from_repr(inner: Value) -> Result<Value> {
    let mut f = repr_fields(inner, OBJECT_NAME)?;
    let class_name = match take_field(&mut f, "class_name", OBJECT_NAME)? {
        Value::String(s) => s,
        other => return Err(reserved_error(OBJECT_NAME, &other)),
    };
    let fields = repr_fields(take_field(&mut f, "fields", OBJECT_NAME)?, OBJECT_NAME)?;
    Ok(Value::Object(Object { class_name, fields }))
}

/// Builds a `List` (or, for tuple variants, `{variant: List}`).
struct SeqSerializer {
    items: Vec<Value>,
    variant: Option<&'static str>,
}

impl SeqSerializer {
    fn new(len: Option<usize>, variant: Option<&'static str>) -> Self {
        SeqSerializer {
            items: Vec::with_capacity(len.unwrap_or(0).min(4096)),
            variant,
        }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn finish(self) -> Value {
        let list = Value::List(List::untyped(self.items));
        match self.variant {
            Some(variant) => tagged(variant, list),
            None => list,
        }
    }
}

impl ser::SerializeSeq for SeqSerializer {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }

    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for SeqSerializer {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }

    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for SeqSerializer {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }

    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for SeqSerializer {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }

    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

/// Builds an untyped `Map` (or, for struct variants, `{variant: Map}`).
struct MapSerializer {
    entries: Vec<(Value, Value)>,
    pending_key: Option<Value>,
    variant: Option<&'static str>,
}

impl MapSerializer {
    fn new(len: Option<usize>, variant: Option<&'static str>) -> Self {
        MapSerializer {
            entries: Vec::with_capacity(len.unwrap_or(0).min(4096)),
            pending_key: None,
            variant,
        }
    }

    fn finish(self) -> Value {
        let map = Value::Map(Map::untyped(self.entries));
        match self.variant {
            Some(variant) => tagged(variant, map),
            None => map,
        }
    }
}

impl ser::SerializeMap for MapSerializer {
    type Ok = Value;
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.pending_key = Some(key.serialize(ValueSerializer)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| Error::message("serialize_value called before serialize_key"))?;
        self.entries.push((key, value.serialize(ValueSerializer)?));
        Ok(())
    }

    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for MapSerializer {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.entries.push((
            Value::String(Str::from(key)),
            value.serialize(ValueSerializer)?,
        ));
        Ok(())
    }

    fn end(self) -> Result<Value> {
        Ok(self.finish())
    }
}

/// Builds an `Object` named after the struct.
struct StructSerializer {
    object: Object,
}

impl ser::SerializeStruct for StructSerializer {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.object
            .fields
            .push((Str::from_static(key), value.serialize(ValueSerializer)?));
        Ok(())
    }

    fn end(self) -> Result<Value> {
        Ok(Value::Object(self.object))
    }
}

// ---------------------------------------------------------------------------------------------
// Serialize for Value

/// Serializes a slice of `(key, value)` pairs as a serde map, in order.
struct Entries<'a>(&'a [(Value, Value)]);

impl Serialize for Entries<'_> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Serializes object fields as a serde map from field name to value, in order.
struct Fields<'a>(&'a [(Str, Value)]);

impl Serialize for Fields<'_> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

struct ListRepr<'a>(&'a List);

impl Serialize for ListRepr<'_> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("List", 3)?;
        s.serialize_field("type_name", &self.0.type_name)?;
        s.serialize_field("fixed_length", &self.0.fixed_length)?;
        s.serialize_field("items", &self.0.items)?;
        s.end()
    }
}

struct MapRepr<'a>(&'a Map);

impl Serialize for MapRepr<'_> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Map", 2)?;
        s.serialize_field("type_name", &self.0.type_name)?;
        s.serialize_field("entries", &Entries(&self.0.entries))?;
        s.end()
    }
}

struct ObjectRepr<'a>(&'a Object);

impl Serialize for ObjectRepr<'_> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Object", 2)?;
        s.serialize_field("class_name", &self.0.class_name)?;
        s.serialize_field("fields", &Fields(&self.0.fields))?;
        s.end()
    }
}

impl Serialize for Value {
    /// See [`to_value`] for how each form maps; through [`to_value`] the
    /// result equals `self`.
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i32(*i),
            Value::Long(l) => serializer.serialize_i64(*l),
            Value::Double(d) => serializer.serialize_f64(*d),
            Value::Date(ms) => serializer.serialize_newtype_struct(DATE_NAME, ms),
            Value::String(s) => serializer.serialize_str(s),
            Value::Binary(b) => serializer.serialize_bytes(b),
            Value::List(l) if l.type_name.is_none() && l.fixed_length => {
                l.items.serialize(serializer)
            }
            Value::List(l) => serializer.serialize_newtype_struct(LIST_NAME, &ListRepr(l)),
            Value::Map(m) if m.type_name.is_none() => Entries(&m.entries).serialize(serializer),
            Value::Map(m) => serializer.serialize_newtype_struct(MAP_NAME, &MapRepr(m)),
            Value::Object(o) => serializer.serialize_newtype_struct(OBJECT_NAME, &ObjectRepr(o)),
            Value::Ref(k) => serializer.serialize_newtype_struct(REF_NAME, k),
        }
    }
}
