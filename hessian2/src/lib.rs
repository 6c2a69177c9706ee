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
//! [`descriptor`] builds and parses the Java parameter-type descriptors of Dubbo requests.

mod constants;
mod date;
mod de;
mod decode;
pub mod descriptor;
mod encode;
mod error;
mod ser;
mod value;

pub use decode::{Decoder, DecoderOptions, decode_value, decode_values};
pub use encode::{Encoder, EncoderOptions, encode_value};
pub use error::{Error, Result};
pub use value::{List, Map, Object, Value};

pub use date::{Binary, DATE_NAME, Date};
pub use de::{MAX_DEPTH, from_reader, from_slice, from_value, from_value_ref};
pub use descriptor::JavaType;
pub use ser::{to_value, to_vec, to_writer};
