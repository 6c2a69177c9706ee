//! The tag router: `dubbo.tag` routing.

use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_invoker::{Invocation, Invoker};

use super::Router;

/// Dubbo's static tag routing: the call's tag is its `dubbo.tag` attachment, else the
/// consumer URL's `dubbo.tag` parameter; a provider's tag is its URL's `dubbo.tag`.
///
/// - A tagged call goes to providers with the same tag; when there are none, to untagged
///   providers — unless `dubbo.force.tag` (attachment, else consumer URL) is `true`, in
///   which case to none.
/// - An untagged call goes to untagged providers only.
/// - Destroyed invokers (no URL) are dropped.
#[derive(Debug, Clone, Copy, Default)]
pub struct TagRouter {
    priority: i32,
}

impl TagRouter {
    /// The key of the tag, as attachment and URL parameter.
    pub const TAG_KEY: &'static str = "dubbo.tag";
    /// The key of the force flag, as attachment and URL parameter.
    pub const FORCE_TAG_KEY: &'static str = "dubbo.force.tag";
    /// Dubbo's priority of the tag router.
    pub const DEFAULT_PRIORITY: i32 = 100;

    /// A tag router with Dubbo's priority (100).
    pub fn new() -> Self {
        TagRouter {
            priority: Self::DEFAULT_PRIORITY,
        }
    }
}

/// The tag of a provider URL (`None` when empty or missing).
fn provider_tag(url: &Url) -> Option<&str> {
    url.param(TagRouter::TAG_KEY).filter(|t| !t.is_empty())
}

impl Router for TagRouter {
    fn route(
        &self,
        invokers: Vec<Arc<dyn Invoker>>,
        url: Option<&Url>,
        invocation: &Invocation,
    ) -> Vec<Arc<dyn Invoker>> {
        let attachments = invocation.attachments();
        let tag = attachments
            .get_str(Self::TAG_KEY)
            .filter(|t| !t.is_empty())
            .or_else(|| {
                url.and_then(|u| u.param(Self::TAG_KEY))
                    .filter(|t| !t.is_empty())
            });
        let untagged = |invokers: &[Arc<dyn Invoker>]| -> Vec<Arc<dyn Invoker>> {
            invokers
                .iter()
                .filter(|i| i.url().is_some_and(|u| provider_tag(&u).is_none()))
                .cloned()
                .collect()
        };
        let Some(tag) = tag else {
            return untagged(&invokers);
        };
        let tagged: Vec<Arc<dyn Invoker>> = invokers
            .iter()
            .filter(|i| i.url().is_some_and(|u| provider_tag(&u) == Some(tag)))
            .cloned()
            .collect();
        if !tagged.is_empty() {
            return tagged;
        }
        let force = attachments
            .get_str(Self::FORCE_TAG_KEY)
            .or_else(|| url.and_then(|u| u.param(Self::FORCE_TAG_KEY)))
            .is_some_and(|f| f.trim().eq_ignore_ascii_case("true"));
        if force {
            Vec::new()
        } else {
            untagged(&invokers)
        }
    }

    fn priority(&self) -> i32 {
        self.priority
    }
}
