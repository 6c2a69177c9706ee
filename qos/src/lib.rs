//! Dubbo Java 3's QoS server (`dubbo-plugin/dubbo-qos`) for oxidubbo: the operator
//! commands Dubbo users already know, over telnet and HTTP on one port (22222 by default).
//!
//! ```text
//! $ telnet 127.0.0.1 22222
//! dubbo>ls
//! $ curl 127.0.0.1:22222/ready          # 200 "true" or 503 "false": a kubelet probe
//! ```
//!
//! The crate holds the server ([`QosServer`]: the peer check, telnet and HTTP on one
//! port), the command parsing and their output ([`command`]), and `invoke`'s argument
//! parsing ([`invoke`]). What the commands need from the running application is behind
//! [`QosApplication`], which the `oxidubbo` facade implements for its bootstrap.

pub mod app;
pub mod client;
pub mod command;
pub mod invoke;
pub mod server;
mod table;

pub use app::{ConsumerService, Probe, ProviderService, QosApplication};
pub use command::{Output, execute};
pub use server::{QosServer, bind_addr, permitted};

/// Java's default QoS port.
pub const DEFAULT_PORT: u16 = 22222;
/// The telnet prompt, Java's.
pub const PROMPT: &str = "dubbo>";
/// Java's answer to a peer that is not on this host when foreign IPs are not accepted.
pub const FOREIGN_IP_REFUSED: &str = "Foreign Ip Not Permitted, Consider Config It In Whitelist.";
/// The longest command line (telnet) or request head (HTTP) the server reads, in bytes.
pub const MAX_LINE: usize = 64 * 1024;
