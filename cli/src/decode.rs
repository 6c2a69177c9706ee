//! `oxidubbo decode`: Dubbo frames or bare Hessian streams as JSON.
//!
//! Input starting with the magic `da bb` is read as dubbo2 frames, one after another;
//! anything else as a bare Hessian stream (a sequence of values sharing one set of tables,
//! like a body). Decoding stops at the first error, whose offset (from the start of the
//! input) is reported next to everything decoded before it.

use oxidubbo_hessian2::descriptor::parse_descriptor;
use oxidubbo_hessian2::{Decoder, Error as HessianError, Value};
use oxidubbo_invoker::{RpcError, Status};
use oxidubbo_protocol::dubbo::codec::exception_to_error;
use oxidubbo_protocol::dubbo::header::{HEADER_LEN, HESSIAN2, Header, MAGIC};
use serde_json::{Map as JsonMap, Value as Json, json};

use crate::json::{RefTable, RenderOptions, render};

/// Where and why decoding stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset from the start of the input.
    pub offset: usize,
    /// What went wrong.
    pub message: String,
}

impl DecodeError {
    fn to_json(&self) -> Json {
        json!({"offset": self.offset, "message": self.message})
    }
}

/// The outcome of [`decode_input`]: the JSON to print and the first error, if any.
#[derive(Debug, Clone)]
pub struct DecodeReport {
    /// `{"frames": […]}` or `{"values": […]}`, plus `"error"` when decoding stopped early.
    pub json: Json,
    /// The first error.
    pub error: Option<DecodeError>,
}

/// Parses hex text: whitespace, `0x` prefixes and the separators `| : , - _` are ignored.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let cleaned = text.replace("0x", "").replace("0X", "");
    let mut digits = Vec::with_capacity(cleaned.len());
    for (i, c) in cleaned.chars().enumerate() {
        if c.is_whitespace() || matches!(c, '|' | ':' | ',' | '-' | '_') {
            continue;
        }
        match c.to_digit(16) {
            Some(d) => digits.push(d as u8),
            None => return Err(format!("not a hex digit: {c:?} (character {i})")),
        }
    }
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    Ok(digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect())
}

/// Whether `bytes` read from a file or stdin are hex text rather than binary (used by
/// `--format auto`): not starting with the magic, and made only of hex digits and
/// separators, with at least two digits.
pub fn looks_like_hex(bytes: &[u8]) -> bool {
    if bytes.starts_with(&MAGIC) {
        return false;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.chars().any(|c| c.is_ascii_hexdigit()) && parse_hex(text).is_ok(),
        Err(_) => false,
    }
}

/// Decodes `input` (frames or a bare stream, by its first two bytes).
pub fn decode_input(input: &[u8], opts: RenderOptions) -> DecodeReport {
    if input.is_empty() {
        let error = DecodeError {
            offset: 0,
            message: "empty input".into(),
        };
        return DecodeReport {
            json: json!({"values": [], "error": error.to_json()}),
            error: Some(error),
        };
    }
    if input.starts_with(&MAGIC) {
        decode_frames(input, opts)
    } else {
        decode_stream(input, opts)
    }
}

fn finish(mut out: JsonMap<String, Json>, error: Option<DecodeError>) -> DecodeReport {
    if let Some(e) = &error {
        out.insert("error".into(), e.to_json());
    }
    DecodeReport {
        json: Json::Object(out),
        error,
    }
}

/// The offset and message of a Hessian error, made absolute with `base`; `fallback` is the
/// relative offset used when the error carries none.
fn hessian_error(e: &HessianError, base: usize, fallback: usize, what: &str) -> DecodeError {
    let (offset, message) = match e {
        HessianError::Eof { offset } => (*offset, "unexpected end of input".to_owned()),
        HessianError::UnexpectedByte {
            byte,
            offset,
            context,
        } => (*offset, format!("unexpected byte 0x{byte:02x} ({context})")),
        HessianError::Invalid { offset, message } => (*offset, message.clone()),
        other => (fallback, other.to_string()),
    };
    DecodeError {
        offset: base + offset,
        message: format!("{what}: {message}"),
    }
}

fn decode_stream(input: &[u8], opts: RenderOptions) -> DecodeReport {
    let mut dec = Decoder::new(input);
    let mut values = Vec::new();
    let mut error = None;
    while !dec.is_eof() {
        let start = dec.position();
        match dec.read_value() {
            Ok(v) => values.push(v),
            Err(e) => {
                error = Some(hessian_error(
                    &e,
                    0,
                    start,
                    &format!("value {} at offset {start}", values.len()),
                ));
                break;
            }
        }
    }
    let refs: Vec<&Value> = values.iter().collect();
    let table = RefTable::new(&refs);
    let rendered: Vec<Json> = values.iter().map(|v| render(v, &table, opts)).collect();
    let mut out = JsonMap::new();
    out.insert("values".into(), Json::Array(rendered));
    finish(out, error)
}

fn serialization_name(id: u8) -> &'static str {
    match id {
        2 => "hessian2",
        3 => "java",
        4 => "compactedjava",
        6 => "fastjson",
        7 => "nativejava",
        8 => "kryo",
        9 => "fst",
        10 => "native-hessian",
        11 => "avro",
        12 => "protostuff",
        16 => "gson",
        18 => "jackson",
        21 => "protobuf-json",
        22 => "protobuf",
        23 => "fastjson2",
        25 => "kryo2",
        27 => "msgpack",
        28 => "fury",
        _ => "unknown",
    }
}

fn header_json(h: &Header) -> Json {
    let mut m = JsonMap::new();
    m.insert("flag".into(), Json::String(format!("0x{:02x}", h.flag)));
    m.insert("request".into(), Json::Bool(h.is_request()));
    if h.is_request() {
        m.insert("two_way".into(), Json::Bool(h.is_twoway()));
    }
    m.insert("event".into(), Json::Bool(h.is_event()));
    m.insert("serialization".into(), Json::from(h.serialization()));
    m.insert(
        "serialization_name".into(),
        Json::String(serialization_name(h.serialization()).into()),
    );
    if !h.is_request() {
        m.insert("status".into(), Json::from(h.status));
        m.insert(
            "status_name".into(),
            Json::String(Status(h.status).name().into()),
        );
    }
    m.insert("id".into(), Json::from(h.id));
    m.insert("body_length".into(), Json::from(h.body_len));
    Json::Object(m)
}

fn frame_kind(h: &Header, body: &[u8]) -> &'static str {
    match (h.is_request(), h.is_event()) {
        (true, true) if body == b"N" => "heartbeat request",
        (true, true) if body == b"\x01R" => "readonly event",
        (true, true) => "event",
        (true, false) if h.is_twoway() => "request",
        (true, false) => "one-way request",
        (false, true) if body == b"N" => "heartbeat response",
        (false, true) => "event response",
        (false, false) if h.status == Status::OK.0 => "response",
        (false, false) => "error response",
    }
}

fn decode_frames(input: &[u8], opts: RenderOptions) -> DecodeReport {
    let mut frames = Vec::new();
    let mut offset = 0;
    let mut error = None;
    while offset < input.len() {
        let rest = &input[offset..];
        if rest.len() >= 2 && !rest.starts_with(&MAGIC) {
            error = Some(DecodeError {
                offset,
                message: format!(
                    "expected the magic 0xdabb of frame {}, found 0x{:02x}{:02x}",
                    frames.len(),
                    rest[0],
                    rest[1]
                ),
            });
            break;
        }
        let Some(head) = rest.get(..HEADER_LEN) else {
            error = Some(DecodeError {
                offset: input.len(),
                message: format!(
                    "truncated header of frame {}: {} of {HEADER_LEN} bytes",
                    frames.len(),
                    rest.len()
                ),
            });
            break;
        };
        let mut bytes = [0u8; HEADER_LEN];
        bytes.copy_from_slice(head);
        let Some(header) = Header::parse(&bytes) else {
            error = Some(DecodeError {
                offset,
                message: "bad magic".into(),
            });
            break;
        };
        if header.body_len > i32::MAX as u32 {
            error = Some(DecodeError {
                offset: offset + 12,
                message: format!("invalid body length {}", header.body_len),
            });
            frames.push(json!({"offset": offset, "header": header_json(&header)}));
            break;
        }
        let body_start = offset + HEADER_LEN;
        let declared = header.body_len as usize;
        let available = declared.min(input.len() - body_start);
        let body = &input[body_start..body_start + available];
        let (frame, frame_error) = decode_frame(offset, &header, body, opts);
        frames.push(frame);
        let truncated = available < declared;
        if frame_error.is_some() || truncated {
            error = Some(match frame_error {
                Some(mut e) if truncated => {
                    e.message = format!(
                        "{} (frame {} truncated: {available} of {declared} body bytes present)",
                        e.message,
                        frames.len() - 1
                    );
                    e
                }
                Some(e) => e,
                None => DecodeError {
                    offset: input.len(),
                    message: format!(
                        "frame {} truncated: {available} of {declared} body bytes present",
                        frames.len() - 1
                    ),
                },
            });
            break;
        }
        offset = body_start + declared;
    }
    let mut out = JsonMap::new();
    out.insert("frames".into(), Json::Array(frames));
    finish(out, error)
}

/// Where a decoded body value goes in the frame's JSON.
enum Slot {
    Field(&'static str),
    Argument,
}

/// Reads the values of one body, remembering each one's slot.
struct BodyReader<'a> {
    dec: Decoder<'a>,
    base: usize,
    values: Vec<(Slot, Value)>,
}

impl BodyReader<'_> {
    fn read(&mut self, slot: Slot, what: &str) -> Result<&Value, DecodeError> {
        let start = self.dec.position();
        match self.dec.read_value() {
            Ok(v) => {
                self.values.push((slot, v));
                Ok(&self.values[self.values.len() - 1].1)
            }
            Err(e) => Err(hessian_error(&e, self.base, start, what)),
        }
    }

    fn request(&mut self) -> Result<(), DecodeError> {
        self.read(Slot::Field("dubbo_version"), "reading the dubbo version")?;
        self.read(Slot::Field("service"), "reading the service name")?;
        self.read(Slot::Field("version"), "reading the service version")?;
        self.read(Slot::Field("method"), "reading the method name")?;
        let types_at = self.base + self.dec.position();
        let types = match self.read(
            Slot::Field("parameter_types"),
            "reading the parameter types",
        )? {
            Value::String(s) => s.to_string(),
            Value::Null => String::new(),
            other => {
                return Err(DecodeError {
                    offset: types_at,
                    message: format!("the parameter types are not a string: {other:?}"),
                });
            }
        };
        let count = parse_descriptor(&types)
            .map_err(|e| DecodeError {
                offset: types_at,
                message: format!("bad parameter types {types:?}: {e}"),
            })?
            .len();
        for i in 0..count {
            self.read(Slot::Argument, &format!("reading argument {i}"))?;
        }
        if !self.dec.is_eof() {
            self.read(Slot::Field("attachments"), "reading the attachments")?;
        }
        Ok(())
    }

    fn response(&mut self) -> Result<(), DecodeError> {
        let flag_at = self.base + self.dec.position();
        let flag = self
            .read(Slot::Field("result_flag"), "reading the result flag")?
            .as_i64();
        let (value, exception, attachments) = match flag {
            Some(1) => (true, false, false),
            Some(2) => (false, false, false),
            Some(4) => (true, false, true),
            Some(5) => (false, false, true),
            Some(0) => (false, true, false),
            Some(3) => (false, true, true),
            _ => {
                return Err(DecodeError {
                    offset: flag_at,
                    message: format!("unknown result flag {flag:?}"),
                });
            }
        };
        if value {
            self.read(Slot::Field("value"), "reading the result value")?;
        }
        if exception {
            self.read(Slot::Field("exception"), "reading the exception")?;
        }
        if attachments {
            self.read(Slot::Field("attachments"), "reading the attachments")?;
        }
        Ok(())
    }
}

fn result_kind(flag: i64) -> &'static str {
    match flag {
        0 => "exception",
        1 => "value",
        2 => "null",
        3 => "exception with attachments",
        4 => "value with attachments",
        5 => "null with attachments",
        _ => "unknown",
    }
}

fn decode_frame(
    offset: usize,
    header: &Header,
    body: &[u8],
    opts: RenderOptions,
) -> (Json, Option<DecodeError>) {
    let mut frame = JsonMap::new();
    frame.insert("offset".into(), Json::from(offset));
    frame.insert("kind".into(), Json::String(frame_kind(header, body).into()));
    frame.insert("header".into(), header_json(header));
    let base = offset + HEADER_LEN;
    if header.serialization() != HESSIAN2 {
        frame.insert(
            "note".into(),
            Json::String(format!(
                "serialization {} ({}) is not decoded; only hessian2 bodies are",
                header.serialization(),
                serialization_name(header.serialization())
            )),
        );
        let hex: String = body.iter().map(|b| format!("{b:02x}")).collect();
        frame.insert("body_hex".into(), Json::String(hex));
        return (Json::Object(frame), None);
    }
    let mut reader = BodyReader {
        dec: Decoder::new(body),
        base,
        values: Vec::new(),
    };
    let outcome = if header.is_event() {
        if body == b"N" {
            Ok(())
        } else {
            reader
                .read(Slot::Field("event"), "reading the event")
                .map(drop)
        }
    } else if header.is_request() {
        reader.request()
    } else if header.status != Status::OK.0 {
        reader
            .read(Slot::Field("error_message"), "reading the error message")
            .map(drop)
    } else {
        reader.response()
    };
    let heartbeat = header.is_event() && body == b"N";
    let trailing = if heartbeat { 0 } else { reader.dec.remaining() };
    let values = reader.values;
    let refs: Vec<&Value> = values.iter().map(|(_, v)| v).collect();
    let table = RefTable::new(&refs);
    let mut out = JsonMap::new();
    if header.is_request() && !header.is_event() {
        // Arguments always show, even when there are none.
        let mut args = Vec::new();
        for (slot, v) in &values {
            match slot {
                Slot::Argument => args.push(render(v, &table, opts)),
                Slot::Field(name) => {
                    out.insert((*name).into(), render(v, &table, opts));
                    if *name == "parameter_types" {
                        out.insert("arguments".into(), Json::Array(Vec::new()));
                    }
                }
            }
        }
        if out.contains_key("arguments") {
            out.insert("arguments".into(), Json::Array(args));
        }
    } else {
        for (slot, v) in &values {
            if let Slot::Field(name) = slot {
                match (*name, v) {
                    ("result_flag", Value::Int(f)) => {
                        out.insert("result_flag".into(), Json::from(*f));
                        out.insert(
                            "result".into(),
                            Json::String(result_kind(i64::from(*f)).into()),
                        );
                    }
                    ("exception", v) => {
                        if let RpcError::Remote { class, message, .. } = exception_to_error(v) {
                            out.insert("exception_class".into(), Json::String(class));
                            out.insert("exception_message".into(), Json::String(message));
                        }
                        out.insert("exception".into(), render(v, &table, opts));
                    }
                    ("event", Value::String(s)) if s == "R" => {
                        out.insert("event".into(), Json::String("readonly".into()));
                    }
                    (name, v) => {
                        out.insert(name.into(), render(v, &table, opts));
                    }
                }
            }
        }
        if heartbeat {
            out.insert("event".into(), Json::String("heartbeat".into()));
        }
    }
    if outcome.is_ok() && trailing > 0 {
        out.insert("trailing_bytes".into(), Json::from(trailing));
    }
    frame.insert("body".into(), Json::Object(out));
    (Json::Object(frame), outcome.err())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_parsing() {
        assert_eq!(parse_hex("da bb | 0x4e"), Ok(vec![0xda, 0xbb, 0x4e]));
        assert!(parse_hex("abc").is_err());
        assert!(parse_hex("zz").is_err());
        assert!(looks_like_hex(b"dabb e2 00\n"));
        assert!(!looks_like_hex(b"\x01R"));
        assert!(!looks_like_hex(b""));
    }

    #[test]
    fn heartbeat_and_bare_stream() {
        let hb =
            parse_hex("da bb e2 00 00 00 00 00 00 00 00 05 00 00 00 01 4e").unwrap_or_default();
        let report = decode_input(&hb, RenderOptions::default());
        assert!(report.error.is_none());
        assert_eq!(report.json["frames"][0]["kind"], "heartbeat request");
        assert_eq!(report.json["frames"][0]["body"]["event"], "heartbeat");
        let stream = decode_input(&[0x91, 0x01, b'a'], RenderOptions::default());
        assert_eq!(stream.json["values"], json!([1, "a"]));
        let bad = decode_input(&[0x91, 0x05, b'a'], RenderOptions::default());
        assert_eq!(bad.error.map(|e| e.offset), Some(3));
    }
}
