//! Fuzzes the serde path: `from_slice` into a struct (with a recursive field, maps, lists and
//! refs resolved by the serde layer) and into the Java types of `oxidubbo_hessian2::java`
//! must never panic; a Java type that decodes must encode, and its encoding is a fixpoint.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use oxidubbo_hessian2::java;
use oxidubbo_hessian2::{from_slice, to_vec};
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct User {
    id: i64,
    name: String,
    tags: Vec<String>,
    attrs: Option<HashMap<String, String>>,
    parent: Option<Box<User>>,
    scores: Vec<f64>,
    active: bool,
}

/// If `data` decodes as a `T`, it encodes, and decoding and encoding that gives the same bytes.
fn java_type<T: Serialize + DeserializeOwned>(data: &[u8]) {
    if let Ok(v) = from_slice::<T>(data) {
        let bytes = to_vec(&v).expect("a decoded Java type encodes");
        let again: T = from_slice(&bytes).expect("its encoding decodes");
        assert_eq!(to_vec(&again).expect("encodes again"), bytes);
    }
}

fuzz_target!(|data: &[u8]| {
    java_type::<java::BigDecimal>(data);
    java_type::<java::BigInteger>(data);
    java_type::<java::LocalDateTime>(data);
    java_type::<java::Instant>(data);
    java_type::<java::Duration>(data);
    java_type::<java::ZonedDateTime>(data);
    java_type::<java::OffsetDateTime>(data);
    java_type::<java::OffsetTime>(data);
    java_type::<java::YearMonth>(data);
    java_type::<java::MonthDay>(data);
    java_type::<java::Period>(data);
    java_type::<java::Locale>(data);
    java_type::<java::Uuid>(data);
    java_type::<java::Array<i64>>(data);
    java_type::<java::Array<f32>>(data);
    java_type::<java::Array<Option<String>>>(data);
    let _ = oxidubbo_hessian2::from_slice::<User>(data);
    let _ = oxidubbo_hessian2::from_slice::<Vec<Option<User>>>(data);
    let _ = oxidubbo_hessian2::from_slice::<HashMap<String, Vec<i32>>>(data);
});
