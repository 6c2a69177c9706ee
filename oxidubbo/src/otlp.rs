//! Exporting the call spans over OTLP/HTTP (feature `otlp`): `[tracing] exporter =
//! "otlp-http"`.
//!
//! The `tracing` filter makes a span per call (`dubbo.client` / `dubbo.server`) whose
//! `trace_id`, `span_id` and `parent_span_id` are the W3C ids it sends on the wire. An
//! [`OtlpLayer`] turns each of those spans, when it closes, into an OpenTelemetry span with
//! the same ids — so a collector links them with the spans of Java, Go or any other service
//! the `traceparent` reached — and a background task sends them in batches with the
//! OpenTelemetry project's OTLP/HTTP (protobuf) exporter. Other spans of the application are
//! not exported.
//!
//! The bootstrap does it all when `exporter = "otlp-http"`: it starts an [`OtlpTracing`] and
//! installs a global subscriber made of a `fmt` layer (filtered by `RUST_LOG`, `info` by
//! default) and the [`OtlpLayer`]; its shutdown flushes the last spans. An application that
//! installs its own subscriber leaves `exporter` unset, starts an [`OtlpTracing`] itself and
//! adds [`OtlpTracing::layer`] to its subscriber.
//!
//! ```no_run
//! use tracing_subscriber::layer::SubscriberExt as _;
//!
//! # async fn run() -> Result<(), oxidubbo::Error> {
//! let otlp = oxidubbo::otlp::OtlpTracing::start("http://127.0.0.1:4318/v1/traces", "greeter")?;
//! let subscriber = tracing_subscriber::registry().with(otlp.layer());
//! tracing::subscriber::set_global_default(subscriber).expect("no subscriber yet");
//! // … run the application; then send what is left:
//! otlp.shutdown(std::time::Duration::from_secs(5)).await;
//! # Ok(()) }
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_http::{HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks};
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::Error;

/// Spans waiting to be sent, at most; more are dropped (and counted in a warning).
const QUEUE: usize = 8192;
/// Spans sent in one request, at most.
const BATCH: usize = 512;
/// How long a span waits for its batch to fill, at most.
const BATCH_DELAY: Duration = Duration::from_secs(1);
/// Bound on one export request (connect, send, answer).
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest collector answer read.
const MAX_ANSWER: usize = 4 * 1024 * 1024;

/// The span fields that are not exported as attributes: the ids (they are the span's own)
/// and the names `tracing-opentelemetry` reads.
const NOT_ATTRIBUTES: &[&str] = &[
    "trace_id",
    "span_id",
    "parent_span_id",
    "otel.name",
    "otel.kind",
    "otel.status_code",
];

/// A running OTLP export: the queue its [`OtlpLayer`]s fill and the task that sends it.
pub struct OtlpTracing {
    sender: mpsc::Sender<SpanData>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    endpoint: String,
}

impl fmt::Debug for OtlpTracing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpTracing")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl OtlpTracing {
    /// Starts exporting to the OTLP/HTTP traces `endpoint` (e.g.
    /// `http://127.0.0.1:4318/v1/traces`) as the service `service_name`. Must be called
    /// within a tokio runtime (the sending task runs on it).
    ///
    /// # Errors
    ///
    /// [`Error::Usage`] when the exporter cannot be built from `endpoint`.
    pub fn start(endpoint: &str, service_name: &str) -> Result<OtlpTracing, Error> {
        let mut exporter = SpanExporter::builder()
            .with_http()
            .with_endpoint(endpoint)
            .with_protocol(Protocol::HttpBinary)
            .with_timeout(EXPORT_TIMEOUT)
            .with_http_client(PlainHttp)
            .build()
            .map_err(|e| Error::Usage(format!("OTLP exporter for {endpoint}: {e}")))?;
        exporter.set_resource(
            &Resource::builder_empty()
                .with_service_name(service_name.to_owned())
                .build(),
        );
        let (sender, receiver) = mpsc::channel(QUEUE);
        let task = tokio::spawn(send_batches(exporter, receiver, endpoint.to_owned()));
        Ok(OtlpTracing {
            sender,
            task: Mutex::new(Some(task)),
            endpoint: endpoint.to_owned(),
        })
    }

    /// A layer that queues the call spans for this export; add it to the application's
    /// subscriber.
    pub fn layer(&self) -> OtlpLayer {
        OtlpLayer {
            sender: self.sender.clone(),
            dropped: Arc::new(Mutex::new(0)),
        }
    }

    /// Installs a global subscriber of a `fmt` layer (filtered by `RUST_LOG`, `info` by
    /// default) and [`layer`](Self::layer).
    ///
    /// # Errors
    ///
    /// [`Error::Usage`] when a global subscriber is already installed.
    pub fn install_global(&self) -> Result<(), Error> {
        use tracing_subscriber::layer::SubscriberExt as _;
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().with_filter(filter))
            .with(self.layer());
        tracing::subscriber::set_global_default(subscriber).map_err(|_| {
            Error::Usage(
                "a global tracing subscriber is already installed: add \
                 oxidubbo::otlp::OtlpTracing::layer() to it and leave `exporter` unset"
                    .to_owned(),
            )
        })
    }

    /// Stops taking spans and sends the ones queued, waiting at most `timeout`. Later
    /// calls do nothing.
    pub async fn shutdown(&self, timeout: Duration) {
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(task) = task else { return };
        // The task ends when every sender is gone; layers still hold clones, so tell it
        // by closing through a marker: an empty span name is never queued otherwise.
        let _ = self.sender.send(end_marker()).await;
        if tokio::time::timeout(timeout, task).await.is_err() {
            tracing::warn!(endpoint = %self.endpoint, "OTLP export not flushed within {timeout:?}");
        }
    }
}

/// The marker [`OtlpTracing::shutdown`] queues last.
fn end_marker() -> SpanData {
    SpanData {
        span_context: SpanContext::NONE,
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: Cow::Borrowed(""),
        start_time: SystemTime::UNIX_EPOCH,
        end_time: SystemTime::UNIX_EPOCH,
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::default(),
    }
}

fn is_end_marker(span: &SpanData) -> bool {
    span.name.is_empty() && span.span_context.trace_id() == TraceId::INVALID
}

/// Sends what the layers queue, a batch at a time, until the end marker.
async fn send_batches(
    exporter: SpanExporter,
    mut receiver: mpsc::Receiver<SpanData>,
    endpoint: String,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut ending = false;
    while !ending {
        let Some(first) = receiver.recv().await else {
            break;
        };
        if is_end_marker(&first) {
            break;
        }
        batch.push(first);
        let deadline = tokio::time::Instant::now() + BATCH_DELAY;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(deadline, receiver.recv()).await {
                Ok(Some(span)) if is_end_marker(&span) => {
                    ending = true;
                    break;
                }
                Ok(Some(span)) => batch.push(span),
                Ok(None) => {
                    ending = true;
                    break;
                }
                Err(_) => break,
            }
        }
        let spans = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
        let count = spans.len();
        if let Err(e) = exporter.export(spans).await {
            tracing::warn!(%endpoint, spans = count, error = %e, "OTLP export failed");
        }
    }
}

/// A `tracing` layer that queues the `tracing` filter's call spans for an [`OtlpTracing`].
#[derive(Clone)]
pub struct OtlpLayer {
    sender: mpsc::Sender<SpanData>,
    dropped: Arc<Mutex<u64>>,
}

impl fmt::Debug for OtlpLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpLayer").finish_non_exhaustive()
    }
}

/// What a call span recorded, kept in its extensions until it closes.
struct CallSpan {
    start: SystemTime,
    fields: Fields,
}

/// A span's fields, by name.
#[derive(Default)]
struct Fields(BTreeMap<&'static str, FieldValue>);

enum FieldValue {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl Fields {
    fn text(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(FieldValue::Text(t)) => Some(t),
            _ => None,
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name(), FieldValue::Text(value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%value` fields come here with their `Display` form.
        self.0
            .insert(field.name(), FieldValue::Text(format!("{value:?}")));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name(), FieldValue::Int(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(
            field.name(),
            FieldValue::Int(i64::try_from(value).unwrap_or(i64::MAX)),
        );
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name(), FieldValue::Bool(value));
    }
}

/// Whether a span is one of the `tracing` filter's (it declares the W3C ids).
fn is_call_span(attrs: &Attributes<'_>) -> bool {
    let fields = attrs.metadata().fields();
    fields.field("trace_id").is_some()
        && fields.field("span_id").is_some()
        && fields.field("otel.kind").is_some()
}

impl<S> Layer<S> for OtlpLayer
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !is_call_span(attrs) {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        span.extensions_mut().insert(CallSpan {
            start: SystemTime::now(),
            fields,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(call) = extensions.get_mut::<CallSpan>() {
            values.record(&mut call.fields);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(call) = span.extensions_mut().remove::<CallSpan>() else {
            return;
        };
        let Some(data) = span_data(call, span.name()) else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(_)) = self.sender.try_send(data) {
            let mut dropped = self.dropped.lock().unwrap_or_else(|e| e.into_inner());
            *dropped += 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped = *dropped, "OTLP export queue full: spans dropped");
            }
        }
    }
}

/// The OpenTelemetry span of a closed call span; `None` without valid ids.
fn span_data(call: CallSpan, name: &'static str) -> Option<SpanData> {
    let fields = &call.fields;
    let trace_id = TraceId::from_hex(fields.text("trace_id")?).ok()?;
    let span_id = SpanId::from_hex(fields.text("span_id")?).ok()?;
    let parent_span_id = fields
        .text("parent_span_id")
        .and_then(|p| SpanId::from_hex(p).ok())
        .unwrap_or(SpanId::INVALID);
    let span_kind = match fields.text("otel.kind") {
        Some("client") => SpanKind::Client,
        Some("server") => SpanKind::Server,
        _ => SpanKind::Internal,
    };
    let status = match fields.text("otel.status_code") {
        Some("ERROR") => Status::error(fields.text("error.type").unwrap_or_default().to_owned()),
        _ => Status::Unset,
    };
    let attributes = fields
        .0
        .iter()
        .filter(|(k, _)| !NOT_ATTRIBUTES.contains(k))
        .map(|(k, v)| match v {
            FieldValue::Text(t) => KeyValue::new(*k, t.clone()),
            FieldValue::Int(i) => KeyValue::new(*k, *i),
            FieldValue::Bool(b) => KeyValue::new(*k, *b),
        })
        .collect();
    Some(SpanData {
        span_context: SpanContext::new(
            trace_id,
            span_id,
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id,
        // A provider's parent is the caller's span, received from the wire.
        parent_span_is_remote: span_kind == SpanKind::Server && parent_span_id != SpanId::INVALID,
        span_kind,
        name: fields
            .text("otel.name")
            .map_or(Cow::Borrowed(name), |n| Cow::Owned(n.to_owned())),
        start_time: call.start,
        end_time: SystemTime::now(),
        attributes,
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status,
        instrumentation_scope: InstrumentationScope::builder("oxidubbo")
            .with_version(env!("CARGO_PKG_VERSION"))
            .build(),
    })
}

/// The exporter's HTTP client: one plain HTTP/1.1 connection per export request, on
/// tokio and hyper (a batch a second at most, so no pool is worth keeping).
#[derive(Debug, Clone, Copy)]
struct PlainHttp;

#[async_trait::async_trait]
impl HttpClient for PlainHttp {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let authority = request
            .uri()
            .authority()
            .ok_or("the OTLP endpoint has no host")?
            .clone();
        let port = authority.port_u16().unwrap_or(80);
        let exchange = async move {
            let stream = tokio::net::TcpStream::connect((authority.host(), port)).await?;
            let io = hyper_util::rt::TokioIo::new(stream);
            let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await?;
            let driver = tokio::spawn(connection);
            let (mut parts, body) = request.into_parts();
            // Origin form on a direct connection: the path alone in the request line.
            parts.uri = parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .parse()?;
            if !parts.headers.contains_key(http::header::HOST) {
                parts
                    .headers
                    .insert(http::header::HOST, authority.as_str().parse()?);
            }
            let answer = sender
                .send_request(http::Request::from_parts(parts, Full::new(body)))
                .await?;
            let (parts, body) = answer.into_parts();
            let body = Limited::new(body, MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| -> HttpError { e })?
                .to_bytes();
            driver.abort();
            Ok::<_, HttpError>(Response::from_parts(parts, body))
        };
        tokio::time::timeout(EXPORT_TIMEOUT, exchange)
            .await
            .map_err(|_| -> HttpError { format!("no answer within {EXPORT_TIMEOUT:?}").into() })?
    }
}
