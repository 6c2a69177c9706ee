//! What the tracing tests share: a `tracing` layer that records every RPC span's fields,
//! a greeter that records the trace context current in its handler, and bootstraps with
//! `[tracing]` on.
#![allow(dead_code)] // not every test binary sharing this module uses all of it

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use oxidubbo::config::Config;
use oxidubbo::filter::trace_context::{self, TraceContext};
use oxidubbo::triple::{BoxStream, Request, Response, Status, Streaming};
use oxidubbo::{Bootstrap, DubboProtocol, Running};
use oxidubbo_examples::greet::*;
use oxidubbo_examples::{Greeter, GreeterClient, HelloGreeter, User};
use oxidubbo_invoker::{RpcError, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// `examples/proto/greet.proto`, which the grpc peers compile at run time.
pub fn greet_proto() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/proto/greet.proto")
}

/// The greeter's interface.
pub const INTERFACE: &str = "org.apache.dubbo.samples.api.GreeterService";

/// One recorded span: its name and the fields set on it, as text.
#[derive(Debug, Clone)]
pub struct SpanRecord {
    /// `dubbo.client` or `dubbo.server`.
    pub name: &'static str,
    /// Every field recorded (at creation or later).
    pub fields: HashMap<String, String>,
}

impl SpanRecord {
    /// The value of `field` (panics when it was not recorded).
    pub fn get(&self, field: &str) -> &str {
        self.fields
            .get(field)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {field} in {self:?}"))
    }
}

/// Records the spans of the tracing filter.
#[derive(Default)]
struct Recorder {
    spans: Mutex<Vec<(Id, SpanRecord)>>,
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S>
    for &'static Recorder
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let name = attrs.metadata().name();
        if !name.starts_with("dubbo.") {
            return;
        }
        let mut fields = HashMap::new();
        attrs.record(&mut Fields(&mut fields));
        let mut spans = self.spans.lock().unwrap_or_else(|e| e.into_inner());
        spans.push((id.clone(), SpanRecord { name, fields }));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.spans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, span)) = spans.iter_mut().rev().find(|(i, _)| i == id) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        // Ids are reused once a span closes: retire the closed one's.
        let mut spans = self.spans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((i, _)) = spans.iter_mut().rev().find(|(i, _)| *i == id) {
            *i = Id::from_u64(u64::MAX);
        }
    }
}

fn recorder() -> &'static Recorder {
    static RECORDER: OnceLock<&'static Recorder> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let recorder: &'static Recorder = Box::leak(Box::default());
        let subscriber = tracing_subscriber::registry().with(recorder);
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        recorder
    })
}

/// Installs the recording subscriber (once per test binary).
pub fn record_spans() {
    recorder();
}

/// The spans recorded in trace `trace_id`.
pub fn spans_of(trace_id: &str) -> Vec<SpanRecord> {
    let spans = recorder().spans.lock().unwrap_or_else(|e| e.into_inner());
    spans
        .iter()
        .filter(|(_, s)| s.fields.get("trace_id").map(String::as_str) == Some(trace_id))
        .map(|(_, s)| s.clone())
        .collect()
}

/// The trace contexts the handlers saw, in call order.
pub type Seen = Arc<Mutex<Vec<Option<TraceContext>>>>;

/// A greeter recording the current trace context of each `sayHello`, then answering it
/// itself or, with a `next` client set, by calling `next`.
#[derive(Clone, Default)]
pub struct RecordingGreeter {
    /// The contexts seen.
    pub seen: Seen,
    /// The downstream greeter, if any.
    pub next: Arc<OnceLock<GreeterClient>>,
}

#[oxidubbo::async_trait]
impl Greeter for RecordingGreeter {
    async fn say_hello(&self, name: String) -> Result<String, RpcError> {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(trace_context::current());
        match self.next.get() {
            Some(next) => next.say_hello(name).await,
            None => Ok(format!("Hello, {name}")),
        }
    }
    async fn add(&self, a: i32, b: i32) -> Result<i32, RpcError> {
        HelloGreeter.add(a, b).await
    }
    async fn echo(&self, value: Value) -> Result<Value, RpcError> {
        HelloGreeter.echo(value).await
    }
    async fn get_user(&self, id: i64) -> Result<User, RpcError> {
        HelloGreeter.get_user(id).await
    }
    async fn fail(&self, message: String) -> Result<Value, RpcError> {
        HelloGreeter.fail(message).await
    }
}

/// Starts an application from `toml` (with `[tracing] enabled = true` appended), serving
/// `greeter` as `[services.greeter]` when given.
pub async fn start(name: &str, toml: &str, greeter: Option<RecordingGreeter>) -> Running {
    let mut bootstrap = traced(name, toml);
    if let Some(greeter) = greeter {
        bootstrap = bootstrap.service::<dyn Greeter>("greeter", Arc::new(greeter));
    }
    bootstrap.start().await.expect("started")
}

/// The bootstrap of an application configured by `toml` with `[tracing] enabled = true`
/// appended, on a dubbo protocol of its own.
pub fn traced(name: &str, toml: &str) -> Bootstrap {
    let text = format!("[application]\nname = \"{name}\"\n\n{toml}\n[tracing]\nenabled = true\n");
    let config = Config::parse(&text, &format!("{name}.toml")).expect("config");
    Bootstrap::from_config(config).dubbo_protocol(Arc::new(DubboProtocol::new()))
}

/// Records the current trace context of each `Greet`, which [`HelloGreetService`] answers.
#[derive(Clone, Default)]
pub struct RecordingGreetService {
    /// The contexts seen.
    pub seen: Seen,
}

#[oxidubbo::async_trait]
impl GreetService for RecordingGreetService {
    async fn greet(
        &self,
        request: Request<GreetRequest>,
    ) -> Result<Response<GreetResponse>, Status> {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(trace_context::current());
        HelloGreetService.greet(request).await
    }

    async fn greet_stream(
        &self,
        request: Request<Streaming<GreetStreamRequest>>,
    ) -> Result<Response<BoxStream<GreetStreamResponse>>, Status> {
        HelloGreetService.greet_stream(request).await
    }

    async fn greet_client_stream(
        &self,
        request: Request<Streaming<GreetClientStreamRequest>>,
    ) -> Result<Response<GreetClientStreamResponse>, Status> {
        HelloGreetService.greet_client_stream(request).await
    }

    async fn greet_server_stream(
        &self,
        request: Request<GreetServerStreamRequest>,
    ) -> Result<Response<BoxStream<GreetServerStreamResponse>>, Status> {
        HelloGreetService.greet_server_stream(request).await
    }
}

/// An application serving `service` as `greet.GreetService` over tri with `[tracing]`
/// on; its address.
pub async fn serve_traced_greet(service: RecordingGreetService) -> (Running, String) {
    let toml = "[protocols.tri]\nport = 0\n\n[services.greet]\nregister = false\n";
    let running = traced("trace-greet", toml)
        .service::<dyn GreetService>("greet", Arc::new(service))
        .start()
        .await
        .expect("the greet application starts");
    let address = running.provider_urls()["greet"].address();
    (running, address)
}

/// `[protocols.<protocol>]` on `port` and the greeter service.
pub fn greeter_service(protocol: &str, port: u16) -> String {
    format!("[protocols.{protocol}]\nport = {port}\n\n[services.greeter]\nversion = \"1.0.0\"\n\n")
}

/// `[references.<reference>]`, the greeter at `127.0.0.1:<port>` over `protocol`.
pub fn greeter_reference(reference: &str, protocol: &str, port: u16) -> String {
    format!(
        "[references.{reference}]\ninterface = \"{INTERFACE}\"\nversion = \"1.0.0\"\n\
         url = \"{protocol}://127.0.0.1:{port}\"\nretries = 0\n\n"
    )
}

/// The contexts a greeter's handler saw so far.
pub fn seen(seen: &Seen) -> Vec<Option<TraceContext>> {
    seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
}
