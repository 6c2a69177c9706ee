//! `Attributes`: values that travel with a call inside the process and are never sent.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

type Entry = (TypeId, Arc<dyn Any + Send + Sync>);

/// A call's local side values, one per type (Dubbo's `Invocation.getAttributes()`).
///
/// Unlike [`Attachments`](crate::Attachments), attributes never reach the wire: they carry
/// what one layer of the process hands to another for this call — a Triple streaming call's
/// message streams, say. Each value sits behind an `Arc`, so cloning an invocation (to
/// retry it) shares them. An invocation without attributes allocates nothing for them, and
/// the few a call carries are kept in a small vector (one allocation, no hashing).
///
/// ```
/// use oxidubbo_invoker::Attributes;
///
/// struct Deadline(u64);
/// let mut attributes = Attributes::new();
/// attributes.insert(Deadline(3000));
/// assert_eq!(attributes.get::<Deadline>().map(|d| d.0), Some(3000));
/// assert!(attributes.get::<String>().is_none());
/// ```
#[derive(Clone, Default)]
pub struct Attributes {
    entries: Vec<Entry>,
}

impl Attributes {
    /// No attributes.
    pub fn new() -> Self {
        Attributes::default()
    }

    /// Stores `value` as the attribute of its type, replacing any before.
    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) {
        self.insert_arc(Arc::new(value));
    }

    /// Stores a shared `value` as the attribute of type `T` (the caller keeps a handle on
    /// it, to read what a later layer left in it).
    pub fn insert_arc<T: Any + Send + Sync>(&mut self, value: Arc<T>) {
        let id = TypeId::of::<T>();
        match self.entries.iter_mut().find(|(t, _)| *t == id) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((id, value)),
        }
    }

    fn find(&self, id: TypeId) -> Option<&Arc<dyn Any + Send + Sync>> {
        self.entries.iter().find(|(t, _)| *t == id).map(|(_, v)| v)
    }

    /// The attribute of type `T`.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.find(TypeId::of::<T>())?.downcast_ref::<T>()
    }

    /// The attribute of type `T`, shared.
    pub fn get_arc<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let value = Arc::clone(self.find(TypeId::of::<T>())?);
        value.downcast::<T>().ok()
    }

    /// Removes the attribute of type `T`, returning it.
    pub fn remove<T: Any + Send + Sync>(&mut self) -> Option<Arc<T>> {
        let id = TypeId::of::<T>();
        let at = self.entries.iter().position(|(t, _)| *t == id)?;
        self.entries.swap_remove(at).1.downcast::<T>().ok()
    }

    /// How many attributes there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attributes")
            .field("len", &self.len())
            .finish()
    }
}
