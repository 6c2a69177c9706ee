//! oxidubbo's common types: the Dubbo [`Url`], [`ServiceKey`] and parameter-key constants.
//!
//! Dubbo describes every provider, consumer and registry as a URL such as
//! `dubbo://10.0.0.1:20880/com.example.Greeter?interface=com.example.Greeter&timeout=3000`.
//! A [`Url`] is immutable and meant to be shared as `Arc<Url>`; changes return a new `Url`.
//!
//! ```
//! use std::time::Duration;
//! use oxidubbo_common::{keys, Url, ServiceKey};
//!
//! let url: Url = "dubbo://10.0.0.1:20880/com.example.Greeter?group=g1&timeout=3000\
//!                 &methods.sayHello.timeout=500"
//!     .parse()?;
//! assert_eq!(url.address(), "10.0.0.1:20880");
//! assert_eq!(url.interface(), "com.example.Greeter");
//! assert_eq!(url.duration_ms_param(keys::TIMEOUT, Duration::from_secs(1)), Duration::from_secs(3));
//! assert_eq!(url.method_int_param("sayHello", keys::TIMEOUT, 1000), 500);
//! assert_eq!(url.service_key(), ServiceKey::new("com.example.Greeter", Some("g1"), None));
//! assert_eq!(url.service_key().to_string(), "g1/com.example.Greeter");
//!
//! // Changes make a new Url; the old one is untouched.
//! let v2 = url.with_param(keys::VERSION, "2.0");
//! assert_eq!(v2.service_key().to_string(), "g1/com.example.Greeter:2.0");
//! assert_eq!(url.version(), None);
//!
//! // Display round-trips; the registry node form sorts the parameters (wire spec §6.1).
//! assert_eq!(url.to_string().parse::<Url>()?, url);
//! assert_eq!(
//!     url.to_full_string(),
//!     "dubbo://10.0.0.1:20880/com.example.Greeter?group=g1&methods.sayHello.timeout=500&timeout=3000"
//! );
//! let node = url.to_node_name();
//! assert!(node.starts_with("dubbo%3A%2F%2F10.0.0.1%3A20880%2Fcom.example.Greeter%3F"));
//! assert!(Url::from_node_name(&node)?.eq_ignoring_param_order(&url));
//! # Ok::<(), oxidubbo_common::UrlError>(())
//! ```

pub mod defaults;
pub mod keys;
pub mod values;

mod codec;
mod error;
mod service_key;
mod url;
mod url_attributes;

pub use error::UrlError;
pub use service_key::{DEFAULT_VERSION, ServiceKey};
pub use url::{Url, UrlBuilder, WeakUrl};
