//! `accesslog`: one line per call, when the URL's `accesslog` parameter asks for it.
//!
//! * `accesslog=true` (or `default`): the line is a `tracing` event at `INFO` with target
//!   [`LOG_TARGET`] (`oxidubbo::accesslog`).
//! * any other value (not `false`/`0`): a file path; lines are appended to it by a
//!   background thread that owns the file, fed through a bounded queue. A call never waits
//!   for the disk: when the queue is full the line is dropped (and a warning counts the
//!   drops). The writer stops when the chain is destroyed or dropped.
//!
//! A line reads, for example:
//!
//! ```text
//! [2024-05-01 12:00:00.123] 127.0.0.1:50010 -> 127.0.0.1:20880 - org.example.Greeter:1.0.0 sayHello(Ljava/lang/String;) ["x"] ok 2ms
//! ```
//!
//! (on the consumer side the left address is `-`). The arguments are shortened to a few
//! kilobytes.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invocation, RpcError, RpcResult};

use crate::{Filter, FilterContext, Next, Side};

/// The filter's name in `service.filter`/`reference.filter`.
pub const NAME: &str = "accesslog";
/// The URL parameter that turns the log on.
pub const ACCESSLOG: &str = "accesslog";
/// The `tracing` target of the log lines.
pub const LOG_TARGET: &str = "oxidubbo::accesslog";
/// How many lines may wait for the file writer before new ones are dropped.
pub const QUEUE_CAPACITY: usize = 4096;
const MAX_ARGS_LEN: usize = 4096;

/// Where the lines go.
#[derive(Debug)]
enum Sink {
    Tracing,
    File {
        path: PathBuf,
        tx: Mutex<Option<SyncSender<String>>>,
        dropped: AtomicU64,
    },
}

/// See the [module documentation](self).
#[derive(Debug)]
pub struct AccessLogFilter {
    side: Side,
    sink: Sink,
}

impl AccessLogFilter {
    /// Logs through `tracing` (target [`LOG_TARGET`]).
    pub fn to_tracing(side: Side) -> Self {
        AccessLogFilter {
            side,
            sink: Sink::Tracing,
        }
    }

    /// Appends to the file at `path` (made, with its directories, if missing).
    ///
    /// # Errors
    ///
    /// [`RpcError::Config`] if the file cannot be opened or the writer thread not started.
    pub fn to_file(side: Side, path: impl AsRef<Path>) -> Result<Self, RpcError> {
        let path = path.as_ref().to_path_buf();
        let fail =
            |e: std::io::Error| RpcError::Config(format!("accesslog file {}: {e}", path.display()));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(fail)?;
        let (tx, rx) = sync_channel(QUEUE_CAPACITY);
        std::thread::Builder::new()
            .name("oxidubbo-accesslog".to_owned())
            .spawn(move || write_lines(file, rx))
            .map_err(fail)?;
        Ok(AccessLogFilter {
            side,
            sink: Sink::File {
                path,
                tx: Mutex::new(Some(tx)),
                dropped: AtomicU64::new(0),
            },
        })
    }

    fn emit(&self, line: String) {
        match &self.sink {
            Sink::Tracing => tracing::info!(target: LOG_TARGET, "{line}"),
            Sink::File { path, tx, dropped } => {
                let tx = tx.lock().unwrap_or_else(|e| e.into_inner());
                let Some(tx) = tx.as_ref() else { return };
                match tx.try_send(line) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        let n = dropped.fetch_add(1, Ordering::Relaxed);
                        if n % 1024 == 0 {
                            tracing::warn!(
                                path = %path.display(),
                                dropped = n + 1,
                                "access log writer is behind; dropping lines"
                            );
                        }
                    }
                    Err(TrySendError::Disconnected(_)) => {}
                }
            }
        }
    }
}

fn write_lines(file: File, rx: Receiver<String>) {
    let mut out = BufWriter::new(file);
    while let Ok(line) = rx.recv() {
        let mut ok = writeln!(out, "{line}").is_ok();
        // Write what is queued, then flush once, so the file is current when idle.
        while let Ok(line) = rx.try_recv() {
            ok &= writeln!(out, "{line}").is_ok();
        }
        ok &= out.flush().is_ok();
        if !ok {
            tracing::warn!("failed to write the access log");
        }
    }
    let _ = out.flush();
}

#[async_trait]
impl Filter for AccessLogFilter {
    async fn invoke(&self, next: Next<'_>, invocation: Invocation) -> Result<RpcResult, RpcError> {
        let mut line = String::with_capacity(160);
        line.push('[');
        write_timestamp(&mut line, SystemTime::now());
        line.push_str("] ");
        let from = match self.side {
            Side::Provider => invocation
                .attachments()
                .get_str("remote.address")
                .unwrap_or("-"),
            Side::Consumer => "-",
        };
        let _ = match invocation.url() {
            Some(url) => write!(line, "{from} -> {} - {} ", url.address(), url.service_key()),
            None => write!(line, "{from} -> - - "),
        };
        let _ = write!(
            line,
            "{}({}) ",
            invocation.method_name(),
            invocation.parameter_types()
        );
        render_args(&mut line, invocation.arguments());
        let started = Instant::now();
        let result = next.invoke(invocation).await;
        let ms = started.elapsed().as_millis();
        let _ = match &result {
            Ok(_) => write!(line, " ok {ms}ms"),
            Err(e) => write!(line, " error {ms}ms: {e}"),
        };
        self.emit(line);
        result
    }

    fn destroy(&self) {
        if let Sink::File { tx, .. } = &self.sink {
            tx.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
    }
}

fn render_args(out: &mut String, args: &[Value]) {
    let start = out.len();
    out.push('[');
    for (i, v) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        render(out, v, 0);
        if out.len() - start > MAX_ARGS_LEN {
            break;
        }
    }
    if out.len() - start > MAX_ARGS_LEN {
        let mut cut = start + MAX_ARGS_LEN;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out.push(']');
}

fn render(out: &mut String, v: &Value, depth: usize) {
    if depth > 8 || out.len() > MAX_ARGS_LEN * 2 {
        out.push('…');
        return;
    }
    let _ = match v {
        Value::Null => write!(out, "null"),
        Value::Bool(b) => write!(out, "{b}"),
        Value::Int(i) => write!(out, "{i}"),
        Value::Long(l) => write!(out, "{l}"),
        Value::Double(d) => write!(out, "{d}"),
        Value::Date(ms) => write!(out, "Date({ms})"),
        Value::String(s) => write!(out, "{s:?}"),
        Value::Binary(b) => write!(out, "<{} bytes>", b.len()),
        Value::Ref(n) => write!(out, "#ref{n}"),
        Value::List(list) => {
            out.push('[');
            for (i, item) in list.items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(out, item, depth + 1);
            }
            out.push(']');
            Ok(())
        }
        Value::Map(map) => {
            out.push('{');
            for (i, (k, val)) in map.entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(out, k, depth + 1);
                out.push_str(": ");
                render(out, val, depth + 1);
            }
            out.push('}');
            Ok(())
        }
        Value::Object(obj) => {
            out.push_str(&obj.class_name);
            out.push('{');
            for (i, (k, val)) in obj.fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(": ");
                render(out, val, depth + 1);
            }
            out.push('}');
            Ok(())
        }
    };
}

/// `YYYY-MM-DD hh:mm:ss.mmm` in UTC.
fn write_timestamp(out: &mut String, now: SystemTime) {
    let ms = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let secs = i64::try_from(ms / 1000).unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    );
}

/// The factory: active when the URL's `accesslog` is set (not `false`/`0`): `true` or
/// `default` logs through `tracing`, anything else is a file path.
///
/// # Errors
///
/// [`RpcError::Config`] if the file cannot be opened.
pub fn factory(ctx: &FilterContext<'_>) -> Result<Option<Arc<dyn Filter>>, RpcError> {
    let Some(value) = ctx.url.param(ACCESSLOG).map(str::trim) else {
        return Ok(None);
    };
    if value.is_empty() || value.eq_ignore_ascii_case("false") || value == "0" {
        return Ok(None);
    }
    let filter = if value.eq_ignore_ascii_case("true")
        || value.eq_ignore_ascii_case("default")
        || value == "1"
    {
        AccessLogFilter::to_tracing(ctx.side)
    } else {
        AccessLogFilter::to_file(ctx.side, value)?
    };
    Ok(Some(Arc::new(filter)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_civil_utc() {
        let mut s = String::new();
        write_timestamp(
            &mut s,
            UNIX_EPOCH + Duration::from_millis(1_714_564_800_123),
        );
        assert_eq!(s, "2024-05-01 12:00:00.123");
        s.clear();
        write_timestamp(&mut s, UNIX_EPOCH);
        assert_eq!(s, "1970-01-01 00:00:00.000");
    }

    #[test]
    fn long_arguments_are_cut_on_a_char_boundary() {
        let mut s = String::new();
        render_args(&mut s, &[Value::from("é".repeat(5000))]);
        assert!(s.len() < MAX_ARGS_LEN + 16);
        assert!(s.ends_with("…]"));
    }
}
