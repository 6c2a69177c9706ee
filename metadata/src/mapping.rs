//! The interface-to-application mapping: the content of `/dubbo/mapping/<interface>`, a
//! comma-separated list of application names such as `demo-provider,two-demo-provider`.
//!
//! Writers update it by compare-and-set: read the content and the node's version, compute the
//! new content with [`merge_app_name`], write it only if the version is unchanged (create the
//! node if it was missing, failing if someone created it meanwhile), and start again on a
//! conflict. Dubbo Java retries 10 times (`dubbo.metadata-report.cas-retry-times`) with a
//! random pause below 100 ms (`…cas-retry-wait-time`).

use std::collections::BTreeSet;

use crate::error::{MetadataError, Result};

/// The application names in a mapping node's content — or in a `provided-by` value, which
/// Java reads the same way: split on `,`, each name trimmed, empty ones dropped, duplicates
/// removed, sorted (`ServiceNameMapping.getAppNames`, `AbstractServiceNameMapping.parseServices`).
pub fn parse_app_names(content: &str) -> BTreeSet<String> {
    content
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The content to write so that `current` also names `application`, or `None` when it
/// already does and nothing must be written (`MetadataServiceNameMapping.map`): an absent or
/// empty node gets `application`; otherwise `,application` is appended to the content as it
/// is, so the names already there keep their order and bytes.
///
/// `application` must be a usable name: not empty, without `,`, without surrounding spaces.
pub fn merge_app_name(current: Option<&str>, application: &str) -> Result<Option<String>> {
    if application.is_empty() || application.contains(',') || application.trim() != application {
        return Err(MetadataError::invalid(
            "service-name mapping",
            format!(
                "{application:?} cannot be listed in a mapping (empty, a `,`, or surrounding spaces)"
            ),
        ));
    }
    match current {
        None | Some("") => Ok(Some(application.to_owned())),
        Some(content) if content.split(',').any(|name| name.trim() == application) => Ok(None),
        Some(content) => Ok(Some(format!("{content},{application}"))),
    }
}
