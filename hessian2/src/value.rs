//! The dynamic Hessian value model.

use crate::Str;

/// Any value that Hessian 2.0 can carry.
///
/// `Value` is a tree; shared or cyclic graphs are kept lossless with [`Value::Ref`], which
/// points at the n-th list, map or object that *began* earlier in the same stream (Hessian's
/// `Q` form, counting from 0). Decoding then re-encoding a stream therefore reproduces its
/// references exactly.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `N`: Java `null`.
    #[default]
    Null,
    /// `T` / `F`.
    Bool(bool),
    /// A 32-bit int (Java `int`, `short`, `byte`).
    Int(i32),
    /// A 64-bit long (Java `long`).
    Long(i64),
    /// A 64-bit double (Java `double`, `float`).
    Double(f64),
    /// A date: milliseconds since the Unix epoch, UTC (Java `java.util.Date`).
    Date(i64),
    /// A string (Java `String`, `char`); short ones are kept inline (see [`Str`]).
    String(Str),
    /// Raw bytes (Java `byte[]`).
    Binary(Vec<u8>),
    /// A list or array.
    List(List),
    /// A map.
    Map(Map),
    /// An object instance of a Java class.
    Object(Object),
    /// A back-reference to the n-th list, map or object begun earlier in the stream.
    Ref(u32),
}

/// A Hessian list: Java collections and arrays.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct List {
    /// Java type, e.g. `[int`, `java.util.LinkedList`; `None` for an untyped list (`ArrayList`).
    pub type_name: Option<Str>,
    /// Whether the length was written up front (`V`, `X`, `0x70`–`0x7f`) rather than
    /// terminated by `Z` (`U`, `W`).
    pub fixed_length: bool,
    /// The elements.
    pub items: Vec<Value>,
}

/// A Hessian map: Java maps, in stream order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map {
    /// Java type, e.g. `java.util.TreeMap`; `None` for an untyped map (`HashMap`).
    pub type_name: Option<Str>,
    /// Key/value pairs in the order they were written.
    pub entries: Vec<(Value, Value)>,
}

/// A Hessian object: an instance of a Java class with named fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object {
    /// Fully qualified Java class name, e.g. `com.example.User`.
    pub class_name: Str,
    /// Field names and values in the order of the class definition.
    pub fields: Vec<(Str, Value)>,
}

impl List {
    /// An untyped, fixed-length list (what Java writes for an `ArrayList`).
    pub fn untyped(items: Vec<Value>) -> Self {
        List {
            type_name: None,
            fixed_length: true,
            items,
        }
    }

    /// A typed, fixed-length list (what Java writes for an array or a non-`ArrayList` collection).
    pub fn typed(type_name: impl Into<Str>, items: Vec<Value>) -> Self {
        List {
            type_name: Some(type_name.into()),
            fixed_length: true,
            items,
        }
    }
}

impl Map {
    /// An untyped map (what Java writes for a `HashMap`).
    pub fn untyped(entries: Vec<(Value, Value)>) -> Self {
        Map {
            type_name: None,
            entries,
        }
    }

    /// Looks up the value of a string key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }
}

impl Object {
    /// An object of `class_name` with the given fields.
    pub fn new(class_name: impl Into<Str>, fields: Vec<(Str, Value)>) -> Self {
        Object {
            class_name: class_name.into(),
            fields,
        }
    }

    /// Looks up a field by name (Hessian matches fields by name, never by position).
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == field).map(|(_, v)| v)
    }
}

impl Value {
    /// The string inside a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an `i64`, for either numeric integer form.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i64::from(i)),
            Value::Long(l) => Some(l),
            _ => None,
        }
    }

    /// The value as an `f64`, for any numeric form.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(i) => Some(f64::from(i)),
            #[allow(clippy::cast_precision_loss)]
            Value::Long(l) => Some(l as f64),
            Value::Double(d) => Some(d),
            _ => None,
        }
    }

    /// The bool inside a [`Value::Bool`].
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(Str::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(Str::from(s))
    }
}

impl From<std::borrow::Cow<'_, str>> for Value {
    fn from(s: std::borrow::Cow<'_, str>) -> Self {
        Value::String(Str::from(s))
    }
}

impl From<Str> for Value {
    fn from(s: Str) -> Self {
        Value::String(s)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i)
    }
}

impl From<i64> for Value {
    fn from(l: i64) -> Self {
        Value::Long(l)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(d: f64) -> Self {
        Value::Double(d)
    }
}

impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Value::Binary(b)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
