//! The revision of an application's metadata, exactly as Dubbo Java computes it
//! (`MetadataInfo.calAndGetRevision`, `ServiceInfo.toDescString`, `RevisionResolver`,
//! `MD5Utils.getMd5`):
//!
//! 1. no service → `"0"`;
//! 2. otherwise the text is the application name followed, for every service in the order of
//!    its key in `services` (Java `String` order), by the service's
//!    [`desc_string`](crate::ServiceInfo::desc_string);
//! 3. the revision is the MD5 of the text's UTF-8 bytes, as 32 lower-case hex digits.
//!
//! dubbo-go computes it otherwise (3.3.0/3.3.1: a decimal sum of CRC-32s; 3.3.2: SHA-512 of a
//! different text), so its revisions never equal Java's. No peer recomputes a revision it
//! receives: it is an opaque key for caching and for `getMetadataInfo(revision)`.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use md5::{Digest, Md5};

use crate::keys::EMPTY_REVISION;
use crate::service_info::ServiceInfo;

/// The text Java hashes into the revision (step 2 above); `None` when there is no service.
pub fn revision_text(app: &str, services: &BTreeMap<String, ServiceInfo>) -> Option<String> {
    if services.is_empty() {
        return None;
    }
    let mut entries: Vec<(&String, &ServiceInfo)> = services.iter().collect();
    entries.sort_by(|a, b| java_cmp(a.0, b.0));
    let mut text = app.to_owned();
    for (_, service) in entries {
        text.push_str(&service.desc_string());
    }
    Some(text)
}

/// The revision of `app` exporting `services`: `"0"` for none, else the MD5 hex of
/// [`revision_text`].
pub fn calculate_revision(app: &str, services: &BTreeMap<String, ServiceInfo>) -> String {
    match revision_text(app, services) {
        None => EMPTY_REVISION.to_owned(),
        Some(text) => md5_hex(text.as_bytes()),
    }
}

/// MD5 as 32 lower-case hex digits (`MD5Utils.getMd5`).
fn md5_hex(bytes: &[u8]) -> String {
    let digest = Md5::digest(bytes);
    let mut out = String::with_capacity(32);
    for byte in digest {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Java's `String.compareTo`: compares UTF-16 code units (the order of `TreeMap` keys).
pub(crate) fn java_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}
