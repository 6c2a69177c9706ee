//! `consistenthash`: the same arguments go to the same provider, laid out as Dubbo Java's
//! `ConsistentHashLoadBalance` so both pick the same provider for a key.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};

use md5::{Digest, Md5};
use oxidubbo_common::Url;
use oxidubbo_hessian2::Value;
use oxidubbo_invoker::{Invocation, Invoker};
use rand::RngCore;

use super::LoadBalance;
use super::roundrobin::identity;

/// URL parameter: virtual nodes per provider on the ring. Dubbo default: `160`.
pub const HASH_NODES: &str = "hash.nodes";
/// URL parameter: comma-separated indexes of the arguments that make the key. Default `0`.
pub const HASH_ARGUMENTS: &str = "hash.arguments";
/// Default of [`HASH_NODES`].
pub const DEFAULT_HASH_NODES: i64 = 160;

/// A hash ring laid out exactly as Dubbo Java's `ConsistentHashSelector`.
///
/// For every provider address `A` (in list order) and every `i` in
/// `0..replicas / 4`, `digest = md5(A + i)` (the decimal `i` appended to the address);
/// the digest gives four points `k = 0..4`, point `k` being the `u32` read little-endian
/// from bytes `4k..4k + 4`. A later provider takes over a point an earlier one had. A key
/// is hashed the same way (`md5(key)`, point 0) and served by the first point at or after
/// it, wrapping around to the lowest.
#[derive(Debug, Clone)]
pub struct ConsistentHashRing {
    points: BTreeMap<u32, usize>,
    /// The invokers the indexes refer to, by identity; a `Weak` keeps no invoker alive
    /// (and keeps its address from being reused while the ring is cached).
    members: Vec<Weak<dyn Invoker>>,
    identity: u64,
    arguments: Vec<usize>,
}

impl ConsistentHashRing {
    /// A ring over `addresses` (`host:port`) with `replicas` virtual nodes each; the
    /// ring's values are indexes into `addresses`.
    pub fn from_addresses<S: AsRef<str>>(addresses: &[S], replicas: usize) -> Self {
        let mut points = BTreeMap::new();
        for (index, address) in addresses.iter().enumerate() {
            add_points(&mut points, address.as_ref(), index, replicas);
        }
        ConsistentHashRing {
            points,
            members: Vec::new(),
            identity: 0,
            arguments: vec![0],
        }
    }

    /// The ring: point → index of the provider.
    pub fn points(&self) -> &BTreeMap<u32, usize> {
        &self.points
    }

    /// The index of the provider serving `key`, `None` on an empty ring.
    pub fn locate(&self, key: &str) -> Option<usize> {
        let hash = point(&md5(key.as_bytes()), 0);
        self.points
            .range(hash..)
            .next()
            .or_else(|| self.points.iter().next())
            .map(|(_, &index)| index)
    }

    fn matches(&self, identity: u64, invokers: &[Arc<dyn Invoker>]) -> bool {
        self.identity == identity
            && self.members.len() == invokers.len()
            && self
                .members
                .iter()
                .zip(invokers)
                .all(|(m, i)| std::ptr::addr_eq(m.as_ptr(), Arc::as_ptr(i)))
    }
}

/// MD5 of `bytes`.
pub fn md5(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

/// Point `k` (0..4) of a digest: bytes `4k..4k+4` as a little-endian `u32`.
pub fn point(digest: &[u8; 16], k: usize) -> u32 {
    let k = k % 4;
    u32::from_le_bytes([
        digest[4 * k],
        digest[4 * k + 1],
        digest[4 * k + 2],
        digest[4 * k + 3],
    ])
}

fn add_points(points: &mut BTreeMap<u32, usize>, address: &str, index: usize, replicas: usize) {
    for i in 0..replicas / 4 {
        let digest = md5(format!("{address}{i}").as_bytes());
        for k in 0..4 {
            points.insert(point(&digest, k), index);
        }
    }
}

/// The text of an argument as Java's `toString` gives it, for strings, numbers, booleans
/// and `null` (other values use a stable text of their own).
pub fn argument_key(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Long(l) => l.to_string(),
        Value::Double(d) => java_double(*d),
        Value::Date(ms) => ms.to_string(),
        Value::String(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

/// Java's `Double.toString` for the common cases.
fn java_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".to_owned();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let magnitude = d.abs();
    if d == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let s = format!("{d}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{d:e}");
        match s.split_once('e') {
            Some((mantissa, exp)) if mantissa.contains('.') => format!("{mantissa}E{exp}"),
            Some((mantissa, exp)) => format!("{mantissa}.0E{exp}"),
            None => s,
        }
    }
}

/// Dubbo's `consistenthash` balancer. The key of a call is its arguments at the indexes
/// of `hash.arguments` (default `0`), concatenated; the ring has `hash.nodes` (default
/// 160) virtual nodes per provider (see [`ConsistentHashRing`]). Both parameters are read
/// for the method from the consumer URL, then from the first provider's URL.
///
/// Rings are cached per service and method and rebuilt when the invoker list changes
/// (compared by the identity of its invokers). The cache holds no invoker and no URL.
#[derive(Debug, Default)]
pub struct ConsistentHashLoadBalance {
    rings: Mutex<HashMap<String, Arc<ConsistentHashRing>>>,
}

impl ConsistentHashLoadBalance {
    /// Its name in the `loadbalance` parameter.
    pub const NAME: &'static str = "consistenthash";

    /// A new balancer with an empty cache.
    pub fn new() -> Self {
        ConsistentHashLoadBalance::default()
    }

    /// Rings cached now (one per service method called).
    pub fn cached_rings(&self) -> usize {
        self.rings.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn build(
        invokers: &[Arc<dyn Invoker>],
        url: &Url,
        method: &str,
        identity: u64,
    ) -> ConsistentHashRing {
        let first = invokers.iter().find_map(|i| i.url());
        let param = |key: &str| -> Option<String> {
            url.method_param(method, key)
                .or_else(|| first.as_ref().and_then(|f| f.method_param(method, key)))
                .map(str::to_owned)
        };
        let replicas = param(HASH_NODES)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(DEFAULT_HASH_NODES)
            .clamp(4, 100_000);
        let arguments: Vec<usize> = param(HASH_ARGUMENTS)
            .unwrap_or_else(|| "0".to_owned())
            .split(',')
            .filter_map(|s| s.trim().parse::<usize>().ok())
            .collect();
        let mut points = BTreeMap::new();
        for (index, invoker) in invokers.iter().enumerate() {
            // A destroyed invoker has no address: it gets no point.
            if let Some(provider) = invoker.url() {
                let replicas = usize::try_from(replicas).unwrap_or(160);
                add_points(&mut points, &provider.address(), index, replicas);
            }
        }
        ConsistentHashRing {
            points,
            members: invokers.iter().map(Arc::downgrade).collect(),
            identity,
            arguments,
        }
    }
}

/// A hash of the identities of `invokers`, in order (FNV-1a).
fn list_identity(invokers: &[Arc<dyn Invoker>]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for invoker in invokers {
        for byte in identity(invoker).to_le_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

impl LoadBalance for ConsistentHashLoadBalance {
    fn select(
        &self,
        invokers: &[Arc<dyn Invoker>],
        url: &Url,
        invocation: &Invocation,
        _rng: &mut dyn RngCore,
    ) -> Option<usize> {
        if invokers.is_empty() {
            return None;
        }
        let method = invocation.method_name();
        let key = format!("{}.{method}", url.service_key());
        let identity = list_identity(invokers);
        let ring = {
            let mut rings = self.rings.lock().unwrap_or_else(|e| e.into_inner());
            match rings.get(&key) {
                Some(ring) if ring.matches(identity, invokers) => Arc::clone(ring),
                _ => {
                    let ring = Arc::new(Self::build(invokers, url, method, identity));
                    rings.insert(key, Arc::clone(&ring));
                    ring
                }
            }
        };
        let args = invocation.arguments();
        let mut call_key = String::new();
        for &i in &ring.arguments {
            if let Some(arg) = args.get(i) {
                call_key.push_str(&argument_key(arg));
            }
        }
        ring.locate(&call_key)
            .filter(|&i| i < invokers.len())
            .or(Some(0))
    }
}
