//! Attributes: local values on an invocation, one per type, shared by clones.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use oxidubbo_invoker::{Attributes, Invocation};

struct Counter(AtomicUsize);

#[test]
fn an_invocation_without_attributes_has_none() {
    let inv = Invocation::new("sayHello", "", vec![]);
    assert!(inv.attributes().is_empty());
    assert!(inv.attributes().get::<Counter>().is_none());
}

#[test]
fn clones_share_the_value_and_the_caller_keeps_a_handle() {
    let handle = Arc::new(Counter(AtomicUsize::new(0)));
    let mut inv = Invocation::new("m", "", vec![]);
    inv.attributes_mut().insert_arc(Arc::clone(&handle));
    let retry = inv.clone();
    retry
        .attributes()
        .get::<Counter>()
        .expect("the clone sees it")
        .0
        .fetch_add(1, Ordering::SeqCst);
    assert_eq!(handle.0.load(Ordering::SeqCst), 1);
    assert!(Arc::ptr_eq(
        &inv.attributes().get_arc::<Counter>().unwrap(),
        &handle
    ));
}

#[test]
fn one_value_per_type_and_remove_returns_it() {
    let mut attributes = Attributes::new();
    attributes.insert(1u32);
    attributes.insert(2u32);
    attributes.insert("text");
    assert_eq!(attributes.len(), 2);
    assert_eq!(attributes.get::<u32>(), Some(&2));
    assert_eq!(attributes.remove::<u32>().as_deref(), Some(&2));
    assert!(attributes.get::<u32>().is_none());
    assert_eq!(attributes.get::<&str>(), Some(&"text"));
    assert_eq!(format!("{attributes:?}"), "Attributes { len: 1 }");
}

#[test]
fn builder_style() {
    let inv = Invocation::new("m", "", vec![]).with_attribute(7i64);
    assert_eq!(inv.attributes().get::<i64>(), Some(&7));
}
