//! A few KiB of lists of references to lists (a "billion laughs" of Hessian references)
//! cannot cost unbounded CPU or memory: the decoder refuses values that would expand more
//! than `max_expansion` times the input's size, and deserialization, which copies what each
//! reference points at, stops at the same proportion of the values' own size.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use oxidubbo_hessian2::{
    Decoder, DecoderOptions, Error, List, Value, Values, decode_value, encode_value, from_value,
};
use oxidubbo_integration_tests::rss::run_watched;

/// RSS the tests allow the work to add.
const MAX_GROWTH: u64 = 64 << 20;
/// A hang guard, not a speed assertion.
const HANG_GUARD: Duration = Duration::from_secs(10);

/// `[L0, L1, …, Ln]` where `L0` holds `fanout` ints and each `Li` holds `fanout` references
/// to `L(i-1)`: `Ln` stands for `fanout^(n+1)` ints.
fn bomb(levels: u32, fanout: usize) -> Value {
    let mut lists = vec![Value::List(List::untyped(vec![Value::Int(0); fanout]))];
    // Containers are numbered in preorder: the outer list is 0, `Li` is `i + 1`.
    for i in 1..=levels {
        lists.push(Value::List(List::untyped(vec![Value::Ref(i); fanout])));
    }
    Value::List(List::untyped(lists))
}

/// A list whose first element expands to `fanout^levels` ints and whose second is a
/// reference to the list itself: a type that follows the cycle copies the first element
/// again at every level, up to `MAX_DEPTH` times.
fn bomb_in_a_cycle(levels: u32, fanout: usize) -> Value {
    let Value::List(mut dag) = bomb(levels, fanout) else {
        unreachable!()
    };
    // Shift the references by one: the new outer list takes number 0.
    for (i, item) in dag.items.iter_mut().enumerate().skip(1) {
        if let Value::List(l) = item {
            l.items = vec![Value::Ref(i as u32 + 1); fanout];
        }
    }
    Value::List(List::untyped(vec![Value::List(dag), Value::Ref(0)]))
}

/// RSS is the whole process's: the tests that watch it run one at a time.
fn alone() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn unlimited() -> DecoderOptions {
    DecoderOptions {
        max_expansion: usize::MAX,
        ..DecoderOptions::default()
    }
}

fn is_expansion_limit(e: &Error) -> bool {
    matches!(e, Error::Limit(m) if m.contains("expand"))
}

#[test]
fn the_decoder_refuses_a_reference_bomb() {
    let _alone = alone();
    let bytes = encode_value(&bomb(24, 64)).unwrap();
    assert!(bytes.len() < 4096, "a few KiB: {}", bytes.len());
    let (result, cost) = run_watched(MAX_GROWTH, HANG_GUARD, move || decode_value(&bytes));
    let err = result.unwrap_err();
    assert!(is_expansion_limit(&err), "{err}");
    eprintln!(
        "decoder: refused in {:?}, RSS +{} KiB: {err}",
        cost.elapsed,
        cost.peak_growth >> 10
    );
}

#[test]
fn deserializing_a_reference_bomb_stops_at_its_budget() {
    let _alone = alone();
    // Let the decoder through, as a hand-made `Value` would be.
    let bytes = encode_value(&bomb(24, 64)).unwrap();
    let value = Decoder::with_options(&bytes, unlimited())
        .read_value()
        .unwrap();
    let (result, cost) = run_watched(MAX_GROWTH, HANG_GUARD, move || {
        from_value::<Vec<Value>>(value).map(|v| v.len())
    });
    let err = result.unwrap_err();
    assert!(is_expansion_limit(&err), "{err}");
    eprintln!(
        "typed: refused in {:?}, RSS +{} KiB: {err}",
        cost.elapsed,
        cost.peak_growth >> 10
    );
}

#[test]
fn a_bomb_behind_a_cycle_passes_the_decoder_but_not_deserialization() {
    let _alone = alone();
    // 8^5 = 32 Ki ints: within the decoder's limit for a small input (64 Ki), but a
    // `Vec<Value>` follows the cycle and copies them again at every level.
    let bytes = encode_value(&bomb_in_a_cycle(4, 8)).unwrap();
    let value = decode_value(&bytes).expect("within the decoder's limit");
    let (result, cost) = run_watched(MAX_GROWTH, HANG_GUARD, move || {
        from_value::<Vec<Value>>(value).map(|v| v.len())
    });
    let err = result.unwrap_err();
    assert!(is_expansion_limit(&err), "{err}");
    eprintln!(
        "cycle: refused in {:?}, RSS +{} KiB",
        cost.elapsed,
        cost.peak_growth >> 10
    );
}

#[test]
fn sharing_within_the_limit_is_copied_as_java_would_share_it() {
    let _alone = alone();
    // 100 references to a list of 100 ints: 10,000 ints from about 300 bytes.
    let shared = Value::List(List::untyped(vec![
        Value::List(List::untyped((0..100).map(Value::Int).collect())),
        Value::List(List::untyped(vec![Value::Ref(1); 100])),
    ]));
    let bytes = encode_value(&shared).unwrap();
    let value = decode_value(&bytes).unwrap();
    let (first, copies): (Vec<i32>, Vec<Vec<i32>>) = from_value(value.clone()).unwrap();
    assert_eq!(copies.len(), 100);
    assert!(copies.iter().all(|c| *c == first));

    // Both limits can be tightened: at once the size of the input (at least 4 KiB), the
    // 10,000 copied ints no longer fit.
    let tight = DecoderOptions {
        max_expansion: 1,
        ..DecoderOptions::default()
    };
    let err = Decoder::with_options(&bytes, tight)
        .read_value()
        .unwrap_err();
    assert!(is_expansion_limit(&err), "{err}");
    let values = [value];
    let err = Values::with_max_expansion(&values, 1)
        .deserialize::<(Vec<i32>, Vec<Vec<i32>>)>(0)
        .unwrap_err();
    assert!(is_expansion_limit(&err), "{err}");
}

#[test]
fn values_without_references_are_never_limited() {
    let _alone = alone();
    // A list of 64 Ki ints (more than `max_expansion` × the floor would allow if copied
    // through references) reads with the tightest expansion limit.
    let big = Value::List(List::untyped(vec![Value::Int(1); 64 << 10]));
    let bytes = encode_value(&big).unwrap();
    let tight = DecoderOptions {
        max_expansion: 1,
        ..DecoderOptions::default()
    };
    let value = Decoder::with_options(&bytes, tight).read_value().unwrap();
    let values = [value];
    let ints: Vec<i32> = Values::with_max_expansion(&values, 1)
        .deserialize(0)
        .unwrap();
    assert_eq!(ints.len(), 64 << 10);
}

/// References to a container numbered past the first few (whose sizes a decoder keeps in
/// place) count at their full size too.
#[test]
fn late_containers_are_counted_at_their_size() {
    // 20 small lists (refs 1..=20), then one of 3000 ints (ref 21), then `n` references
    // to it: about 3 KiB of input, so a limit of 16 × 4 KiB values.
    let body = |n: usize| {
        let mut items = vec![Value::List(List::untyped(vec![Value::Int(0)])); 20];
        items.push(Value::List(List::untyped(vec![Value::Int(0); 3000])));
        items.extend(std::iter::repeat_n(Value::Ref(21), n));
        encode_value(&Value::List(List::untyped(items))).unwrap()
    };
    assert!(decode_value(&body(10)).is_ok());
    let err = decode_value(&body(30)).unwrap_err();
    assert!(is_expansion_limit(&err), "{err}");
}
