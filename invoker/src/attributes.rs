//! `Attributes`: values that travel with a call inside the process and are never sent.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

type Map = HashMap<TypeId, Arc<dyn Any + Send + Sync>>;

/// A call's local side values, one per type (Dubbo's `Invocation.getAttributes()`).
///
/// Unlike [`Attachments`](crate::Attachments), attributes never reach the wire: they carry
/// what one layer of the process hands to another for this call — a Triple streaming call's
/// message streams, say. Each value sits behind an `Arc`, so cloning an invocation (to
/// retry it) shares them. An invocation without attributes allocates nothing for them.
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
    map: Option<Box<Map>>,
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
        self.map
            .get_or_insert_with(Default::default)
            .insert(TypeId::of::<T>(), value);
    }

    /// The attribute of type `T`.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.map
            .as_ref()?
            .get(&TypeId::of::<T>())?
            .downcast_ref::<T>()
    }

    /// The attribute of type `T`, shared.
    pub fn get_arc<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let value = Arc::clone(self.map.as_ref()?.get(&TypeId::of::<T>())?);
        value.downcast::<T>().ok()
    }

    /// Removes the attribute of type `T`, returning it.
    pub fn remove<T: Any + Send + Sync>(&mut self) -> Option<Arc<T>> {
        let value = self.map.as_mut()?.remove(&TypeId::of::<T>())?;
        value.downcast::<T>().ok()
    }

    /// How many attributes there are.
    pub fn len(&self) -> usize {
        self.map.as_ref().map_or(0, |m| m.len())
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
