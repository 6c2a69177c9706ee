//! Hessian 2.0 serialization for Rust, byte-compatible with Java's `Hessian2Output`.
//!
//! A Dubbo body is a *sequence* of Hessian values sharing one reference, class-definition
//! and type table; this crate models values as [`Value`] and reads and writes them with
//! streaming encoders and decoders, plus serde support shaped like `serde_json`.
//!
//! ```
//! use oxidubbo_hessian2::Value;
//!
//! let v = Value::from("hello");
//! assert_eq!(v.as_str(), Some("hello"));
//! ```
//!
//! With serde ([`to_value`]/[`from_value`], [`to_vec`]/[`from_slice`]), a struct becomes a
//! Java object whose class is the struct's serde name, and is read back by field name:
//!
//! ```
//! use oxidubbo_hessian2::{from_slice, to_value, to_vec, Object, Value};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! #[serde(rename = "com.example.User")]
//! struct User { id: i64, name: String }
//!
//! let user = User { id: 1, name: "ann".into() };
//! assert_eq!(to_value(&user)?, Value::Object(Object::new("com.example.User", vec![
//!     ("id".into(), Value::Long(1)),
//!     ("name".into(), Value::from("ann")),
//! ])));
//! let bytes = to_vec(&user)?;
//! assert_eq!(bytes[0], b'C'); // the class definition, then the instance
//! assert_eq!(from_slice::<User>(&bytes)?, user);
//! # Ok::<(), oxidubbo_hessian2::Error>(())
//! ```
//!
//! The codec itself is [`Encoder`] (streaming, over any `Write`, with fast low-level
//! writers) and [`Decoder`] (over a byte slice, with limits for untrusted input); one
//! encoder or decoder shares its tables across all the values of a Dubbo body.
//! [`encode_value`]/[`decode_value`] handle a single value.
//!
//! ```
//! use oxidubbo_hessian2::{Decoder, Encoder, Map, Value};
//!
//! let mut enc = Encoder::new(Vec::new());
//! enc.write_i32(4)?; // RESPONSE_VALUE_WITH_ATTACHMENTS
//! enc.write_str("Hello world")?;
//! enc.write_value(&Value::Map(Map::untyped(vec![("dubbo".into(), "2.0.2".into())])))?;
//! let body = enc.into_inner();
//! assert_eq!(body[0], 0x94);
//!
//! let mut dec = Decoder::new(&body);
//! assert_eq!(dec.read_i32()?, 4);
//! assert_eq!(dec.read_string()?, "Hello world");
//! assert!(matches!(dec.read_value()?, Value::Map(m) if m.get("dubbo") == Some(&"2.0.2".into())));
//! assert!(dec.is_eof());
//! # Ok::<(), oxidubbo_hessian2::Error>(())
//! ```
//!
//! [`java`] has the Java types Dubbo services commonly pass — `BigDecimal`, `BigInteger`,
//! `java.time`, `Locale`, `UUID`, primitive arrays — in the form Dubbo's Java serializer
//! (hessian-lite) writes them.
//!
//! [`descriptor`] builds and parses the Java parameter-type descriptors of Dubbo requests.
//! With the `json` feature, `json` maps JSON to values and back (the `oxidubbo` command's
//! notation, and Triple's HTTP-unary calls).

mod constants;
mod date;
mod de;
mod decode;
pub mod descriptor;
mod encode;
mod error;
pub mod java;
#[cfg(feature = "json")]
pub mod json;
mod ser;
mod string;
mod value;

pub use decode::{
    DEFAULT_MAX_EXPANSION, Decoder, DecoderOptions, EXPANSION_FLOOR, decode_value, decode_values,
};
pub use encode::{Encoder, EncoderOptions, encode_value};
pub use error::{Error, Result};
pub use string::Str;
pub use value::{List, Map, Object, Value};

pub use date::{Binary, DATE_NAME, Date};
pub use de::{MAX_DEPTH, Values, from_reader, from_slice, from_value, from_value_ref};
pub use descriptor::JavaType;
pub use ser::{to_value, to_vec, to_writer};
