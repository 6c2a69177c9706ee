//! `tracing`: a [`tracing`] span per call, after OpenTelemetry's RPC conventions, and the
//! W3C trace context carried to the next service (see [`trace_context`]).
//!
//! * Consumer: the call's span is a child of the [current](trace_context::current) context
//!   (the provider call this task serves), or the root of a new trace; its `traceparent`
//!   (and the `tracestate` received) is attached to the call. The dubbo protocol sends
//!   attachments as they are, Triple as lower-case headers, so both carry them.
//! * Provider: the span is a child of the `traceparent` the caller sent (a missing or
//!   invalid one starts a new trace, never an error), and its context is current while
//!   the service runs, so that the service's own calls continue the trace.
//!
//! The span is named `dubbo.client` / `dubbo.server`, with `otel.name` =
//! `<service>/<method>` and `otel.kind` (the names `tracing-opentelemetry` reads), and the
//! attributes `rpc.system = "apache_dubbo"`, `rpc.service`, `rpc.method`,
//! `server.address` / `server.port` (on the provider its own; on the consumer the provider
//! the call went to, which the protocol invoker records once the cluster has picked it — the
//! last one tried after a failover), on the provider `network.peer.address` /
//! `network.peer.port` (the consumer's), `rpc.dubbo.status` (`OK` or the Dubbo status of the
//! error), `error.type` and `otel.status_code = "ERROR"` on failure, and `trace_id`,
//! `span_id`, `parent_span_id` in hex.
//!
//! Sampling: a new trace is sampled with the configured probability; a continued one
//! follows its caller's flag. An unsampled call makes no span but still propagates.
//!
//! [`trace_context`]: crate::trace_context

use std::sync::Arc;

use async_trait::async_trait;
use oxidubbo_common::keys;
use oxidubbo_invoker::{Invocation, RpcError, RpcResult};
use tracing::Instrument as _;
use tracing::field::Empty;

use crate::trace_context::{self, TRACEPARENT, TRACESTATE, TraceContext};
use crate::{FactoryResult, Filter, FilterContext, Next, Side};

/// The filter's name in `service.filter` / `reference.filter`.
pub const NAME: &str = "tracing";
/// The attachment the dubbo protocol and Triple give the provider: the consumer's address.
const REMOTE_ADDRESS: &str = "remote.address";

/// See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct TracingFilter {
    side: Side,
    service: String,
    /// The provider's own address (its URL's).
    host: String,
    port: u16,
    sampling: f64,
}

impl TracingFilter {
    /// The filter of the chain described by `ctx`; new traces are sampled with
    /// probability `sampling` (0 to 1).
    pub fn new(ctx: &FilterContext<'_>, sampling: f64) -> Self {
        let url = ctx.url;
        TracingFilter {
            side: ctx.side,
            service: url.param(keys::INTERFACE).unwrap_or(url.path()).to_owned(),
            host: url.host().to_owned(),
            port: url.port(),
            sampling,
        }
    }

    /// The context of this side's span for `invocation`.
    fn context(&self, invocation: &Invocation) -> TraceContext {
        let parent = match self.side {
            Side::Consumer => trace_context::current(),
            Side::Provider => {
                let attachments = invocation.attachments();
                attachments.get_str(TRACEPARENT).and_then(|parent| {
                    TraceContext::from_headers(parent, attachments.get_str(TRACESTATE))
                })
            }
        };
        match parent {
            Some(parent) => parent.child(),
            None => TraceContext::new_root(
                self.sampling >= 1.0 || rand::random::<f64>() < self.sampling,
            ),
        }
    }

    fn span(&self, context: &TraceContext, invocation: &Invocation) -> tracing::Span {
        let name = format!("{}/{}", self.service, invocation.method_name());
        let parent = context.parent_id.map(|id| id.to_string());
        let span = match self.side {
            Side::Consumer => tracing::info_span!(
                "dubbo.client",
                otel.name = %name,
                otel.kind = "client",
                rpc.system = "apache_dubbo",
                rpc.service = %self.service,
                rpc.method = %invocation.method_name(),
                server.address = Empty,
                server.port = Empty,
                rpc.dubbo.status = Empty,
                error.type = Empty,
                otel.status_code = Empty,
                trace_id = %context.trace_id,
                span_id = %context.span_id,
                parent_span_id = parent,
            ),
            Side::Provider => tracing::info_span!(
                "dubbo.server",
                otel.name = %name,
                otel.kind = "server",
                rpc.system = "apache_dubbo",
                rpc.service = %self.service,
                rpc.method = %invocation.method_name(),
                server.address = %self.host,
                server.port = self.port,
                network.peer.address = Empty,
                network.peer.port = Empty,
                rpc.dubbo.status = Empty,
                error.type = Empty,
                otel.status_code = Empty,
                trace_id = %context.trace_id,
                span_id = %context.span_id,
                parent_span_id = parent,
            ),
        };
        if self.side == Side::Provider {
            if let Some(peer) = invocation.attachments().get_str(REMOTE_ADDRESS) {
                match peer.rsplit_once(':') {
                    Some((host, port)) if port.parse::<u16>().is_ok() => {
                        span.record("network.peer.address", host);
                        span.record("network.peer.port", port);
                    }
                    _ => {
                        span.record("network.peer.address", peer);
                    }
                }
            }
        }
        span
    }
}

/// Records the outcome of a call on its span.
fn record(span: &tracing::Span, result: &Result<RpcResult, RpcError>) {
    match result {
        Ok(_) => {
            span.record("rpc.dubbo.status", "OK");
        }
        Err(e) => {
            match e.status() {
                Some(status) => span.record("rpc.dubbo.status", status.name()),
                None => span.record("rpc.dubbo.status", "ERROR"),
            };
            span.record("error.type", error_type(e));
            span.record("otel.status_code", "ERROR");
        }
    }
}

/// A low-cardinality name of what went wrong.
fn error_type(e: &RpcError) -> &'static str {
    match e {
        RpcError::Destroyed(_) => "destroyed",
        RpcError::Timeout { .. } => "timeout",
        RpcError::NotFound(_) => "not_found",
        RpcError::Remote { .. } => "business",
        RpcError::Status { .. } => "status",
        RpcError::Network(_) => "network",
        RpcError::Codec(_) => "codec",
        RpcError::Unavailable(_) => "unavailable",
        RpcError::Forbidden(_) => "forbidden",
        RpcError::Config(_) => "config",
        RpcError::Grpc { .. } => "grpc",
        _ => "unknown",
    }
}

#[async_trait]
impl Filter for TracingFilter {
    async fn invoke(
        &self,
        next: Next<'_>,
        mut invocation: Invocation,
    ) -> Result<RpcResult, RpcError> {
        let context = self.context(&invocation);
        let span = if context.is_sampled() {
            self.span(&context, &invocation)
        } else {
            tracing::Span::none()
        };
        let result = match self.side {
            Side::Consumer => {
                let attachments = invocation.attachments_mut();
                attachments.insert(TRACEPARENT, context.traceparent());
                match &context.state {
                    Some(state) => attachments.insert(TRACESTATE, state.clone()),
                    None => {
                        attachments.remove(TRACESTATE);
                    }
                }
                next.invoke(invocation).instrument(span.clone()).await
            }
            Side::Provider => {
                trace_context::scope(context, next.invoke(invocation))
                    .instrument(span.clone())
                    .await
            }
        };
        record(&span, &result);
        result
    }
}

/// A factory of the filter sampling new traces with probability `sampling` (register it
/// as [`NAME`]).
pub fn factory(
    sampling: f64,
) -> impl Fn(&FilterContext<'_>) -> FactoryResult + Send + Sync + 'static {
    move |ctx: &FilterContext<'_>| {
        Ok(Some(
            Arc::new(TracingFilter::new(ctx, sampling)) as Arc<dyn Filter>
        ))
    }
}
