//! [`MetricsServer`]: the HTTP endpoint Prometheus scrapes (`GET /metrics`).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::registry::Registry;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// dubbo-go's default port of the metrics endpoint.
pub const DEFAULT_PORT: u16 = 9090;
/// dubbo-go's default path of the metrics endpoint.
pub const DEFAULT_PATH: &str = "/metrics";
/// The content type of the exposition (OpenMetrics text, which Prometheus negotiates).
pub const CONTENT_TYPE_OPENMETRICS: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A small HTTP/1 server answering `GET <path>` with the text exposition of a
/// [`Registry`]; any other path is 404, any other method 405.
///
/// [`MetricsServer::shutdown`] closes the listener and ends every connection task, so
/// nothing is left running and the port is free when it returns.
#[derive(Debug)]
pub struct MetricsServer {
    local_addr: SocketAddr,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl MetricsServer {
    /// Binds `addr` (port 0: a free port) and serves `registry` at `path`.
    ///
    /// # Errors
    ///
    /// The bind error (address in use, not an address of this host).
    pub async fn start(
        addr: SocketAddr,
        path: impl Into<String>,
        registry: Arc<Registry>,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let path: Arc<str> = path.into().into();
        let task = tokio::spawn(accept_loop(listener, stopped, path, registry));
        tracing::info!(%local_addr, "metrics endpoint listening");
        Ok(MetricsServer {
            local_addr,
            stop: Mutex::new(Some(stop)),
            task: Mutex::new(Some(task)),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the server and waits until its listener and connections are closed. Later
    /// calls do nothing.
    pub async fn shutdown(&self) {
        let stop = self.stop.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "the metrics server task failed");
            }
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    mut stopped: oneshot::Receiver<()>,
    path: Arc<str>,
    registry: Arc<Registry>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve(stream, Arc::clone(&path), Arc::clone(&registry)));
                }
                Err(e) => {
                    // Out of descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "metrics endpoint: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

async fn serve(stream: TcpStream, path: Arc<str>, registry: Arc<Registry>) {
    let service = hyper::service::service_fn(move |request| {
        let response = respond(&request, &path, &registry);
        async move { Ok::<_, Infallible>(response) }
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    if let Err(e) = connection.await {
        tracing::debug!(error = %e, "metrics endpoint: connection ended with an error");
    }
}

fn respond(request: &Request<Incoming>, path: &str, registry: &Registry) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, body: String| {
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        response
    };
    if request.uri().path() != path {
        return reply(
            StatusCode::NOT_FOUND,
            format!("not found; metrics are at {path}\n"),
        );
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = reply(StatusCode::METHOD_NOT_ALLOWED, "use GET\n".to_owned());
        response
            .headers_mut()
            .insert(ALLOW, hyper::header::HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let mut response = reply(StatusCode::OK, crate::encode(registry));
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(CONTENT_TYPE_OPENMETRICS),
    );
    response
}
