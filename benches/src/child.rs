//! A benchmark's server in a process of its own, so that its CPU time and allocations are
//! seen apart from the load generator's.
//!
//! The parent runs its own executable again with `--child <kind>` ([`Child::spawn`]); the
//! child serves on a loopback port it prints as `port=<n>`, then answers each `stats` line
//! on its stdin with `cpu_us=<n> allocs=<n>` (its process CPU time, and the allocations
//! counted since it started serving when counting is on), and exits when its stdin closes.

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use crate::{allocs, process_cpu};

/// What a child reported at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// The child's CPU time so far.
    pub cpu: Duration,
    /// Allocations counted so far (0 when counting is off).
    pub allocs: u64,
}

/// A server process this process started. Dropping it closes the child's stdin, which
/// ends it; one still running 10 s later is killed.
#[derive(Debug)]
pub struct Child {
    process: std::process::Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// The loopback port the child serves on.
    pub port: u16,
}

fn bad(what: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("benchmark child: {what}"))
}

impl Child {
    /// Starts this executable again with `args` (which must select a child mode) and waits
    /// for the port it serves on.
    pub fn spawn(args: &[String]) -> std::io::Result<Child> {
        let mut process = Command::new(std::env::current_exe()?)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = process.stdin.take().ok_or_else(|| bad("no stdin"))?;
        let stdout = process.stdout.take().ok_or_else(|| bad("no stdout"))?;
        let mut child = Child {
            process,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            port: 0,
        };
        let line = child.line()?;
        child.port = line
            .strip_prefix("port=")
            .and_then(|p| p.trim().parse().ok())
            .ok_or_else(|| bad(format!("expected port=<n>, got {line:?}")))?;
        Ok(child)
    }

    fn line(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            return Err(bad("exited"));
        }
        Ok(line)
    }

    /// The child's figures now.
    pub fn stats(&mut self) -> std::io::Result<Stats> {
        let stdin = self.stdin.as_mut().ok_or_else(|| bad("stdin closed"))?;
        writeln!(stdin, "stats")?;
        stdin.flush()?;
        let line = self.line()?;
        let field = |name: &str| -> Option<u64> {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))?
                .parse()
                .ok()
        };
        match (field("cpu_us"), field("allocs")) {
            (Some(cpu), Some(allocs)) => Ok(Stats {
                cpu: Duration::from_micros(cpu),
                allocs,
            }),
            _ => Err(bad(format!("expected cpu_us=<n> allocs=<n>, got {line:?}"))),
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if !matches!(self.process.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The child's side: announces `port`, then answers `stats` until stdin closes. The
/// server runs on other threads meanwhile (a runtime the caller keeps).
pub fn serve_stats(port: u16) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "port={port}")?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        if line?.trim() == "stats" {
            let cpu = process_cpu().unwrap_or_default();
            writeln!(out, "cpu_us={} allocs={}", cpu.as_micros(), allocs::count())?;
            out.flush()?;
        }
    }
    Ok(())
}
