//! Fuzzes the serde path: `from_slice` into a struct (with a recursive field, maps, lists and
//! refs resolved by the serde layer) must never panic.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

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

fuzz_target!(|data: &[u8]| {
    let _ = oxidubbo_hessian2::from_slice::<User>(data);
    let _ = oxidubbo_hessian2::from_slice::<Vec<Option<User>>>(data);
    let _ = oxidubbo_hessian2::from_slice::<HashMap<String, Vec<i32>>>(data);
});
