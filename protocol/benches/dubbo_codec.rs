//! The per-call codec work of one echo call, one side at a time: what `echo-bench` pays
//! for serialization on each call.
//!
//! ```sh
//! cargo bench -p oxidubbo-protocol --bench dubbo_codec
//! ```

#![allow(missing_docs)] // criterion_group! defines an undocumented function

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oxidubbo_invoker::{Invocation, RpcResult, Value};
use oxidubbo_protocol::dubbo::codec::{self, Target};

const PAYLOAD: usize = 1024;
const NO_LIMIT: usize = 0;

fn echo_call() -> Invocation {
    Invocation::new("echo", "[B", vec![Value::Binary(vec![b'x'; PAYLOAD])])
}

fn target() -> Target {
    Target::new("org.apache.dubbo.bench.EchoService", "1.0.0", None, None)
}

fn request_frame() -> Vec<u8> {
    let mut frame = Vec::new();
    codec::encode_request(
        &mut frame,
        1,
        true,
        &target(),
        "1000",
        &echo_call(),
        NO_LIMIT,
    )
    .expect("encodes");
    frame
}

fn response_frame() -> Vec<u8> {
    let mut frame = Vec::new();
    let result = Ok(RpcResult::new(Value::Binary(vec![b'x'; PAYLOAD])));
    codec::encode_response(&mut frame, 1, true, &result, NO_LIMIT).expect("encodes");
    frame
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("echo_1k");
    let request = request_frame();
    let response = response_frame();
    group.throughput(Throughput::Elements(1));
    let target = target();
    let call = echo_call();
    group.bench_function("encode_request", |b| {
        let mut frame = Vec::with_capacity(request.len());
        b.iter(|| {
            frame.clear();
            codec::encode_request(&mut frame, 1, true, &target, "1000", &call, NO_LIMIT)
                .expect("encodes");
            black_box(frame.len())
        })
    });
    group.bench_function("decode_request", |b| {
        b.iter(|| {
            black_box(codec::decode_request_body(black_box(&request[16..])).expect("decodes"))
        })
    });
    let result = Ok(RpcResult::new(Value::Binary(vec![b'x'; PAYLOAD])));
    group.bench_function("encode_response", |b| {
        let mut frame = Vec::with_capacity(response.len());
        b.iter(|| {
            frame.clear();
            codec::encode_response(&mut frame, 1, true, &result, NO_LIMIT).expect("encodes");
            black_box(frame.len())
        })
    });
    group.bench_function("decode_response", |b| {
        b.iter(|| {
            black_box(codec::decode_response(20, black_box(&response[16..])).expect("decodes"))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
