//! Wrapper mode (TRIPLE.md §6): the unary calls of interface-style services carry
//! `TripleRequestWrapper`/`TripleResponseWrapper` messages, one complete Hessian 2 stream
//! per argument, and Java `Class.getName()` names for the parameter types.

use oxidubbo_hessian2::descriptor::{
    class_name_to_descriptor, descriptor_to_class_name, parse_descriptor,
};
use oxidubbo_hessian2::{Value, decode_value, encode_value};
use oxidubbo_invoker::RpcError;
use prost::Message;

/// `serializeType` Java sends for Hessian 2 (and accepts, as `hessian2`).
pub const HESSIAN4: &str = "hessian4";
/// `serializeType` dubbo-go sends for Hessian 2.
pub const HESSIAN2: &str = "hessian2";

/// `org.apache.dubbo.triple.TripleRequestWrapper`.
#[derive(Clone, PartialEq, Message)]
pub struct TripleRequestWrapper {
    /// The serialization of `args`: `hessian4` (Java) or `hessian2` (Go).
    #[prost(string, tag = "1")]
    pub serialize_type: String,
    /// One complete serialized stream per argument.
    #[prost(bytes = "vec", repeated, tag = "2")]
    pub args: Vec<Vec<u8>>,
    /// `Class.getName()` of each parameter type.
    #[prost(string, repeated, tag = "3")]
    pub arg_types: Vec<String>,
}

/// `org.apache.dubbo.triple.TripleResponseWrapper`.
#[derive(Clone, PartialEq, Message)]
pub struct TripleResponseWrapper {
    /// The serialization of `data`, the request's echoed.
    #[prost(string, tag = "1")]
    pub serialize_type: String,
    /// The serialized return value (or exception).
    #[prost(bytes = "vec", tag = "2")]
    pub data: Vec<u8>,
    /// `Class.getName()` of the return type (readers ignore it).
    #[prost(string, tag = "3")]
    pub r#type: String,
}

/// A decoded request wrapper: what an invocation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct WrappedCall {
    /// The request's `serializeType`, echoed in the response.
    pub serialize_type: String,
    /// The JVM descriptor of the parameter types (`Ljava/lang/String;I`).
    pub parameter_types: String,
    /// The arguments.
    pub arguments: Vec<Value>,
}

fn codec(what: &str, e: impl std::fmt::Display) -> RpcError {
    RpcError::Codec(format!("{what}: {e}"))
}

/// Whether `serialize_type` names Hessian 2 (the only serialization served here).
fn check_serialization(serialize_type: &str) -> Result<(), RpcError> {
    match serialize_type {
        HESSIAN2 | HESSIAN4 => Ok(()),
        other => Err(RpcError::Codec(format!(
            "unsupported serializeType {other:?} (supported: hessian2, hessian4)"
        ))),
    }
}

/// Encodes a call's arguments as a request wrapper; `parameter_types` is the invocation's
/// JVM descriptor, one type per argument.
pub fn encode_request(
    serialize_type: &str,
    parameter_types: &str,
    arguments: &[Value],
) -> Result<Vec<u8>, RpcError> {
    let types = parse_descriptor(parameter_types).map_err(|e| codec("parameter types", e))?;
    if types.len() != arguments.len() {
        return Err(RpcError::Codec(format!(
            "{} parameter types ({parameter_types:?}) for {} arguments",
            types.len(),
            arguments.len()
        )));
    }
    let arg_types = types
        .iter()
        .map(|t| descriptor_to_class_name(t).map_err(|e| codec("parameter type", e)))
        .collect::<Result<_, _>>()?;
    let args = arguments
        .iter()
        .map(|a| encode_value(a).map_err(|e| codec("argument", e)))
        .collect::<Result<_, _>>()?;
    Ok(TripleRequestWrapper {
        serialize_type: serialize_type.to_owned(),
        args,
        arg_types,
    }
    .encode_to_vec())
}

/// Decodes a request wrapper into the call's parameter descriptor and arguments.
pub fn decode_request(message: &[u8]) -> Result<WrappedCall, RpcError> {
    let wrapper =
        TripleRequestWrapper::decode(message).map_err(|e| codec("TripleRequestWrapper", e))?;
    check_serialization(&wrapper.serialize_type)?;
    let mut parameter_types = String::new();
    for name in &wrapper.arg_types {
        let desc = class_name_to_descriptor(name).map_err(|e| codec("argTypes", e))?;
        parameter_types.push_str(&desc);
    }
    let arguments = wrapper
        .args
        .iter()
        .map(|a| decode_value(a).map_err(|e| codec("argument", e)))
        .collect::<Result<_, _>>()?;
    Ok(WrappedCall {
        serialize_type: wrapper.serialize_type,
        parameter_types,
        arguments,
    })
}

/// Encodes a return value (or a Java exception object) as a response wrapper.
pub fn encode_response(serialize_type: &str, value: &Value) -> Result<Vec<u8>, RpcError> {
    let data = encode_value(value).map_err(|e| codec("result", e))?;
    Ok(TripleResponseWrapper {
        serialize_type: serialize_type.to_owned(),
        data,
        r#type: java_class_of(value),
    }
    .encode_to_vec())
}

/// Decodes a response wrapper's value. A dubbo-go server's one-argument request wrapper is
/// byte-identical (§6.2), so it reads the same way; no `data` is Java's `null`.
pub fn decode_response(message: &[u8]) -> Result<Value, RpcError> {
    let wrapper =
        TripleResponseWrapper::decode(message).map_err(|e| codec("TripleResponseWrapper", e))?;
    if !wrapper.serialize_type.is_empty() {
        check_serialization(&wrapper.serialize_type)?;
    }
    if wrapper.data.is_empty() {
        return Ok(Value::Null);
    }
    decode_value(&wrapper.data).map_err(|e| codec("result", e))
}

/// The Java class a value stands for, as the response's `type` (`void` for no value; read
/// by no one, written because Java writes it).
fn java_class_of(value: &Value) -> String {
    let name = match value {
        Value::Null => "void",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Int(_) => "java.lang.Integer",
        Value::Long(_) => "java.lang.Long",
        Value::Double(_) => "java.lang.Double",
        Value::Date(_) => "java.util.Date",
        Value::String(_) => "java.lang.String",
        Value::Binary(_) => "[B",
        Value::List(l) => {
            return l
                .type_name
                .as_deref()
                .unwrap_or("java.util.List")
                .to_owned();
        }
        Value::Map(m) => {
            return m.type_name.as_deref().unwrap_or("java.util.Map").to_owned();
        }
        Value::Object(o) => return o.class_name.to_string(),
        Value::Ref(_) => "java.lang.Object",
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    // TRIPLE.md §6.3.
    const SAY_HELLO_JAVA: &str =
        "0a086865737369616e34120605776f726c641a106a6176612e6c616e672e537472696e67";
    const SAY_HELLO_GO: &str =
        "0a086865737369616e32120605776f726c641a106a6176612e6c616e672e537472696e67";
    const HELLO_WORLD: &str =
        "0a086865737369616e34120c0b48656c6c6f20776f726c641a106a6176612e6c616e672e537472696e67";
    const NO_ARGUMENT: &str = "0a086865737369616e34";
    const TWO_ARGUMENTS: &str =
        "0a086865737369616e34120605776f726c641201931a106a6176612e6c616e672e537472696e671a03696e74";
    const VOID: &str = "0a086865737369616e3412014e1a04766f6964";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn requests_encode_as_the_vectors() {
        let world = [Value::from("world")];
        assert_eq!(
            hex(&encode_request(HESSIAN4, "Ljava/lang/String;", &world).unwrap()),
            SAY_HELLO_JAVA
        );
        assert_eq!(
            hex(&encode_request(HESSIAN2, "Ljava/lang/String;", &world).unwrap()),
            SAY_HELLO_GO
        );
        assert_eq!(
            hex(&encode_request(HESSIAN4, "", &[]).unwrap()),
            NO_ARGUMENT
        );
        assert_eq!(
            hex(&encode_request(
                HESSIAN4,
                "Ljava/lang/String;I",
                &[Value::from("world"), Value::Int(3)]
            )
            .unwrap()),
            TWO_ARGUMENTS
        );
        assert!(encode_request(HESSIAN4, "I", &[]).is_err());
    }

    #[test]
    fn requests_decode_from_the_vectors() {
        let call = decode_request(&unhex(SAY_HELLO_JAVA)).unwrap();
        assert_eq!(call.serialize_type, "hessian4");
        assert_eq!(call.parameter_types, "Ljava/lang/String;");
        assert_eq!(call.arguments, [Value::from("world")]);
        let call = decode_request(&unhex(SAY_HELLO_GO)).unwrap();
        assert_eq!(call.serialize_type, "hessian2");
        let call = decode_request(&unhex(TWO_ARGUMENTS)).unwrap();
        assert_eq!(call.parameter_types, "Ljava/lang/String;I");
        assert_eq!(call.arguments, [Value::from("world"), Value::Int(3)]);
        let call = decode_request(&unhex(NO_ARGUMENT)).unwrap();
        assert!(call.arguments.is_empty() && call.parameter_types.is_empty());
    }

    #[test]
    fn responses_encode_and_decode_as_the_vectors() {
        assert_eq!(
            hex(&encode_response(HESSIAN4, &Value::from("Hello world")).unwrap()),
            HELLO_WORLD
        );
        assert_eq!(hex(&encode_response(HESSIAN4, &Value::Null).unwrap()), VOID);
        assert_eq!(
            decode_response(&unhex(HELLO_WORLD)).unwrap(),
            Value::from("Hello world")
        );
        assert_eq!(decode_response(&unhex(VOID)).unwrap(), Value::Null);
        // dubbo-go answers with a one-argument request wrapper: the same bytes.
        assert_eq!(
            decode_response(&unhex(SAY_HELLO_GO)).unwrap(),
            Value::from("world")
        );
    }

    #[test]
    fn bad_wrappers_are_codec_errors() {
        let json = TripleRequestWrapper {
            serialize_type: "fastjson2".into(),
            args: vec![b"\"x\"".to_vec()],
            arg_types: vec!["java.lang.String".into()],
        };
        assert!(matches!(
            decode_request(&json.encode_to_vec()),
            Err(RpcError::Codec(_))
        ));
        assert!(matches!(
            decode_request(b"\xff\xff\xff"),
            Err(RpcError::Codec(_))
        ));
        let bad_arg = TripleRequestWrapper {
            serialize_type: HESSIAN2.into(),
            args: vec![vec![0x05, b'a']],
            arg_types: vec!["java.lang.String".into()],
        };
        assert!(matches!(
            decode_request(&bad_arg.encode_to_vec()),
            Err(RpcError::Codec(_))
        ));
    }
}
