//! oxidubbo-hessian2 on a dubbo2 request body, the Rust half of a side-by-side run with
//! Caucho Hessian on the JVM (`benches/java/HessianBench.java`, run by
//! `scripts/bench-hessian-java.sh`, which alternates the two and prints the ratios).
//!
//! ```sh
//! cargo run --release -p oxidubbo-benches --bin hessian-bench -- --seconds 2 --rounds 3
//! cargo run --release -p oxidubbo-benches --bin hessian-bench -- --write-bodies DIR
//! valgrind --tool=callgrind target/release/hessian-bench --ops 10000 --only pojo
//! ```
//!
//! Two request bodies, each exactly what oxidubbo's consumer writes (its `encode_request`
//! with the header cut off): `hello` is `sayHello(String)` with the attachments a consumer
//! sends (`path`, `interface`, `version`, `timeout`, `remote.application`); `pojo` is
//! `save(com.example.User)`, a small object with a long, a string, a `List<String>` and a
//! `Map<String, String>`. `decode` reads a body into `Value`s (one `Decoder`, as the body
//! is read), `encode` writes those values back (one `Encoder` into a reused buffer).
//!
//! After `--warmup` seconds, each of `--rounds` rounds measures each case for `--seconds`
//! and prints `case=<body>/<op> ns_per_op=<n> allocs_per_op=<n>`. `--only <body>` runs one
//! body (`hello` or `pojo`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use oxidubbo_benches::{allocs, arg};
use oxidubbo_hessian2::{Decoder, Encoder, List, Map, Object, Value};
use oxidubbo_invoker::Invocation;
use oxidubbo_protocol::dubbo::codec::{Target, encode_request};

#[global_allocator]
static ALLOC: allocs::Counting = allocs::Counting;

/// The dubbo2 frame header that `encode_request` writes before the body.
const HEADER_LEN: usize = 16;

/// The body of a request frame for `invocation`, as oxidubbo's consumer writes it.
fn body(path: &str, invocation: &Invocation) -> Vec<u8> {
    let target = Target::new(path, "1.0.0", None, None);
    let mut frame = Vec::new();
    encode_request(&mut frame, 1, true, &target, "3000", invocation, 0).expect("encode");
    frame.split_off(HEADER_LEN)
}

/// `sayHello("world")` with a consumer's attachments.
fn hello() -> Vec<u8> {
    let inv = Invocation::new("sayHello", "Ljava/lang/String;", vec![Value::from("world")])
        .with_attachment("remote.application", "bench-consumer");
    body("org.apache.dubbo.samples.GreetingsService", &inv)
}

/// `save(User)`: an object with a few fields, a list and a map.
fn pojo() -> Vec<u8> {
    let user = Value::Object(Object::new(
        "com.example.User",
        vec![
            ("id".into(), Value::Long(1_234_567_890)),
            ("name".into(), Value::from("Alice Liddell")),
            (
                "tags".into(),
                Value::List(List::untyped(vec![
                    Value::from("admin"),
                    Value::from("beta"),
                    Value::from("early-access"),
                ])),
            ),
            (
                "attrs".into(),
                Value::Map(Map::untyped(vec![
                    (Value::from("city"), Value::from("Oxford")),
                    (Value::from("lang"), Value::from("en")),
                ])),
            ),
        ],
    ));
    let inv = Invocation::new("save", "Lcom/example/User;", vec![user])
        .with_attachment("remote.application", "bench-consumer");
    body("com.example.UserService", &inv)
}

fn decode(bytes: &[u8], out: &mut Vec<Value>) {
    out.clear();
    let mut dec = Decoder::new(bytes);
    while !dec.is_eof() {
        out.push(dec.read_value().expect("decode"));
    }
}

fn encode(values: &[Value], out: &mut Vec<u8>) {
    out.clear();
    let mut enc = Encoder::new(out);
    for v in values {
        enc.write_value(v).expect("encode");
    }
}

/// Runs `op` in batches for about `time`; returns (ns per op, allocations per op). The
/// allocations are counted over one batch run before the timed part (counting costs an
/// atomic add per allocation).
fn measure(time: Duration, mut op: impl FnMut()) -> (f64, f64) {
    const BATCH: u64 = 1000;
    let allocs0 = allocs::count();
    allocs::start();
    for _ in 0..BATCH {
        op();
    }
    allocs::stop();
    let allocs = (allocs::count() - allocs0) as f64 / BATCH as f64;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < time {
        for _ in 0..BATCH {
            op();
        }
        n += BATCH;
    }
    (start.elapsed().as_nanos() as f64 / n as f64, allocs)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut bodies = vec![("hello", hello()), ("pojo", pojo())];
    if let Some(i) = args.iter().position(|a| a == "--write-bodies") {
        let dir = args.get(i + 1).expect("--write-bodies DIR");
        for (name, bytes) in &bodies {
            std::fs::write(format!("{dir}/{name}.bin"), bytes).expect("write body");
        }
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--only") {
        let only = args.get(i + 1).expect("--only BODY");
        bodies.retain(|(name, _)| name == only);
        assert!(
            !bodies.is_empty(),
            "--only {only}: no such body (hello, pojo)"
        );
    }
    let ops: u64 = arg(&args, "--ops", 0);
    if ops > 0 {
        // A fixed amount of work, for an instruction count (`valgrind --tool=callgrind`).
        let mut values = Vec::new();
        let mut buf = Vec::new();
        for (_, bytes) in &bodies {
            for _ in 0..ops {
                decode(black_box(bytes), &mut values);
                encode(black_box(&values), &mut buf);
            }
        }
        println!("ran {ops} decodes and encodes of each body");
        return;
    }
    let seconds: f64 = arg(&args, "--seconds", 2.0);
    let warmup: f64 = arg(&args, "--warmup", 1.0);
    let rounds: u32 = arg(&args, "--rounds", 3);
    let time = Duration::from_secs_f64(seconds);

    let mut values = Vec::new();
    let mut buf = Vec::new();
    for (name, bytes) in &bodies {
        decode(bytes, &mut values);
        encode(&values, &mut buf);
        assert_eq!(
            &buf, bytes,
            "{name}: encode(decode(body)) differs from the body"
        );
        println!("body={name} bytes={} values={}", bytes.len(), values.len());
    }
    let warm = Duration::from_secs_f64(warmup / (2 * bodies.len()) as f64);
    for round in 0..=rounds {
        for (name, bytes) in &bodies {
            let t = if round == 0 { warm } else { time };
            let d = measure(t, || decode(black_box(bytes), &mut values));
            let e = measure(t, || {
                encode(black_box(&values), &mut buf);
                black_box(&buf);
            });
            if round > 0 {
                for (op, (ns, allocs)) in [("decode", d), ("encode", e)] {
                    println!("case={name}/{op} ns_per_op={ns:.1} allocs_per_op={allocs:.2}");
                }
            }
        }
    }
}
