//! Clustering for oxidubbo: what makes a set of providers behave as one service.
//!
//! - [`Directory`] lists the invokers of a service (after routing); [`StaticDirectory`]
//!   holds a fixed list, the registry crate's `RegistryDirectory` follows a registry.
//! - [`Cluster`] joins a directory into one invoker with a fault-tolerance strategy chosen
//!   by the consumer URL's `cluster` parameter ([`cluster_for`], [`join`]): `failover`
//!   (default), `failfast`, `failsafe`, `failback`, `forking`, `broadcast`, `available`.
//! - [`loadbalance`] picks one provider per attempt (`loadbalance` parameter, default
//!   `random`); [`router`] narrows the providers down per call.
//!
//! Cluster invokers keep oxidubbo's lifecycle rules: each call takes one consumer URL
//! snapshot at its start (recorded in the invocation) and never re-reads it after an
//! `await`; destroying a cluster invoker destroys its directory and every invoker in it;
//! calling a destroyed one returns [`RpcError::Destroyed`](oxidubbo_invoker::RpcError).
//!
//! ```
//! use std::sync::Arc;
//! use oxidubbo_cluster::{Directory, StaticDirectory, join};
//! use oxidubbo_invoker::{Invocation, Invoker, RpcError, RpcResult, ServiceInvoker, Url, service_fn};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! // Two providers: the first fails with a network error, the second answers.
//! let provider = |port: u16, ok: bool| -> Arc<dyn Invoker> {
//!     let url = Arc::new(Url::parse(&format!("dubbo://10.0.0.1:{port}/com.example.Greeter")).unwrap());
//!     Arc::new(ServiceInvoker::new(url, service_fn(move |_inv: Invocation| async move {
//!         if ok { Ok(RpcResult::new("hi")) } else { Err(RpcError::Network("reset".into())) }
//!     })))
//! };
//! let consumer = Arc::new(Url::parse(
//!     "consumer://10.0.0.9/com.example.Greeter?cluster=failover&retries=2&loadbalance=roundrobin",
//! ).unwrap());
//! let directory = StaticDirectory::with_url(Some(consumer), vec![provider(1, false), provider(2, true)]);
//! let greeter = join(Arc::new(directory)).unwrap();
//!
//! // Failover retries on the other provider.
//! let result = greeter.invoke(Invocation::new("sayHello", "", vec![])).await.unwrap();
//! assert_eq!(result.value.as_str(), Some("hi"));
//!
//! greeter.destroy();
//! let err = greeter.invoke(Invocation::new("sayHello", "", vec![])).await.unwrap_err();
//! assert!(matches!(err, RpcError::Destroyed(_)));
//! # });
//! ```

mod available;
mod broadcast;
mod cluster;
mod directory;
mod failback;
mod failfast;
mod failover;
mod failsafe;
mod forking;
pub mod loadbalance;
pub mod router;
mod support;

pub use available::{AvailableCluster, AvailableClusterInvoker};
pub use broadcast::{BroadcastCluster, BroadcastClusterInvoker};
pub use cluster::{Cluster, cluster_for, join};
pub use directory::{Directory, StaticDirectory};
pub use failback::{
    DEFAULT_FAILBACK_PERIOD_MS, DEFAULT_FAILBACK_RETRIES, DEFAULT_FAILBACK_TASKS, FAILBACK_PERIOD,
    FAILBACK_TASKS, FailbackCluster, FailbackClusterInvoker,
};
pub use failfast::{FailfastCluster, FailfastClusterInvoker};
pub use failover::{FailoverCluster, FailoverClusterInvoker};
pub use failsafe::{FailsafeCluster, FailsafeClusterInvoker};
pub use forking::{DEFAULT_FORKS, FORKS, ForkingCluster, ForkingClusterInvoker};
pub use loadbalance::{LoadBalance, load_balance_for};
pub use router::{Router, RouterChain};
