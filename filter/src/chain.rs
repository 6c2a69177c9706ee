//! [`FilteredInvoker`]: an invoker wrapped in a list of filters.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use oxidubbo_common::Url;
use oxidubbo_invoker::{CallFuture, Invocation, Invoker, RpcError, ready_call};

use crate::{Filter, Next};

/// An [`Invoker`] that runs every call through a list of filters, outermost first, and
/// then through the wrapped invoker.
///
/// * At the start of each call it takes the URL snapshot (the wrapped invoker's `url()`)
///   and stores it in the invocation, unless the invocation already carries one; filters
///   read that snapshot.
/// * `url`, `is_available` and `is_destroyed` delegate to the wrapped invoker.
/// * [`Invoker::destroy`] is idempotent: the first call destroys every filter
///   ([`Filter::destroy`]) and the wrapped invoker. Calls made afterwards fail with
///   [`RpcError::Destroyed`], never panic.
///
/// Usually made by [`ChainBuilder`](crate::ChainBuilder) or [`build_chain`](crate::build_chain)
/// from the URL's `service.filter`/`reference.filter`; [`FilteredInvoker::new`] composes
/// one by hand.
pub struct FilteredInvoker {
    invoker: Arc<dyn Invoker>,
    names: Box<[String]>,
    filters: Box<[Arc<dyn Filter>]>,
    destroyed: AtomicBool,
}

impl FilteredInvoker {
    /// Wraps `invoker` in `filters`, given outermost first as `(name, filter)` pairs (the
    /// names are for [`FilteredInvoker::filter_names`] and logs).
    pub fn new<N: Into<String>>(
        invoker: Arc<dyn Invoker>,
        filters: impl IntoIterator<Item = (N, Arc<dyn Filter>)>,
    ) -> Self {
        let (names, filters): (Vec<String>, Vec<Arc<dyn Filter>>) =
            filters.into_iter().map(|(n, f)| (n.into(), f)).unzip();
        FilteredInvoker {
            invoker,
            names: names.into_boxed_slice(),
            filters: filters.into_boxed_slice(),
            destroyed: AtomicBool::new(false),
        }
    }

    /// The names of the filters in the chain, outermost first.
    pub fn filter_names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// The wrapped invoker.
    pub fn inner(&self) -> &Arc<dyn Invoker> {
        &self.invoker
    }
}

impl Invoker for FilteredInvoker {
    // Not `async`: the first filter's own future is returned, not boxed once more.
    fn invoke<'s, 'f>(&'s self, mut invocation: Invocation) -> CallFuture<'f>
    where
        's: 'f,
        Self: 'f,
    {
        if self.destroyed.load(Ordering::Acquire) {
            return ready_call(Err(RpcError::Destroyed(format!(
                "filter chain destroyed before calling {}",
                invocation.method_name()
            ))));
        }
        if invocation.url().is_none() {
            match self.invoker.url() {
                Some(url) => invocation.set_url(url),
                None => {
                    return ready_call(Err(RpcError::Destroyed(format!(
                        "the invoker behind the filter chain was destroyed before calling {}",
                        invocation.method_name()
                    ))));
                }
            }
        }
        Next::new(&self.filters, &*self.invoker).call(invocation)
    }

    fn url(&self) -> Option<Arc<Url>> {
        if self.destroyed.load(Ordering::Acquire) {
            return None;
        }
        self.invoker.url()
    }

    fn is_available(&self) -> bool {
        !self.destroyed.load(Ordering::Acquire) && self.invoker.is_available()
    }

    fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire) || self.invoker.is_destroyed()
    }

    fn destroy(&self) {
        if self.destroyed.swap(true, Ordering::AcqRel) {
            return;
        }
        for filter in self.filters.iter() {
            filter.destroy();
        }
        self.invoker.destroy();
    }
}

impl fmt::Debug for FilteredInvoker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilteredInvoker")
            .field("filters", &self.names)
            .field("destroyed", &self.destroyed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
