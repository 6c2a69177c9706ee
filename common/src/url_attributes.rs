//! Local values kept with a [`Url`](crate::Url)'s data (Dubbo's URL attributes): one per
//! type, made on first use, read without locking, and released with the data.

use std::any::{Any, TypeId};
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

/// The attributes of one URL's data: an append-only chain of values, one per type.
///
/// Reading one is a few atomic loads and type comparisons; only the first use of a type
/// allocates (and waits if another thread is making one in the same place). Attributes
/// take no part in comparing, hashing or printing a URL, and a copy of the data starts
/// without them.
#[derive(Default)]
pub(crate) struct UrlAttributes {
    first: OnceLock<Box<Node>>,
}

struct Node {
    type_id: TypeId,
    value: Box<dyn Any + Send + Sync>,
    next: OnceLock<Box<Node>>,
}

impl UrlAttributes {
    /// The attribute of type `T`, made by `init` if there is none yet.
    pub(crate) fn get_or_init<T: Any + Send + Sync>(&self, init: impl FnOnce() -> T) -> &T {
        let mut init = Some(init);
        let mut slot = &self.first;
        loop {
            // Nodes are only ever appended: either the slot holds a node already, or this
            // thread (or one racing it) appends the `T` here. A thread makes at most one
            // node (it returns from the node it made), so its value is always `Some`.
            let node = slot.get_or_init(|| {
                let value = init.take().map(|f| f());
                Box::new(Node {
                    type_id: TypeId::of::<T>(),
                    value: Box::new(value),
                    next: OnceLock::new(),
                })
            });
            if node.type_id == TypeId::of::<T>() {
                if let Some(Some(value)) = node.value.downcast_ref::<Option<T>>() {
                    return value;
                }
            }
            slot = &node.next;
        }
    }
}

impl Clone for UrlAttributes {
    fn clone(&self) -> Self {
        UrlAttributes::default()
    }
}

impl PartialEq for UrlAttributes {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for UrlAttributes {}

impl Hash for UrlAttributes {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}
