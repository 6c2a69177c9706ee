//! The dubbo2 frame vectors of spec §1.5 and §4.3, both ways.

use oxidubbo_invoker::{Invocation, RpcError, RpcResult, Value};
use oxidubbo_protocol::dubbo::codec::{self, Target};
use oxidubbo_protocol::dubbo::header::{DEFAULT_PAYLOAD, Header};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hstr(s: &str) -> String {
    // A short Hessian string: length byte then the bytes, as hex.
    let mut out = format!("{:02x}", s.len());
    for b in s.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

const DEMO: &str = "org.apache.dubbo.demo.DemoService";

fn demo_string() -> String {
    let mut out = String::from("3021");
    for b in DEMO.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[test]
fn request_say_hello_world_matches_java() {
    // Spec §1.5 [G]: header then body, the attachments in the order Java's HashMap gave.
    let expected = hex(&format!(
        "dabbc200 0000000000000001 000000c3 {} {} {} {} {} {} 48 {} {} {} {} {} {} {} {} 5a",
        hstr("2.0.2"),
        demo_string(),
        hstr("0.0.0"),
        hstr("sayHello"),
        hstr("Ljava/lang/String;"),
        hstr("world"),
        hstr("path"),
        demo_string(),
        hstr("interface"),
        demo_string(),
        hstr("version"),
        hstr("0.0.0"),
        hstr("timeout"),
        hstr("3000"),
    ));
    let target = Target::new(DEMO, "0.0.0", None, None);
    let inv = Invocation::new("sayHello", "Ljava/lang/String;", vec![Value::from("world")]);
    let mut frame = Vec::new();
    codec::encode_request(&mut frame, 1, true, &target, "3000", &inv, DEFAULT_PAYLOAD).unwrap();
    assert_eq!(frame, expected);

    // And it decodes back.
    let header = Header::parse(frame[..16].try_into().unwrap()).unwrap();
    assert_eq!(
        (header.id, header.body_len, header.is_twoway()),
        (1, 195, true)
    );
    let body = codec::decode_request_body(&frame[16..]).unwrap();
    assert_eq!(body.dubbo_version, "2.0.2");
    assert_eq!(body.path, DEMO);
    assert_eq!(body.version.as_deref(), Some("0.0.0"));
    assert_eq!(body.method, "sayHello");
    assert_eq!(body.arguments, vec![Value::from("world")]);
    assert_eq!(body.attachments.get_str("timeout"), Some("3000"));
}

#[test]
fn value_response_with_attachments_decodes_and_encodes() {
    let frame = hex(
        "dabb0214 0000000000000001 0000001b 94 0b48656c6c6f20776f726c64 48 05647562626f 05322e302e32 5a",
    );
    let header = Header::parse(frame[..16].try_into().unwrap()).unwrap();
    assert_eq!(
        (header.status, header.id, header.is_request()),
        (20, 1, false)
    );
    let result = codec::decode_response(header.status, &frame[16..]).unwrap();
    assert_eq!(result.value.as_str(), Some("Hello world"));
    assert_eq!(result.attachments.get_str("dubbo"), Some("2.0.2"));

    let mut out = Vec::new();
    codec::encode_response(
        &mut out,
        1,
        true,
        &Ok(RpcResult::new("Hello world")),
        DEFAULT_PAYLOAD,
    )
    .unwrap();
    assert_eq!(out, frame);
}

#[test]
fn exception_response_matches_java_both_ways() {
    // Spec §4.3 [G]: `new RuntimeException("boom")` on JDK 17, flag 3 with attachments.
    let body = hex(
        "93 431a6a6176612e6c616e672e52756e74696d65457863657074696f6e 94
         14 73757070726573736564457863657074696f6e73 0a 737461636b5472616365 05 6361757365 0d 64657461696c4d657373616765
         60 70 1f 6a6176612e7574696c2e436f6c6c656374696f6e7324456d7074794c697374
            70 1c 5b6a6176612e6c616e672e537461636b5472616365456c656d656e74
            51 90 04 626f6f6d
         48 05 647562626f 05 322e302e32 5a",
    );
    let err = codec::decode_response(20, &body).unwrap_err();
    // The body's attachments (the `dubbo` version) come with the exception.
    assert_eq!(
        err.attachments().and_then(|a| a.get_str("dubbo")),
        Some("2.0.2")
    );
    let mut expected = RpcError::remote("java.lang.RuntimeException", "boom");
    expected.attachments_mut().unwrap().insert("dubbo", "2.0.2");
    assert_eq!(err, expected);

    let mut out = Vec::new();
    codec::encode_response(
        &mut out,
        1,
        true,
        &Err(RpcError::business("boom")),
        DEFAULT_PAYLOAD,
    )
    .unwrap();
    assert_eq!(&out[16..], &body[..]);
}

#[test]
fn heartbeat_frames_match_the_vectors() {
    let mut out = Vec::new();
    codec::encode_heartbeat(&mut out, 5);
    assert_eq!(out, hex("dabbe200 0000000000000005 00000001 4e"));
    out.clear();
    codec::encode_heartbeat_response(&mut out, 7);
    assert_eq!(out, hex("dabb2214 0000000000000007 00000001 4e"));
    out.clear();
    codec::encode_readonly_event(&mut out, 0);
    assert_eq!(out, hex("dabba200 0000000000000000 00000002 0152"));
}

#[test]
fn plain_forms_for_other_body_versions() {
    assert!(codec::supports_response_attachments("2.0.2"));
    assert!(codec::supports_response_attachments("2.0.99"));
    for v in ["", "2.0.1", "2.7.0", "3.0.0", "5.3.0", "garbage"] {
        assert!(!codec::supports_response_attachments(v), "{v}");
    }
    let mut out = Vec::new();
    codec::encode_response(&mut out, 1, false, &Ok(RpcResult::new(5)), DEFAULT_PAYLOAD).unwrap();
    assert_eq!(&out[16..], &[0x91, 0x95]); // flag 1, int 5
    out.clear();
    codec::encode_response(
        &mut out,
        1,
        false,
        &Ok(RpcResult::default()),
        DEFAULT_PAYLOAD,
    )
    .unwrap();
    assert_eq!(&out[16..], &[0x92]); // flag 2: null
}

#[test]
fn error_status_and_unknown_flags() {
    let mut out = Vec::new();
    codec::encode_error_response(&mut out, 3, oxidubbo_invoker::Status::SERVICE_ERROR, "nope");
    let header = Header::parse(out[..16].try_into().unwrap()).unwrap();
    let err = codec::decode_response(header.status, &out[16..]).unwrap_err();
    assert!(
        matches!(err, RpcError::Status { status, ref message } if status.0 == 70 && message == "nope")
    );
    // Flag 9 does not exist; a truncated body is an error, not a panic.
    assert!(matches!(
        codec::decode_response(20, &[0x99]),
        Err(RpcError::Codec(_))
    ));
    assert!(matches!(
        codec::decode_response(20, &[0x91]),
        Err(RpcError::Codec(_))
    ));
    assert!(matches!(
        codec::decode_response(20, &[]),
        Err(RpcError::Codec(_))
    ));
    // Trailing bytes (dubbo-go appends `N`) are tolerated.
    assert_eq!(
        codec::decode_response(20, &[0x91, 0x95, 0x4e])
            .unwrap()
            .value,
        Value::Int(5)
    );
}

#[test]
fn payload_limit_applies_when_encoding() {
    let target = Target::new("x", "0.0.0", None, None);
    let inv = Invocation::new("m", "[B", vec![Value::Binary(vec![0; 2048])]);
    let mut frame = Vec::new();
    let err = codec::encode_request(&mut frame, 1, true, &target, "1000", &inv, 1024).unwrap_err();
    assert!(err.to_string().contains("max payload: 1024"), "{err}");
    assert!(frame.is_empty(), "a refused frame leaves nothing behind");
}

#[test]
fn business_errors_travel_as_classes_java_can_load() {
    let decode = |class: &str| {
        let mut out = Vec::new();
        let err = RpcError::remote(class, "boom");
        codec::encode_response(&mut out, 1, false, &Err(err), DEFAULT_PAYLOAD).unwrap();
        codec::decode_response(20, &out[16..]).unwrap_err()
    };
    let remote = |class: &str, message: &str| RpcError::remote(class, message);
    assert_eq!(
        decode("java.lang.IllegalStateException"),
        remote("java.lang.IllegalStateException", "boom")
    );
    assert_eq!(
        decode("com.example.BizException"),
        remote(
            "java.lang.RuntimeException",
            "com.example.BizException: boom"
        )
    );
    assert_eq!(decode(""), remote("java.lang.RuntimeException", "boom"));
}

#[test]
fn the_providers_token_travels_as_an_attachment() {
    let target = Target::new("x.Y", "1.0.0", None, Some("s3cret".into()));
    let inv = Invocation::new("m", "", vec![]).with_attachment("token", "from-the-caller");
    let mut frame = Vec::new();
    codec::encode_request(&mut frame, 1, true, &target, "1000", &inv, DEFAULT_PAYLOAD).unwrap();
    let body = codec::decode_request_body(&frame[16..]).unwrap();
    assert_eq!(body.attachments.get_str("token"), Some("s3cret"));
    assert_eq!(
        body.attachments
            .iter()
            .filter(|(k, _)| *k == "token")
            .count(),
        1
    );
}

#[test]
fn absurd_result_flags_and_attachment_floods_are_errors() {
    // A long that would truncate to flag 1 is an unknown flag, not a value.
    let mut long_flag = vec![0x4c];
    long_flag.extend_from_slice(&0x1_0000_0001_i64.to_be_bytes());
    long_flag.push(0x91);
    assert!(matches!(
        codec::decode_response(20, &long_flag),
        Err(RpcError::Codec(_))
    ));
    // More attachments than allowed: a codec error (a BAD_REQUEST on the provider).
    let mut body = vec![0x05];
    body.extend_from_slice(b"2.0.2");
    body.extend_from_slice(&[0x01, b'x', 0x00, 0x01, b'm', 0x00, 0x48]);
    for _ in 0..(codec::MAX_ATTACHMENTS + 1) {
        body.extend_from_slice(&[0x00, 0x4e]);
    }
    body.push(0x5a);
    let err = codec::decode_request_body(&body).unwrap_err();
    assert!(err.to_string().contains("attachments"), "{err}");
}
