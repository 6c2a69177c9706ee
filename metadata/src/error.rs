//! `MetadataError`: what reading or building discovery data can fail with.

use oxidubbo_common::UrlError;

/// Why a piece of discovery data could not be read or built.
///
/// Every parser in this crate returns one of these for bad input; none of them panics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// The text is not JSON at all.
    #[error("{what}: not valid JSON: {source}")]
    Json {
        /// What was being read (`service instance`, `metadata info`, …).
        what: &'static str,
        /// The JSON parser's error.
        source: serde_json::Error,
    },
    /// The data is well-formed but not of the expected shape: a missing field, a field of the
    /// wrong type, a port out of range, a name that cannot be a ZooKeeper node.
    #[error("{what}: {message}")]
    Invalid {
        /// What was being read or built.
        what: &'static str,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A URL inside the data could not be parsed or built.
    #[error("bad URL: {0}")]
    Url(#[from] UrlError),
    /// Two exported services disagree on an instance-level parameter (Dubbo Java refuses to
    /// export them: `MetadataInfo.extractInstanceParams`).
    #[error("inconsistent instance metadata `{key}` in different services: {old:?} and {new:?}")]
    InconsistentInstanceParam {
        /// The parameter.
        key: String,
        /// The value an earlier service gave.
        old: String,
        /// The value the new service gives.
        new: String,
    },
}

impl MetadataError {
    pub(crate) fn invalid(what: &'static str, message: impl Into<String>) -> Self {
        MetadataError::Invalid {
            what,
            message: message.into(),
        }
    }
}

/// This crate's result type.
pub type Result<T, E = MetadataError> = std::result::Result<T, E>;
