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

mod error;
mod value;

pub use error::{Error, Result};
pub use value::{List, Map, Object, Value};
