//! The set of invokers a protocol has referred.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use oxidubbo_invoker::Invoker;

/// Invokers a protocol referred and has not seen destroyed, by id.
///
/// An invoker removes itself on destroy (lifecycle rule 4), so the set only ever holds
/// live invokers.
#[derive(Default)]
pub(crate) struct ReferredInvokers {
    next_id: AtomicU64,
    map: Mutex<HashMap<u64, Arc<dyn Invoker>>>,
}

impl ReferredInvokers {
    /// A fresh id for an invoker about to be referred.
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn insert(&self, id: u64, invoker: Arc<dyn Invoker>) {
        self.lock().insert(id, invoker);
    }

    pub(crate) fn remove(&self, id: u64) {
        // Drop the invoker outside the lock: its drop may re-enter the protocol.
        let removed = self.lock().remove(&id);
        drop(removed);
    }

    pub(crate) fn drain(&self) -> Vec<Arc<dyn Invoker>> {
        let drained: Vec<_> = self.lock().drain().map(|(_, v)| v).collect();
        drained
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<dyn Invoker>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}
