//! Encode/decode throughput of a typical Dubbo request body and of a 1 MiB binary.
//!
//! Run: `cargo bench -p oxidubbo-hessian2 --bench codec -- --measurement-time 3`

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oxidubbo_hessian2::{Decoder, Encoder, List, Map, Object, Value, decode_value, encode_value};

const SERVICE: &str = "com.example.UserService";

fn user() -> Value {
    Value::Object(Object::new(
        "com.example.User",
        vec![
            ("id".into(), Value::Long(1_234_567_890)),
            ("name".into(), Value::from("Alice Liddell")),
            (
                "tags".into(),
                Value::List(List::untyped(vec![
                    Value::from("admin"),
                    Value::from("beta"),
                    Value::from("中文"),
                ])),
            ),
        ],
    ))
}

fn options_map() -> Value {
    Value::Map(Map::untyped(vec![
        (Value::from("limit"), Value::Int(100)),
        (Value::from("offset"), Value::Int(0)),
        (Value::from("score"), Value::Double(0.75)),
    ]))
}

fn attachments() -> Value {
    Value::Map(Map::untyped(vec![
        (Value::from("path"), Value::from(SERVICE)),
        (Value::from("interface"), Value::from(SERVICE)),
        (Value::from("version"), Value::from("1.0.0")),
        (Value::from("timeout"), Value::from("3000")),
        (
            Value::from("remote.application"),
            Value::from("bench-consumer"),
        ),
    ]))
}

/// The values of a request body, in Dubbo order.
fn request_values() -> Vec<Value> {
    vec![
        Value::from("2.0.2"),
        Value::from(SERVICE),
        Value::from("1.0.0"),
        Value::from("updateUser"),
        Value::from("Ljava/lang/String;Lcom/example/User;Ljava/util/Map;"),
        Value::from("request-0123456789"),
        user(),
        options_map(),
        attachments(),
    ]
}

fn encode_request(values: &[Value], out: Vec<u8>) -> Vec<u8> {
    let mut enc = Encoder::new(out);
    for v in values {
        enc.write_value(v).expect("encode");
    }
    enc.into_inner()
}

/// The same body through the low-level writers (no `Value` tree).
fn encode_request_direct(out: Vec<u8>) -> Vec<u8> {
    let mut e = Encoder::new(out);
    let r: oxidubbo_hessian2::Result<()> = (|| {
        for s in [
            "2.0.2",
            SERVICE,
            "1.0.0",
            "updateUser",
            "Ljava/lang/String;Lcom/example/User;Ljava/util/Map;",
            "request-0123456789",
        ] {
            e.write_str(s)?;
        }
        e.write_object_begin("com.example.User", &["id", "name", "tags"])?;
        e.write_i64(1_234_567_890)?;
        e.write_str("Alice Liddell")?;
        e.write_list_begin(Some(3), None)?;
        for t in ["admin", "beta", "中文"] {
            e.write_str(t)?;
        }
        e.write_map_begin(None)?;
        e.write_str("limit")?;
        e.write_i32(100)?;
        e.write_str("offset")?;
        e.write_i32(0)?;
        e.write_str("score")?;
        e.write_f64(0.75)?;
        e.write_map_end()?;
        e.write_map_begin(None)?;
        for (k, v) in [
            ("path", SERVICE),
            ("interface", SERVICE),
            ("version", "1.0.0"),
            ("timeout", "3000"),
            ("remote.application", "bench-consumer"),
        ] {
            e.write_str(k)?;
            e.write_str(v)?;
        }
        e.write_map_end()
    })();
    r.expect("encode");
    e.into_inner()
}

fn decode_request(bytes: &[u8]) -> usize {
    let mut dec = Decoder::new(bytes);
    let mut n = 0;
    while !dec.is_eof() {
        black_box(dec.read_value().expect("decode"));
        n += 1;
    }
    n
}

fn request(c: &mut Criterion) {
    let values = request_values();
    let bytes = encode_request(&values, Vec::new());
    eprintln!("request body: {} bytes", bytes.len());
    assert_eq!(encode_request_direct(Vec::new()), bytes);
    let mut g = c.benchmark_group("request_body");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("encode_values", |b| {
        let mut buf = Vec::with_capacity(bytes.len());
        b.iter(|| {
            buf.clear();
            buf = encode_request(black_box(&values), std::mem::take(&mut buf));
        })
    });
    g.bench_function("encode_direct", |b| {
        let mut buf = Vec::with_capacity(bytes.len());
        b.iter(|| {
            buf.clear();
            buf = encode_request_direct(std::mem::take(&mut buf));
            black_box(&buf);
        })
    });
    g.bench_function("decode_values", |b| {
        b.iter(|| decode_request(black_box(&bytes)))
    });
    g.finish();
}

fn binary(c: &mut Criterion) {
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i * 31 % 251) as u8).collect();
    let value = Value::Binary(data);
    let bytes = encode_value(&value).expect("encode");
    let mut g = c.benchmark_group("binary_1mib");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("encode", |b| {
        b.iter(|| encode_value(black_box(&value)).expect("encode"))
    });
    g.bench_function("decode", |b| {
        b.iter(|| decode_value(black_box(&bytes)).expect("decode"))
    });
    g.finish();
}

criterion_group!(benches, request, binary);
criterion_main!(benches);
