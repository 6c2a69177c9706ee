//! URL attributes: local values kept with a URL's data, one per type, shared by its clones,
//! released with it, and invisible to comparison, hashing and printing.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use oxidubbo_common::Url;

fn url() -> Url {
    Url::parse("dubbo://127.0.0.1:20880/com.example.Greeter?version=1.0.0").unwrap()
}

fn hash(u: &Url) -> u64 {
    let mut h = DefaultHasher::new();
    u.hash(&mut h);
    h.finish()
}

struct Name(&'static str);
struct Count(usize);

#[test]
fn one_attribute_per_type_shared_by_clones() {
    let u = url();
    assert_eq!(u.attribute(|| Name("first")).0, "first");
    assert_eq!(u.attribute(|| Count(7)).0, 7);
    let clone = u.clone();
    assert_eq!(clone.attribute(|| Name("second")).0, "first", "made once");
    assert_eq!(clone.attribute(|| Count(8)).0, 7);
    // A URL made from this one is new data, without attributes.
    let other = u.with_param("timeout", "1000");
    assert_eq!(other.attribute(|| Name("third")).0, "third");
}

#[test]
fn attributes_do_not_change_equality_hash_or_text() {
    let (a, b) = (url(), url());
    let before = (a.to_full_string(), hash(&a));
    a.attribute(|| Count(1));
    assert_eq!(a, b);
    assert_eq!(hash(&a), hash(&b));
    assert_eq!((a.to_full_string(), hash(&a)), before);
}

#[test]
fn attributes_are_released_with_the_data() {
    struct Held(#[allow(dead_code)] Arc<()>);
    let token = Arc::new(());
    let u = url();
    u.attribute(|| Held(Arc::clone(&token)));
    let weak = u.downgrade();
    let clone = u.clone();
    drop(u);
    assert_eq!(Arc::strong_count(&token), 2, "a clone still holds the data");
    drop(clone);
    assert!(!weak.is_alive());
    assert_eq!(Arc::strong_count(&token), 1, "released with the data");
}

#[test]
fn racing_threads_make_an_attribute_once() {
    let made = Arc::new(AtomicUsize::new(0));
    let u = url();
    std::thread::scope(|s| {
        for i in 0..8 {
            let (u, made) = (u.clone(), Arc::clone(&made));
            s.spawn(move || {
                // Half the threads ask for another type first, so appends race too.
                if i % 2 == 0 {
                    u.attribute(|| Name("other"));
                }
                let c = u.attribute(|| {
                    made.fetch_add(1, Ordering::SeqCst);
                    Count(i)
                });
                c.0
            });
        }
    });
    assert_eq!(made.load(Ordering::SeqCst), 1);
    assert_eq!(u.attribute(|| Name("late")).0, "other");
}
