//! Java type descriptors, as Dubbo puts them in a request body.
//!
//! A Dubbo request names its parameter types with the JVM descriptors of the parameters
//! joined with no separator (`ReflectUtils.getDesc(Class[])`): primitives are one letter
//! (`Z B C S I J F D`, and `V` for `void`), a class is `L` + its name with `/` for `.` + `;`,
//! and each array level adds a `[` prefix. `(int, boolean[], Object)` becomes
//! `I[ZLjava/lang/Object;`.
//!
//! * [`JavaType`] tells which Java type a Rust type stands for; [`java_type!`](crate::java_type)
//!   implements it for your own types.
//! * [`method_descriptor`] joins descriptors and [`parse_descriptor`] splits them again.
//! * [`class_name_to_descriptor`] and [`descriptor_to_class_name`] convert between the
//!   `Class.getName()` form (`int`, `java.lang.String`, `[Ljava.lang.String;`) and descriptors.
//!
//! ```
//! use oxidubbo_hessian2::descriptor::{method_descriptor, parse_descriptor, JavaType};
//!
//! let desc = method_descriptor(&[&i32::descriptor(), &<[bool; 2]>::descriptor(),
//!                                &oxidubbo_hessian2::Value::descriptor()]);
//! assert_eq!(desc, "I[ZLjava/lang/Object;");
//! assert_eq!(parse_descriptor(&desc).unwrap(), ["I", "[Z", "Ljava/lang/Object;"]);
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, LinkedList, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

use crate::{Binary, Date, Error, Result, Value};

/// The descriptor of Dubbo's generic call (`$invoke` / `$invokeAsync`):
/// `(String method, String[] parameterTypes, Object[] args)`.
pub const GENERIC_PARAMETER_DESC: &str = "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;";

/// The JVM allows at most 255 array dimensions.
const MAX_ARRAY_DIMENSIONS: usize = 255;

/// The Java type a Rust type stands for, as a parameter of a Dubbo method.
///
/// Implemented for the primitives, strings, `Option` (the boxed class: `Option<i32>` is
/// `java.lang.Integer`), collections, arrays, [`Value`] (`java.lang.Object`), [`Date`] and
/// [`Binary`] (`byte[]`). Implement it for your own types with
/// [`java_type!`](crate::java_type).
///
/// Only [`java_class_name`](Self::java_class_name) is required; the other methods derive
/// from it.
///
/// | Rust | class name | descriptor |
/// |---|---|---|
/// | `bool`, `i8`, `i16`, `i32`, `i64`, `f32`, `f64`, `char` | `boolean` … `char` | `Z B S I J F D C` |
/// | `()` | `void` | `V` |
/// | `String`, `str` | `java.lang.String` | `Ljava/lang/String;` |
/// | `Option<T>` | boxed class of `T` | e.g. `Ljava/lang/Integer;` |
/// | `Vec<T>`, `VecDeque<T>`, `LinkedList<T>` | `java.util.List` | `Ljava/util/List;` |
/// | `HashSet<T>`, `BTreeSet<T>` | `java.util.Set` | `Ljava/util/Set;` |
/// | `HashMap<K, V>`, `BTreeMap<K, V>` | `java.util.Map` | `Ljava/util/Map;` |
/// | `[T; N]`, `[T]` (so `Box<[T]>`, `&[T]`) | `[` + element | `[` + element descriptor |
/// | [`Binary`] | `[B` | `[B` |
/// | [`Date`] | `java.util.Date` | `Ljava/util/Date;` |
/// | [`Value`] | `java.lang.Object` | `Ljava/lang/Object;` |
/// | `&T`, `Box<T>`, `Rc<T>`, `Arc<T>` | as `T` | as `T` |
///
/// `Vec<u8>` is a `java.util.List` like any other `Vec`, because it serializes as a list.
/// For a Java `byte[]` use [`Binary`], which serializes as a Hessian binary. (`[i8; N]` has the
/// descriptor `[B` but serializes as a list of ints, which Java does not accept for `byte[]`.)
/// Unsigned integers have no Java counterpart and no impl.
pub trait JavaType {
    /// The name Java's `Class.getName()` returns: `int`, `java.lang.String`, `[I`,
    /// `[Ljava.lang.String;`.
    fn java_class_name() -> Cow<'static, str>;

    /// The JVM descriptor: `I`, `Ljava/lang/String;`, `[I`, `[Ljava/lang/String;`.
    fn descriptor() -> Cow<'static, str> {
        let name = Self::java_class_name();
        match class_name_to_descriptor(&name) {
            Ok(desc) => Cow::Owned(desc),
            // An invalid name from a user impl: still produce something a peer can report.
            Err(_) => Cow::Owned(format!("L{};", name.replace('.', "/"))),
        }
    }

    /// The class used where a primitive must be boxed (`java.lang.Integer` for `int`); the
    /// class name itself for reference types. [`Option<T>`] reports this.
    fn boxed_class_name() -> Cow<'static, str> {
        Self::java_class_name()
    }
}

/// Implements [`JavaType`] for your own types, by Java class name.
///
/// ```
/// use oxidubbo_hessian2::java_type;
/// use oxidubbo_hessian2::descriptor::JavaType;
///
/// struct User;
/// struct Order;
/// java_type!(User => "com.example.User", Order => "com.example.Order");
///
/// assert_eq!(User::descriptor(), "Lcom/example/User;");
/// assert_eq!(<Vec<Order>>::descriptor(), "Ljava/util/List;");
/// assert_eq!(<[User; 1]>::java_class_name(), "[Lcom.example.User;");
/// ```
#[macro_export]
macro_rules! java_type {
    ($($ty:ty => $name:expr),+ $(,)?) => {$(
        impl $crate::descriptor::JavaType for $ty {
            fn java_class_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed($name)
            }
        }
    )+};
}

macro_rules! primitive {
    ($($ty:ty => $name:literal $desc:literal $boxed:literal;)*) => {$(
        impl JavaType for $ty {
            fn java_class_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }

            fn descriptor() -> Cow<'static, str> {
                Cow::Borrowed($desc)
            }

            fn boxed_class_name() -> Cow<'static, str> {
                Cow::Borrowed($boxed)
            }
        }
    )*};
}

primitive! {
    bool => "boolean" "Z" "java.lang.Boolean";
    i8 => "byte" "B" "java.lang.Byte";
    i16 => "short" "S" "java.lang.Short";
    i32 => "int" "I" "java.lang.Integer";
    i64 => "long" "J" "java.lang.Long";
    f32 => "float" "F" "java.lang.Float";
    f64 => "double" "D" "java.lang.Double";
    char => "char" "C" "java.lang.Character";
    () => "void" "V" "java.lang.Void";
}

macro_rules! class {
    ($($ty:ty $([$($gen:ident),*])? => $name:literal $desc:literal;)*) => {$(
        impl$(<$($gen),*>)? JavaType for $ty {
            fn java_class_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }

            fn descriptor() -> Cow<'static, str> {
                Cow::Borrowed($desc)
            }
        }
    )*};
}

class! {
    str => "java.lang.String" "Ljava/lang/String;";
    String => "java.lang.String" "Ljava/lang/String;";
    Value => "java.lang.Object" "Ljava/lang/Object;";
    Date => "java.util.Date" "Ljava/util/Date;";
    Binary => "[B" "[B";
    Vec<T> [T] => "java.util.List" "Ljava/util/List;";
    VecDeque<T> [T] => "java.util.List" "Ljava/util/List;";
    LinkedList<T> [T] => "java.util.List" "Ljava/util/List;";
    HashSet<T, S> [T, S] => "java.util.Set" "Ljava/util/Set;";
    BTreeSet<T> [T] => "java.util.Set" "Ljava/util/Set;";
    HashMap<K, V, S> [K, V, S] => "java.util.Map" "Ljava/util/Map;";
    BTreeMap<K, V> [K, V] => "java.util.Map" "Ljava/util/Map;";
}

impl<T: JavaType> JavaType for Option<T> {
    fn java_class_name() -> Cow<'static, str> {
        T::boxed_class_name()
    }
}

macro_rules! delegate {
    ($($ty:ty),*) => {$(
        impl<T: JavaType + ?Sized> JavaType for $ty {
            fn java_class_name() -> Cow<'static, str> {
                T::java_class_name()
            }

            fn descriptor() -> Cow<'static, str> {
                T::descriptor()
            }

            fn boxed_class_name() -> Cow<'static, str> {
                T::boxed_class_name()
            }
        }
    )*};
}

delegate!(&T, Box<T>, Rc<T>, Arc<T>);

impl<T: JavaType> JavaType for [T] {
    fn java_class_name() -> Cow<'static, str> {
        Cow::Owned(format!("[{}", T::descriptor().replace('/', ".")))
    }

    fn descriptor() -> Cow<'static, str> {
        Cow::Owned(format!("[{}", T::descriptor()))
    }
}

impl<T: JavaType, const N: usize> JavaType for [T; N] {
    fn java_class_name() -> Cow<'static, str> {
        <[T]>::java_class_name()
    }

    fn descriptor() -> Cow<'static, str> {
        <[T]>::descriptor()
    }
}

/// Joins parameter descriptors into a method's parameter-types descriptor (no separator).
///
/// ```
/// use oxidubbo_hessian2::descriptor::method_descriptor;
///
/// assert_eq!(method_descriptor(&["I", "[Z", "Ljava/lang/Object;"]), "I[ZLjava/lang/Object;");
/// assert_eq!(method_descriptor(&[]), "");
/// ```
pub fn method_descriptor(types: &[&str]) -> String {
    types.concat()
}

fn malformed(desc: &str, at: usize, why: &str) -> Error {
    Error::message(format!(
        "malformed type descriptor {desc:?} at byte {at}: {why}"
    ))
}

/// Reads one field descriptor starting at `start`; returns the index just past it.
fn field_descriptor_end(desc: &str, start: usize) -> Result<usize> {
    let bytes = desc.as_bytes();
    let mut i = start;
    while bytes.get(i) == Some(&b'[') {
        i += 1;
    }
    let dims = i - start;
    if dims > MAX_ARRAY_DIMENSIONS {
        return Err(malformed(desc, start, "more than 255 array dimensions"));
    }
    match bytes.get(i) {
        None => Err(malformed(
            desc,
            i,
            "array descriptor without an element type",
        )),
        Some(b'Z' | b'B' | b'C' | b'S' | b'I' | b'J' | b'F' | b'D') => Ok(i + 1),
        Some(b'V') => Err(malformed(
            desc,
            i,
            "`V` (void) is not a parameter or element type",
        )),
        Some(b'L') => {
            let name_start = i + 1;
            let semi = bytes[name_start..]
                .iter()
                .position(|&b| b == b';')
                .map(|p| name_start + p)
                .ok_or_else(|| malformed(desc, i, "class descriptor without a closing `;`"))?;
            check_internal_name(desc, name_start, semi)?;
            Ok(semi + 1)
        }
        Some(&b) => Err(malformed(
            desc,
            i,
            &format!(
                "unexpected {:?}",
                char::from(b).escape_default().to_string()
            ),
        )),
    }
}

/// Checks the internal class name `desc[start..end]` (`java/lang/String`).
fn check_internal_name(desc: &str, start: usize, end: usize) -> Result<()> {
    let name = &desc.as_bytes()[start..end];
    if name.is_empty() {
        return Err(malformed(desc, start, "empty class name"));
    }
    if let Some(p) = name.iter().position(|&b| b == b'.' || b == b'[') {
        return Err(malformed(desc, start + p, "`.` or `[` inside a class name"));
    }
    if name.first() == Some(&b'/')
        || name.last() == Some(&b'/')
        || name.windows(2).any(|w| w == b"//")
    {
        return Err(malformed(desc, start, "empty package or class segment"));
    }
    Ok(())
}

/// Splits a method's parameter-types descriptor into one descriptor per parameter.
///
/// Follows the descriptor grammar rather than splitting on `;` (primitives have no `;`).
/// The empty string means no parameters.
///
/// ```
/// use oxidubbo_hessian2::descriptor::parse_descriptor;
///
/// assert_eq!(parse_descriptor("I[ZLjava/lang/Object;").unwrap(), ["I", "[Z", "Ljava/lang/Object;"]);
/// assert!(parse_descriptor("").unwrap().is_empty());
/// assert!(parse_descriptor("Ljava/lang/String").is_err());
/// ```
///
/// # Errors
///
/// Any malformed input: an unknown letter, a `[` without an element type, a class without
/// its closing `;`, an empty or dotted class name, `V` as a parameter, more than 255 array
/// dimensions. The message gives the byte offset.
pub fn parse_descriptor(desc: &str) -> Result<Vec<&str>> {
    parameters(desc).collect()
}

/// The field descriptors of `desc` one at a time, without allocating: what
/// [`parse_descriptor`] collects. After an error the iterator ends.
///
/// ```
/// use oxidubbo_hessian2::descriptor::parameters;
///
/// assert_eq!(parameters("[BLjava/lang/String;").count(), 2);
/// assert!(parameters("Ljava.lang.String;").any(|p| p.is_err()));
/// ```
pub fn parameters(desc: &str) -> Parameters<'_> {
    Parameters { desc, pos: 0 }
}

/// The iterator of [`parameters`].
#[derive(Debug, Clone)]
pub struct Parameters<'a> {
    desc: &'a str,
    pos: usize,
}

impl<'a> Iterator for Parameters<'a> {
    type Item = Result<&'a str>;

    fn next(&mut self) -> Option<Self::Item> {
        let (desc, i) = (self.desc, self.pos);
        if i >= desc.len() {
            return None;
        }
        // `i` and `end` sit just after ASCII bytes (or at 0 / len), so both are char
        // boundaries; a failure ends the iteration.
        let item = field_descriptor_end(desc, i).and_then(|end| {
            self.pos = end;
            desc.get(i..end)
                .ok_or_else(|| malformed(desc, i, "not on a char boundary"))
        });
        if item.is_err() {
            self.pos = desc.len();
        }
        Some(item)
    }
}

/// Splits exactly one field descriptor, or fails.
fn single_descriptor(desc: &str) -> Result<()> {
    if desc.is_empty() {
        return Err(Error::message("empty type descriptor"));
    }
    let end = field_descriptor_end(desc, 0)?;
    if end != desc.len() {
        return Err(malformed(desc, end, "more than one type"));
    }
    Ok(())
}

const PRIMITIVES: [(&str, &str); 9] = [
    ("boolean", "Z"),
    ("byte", "B"),
    ("char", "C"),
    ("short", "S"),
    ("int", "I"),
    ("long", "J"),
    ("float", "F"),
    ("double", "D"),
    ("void", "V"),
];

/// Converts a Java class name (the `Class.getName()` form) to a descriptor.
///
/// Primitive names become their letter (`int` → `I`, `void` → `V`), classes become
/// `L…;` (`java.lang.String` → `Ljava/lang/String;`), array names keep their shape with
/// `/` for `.` (`[Ljava.lang.String;` → `[Ljava/lang/String;`, `[I` → `[I`). Source-style
/// array suffixes are accepted as well (`java.lang.String[][]` → `[[Ljava/lang/String;`),
/// like Dubbo's `ReflectUtils.name2desc`.
///
/// ```
/// use oxidubbo_hessian2::descriptor::class_name_to_descriptor;
///
/// assert_eq!(class_name_to_descriptor("int").unwrap(), "I");
/// assert_eq!(class_name_to_descriptor("java.lang.String").unwrap(), "Ljava/lang/String;");
/// assert_eq!(class_name_to_descriptor("[Ljava.lang.String;").unwrap(), "[Ljava/lang/String;");
/// assert_eq!(class_name_to_descriptor("int[]").unwrap(), "[I");
/// ```
///
/// # Errors
///
/// An empty name, a name with `/` or `;` (outside the array form), an empty package
/// segment, or a malformed array name.
pub fn class_name_to_descriptor(name: &str) -> Result<String> {
    let bad = |why: &str| Error::message(format!("invalid Java class name {name:?}: {why}"));
    if name.contains('/') {
        return Err(bad("`/` is not allowed (use `.`)"));
    }
    if name.starts_with('[') {
        let desc = name.replace('.', "/");
        single_descriptor(&desc).map_err(|e| bad(&e.to_string()))?;
        return Ok(desc);
    }
    let mut base = name;
    let mut dims = 0;
    while let Some(rest) = base.strip_suffix("[]") {
        base = rest;
        dims += 1;
    }
    if dims > MAX_ARRAY_DIMENSIONS {
        return Err(bad("more than 255 array dimensions"));
    }
    let mut desc = "[".repeat(dims);
    if let Some((_, letter)) = PRIMITIVES.iter().find(|(p, _)| *p == base) {
        if dims > 0 && *letter == "V" {
            return Err(bad("arrays of void do not exist"));
        }
        desc.push_str(letter);
        return Ok(desc);
    }
    if base.is_empty() {
        return Err(bad("empty name"));
    }
    if base.contains(['[', ']', ';']) {
        return Err(bad("misplaced `[`, `]` or `;`"));
    }
    if base.split('.').any(str::is_empty) {
        return Err(bad("empty package or class segment"));
    }
    desc.push('L');
    desc.extend(base.chars().map(|c| if c == '.' { '/' } else { c }));
    desc.push(';');
    Ok(desc)
}

/// Converts one descriptor to the Java class name (the `Class.getName()` form).
///
/// `I` → `int`, `Ljava/lang/String;` → `java.lang.String`,
/// `[Ljava/lang/String;` → `[Ljava.lang.String;`, `[I` → `[I`, `V` → `void`.
///
/// ```
/// use oxidubbo_hessian2::descriptor::descriptor_to_class_name;
///
/// assert_eq!(descriptor_to_class_name("J").unwrap(), "long");
/// assert_eq!(descriptor_to_class_name("Ljava/util/Map;").unwrap(), "java.util.Map");
/// assert_eq!(descriptor_to_class_name("[[Ljava/lang/Object;").unwrap(), "[[Ljava.lang.Object;");
/// ```
///
/// # Errors
///
/// Malformed input, or more than one descriptor.
pub fn descriptor_to_class_name(desc: &str) -> Result<String> {
    if desc == "V" {
        return Ok("void".to_owned());
    }
    single_descriptor(desc)?;
    if desc.starts_with('[') {
        return Ok(desc.replace('/', "."));
    }
    if let Some((name, _)) = PRIMITIVES.iter().find(|(_, d)| *d == desc) {
        return Ok((*name).to_owned());
    }
    let inner = desc
        .strip_prefix('L')
        .and_then(|d| d.strip_suffix(';'))
        .ok_or_else(|| malformed(desc, 0, "not a class descriptor"))?;
    Ok(inner.replace('/', "."))
}
