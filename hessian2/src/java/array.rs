//! Java arrays of primitives (and of strings and objects): [`Array`].

use std::borrow::Cow;

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::Value;
use crate::descriptor::JavaType;
use crate::ser::LIST_NAME;

/// An element type of a Java array, with the list type Java writes for the array.
pub trait ArrayElement {
    /// The Hessian list type of the Java array: `[int`, `[long`, ….
    const LIST_TYPE: &'static str;
}

macro_rules! element {
    ($($ty:ty => $name:literal),* $(,)?) => {$(
        impl ArrayElement for $ty {
            const LIST_TYPE: &'static str = $name;
        }
    )*};
}

element! {
    bool => "[boolean",
    i16 => "[short",
    i32 => "[int",
    i64 => "[long",
    f32 => "[float",
    f64 => "[double",
    String => "[string",
    Value => "[object",
}

/// A Java array: `int[]` is `Array<i32>`, `long[]` `Array<i64>`, `short[]` `Array<i16>`,
/// `boolean[]` `Array<bool>`, `double[]` `Array<f64>`, `float[]` `Array<f32>`, `String[]`
/// `Array<String>` (or `Array<Option<String>>` with nulls) and `Object[]` `Array<Value>`.
///
/// A plain `Vec<T>` is written as an untyped list (Java's `ArrayList`); `Array` writes the
/// typed list Java writes for the array (`[int`, …), which a Java parameter or field of the
/// array type needs. Reading accepts any list. `byte[]` is [`Binary`](crate::Binary) and
/// `char[]` a `String`: Java writes them as a binary and a string.
///
/// ```
/// use oxidubbo_hessian2::java::Array;
/// use oxidubbo_hessian2::{from_slice, to_value, to_vec, List, Value};
///
/// let a = Array(vec![1i32, 2]);
/// assert_eq!(to_value(&a)?, Value::List(List::typed("[int", vec![1.into(), 2.into()])));
/// assert_eq!(to_vec(&a)?, b"\x72\x04[int\x91\x92");
/// assert_eq!(from_slice::<Array<i32>>(&to_vec(&a)?)?, a);
/// # Ok::<(), oxidubbo_hessian2::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Array<T>(pub Vec<T>);

impl<T> From<Vec<T>> for Array<T> {
    fn from(v: Vec<T>) -> Self {
        Array(v)
    }
}

impl<T> From<Array<T>> for Vec<T> {
    fn from(a: Array<T>) -> Self {
        a.0
    }
}

impl<T: ArrayElement> ArrayElement for Option<T> {
    const LIST_TYPE: &'static str = T::LIST_TYPE;
}

/// The reserved list form `{ type_name, fixed_length, items }` (see `ser::LIST_NAME`).
struct TypedList<'a, T> {
    type_name: &'static str,
    items: &'a [T],
}

impl<T: Serialize> Serialize for TypedList<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("List", 3)?;
        s.serialize_field("type_name", &Some(self.type_name))?;
        s.serialize_field("fixed_length", &true)?;
        s.serialize_field("items", self.items)?;
        s.end()
    }
}

impl<T: Serialize + ArrayElement> Serialize for Array<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(
            LIST_NAME,
            &TypedList {
                type_name: T::LIST_TYPE,
                items: &self.0,
            },
        )
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Array<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(deserializer).map(Array)
    }
}

impl<T: JavaType> JavaType for Array<T> {
    /// `[I`, `[Ljava.lang.String;`, … (the array class).
    fn java_class_name() -> Cow<'static, str> {
        <[T]>::java_class_name()
    }

    fn descriptor() -> Cow<'static, str> {
        <[T]>::descriptor()
    }
}
