//! Dubbo's `JavaBeanDescriptor` (`org.apache.dubbo.common.beanutil`), the form of the
//! arguments and result of `generic=bean` calls: every value as a descriptor object with
//! its `className`, its `type` and its `properties` (a `LinkedHashMap`).
//!
//! | `type` | what | `properties` |
//! |---|---|---|
//! | 1 class | a `java.lang.Class` | `name` → the class name |
//! | 2 enum | an enum constant | `name` → the constant |
//! | 3 collection | a `Collection` (`className` its class) | index → item descriptor |
//! | 4 map | a `Map` | key descriptor → value descriptor |
//! | 5 array | an array (`className` the component type) | index → item descriptor |
//! | 6 primitive | a primitive, boxed number, `String`, `Boolean`, `Character`, `Date` | `value` → the value |
//! | 7 bean | any other object | property name → descriptor (nulls left out) |
//!
//! [`realize`] turns a descriptor into the value it describes (objects for beans, Hessian's
//! `{name}` object for enums, lists, maps); [`describe`] makes the descriptor of a value
//! (every object a bean: a Hessian value does not say whether an object is an enum).

use oxidubbo_hessian2::{List, Map, Object, Value};

/// The descriptor's Java class.
pub const CLASS: &str = "org.apache.dubbo.common.beanutil.JavaBeanDescriptor";

/// `type` of a `java.lang.Class`.
pub const TYPE_CLASS: i32 = 1;
/// `type` of an enum constant.
pub const TYPE_ENUM: i32 = 2;
/// `type` of a collection.
pub const TYPE_COLLECTION: i32 = 3;
/// `type` of a map.
pub const TYPE_MAP: i32 = 4;
/// `type` of an array.
pub const TYPE_ARRAY: i32 = 5;
/// `type` of a primitive, a boxed primitive, a string or a date.
pub const TYPE_PRIMITIVE: i32 = 6;
/// `type` of any other object.
pub const TYPE_BEAN: i32 = 7;

/// How deep descriptors may nest (a bound against hostile input).
const MAX_DEPTH: usize = 64;

fn descriptor(class_name: &str, kind: i32, properties: Vec<(Value, Value)>) -> Value {
    Value::Object(Object::new(
        CLASS,
        vec![
            ("className".into(), Value::from(class_name)),
            ("type".into(), Value::Int(kind)),
            (
                "properties".into(),
                Value::Map(Map {
                    type_name: Some("java.util.LinkedHashMap".into()),
                    entries: properties,
                }),
            ),
        ],
    ))
}

/// The descriptor of `value`.
///
/// # Errors
///
/// A message for a value holding a back-reference (a shared or cyclic graph), which a
/// tree of descriptors cannot keep, or nested deeper than 64.
pub fn describe(value: &Value) -> Result<Value, String> {
    describe_at(value, 0)
}

fn describe_at(value: &Value, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("nested deeper than {MAX_DEPTH}"));
    }
    let primitive = |class: &str| {
        Ok(descriptor(
            class,
            TYPE_PRIMITIVE,
            vec![("value".into(), value.clone())],
        ))
    };
    match value {
        Value::Null => Ok(Value::Null),
        Value::Bool(_) => primitive("java.lang.Boolean"),
        Value::Int(_) => primitive("java.lang.Integer"),
        Value::Long(_) => primitive("java.lang.Long"),
        Value::Double(_) => primitive("java.lang.Double"),
        Value::Date(_) => primitive("java.util.Date"),
        Value::String(_) => primitive("java.lang.String"),
        Value::Binary(bytes) => {
            let items = bytes.iter().enumerate().map(|(i, b)| {
                let byte = Value::Int(i32::from(i8::from_ne_bytes([*b])));
                (
                    Value::Int(index(i)),
                    descriptor(
                        "java.lang.Byte",
                        TYPE_PRIMITIVE,
                        vec![("value".into(), byte)],
                    ),
                )
            });
            Ok(descriptor("byte", TYPE_ARRAY, items.collect()))
        }
        Value::List(list) => {
            let items = list
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| Ok((Value::Int(index(i)), describe_at(item, depth + 1)?)))
                .collect::<Result<Vec<_>, String>>()?;
            match list.type_name.as_deref() {
                Some(array) if array.starts_with('[') => {
                    Ok(descriptor(component(array), TYPE_ARRAY, items))
                }
                Some(class) => Ok(descriptor(class, TYPE_COLLECTION, items)),
                None => Ok(descriptor("java.util.ArrayList", TYPE_COLLECTION, items)),
            }
        }
        Value::Map(map) => {
            let entries = map
                .entries
                .iter()
                .map(|(k, v)| Ok((describe_at(k, depth + 1)?, describe_at(v, depth + 1)?)))
                .collect::<Result<Vec<_>, String>>()?;
            let class = map.type_name.as_deref().unwrap_or("java.util.HashMap");
            Ok(descriptor(class, TYPE_MAP, entries))
        }
        Value::Object(object) => {
            let mut properties = Vec::with_capacity(object.fields.len());
            for (name, field) in &object.fields {
                if !field.is_null() {
                    properties.push((Value::from(name.as_str()), describe_at(field, depth + 1)?));
                }
            }
            Ok(descriptor(&object.class_name, TYPE_BEAN, properties))
        }
        Value::Ref(k) => Err(format!(
            "a value with a shared reference (#{k}) has no JavaBeanDescriptor"
        )),
    }
}

fn index(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}

/// The Java component type of a Hessian array type (`[string` → `java.lang.String`).
fn component(array: &str) -> &str {
    match &array[1..] {
        "int" => "int",
        "long" => "long",
        "double" => "double",
        "float" => "float",
        "short" => "short",
        "byte" => "byte",
        "boolean" => "boolean",
        "char" => "char",
        "string" => "java.lang.String",
        "object" => "java.lang.Object",
        other => other,
    }
}

/// The value `value` describes, or `value` itself when it is null.
///
/// # Errors
///
/// A message when `value` is not a descriptor (or holds one that is malformed), or nests
/// deeper than 64.
pub fn realize(value: Value) -> Result<Value, String> {
    realize_at(value, 0)
}

fn realize_at(value: Value, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("nested deeper than {MAX_DEPTH}"));
    }
    let object = match value {
        Value::Null => return Ok(Value::Null),
        Value::Object(o) if o.class_name == CLASS => o,
        other => return Err(format!("{} is not a {CLASS}", kind_of(&other))),
    };
    let mut class_name = None;
    let mut kind = None;
    let mut properties = Vec::new();
    for (name, field) in object.fields {
        match (name.as_str(), field) {
            ("className", Value::String(s)) => class_name = Some(s),
            ("type", Value::Int(t)) => kind = Some(t),
            ("properties", Value::Map(m)) => properties = m.entries,
            ("properties", Value::Null) => {}
            (other, v) => {
                return Err(format!("descriptor field {other} is a {}", kind_of(&v)));
            }
        }
    }
    let class_name = class_name.ok_or("a descriptor without className")?;
    let named = |properties: Vec<(Value, Value)>, key: &str| {
        properties
            .into_iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
            .ok_or_else(|| format!("{class_name}: no property {key:?}"))
    };
    let items = |properties: Vec<(Value, Value)>| {
        properties
            .into_iter()
            .map(|(_, v)| realize_at(v, depth + 1))
            .collect::<Result<Vec<_>, String>>()
    };
    match kind {
        Some(TYPE_PRIMITIVE) => named(properties, "value"),
        Some(TYPE_CLASS) => named(properties, "name"),
        Some(TYPE_ENUM) => {
            let name = named(properties, "name")?;
            Ok(Value::Object(Object::new(
                class_name,
                vec![("name".into(), name)],
            )))
        }
        Some(TYPE_COLLECTION) => Ok(Value::List(List::untyped(items(properties)?))),
        Some(TYPE_ARRAY) => Ok(Value::List(List::untyped(items(properties)?))),
        Some(TYPE_MAP) => {
            let entries = properties
                .into_iter()
                .map(|(k, v)| Ok((realize_at(k, depth + 1)?, realize_at(v, depth + 1)?)))
                .collect::<Result<Vec<_>, String>>()?;
            Ok(Value::Map(Map::untyped(entries)))
        }
        Some(TYPE_BEAN) => {
            let mut fields = Vec::with_capacity(properties.len());
            for (k, v) in properties {
                let Value::String(name) = k else {
                    return Err(format!(
                        "{class_name}: a property name is a {}",
                        kind_of(&k)
                    ));
                };
                fields.push((name, realize_at(v, depth + 1)?));
            }
            Ok(Value::Object(Object::new(class_name, fields)))
        }
        Some(other) => Err(format!("{class_name}: unknown descriptor type {other}")),
        None => Err(format!("{class_name}: a descriptor without type")),
    }
}

/// A short name of what `value` is, for error messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_) => "int",
        Value::Long(_) => "long",
        Value::Double(_) => "double",
        Value::Date(_) => "date",
        Value::String(_) => "string",
        Value::Binary(_) => "binary",
        Value::List(_) => "list",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Ref(_) => "reference",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Value {
        Value::Object(Object::new(
            "com.example.User",
            vec![
                ("id".into(), Value::Long(7)),
                ("name".into(), Value::from("Ann")),
                ("nick".into(), Value::Null),
                (
                    "tags".into(),
                    Value::List(List::untyped(vec![Value::from("t")])),
                ),
            ],
        ))
    }

    #[test]
    fn a_bean_is_described_as_java_does() {
        let d = describe(&user()).unwrap();
        let Value::Object(o) = &d else {
            panic!("{d:?}")
        };
        assert_eq!(o.class_name, CLASS);
        assert_eq!(o.get("className"), Some(&Value::from("com.example.User")));
        assert_eq!(o.get("type"), Some(&Value::Int(TYPE_BEAN)));
        let Some(Value::Map(props)) = o.get("properties") else {
            panic!("{o:?}")
        };
        assert_eq!(props.type_name.as_deref(), Some("java.util.LinkedHashMap"));
        // Nulls are left out; the rest in order, each a descriptor.
        let names: Vec<_> = props.entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, [Some("id"), Some("name"), Some("tags")]);
        let id = &props.entries[0].1;
        assert_eq!(
            *id,
            descriptor(
                "java.lang.Long",
                TYPE_PRIMITIVE,
                vec![("value".into(), Value::Long(7))]
            )
        );
        let Value::Object(tags) = &props.entries[2].1 else {
            panic!()
        };
        assert_eq!(tags.get("type"), Some(&Value::Int(TYPE_COLLECTION)));
        assert_eq!(
            tags.get("className"),
            Some(&Value::from("java.util.ArrayList"))
        );
    }

    #[test]
    fn realize_undoes_describe() {
        let mut expected = user();
        if let Value::Object(o) = &mut expected {
            o.fields.retain(|(_, v)| !v.is_null());
        }
        assert_eq!(realize(describe(&user()).unwrap()).unwrap(), expected);
        let map = Value::Map(Map::untyped(vec![(Value::from("k"), Value::Int(1))]));
        assert_eq!(realize(describe(&map).unwrap()).unwrap(), map);
        assert_eq!(realize(Value::Null).unwrap(), Value::Null);
    }

    #[test]
    fn enums_and_arrays() {
        let e = descriptor(
            "com.example.Color",
            TYPE_ENUM,
            vec![("name".into(), Value::from("RED"))],
        );
        assert_eq!(
            realize(e).unwrap(),
            Value::Object(Object::new(
                "com.example.Color",
                vec![("name".into(), Value::from("RED"))]
            ))
        );
        let ints = Value::List(List::typed("[int", vec![Value::Int(1), Value::Int(2)]));
        let d = describe(&ints).unwrap();
        let Value::Object(o) = &d else { panic!() };
        assert_eq!(o.get("className"), Some(&Value::from("int")));
        assert_eq!(o.get("type"), Some(&Value::Int(TYPE_ARRAY)));
        assert_eq!(
            realize(d).unwrap(),
            Value::List(List::untyped(vec![Value::Int(1), Value::Int(2)]))
        );
    }

    #[test]
    fn bad_descriptors_are_errors_not_panics() {
        assert!(realize(Value::from("x")).unwrap_err().contains("not a"));
        let no_type = Value::Object(Object::new(
            CLASS,
            vec![("className".into(), Value::from("a.B"))],
        ));
        assert!(realize(no_type).unwrap_err().contains("without type"));
        let bad_type = descriptor("a.B", 99, vec![]);
        assert!(
            realize(bad_type)
                .unwrap_err()
                .contains("unknown descriptor type")
        );
        let no_value = descriptor("java.lang.Long", TYPE_PRIMITIVE, vec![]);
        assert!(realize(no_value).unwrap_err().contains("no property"));
        let mut deep = Value::from("x");
        for _ in 0..100 {
            deep = Value::List(List::untyped(vec![deep]));
        }
        assert!(describe(&deep).unwrap_err().contains("deeper"));
        assert!(describe(&Value::Ref(0)).unwrap_err().contains("reference"));
    }
}
