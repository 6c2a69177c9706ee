//! dubbo2 bodies over Hessian 2: requests, responses and events (spec §2).

use std::borrow::Cow;

use bytes::Bytes;
use oxidubbo_hessian2::descriptor::GENERIC_PARAMETER_DESC;
use oxidubbo_hessian2::{Decoder, Encoder, Object, Value};
use oxidubbo_invoker::{Attachments, Invocation, RpcError, RpcResult, StaticMap, Status};

use super::header::{FLAG_EVENT, FLAG_REQUEST, FLAG_TWOWAY, HEADER_LEN, HESSIAN2, Header};

/// The dubbo protocol version oxidubbo sends in every request body.
pub const DUBBO_VERSION: &str = "2.0.2";
/// Most attachments a request or response may carry (Dubbo sends a handful).
pub const MAX_ATTACHMENTS: usize = 4096;
/// Body of the read-only event: the Hessian string `"R"`.
pub const READONLY_EVENT: &str = "R";

/// Response flags written as the first value of an OK response body (spec §2.3).
mod flag {
    pub const WITH_EXCEPTION: i32 = 0;
    pub const VALUE: i32 = 1;
    pub const NULL_VALUE: i32 = 2;
    pub const WITH_EXCEPTION_WITH_ATTACHMENTS: i32 = 3;
    pub const VALUE_WITH_ATTACHMENTS: i32 = 4;
    pub const NULL_VALUE_WITH_ATTACHMENTS: i32 = 5;
}

/// Where a request goes: computed once per invoker from its URL, never per call.
///
/// The parts of the body that are the same on every call to the target are encoded here
/// once, and copied into each request.
#[derive(Debug, Clone)]
pub struct Target {
    /// `"2.0.2"`, the path and the version as Hessian strings: how every body starts.
    head: Vec<u8>,
    /// The `path`, `interface`, `version`, `group` and `token` attachments as Hessian pairs.
    fixed_attachments: Vec<u8>,
    /// Whether `fixed_attachments` carries the provider's token (which then wins over a
    /// `token` attachment of the call).
    has_token: bool,
}

impl Target {
    /// The target service `path` (the interface name) at `version` (`"0.0.0"` when the
    /// provider has none, as Java sends), in `group`, with the provider's `token`.
    pub fn new(
        path: impl Into<String>,
        version: impl Into<String>,
        group: Option<String>,
        token: Option<String>,
    ) -> Target {
        let (path, version) = (path.into(), version.into());
        let mut head = Vec::new();
        let mut fixed_attachments = Vec::new();
        // Writing strings into a vector cannot fail.
        let _ = write_strs(&mut head, &[DUBBO_VERSION, &path, &version]);
        let _ = write_strs(
            &mut fixed_attachments,
            &["path", &path, "interface", &path, "version", &version],
        );
        if let Some(group) = &group {
            let _ = write_strs(&mut fixed_attachments, &["group", group]);
        }
        if let Some(token) = &token {
            let _ = write_strs(&mut fixed_attachments, &["token", token]);
        }
        Target {
            head,
            fixed_attachments,
            has_token: token.is_some(),
        }
    }
}

fn write_strs(out: &mut Vec<u8>, strs: &[&str]) -> oxidubbo_hessian2::Result<()> {
    let mut enc = Encoder::new(out);
    strs.iter().try_for_each(|s| enc.write_str(s))
}

/// A decoded request body.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestBody {
    /// The dubbo protocol version the consumer sent (`"2.0.2"` from Java and Go).
    pub dubbo_version: String,
    /// Service name.
    pub path: String,
    /// Service version (`None` when the consumer sent `N` or `""`).
    pub version: Option<String>,
    /// Method name.
    pub method: String,
    /// JVM parameter descriptor.
    pub parameter_types: String,
    /// One value per parameter.
    pub arguments: Vec<Value>,
    /// The request's attachments.
    pub attachments: Attachments,
}

fn codec_err(e: impl std::fmt::Display) -> RpcError {
    RpcError::Codec(e.to_string())
}

/// Starts a frame in `buf`: a header whose length is patched by [`finish_frame`].
fn begin_frame(buf: &mut Vec<u8>, header: Header) -> usize {
    let start = buf.len();
    buf.extend_from_slice(&header.to_bytes());
    start
}

/// Patches the body length of the frame begun at `start`, checking the payload limit.
fn finish_frame(buf: &mut Vec<u8>, start: usize, payload: usize) -> Result<(), RpcError> {
    let body_len = buf.len() - start - HEADER_LEN;
    if payload > 0 && body_len > payload {
        buf.truncate(start);
        return Err(RpcError::Codec(format!(
            "data length too large: {body_len}, max payload: {payload}"
        )));
    }
    let len = u32::try_from(body_len).map_err(codec_err)?;
    buf[start + 12..start + 16].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// Appends a request frame for `invocation` to `buf`; `timeout_ms` is the `timeout`
/// attachment (decimal milliseconds, as Java sends it).
pub fn encode_request(
    buf: &mut Vec<u8>,
    id: i64,
    twoway: bool,
    target: &Target,
    timeout_ms: &str,
    invocation: &Invocation,
    payload: usize,
) -> Result<(), RpcError> {
    let flag = FLAG_REQUEST | HESSIAN2 | if twoway { FLAG_TWOWAY } else { 0 };
    let start = begin_frame(
        buf,
        Header {
            flag,
            status: 0,
            id,
            body_len: 0,
        },
    );
    buf.extend_from_slice(&target.head);
    let mut enc = Encoder::new(&mut *buf);
    let r: oxidubbo_hessian2::Result<()> = (|| {
        enc.write_str(invocation.method_name())?;
        enc.write_str(invocation.parameter_types())?;
        for arg in invocation.arguments() {
            enc.write_value(arg)?;
        }
        enc.write_map_begin(None)?;
        enc.get_mut().extend_from_slice(&target.fixed_attachments);
        enc.write_str("timeout")?;
        enc.write_str(timeout_ms)?;
        for (k, v) in invocation.attachments().iter() {
            let fixed = matches!(k, "path" | "interface" | "version" | "group" | "timeout");
            if fixed || (k == "token" && target.has_token) {
                continue;
            }
            enc.write_str(k)?;
            enc.write_value(v)?;
        }
        enc.write_map_end()
    })();
    if let Err(e) = r {
        buf.truncate(start);
        return Err(codec_err(e));
    }
    finish_frame(buf, start, payload)
}

/// Appends a heartbeat request frame (`0xe2`, body `N`).
pub fn encode_heartbeat(buf: &mut Vec<u8>, id: i64) {
    let flag = FLAG_REQUEST | FLAG_TWOWAY | FLAG_EVENT | HESSIAN2;
    buf.extend_from_slice(
        &Header {
            flag,
            status: 0,
            id,
            body_len: 1,
        }
        .to_bytes(),
    );
    buf.push(b'N');
}

/// Appends a heartbeat response frame (`0x22`, status 20, body `N`).
pub fn encode_heartbeat_response(buf: &mut Vec<u8>, id: i64) {
    let flag = FLAG_EVENT | HESSIAN2;
    buf.extend_from_slice(
        &Header {
            flag,
            status: Status::OK.0,
            id,
            body_len: 1,
        }
        .to_bytes(),
    );
    buf.push(b'N');
}

/// Appends the read-only event (`0xa2`, one-way, body `"R"`).
pub fn encode_readonly_event(buf: &mut Vec<u8>, id: i64) {
    let flag = FLAG_REQUEST | FLAG_EVENT | HESSIAN2;
    buf.extend_from_slice(
        &Header {
            flag,
            status: 0,
            id,
            body_len: 2,
        }
        .to_bytes(),
    );
    buf.extend_from_slice(&[0x01, b'R']);
}

/// Whether the consumer's body version asks for the response forms with attachments
/// (Java's rule: versions 2.0.2 through 2.0.99 as integers 2000200..=2009900).
pub fn supports_response_attachments(version: &str) -> bool {
    if version == DUBBO_VERSION {
        return true; // what every Java and Go consumer sends
    }
    let mut n: i64 = 0;
    let mut parts = 0;
    for part in version.split('.') {
        let digits = part.bytes().take_while(u8::is_ascii_digit);
        let v = digits.fold(0i64, |acc, d| {
            acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
        n = n.saturating_mul(100).saturating_add(v);
        parts += 1;
    }
    if parts == 3 {
        n = n.saturating_mul(100);
    }
    (2_000_200..=2_009_900).contains(&n)
}

/// Appends an OK response frame carrying `result` (or a business exception).
pub fn encode_response(
    buf: &mut Vec<u8>,
    id: i64,
    with_attachments: bool,
    result: &Result<RpcResult, RpcError>,
    payload: usize,
) -> Result<(), RpcError> {
    let start = begin_frame(
        buf,
        Header {
            flag: HESSIAN2,
            status: Status::OK.0,
            id,
            body_len: 0,
        },
    );
    let mut enc = Encoder::new(&mut *buf);
    let r: oxidubbo_hessian2::Result<()> = (|| {
        let attachments = match result {
            Ok(res) if res.value.is_null() => {
                enc.write_i32(if with_attachments {
                    flag::NULL_VALUE_WITH_ATTACHMENTS
                } else {
                    flag::NULL_VALUE
                })?;
                Some(&res.attachments)
            }
            Ok(res) => {
                enc.write_i32(if with_attachments {
                    flag::VALUE_WITH_ATTACHMENTS
                } else {
                    flag::VALUE
                })?;
                enc.write_value(&res.value)?;
                Some(&res.attachments)
            }
            Err(RpcError::Remote {
                class,
                message,
                attachments,
            }) => {
                enc.write_i32(if with_attachments {
                    flag::WITH_EXCEPTION_WITH_ATTACHMENTS
                } else {
                    flag::WITH_EXCEPTION
                })?;
                enc.write_value(&exception_value(class, message))?;
                Some(attachments)
            }
            Err(other) => {
                // Only business errors travel as an OK response; callers send the rest
                // as an error status. Keep the frame well-formed regardless.
                enc.write_i32(flag::WITH_EXCEPTION)?;
                enc.write_value(&exception_value(
                    "java.lang.RuntimeException",
                    &other.to_string(),
                ))?;
                return Ok(());
            }
        };
        if with_attachments {
            enc.write_map_begin(None)?;
            enc.write_str("dubbo")?;
            enc.write_str(DUBBO_VERSION)?;
            if let Some(att) = attachments {
                for (k, v) in att.iter() {
                    if k != "dubbo" {
                        enc.write_str(k)?;
                        enc.write_value(v)?;
                    }
                }
            }
            enc.write_map_end()?;
        }
        Ok(())
    })();
    if let Err(e) = r {
        buf.truncate(start);
        return Err(codec_err(e));
    }
    finish_frame(buf, start, payload)
}

/// Appends an error response frame: `status` and a Hessian string message.
pub fn encode_error_response(buf: &mut Vec<u8>, id: i64, status: Status, message: &str) {
    let start = begin_frame(
        buf,
        Header {
            flag: HESSIAN2,
            status: status.0,
            id,
            body_len: 0,
        },
    );
    let mut enc = Encoder::new(&mut *buf);
    if enc.write_str(message).is_err() {
        buf.truncate(start + HEADER_LEN);
    }
    let len = (buf.len() - start - HEADER_LEN) as u32;
    buf[start + 12..start + 16].copy_from_slice(&len.to_be_bytes());
}

/// A business exception as Java can load it: the JDK 17 shape of `RuntimeException`
/// (spec §4.1), with the class replaced only by `java.*` classes the consumer surely has.
pub fn exception_value(class: &str, message: &str) -> Value {
    let (class, message) = if class.starts_with("java.") {
        (class, message.to_owned())
    } else if class.is_empty() {
        ("java.lang.RuntimeException", message.to_owned())
    } else {
        // Like Dubbo's ExceptionFilter: a class the consumer may not have travels as a
        // RuntimeException whose message starts with the original class name.
        ("java.lang.RuntimeException", format!("{class}: {message}"))
    };
    Value::Object(Object::new(
        class,
        vec![
            (
                "suppressedExceptions".into(),
                Value::List(oxidubbo_hessian2::List::typed(
                    "java.util.Collections$EmptyList",
                    vec![],
                )),
            ),
            (
                "stackTrace".into(),
                Value::List(oxidubbo_hessian2::List::typed(
                    "[java.lang.StackTraceElement",
                    vec![],
                )),
            ),
            ("cause".into(), Value::Ref(0)),
            ("detailMessage".into(), Value::from(message)),
        ],
    ))
}

/// Reads class and message out of a decoded Java exception (by field name; falling back
/// to the cause's message when the exception has none).
pub fn exception_to_error(value: &Value) -> RpcError {
    let mut current = value;
    let mut class = None;
    for _ in 0..8 {
        match current {
            Value::Object(obj) => {
                if class.is_none() {
                    class = Some(obj.class_name.to_string());
                }
                match obj.get("detailMessage") {
                    Some(Value::String(m)) => {
                        return RpcError::remote(class.unwrap_or_default(), m.clone());
                    }
                    _ => match obj.get("cause") {
                        Some(cause @ Value::Object(_)) => current = cause,
                        _ => break,
                    },
                }
            }
            Value::Map(map) => {
                let message = map
                    .get("detailMessage")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                return RpcError::remote(
                    class
                        .unwrap_or_else(|| map.type_name.as_deref().unwrap_or_default().to_owned()),
                    message,
                );
            }
            Value::String(s) => {
                return RpcError::remote(class.unwrap_or_default(), s.clone());
            }
            _ => break,
        }
    }
    RpcError::remote(
        class.unwrap_or_else(|| "java.lang.Throwable".to_owned()),
        String::new(),
    )
}

/// A string or null of the request head, borrowed from the body when it can be.
fn read_str<'a>(dec: &mut Decoder<'a>, what: &str) -> Result<Option<Cow<'a, str>>, RpcError> {
    if dec.read_null() {
        return Ok(None);
    }
    dec.read_str()
        .map(Some)
        .map_err(|e| RpcError::Codec(format!("reading {what}: {e}")))
}

/// How [`read_attachments`] keeps a map of strings (see [`scan_string_map`]).
#[derive(Clone, Copy)]
enum Keep<'a> {
    /// Decoded at once.
    Decoded,
    /// Encoded, as a slice of the body (`Slice(body)`): a request's, dropped with its call.
    Slice(&'a Bytes),
    /// Encoded, as a copy of its own: a response's, handed to a caller who may keep it long
    /// after the read block it came in should have been reused or freed.
    Copy(&'a Bytes),
}

/// The attachments of nearly every response, Dubbo's providers adding the protocol
/// version to each: `{"dubbo": "2.0.2"}`, as Hessian writes it. Read as the shared
/// [`VERSION_ONLY_MAP`], neither checked nor copied per response.
const VERSION_ONLY: &[u8] = b"H\x05dubbo\x052.0.2Z";

/// [`VERSION_ONLY`] as attachments, decoded at most once per process.
static VERSION_ONLY_MAP: StaticMap = StaticMap::new(VERSION_ONLY);

/// Reads the attachments that end a body, and their `group`, kept as `keep` says.
fn read_attachments<'a>(
    dec: &mut Decoder<'a>,
    keep: Keep<'a>,
) -> Result<(Attachments, Option<Cow<'a, str>>), RpcError> {
    if dec.is_eof() {
        return Ok((Attachments::new(), None));
    }
    // dubbo-go tolerates `""` in place of the map; so do we.
    if dec.peek_byte().is_some_and(|b| b == 0x00) {
        let _ = dec.read_value();
        return Ok((Attachments::new(), None));
    }
    if let Keep::Slice(body) | Keep::Copy(body) = keep {
        let start = dec.position();
        let rest = body.get(start..).unwrap_or_default();
        if matches!(keep, Keep::Copy(_)) && rest.starts_with(VERSION_ONLY) {
            // Known good: neither checked nor copied.
            return Ok((Attachments::from_static(&VERSION_ONLY_MAP), None));
        }
        let scanned = match scan_ascii_map(rest) {
            Some(scanned) => Some(scanned),
            None => scan_string_map(dec)?,
        };
        if let Some(scanned) = scanned {
            let end = start + scanned.len;
            let attachments = match keep {
                _ if scanned.count == 0 => Attachments::new(),
                Keep::Copy(_) => Attachments::from_encoded(Bytes::copy_from_slice(
                    rest.get(..scanned.len).unwrap_or_default(),
                )),
                _ => Attachments::from_encoded(body.slice(start..end)),
            };
            return Ok((attachments, scanned.group));
        }
    }
    let attachments = match dec.read_string_map_with(|k| oxidubbo_invoker::intern_key(&k)) {
        Ok(Some(pairs)) if pairs.len() > MAX_ATTACHMENTS => return Err(too_many(pairs.len())),
        Ok(Some(pairs)) => Attachments::from_pairs(pairs),
        Ok(None) => Attachments::new(),
        Err(e) => return Err(RpcError::Codec(format!("reading attachments: {e}"))),
    };
    let group = attachments
        .get_str("group")
        .map(|g| Cow::Owned(g.to_owned()));
    Ok((attachments, group))
}

fn too_many(count: usize) -> RpcError {
    RpcError::Codec(format!(
        "{count} attachments, more than the {MAX_ATTACHMENTS} allowed"
    ))
}

/// What [`scan_string_map`] learnt of a map.
struct ScannedMap<'a> {
    /// Bytes the map takes, `H` to `Z`.
    len: usize,
    /// Entries in the map.
    count: usize,
    /// The last `group` entry.
    group: Option<Cow<'a, str>>,
}

/// [`scan_string_map`]'s common case, without the decoder: `map` starts with an untyped
/// map whose keys and values are all strings of short form (as every Dubbo peer writes
/// `path`, `version`, `timeout`, …), at most [`MAX_ATTACHMENTS`] of them, and all its
/// bytes are ASCII (text, tags and lengths alike: a string of 128–255 characters has a
/// length byte of 0x80 or more). `None` for anything else, which the decoder then scans:
/// the answer is the same either way.
fn scan_ascii_map(map: &[u8]) -> Option<ScannedMap<'_>> {
    const UNTYPED_MAP: u8 = b'H';
    const END: u8 = b'Z';
    if map.first() != Some(&UNTYPED_MAP) {
        return None;
    }
    // The bounds of the string of short form at `pos`, its length counted in bytes: right
    // for ASCII text, checked below for the whole map at once.
    let string = |pos: usize| -> Option<(usize, usize)> {
        match *map.get(pos)? {
            b @ 0x00..=0x1f => Some((pos + 1, pos + 1 + usize::from(b))),
            b @ 0x30..=0x33 => {
                let len = (usize::from(b - 0x30) << 8) | usize::from(*map.get(pos + 1)?);
                Some((pos + 2, pos + 2 + len))
            }
            _ => None,
        }
    };
    let (mut pos, mut count, mut group) = (1, 0, None);
    while *map.get(pos)? != END {
        let (key, value_at) = string(pos)?;
        let (value, next) = string(value_at)?;
        if map.get(key..value_at) == Some(b"group") {
            group = Some(value..next);
        }
        count += 1;
        if count > MAX_ATTACHMENTS {
            return None;
        }
        pos = next;
    }
    let map = map.get(..=pos)?;
    // Folded rather than `is_ascii`, which the compiler does a vector at a time.
    if map.iter().fold(0, |high, b| high | b) >= 0x80 {
        return None;
    }
    let group = match group {
        Some(range) => Some(Cow::Borrowed(std::str::from_utf8(map.get(range)?).ok()?)),
        None => None,
    };
    Some(ScannedMap {
        len: map.len(),
        count,
        group,
    })
}

/// Checks the untyped map of strings to strings at `body`'s position — what every Dubbo
/// peer sends as attachments — without copying anything out of it or moving `body`, so
/// that it can stay encoded until read. `None` when the map is of another shape (typed, or
/// holding other values): the caller decodes that at once. A malformed map is an error, as
/// decoding it would be.
fn scan_string_map<'a>(body: &Decoder<'a>) -> Result<Option<ScannedMap<'a>>, RpcError> {
    const UNTYPED_MAP: u8 = b'H';
    const END: u8 = b'Z';
    let is_string_tag = |b: u8| matches!(b, 0x00..=0x1f | 0x30..=0x33 | b'R' | b'S');
    if body.peek_byte() != Some(UNTYPED_MAP) {
        return Ok(None);
    }
    let start = body.position();
    // Forked, so that the text of the body already checked is not checked again.
    let mut dec = body.fork_at(start + 1);
    let mut count = 0;
    let mut group = None;
    let bad = |e: oxidubbo_hessian2::Error| RpcError::Codec(format!("reading attachments: {e}"));
    loop {
        match dec.peek_byte() {
            Some(END) => break,
            Some(b) if is_string_tag(b) => {}
            _ => return Ok(None),
        }
        let key = dec.read_str().map_err(bad)?;
        if !dec.peek_byte().is_some_and(is_string_tag) {
            return Ok(None);
        }
        let value = dec.read_str().map_err(bad)?;
        if key == "group" {
            group = Some(value);
        }
        count += 1;
        if count > MAX_ATTACHMENTS {
            return Err(too_many(count));
        }
    }
    Ok(Some(ScannedMap {
        len: dec.position() - start + 1,
        count,
        group,
    }))
}

/// Decodes a request body (spec §2.1). Trailing bytes are tolerated.
pub fn decode_request_body(body: &[u8]) -> Result<RequestBody, RpcError> {
    decode_request_from(body, None).map(Request::into_owned)
}

/// A decoded request body whose names are borrowed from the body where they can be: the
/// provider's form, which copies only what the call keeps.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub dubbo_version: Cow<'a, str>,
    pub path: Cow<'a, str>,
    pub version: Option<Cow<'a, str>>,
    pub method: Cow<'a, str>,
    pub parameter_types: Cow<'a, str>,
    pub arguments: Vec<Value>,
    pub attachments: Attachments,
    /// The `group` attachment.
    pub group: Option<Cow<'a, str>>,
}

impl Request<'_> {
    fn into_owned(self) -> RequestBody {
        RequestBody {
            dubbo_version: self.dubbo_version.into_owned(),
            path: self.path.into_owned(),
            version: self.version.map(Cow::into_owned),
            method: self.method.into_owned(),
            parameter_types: self.parameter_types.into_owned(),
            arguments: self.arguments,
            attachments: self.attachments,
        }
    }
}

/// Parameter descriptors common enough to keep as statics, with their number of
/// parameters: no parameter, one of the usual single types, and Dubbo's generic call.
const COMMON_PARAMETER_TYPES: &[(&str, usize)] = &[
    ("", 0),
    ("Ljava/lang/String;", 1),
    ("Ljava/lang/Object;", 1),
    ("[B", 1),
    ("I", 1),
    ("J", 1),
    ("Z", 1),
    ("D", 1),
    ("Ljava/lang/Integer;", 1),
    ("Ljava/lang/Long;", 1),
    ("Ljava/util/Map;", 1),
    ("Ljava/util/List;", 1),
    (GENERIC_PARAMETER_DESC, 3),
];

/// The static copy of a common parameter descriptor, or an owned copy of any other (so that
/// most requests' `Invocation` does not allocate it).
pub(crate) fn intern_parameter_types(desc: Cow<'_, str>) -> Cow<'static, str> {
    match COMMON_PARAMETER_TYPES.iter().find(|(d, _)| **d == desc) {
        Some((d, _)) => Cow::Borrowed(d),
        None => Cow::Owned(desc.into_owned()),
    }
}

/// How many parameters `desc` lists: known for a common descriptor, else counted while
/// checking it.
fn parameter_count(desc: &str) -> Result<usize, RpcError> {
    if let Some((_, count)) = COMMON_PARAMETER_TYPES.iter().find(|(d, _)| *d == desc) {
        return Ok(*count);
    }
    oxidubbo_hessian2::descriptor::parameters(desc)
        .try_fold(0usize, |n, p| p.map(|_| n + 1))
        .map_err(|e| RpcError::Codec(format!("bad parameter types {desc:?}: {e}")))
}

/// Decodes a request body (spec §2.1), borrowing its names and keeping its attachments
/// encoded until read. Trailing bytes are tolerated.
pub(crate) fn decode_request(body: &Bytes) -> Result<Request<'_>, RpcError> {
    decode_request_from(body, Some(body))
}

fn decode_request_from<'a>(
    body: &'a [u8],
    kept: Option<&'a Bytes>,
) -> Result<Request<'a>, RpcError> {
    let mut dec = Decoder::new(body);
    let dubbo_version = read_str(&mut dec, "the dubbo version")?.unwrap_or_default();
    let path = read_str(&mut dec, "the service path")?
        .ok_or_else(|| RpcError::Codec("the service path is null".into()))?;
    let version = read_str(&mut dec, "the service version")?.filter(|v| !v.is_empty());
    let method = read_str(&mut dec, "the method name")?
        .ok_or_else(|| RpcError::Codec("the method name is null".into()))?;
    let parameter_types = read_str(&mut dec, "the parameter types")?.unwrap_or_default();
    let count = parameter_count(&parameter_types)?;
    let mut arguments = Vec::with_capacity(count.min(64));
    for i in 0..count {
        arguments.push(
            dec.read_value()
                .map_err(|e| RpcError::Codec(format!("reading argument {i}: {e}")))?,
        );
    }
    let keep = kept.map_or(Keep::Decoded, Keep::Slice);
    let (attachments, group) = read_attachments(&mut dec, keep)?;
    Ok(Request {
        dubbo_version,
        path,
        version,
        method,
        parameter_types,
        arguments,
        attachments,
        group,
    })
}

/// Decodes a response (spec §1.2, §2.3) into the call's outcome.
pub fn decode_response(status: u8, body: &[u8]) -> Result<RpcResult, RpcError> {
    decode_response_from(status, body, None)
}

/// [`decode_response`], keeping the attachments encoded until read (in a copy of their
/// own, so that a result kept by its caller does not keep the read block it came in).
pub(crate) fn decode_response_kept(status: u8, body: &Bytes) -> Result<RpcResult, RpcError> {
    decode_response_from(status, body, Some(body))
}

fn decode_response_from(
    status: u8,
    body: &[u8],
    kept: Option<&Bytes>,
) -> Result<RpcResult, RpcError> {
    let keep = kept.map_or(Keep::Decoded, Keep::Copy);
    let mut dec = Decoder::new(body);
    if status != Status::OK.0 {
        let message = match dec.read_value() {
            Ok(Value::String(s)) => s.into_string(),
            Ok(other) => format!("{other:?}"),
            Err(e) => format!("(undecodable error message: {e})"),
        };
        return Err(RpcError::Status {
            status: Status(status),
            message,
        });
    }
    let flag = dec
        .read_value()
        .map_err(|e| RpcError::Codec(format!("reading the response flag: {e}")))?
        .as_i64()
        .ok_or_else(|| RpcError::Codec("the response flag is not an int".into()))?;
    let read = |dec: &mut Decoder<'_>, what: &str| {
        dec.read_value()
            .map_err(|e| RpcError::Codec(format!("reading the response {what}: {e}")))
    };
    let flag =
        i32::try_from(flag).map_err(|_| RpcError::Codec(format!("unknown result flag {flag}")))?;
    match flag {
        flag::VALUE => Ok(RpcResult {
            value: read(&mut dec, "value")?,
            attachments: Attachments::new(),
        }),
        flag::NULL_VALUE => Ok(RpcResult::default()),
        flag::VALUE_WITH_ATTACHMENTS => {
            let value = read(&mut dec, "value")?;
            Ok(RpcResult {
                value,
                attachments: read_attachments(&mut dec, keep)?.0,
            })
        }
        flag::NULL_VALUE_WITH_ATTACHMENTS => Ok(RpcResult {
            value: Value::Null,
            attachments: read_attachments(&mut dec, keep)?.0,
        }),
        flag::WITH_EXCEPTION => Err(exception_to_error(&read(&mut dec, "exception")?)),
        flag::WITH_EXCEPTION_WITH_ATTACHMENTS => {
            let mut error = exception_to_error(&read(&mut dec, "exception")?);
            let attachments = read_attachments(&mut dec, keep)?.0;
            if let Some(slot) = error.attachments_mut() {
                *slot = attachments;
            }
            Err(error)
        }
        other => Err(RpcError::Codec(format!("unknown result flag {other}"))),
    }
}

/// Decodes an event body: `None` for a heartbeat (`N`), else the event string.
pub fn decode_event(body: &[u8]) -> Option<String> {
    match Decoder::new(body).read_value() {
        Ok(Value::String(s)) => Some(s.into_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    //! Attachments kept encoded (the provider's path) read exactly as decoded ones, and a
    //! body is refused by both paths alike.

    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// A request head with no arguments, then `tail` where the attachments go.
    fn body_with(tail: &[u8]) -> Bytes {
        let mut body = Vec::new();
        let mut enc = Encoder::new(&mut body);
        for text in ["2.0.2", "a.B", "1.0.0", "m", ""] {
            enc.write_str(text).expect("strings encode");
        }
        body.extend_from_slice(tail);
        Bytes::from(body)
    }

    fn string_map(entries: &[(String, String)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = Encoder::new(&mut out);
        enc.write_map_begin(None).expect("map begins");
        for (k, v) in entries {
            enc.write_str(k).expect("key encodes");
            enc.write_str(v).expect("value encodes");
        }
        enc.write_map_end().expect("map ends");
        out
    }

    fn pairs(a: &Attachments) -> Vec<(String, Value)> {
        a.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect()
    }

    /// The shared copy of a response's usual attachments is what the encoder writes for
    /// them, and a response carrying them, or more, reads them back either way.
    #[test]
    fn version_only_attachments_are_shared() {
        let mut frame = Vec::new();
        let result = Ok(RpcResult::new(Value::from("hi")));
        encode_response(&mut frame, 1, true, &result, 0).expect("response encodes");
        assert!(frame.ends_with(VERSION_ONLY), "{frame:x?}");
        let body = Bytes::copy_from_slice(&frame[HEADER_LEN..]);
        for decoded in [decode_response_kept(20, &body), decode_response(20, &body)] {
            let decoded = decoded.expect("response decodes");
            assert_eq!(decoded.attachments.get_str("dubbo"), Some(DUBBO_VERSION));
            assert_eq!(pairs(&decoded.attachments).len(), 1);
        }
        let mut more = RpcResult::new(Value::from("hi"));
        more.attachments.insert("k", "v");
        frame.clear();
        encode_response(&mut frame, 1, true, &Ok(more), 0).expect("response encodes");
        let body = Bytes::copy_from_slice(&frame[HEADER_LEN..]);
        let kept = decode_response_kept(20, &body).expect("response decodes");
        assert_eq!(kept.attachments.get_str("k"), Some("v"));
        assert_eq!(kept.attachments.get_str("dubbo"), Some(DUBBO_VERSION));
    }

    /// Both paths over `body`: equal attachments and group, or both an error.
    fn agree(body: &Bytes) -> Result<(), TestCaseError> {
        let kept = decode_request_from(body, Some(body));
        let decoded = decode_request_from(body, None);
        match (kept, decoded) {
            (Ok(k), Ok(d)) => {
                prop_assert_eq!(pairs(&k.attachments), pairs(&d.attachments));
                prop_assert_eq!(k.group, d.group);
            }
            (Err(_), Err(_)) => {}
            (k, d) => prop_assert!(
                false,
                "kept {:?} but decoded {:?}",
                k.map(|r| pairs(&r.attachments)),
                d.map(|r| pairs(&r.attachments))
            ),
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn maps_of_strings_read_alike(
            entries in vec((".{0,12}", ".{0,40}"), 0..12),
            group in proptest::option::of(".{0,8}"),
        ) {
            let mut entries = entries;
            if let Some(group) = group {
                entries.push(("group".to_owned(), group));
            }
            let body = body_with(&string_map(&entries));
            let kept = decode_request_from(&body, Some(&body)).expect("decodes");
            prop_assert!(kept.attachments.len() <= entries.len());
            agree(&body)?;
        }

        /// The scan without the decoder takes every map of short ASCII strings (what
        /// peers send) and answers like the decoder's scan; anything else it leaves to it.
        #[test]
        fn the_ascii_scan_answers_like_the_decoder(
            entries in vec(("[ -~]{0,12}", "[ -~]{0,300}"), 0..12),
            group in proptest::option::of("[ -~]{0,8}"),
            tail in vec(any::<u8>(), 0..8),
            cut in any::<prop::sample::Index>(),
            noise in any::<(prop::sample::Index, u8)>(),
        ) {
            let mut entries = entries;
            if let Some(group) = group {
                entries.push(("group".to_owned(), group));
            }
            let only = string_map(&entries);
            let map = [only.as_slice(), &tail].concat();
            let scan = |map: &[u8]| {
                let owned = |s: ScannedMap<'_>| (s.len, s.count, s.group.map(Cow::into_owned));
                let fast = scan_ascii_map(map).map(owned);
                let general = scan_string_map(&Decoder::new(map)).map(|s| s.map(owned));
                (fast, general)
            };
            let (fast, general) = scan(&map);
            prop_assert_eq!(fast.is_some(), only.is_ascii(), "an ASCII map is taken");
            if fast.is_some() {
                prop_assert_eq!(fast, general.expect("scans"));
            }
            // Cut short or with one byte changed: the fast scan gives up or agrees.
            let cut_short = &map[..cut.index(map.len())];
            let mut changed = map.clone();
            changed[noise.0.index(map.len())] = noise.1;
            for map in [cut_short, &changed] {
                if let (Some(fast), general) = scan(map) {
                    prop_assert_eq!(Some(fast), general.expect("the decoder agrees"));
                }
            }
        }

        #[test]
        fn any_tail_is_read_or_refused_alike(tail in vec(any::<u8>(), 0..48)) {
            agree(&body_with(&[b"H".as_slice(), &tail].concat()))?;
            agree(&body_with(&tail))?;
        }
    }

    #[test]
    fn chunked_and_non_ascii_strings_read_alike() {
        let long = "ü€😀x".repeat(20_000); // over 0x8000 units: sent in `R` chunks
        let entries = vec![
            ("group".to_owned(), "gröup".to_owned()),
            ("long".to_owned(), long.clone()),
            ("ключ".to_owned(), "значение".to_owned()),
        ];
        let body = body_with(&string_map(&entries));
        agree(&body).expect("both paths agree");
        let kept = decode_request_from(&body, Some(&body)).expect("decodes");
        assert_eq!(kept.group.as_deref(), Some("gröup"));
        assert_eq!(kept.attachments.get_str("long"), Some(long.as_str()));
    }

    #[test]
    fn common_descriptors_are_counted_as_the_parser_counts_them() {
        for (desc, count) in COMMON_PARAMETER_TYPES {
            let parsed = oxidubbo_hessian2::descriptor::parameters(desc)
                .collect::<Result<Vec<_>, _>>()
                .expect("a common descriptor is valid");
            assert_eq!(parsed.len(), *count, "{desc:?}");
        }
        assert_eq!(parameter_count("Ljava/lang/String;[BI").unwrap(), 3);
        assert!(parameter_count("Ljava/lang/String").is_err());
    }
}
