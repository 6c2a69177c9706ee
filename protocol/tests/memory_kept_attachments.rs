//! A result's attachments, kept by the caller, do not keep the read block the response came
//! in: keeping the attachments of many large answers costs about their own size.

mod support;

use std::sync::Arc;

use oxidubbo_integration_tests::counting_alloc::{CountingAllocator, live_bytes};
use oxidubbo_invoker::{Attachments, Invocation, RpcResult, ServiceInvoker, Value, service_fn};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use support::{free_port, greeter_url};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const ANSWER: usize = 32 * 1024;
const KEPT: usize = 200;

#[test]
fn kept_response_attachments_do_not_pin_read_blocks() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let provider = DubboProtocol::new();
        let port = free_port();
        let service = service_fn(|_inv: Invocation| async move {
            let mut result = RpcResult::new(Value::Binary(vec![7; ANSWER]));
            result.attachments.insert("trace", "abc");
            Ok(result)
        });
        let _e = provider
            .export(Arc::new(ServiceInvoker::new(
                greeter_url("dubbo", port),
                service,
            )))
            .await
            .unwrap();
        let consumer = DubboProtocol::new();
        let invoker = consumer.refer(greeter_url("dubbo", port)).await.unwrap();
        let call = || Invocation::new("big", "", vec![]);
        // Warm up: buffers grown, connection settled.
        for _ in 0..20 {
            invoker.invoke(call()).await.unwrap();
        }
        let before = live_bytes();
        let mut kept: Vec<Attachments> = Vec::with_capacity(KEPT);
        let reserved = live_bytes() - before;
        for _ in 0..KEPT {
            let result = invoker.invoke(call()).await.unwrap();
            assert_eq!(result.attachments.get_str("trace"), Some("abc"));
            kept.push(result.attachments); // the 32 KiB value is dropped here
        }
        let grown = live_bytes() - before - reserved;
        let per_kept = grown / KEPT as isize;
        println!(
            "{KEPT} kept attachments of {ANSWER}-byte answers: +{grown} bytes ({per_kept} each)"
        );
        assert!(
            per_kept < 2048,
            "each kept attachment map holds {per_kept} bytes (a read block?)"
        );
        drop(kept);
        consumer.destroy().await;
        provider.destroy().await;
    });
}
