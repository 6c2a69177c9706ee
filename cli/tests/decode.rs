//! `oxidubbo decode` on the frames of the wire spec (§1.5, §4.3) and on broken input.

mod common;

use common::{code, oxidubbo, oxidubbo_with_stdin, stderr, stdout_json};
use serde_json::json;

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Spec §1.5 request [G]: `DemoService.sayHello("world")`, id 1.
fn say_hello_request() -> String {
    let iface = format!("3021{}", hex("org.apache.dubbo.demo.DemoService"));
    format!(
        "da bb c2 00 00 00 00 00 00 00 00 01 00 00 00 c3 \
         05 {} {iface} 05 {} 08 {} 12 {} 05 {} \
         48 04 {} {iface} 09 {} {iface} 07 {} 05 {} 07 {} 04 {} 5a",
        hex("2.0.2"),
        hex("0.0.0"),
        hex("sayHello"),
        hex("Ljava/lang/String;"),
        hex("world"),
        hex("path"),
        hex("interface"),
        hex("version"),
        hex("0.0.0"),
        hex("timeout"),
        hex("3000"),
    )
}

const VALUE_RESPONSE: &str = "da bb 02 14 00 00 00 00 00 00 00 01 00 00 00 1b \
    94 0b 48656c6c6f20776f726c64 48 05 647562626f 05 322e302e32 5a";

const HEARTBEAT: &str = "da bb e2 00 | 00 00 00 00 00 00 00 05 | 00 00 00 01 | 4e";

#[test]
fn spec_request_say_hello() {
    let out = oxidubbo(&["decode", "--hex", &say_hello_request()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let frame = &stdout_json(&out)["frames"][0];
    assert_eq!(frame["kind"], "request");
    assert_eq!(frame["header"]["flag"], "0xc2");
    assert_eq!(frame["header"]["id"], 1);
    assert_eq!(frame["header"]["body_length"], 195);
    assert_eq!(
        frame["body"],
        json!({
            "dubbo_version": "2.0.2",
            "service": "org.apache.dubbo.demo.DemoService",
            "version": "0.0.0",
            "method": "sayHello",
            "parameter_types": "Ljava/lang/String;",
            "arguments": ["world"],
            "attachments": {
                "path": "org.apache.dubbo.demo.DemoService",
                "interface": "org.apache.dubbo.demo.DemoService",
                "version": "0.0.0",
                "timeout": "3000"
            }
        })
    );
}

#[test]
fn spec_value_response_with_attachments() {
    let out = oxidubbo(&["decode", "--hex", VALUE_RESPONSE]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let frame = &stdout_json(&out)["frames"][0];
    assert_eq!(frame["kind"], "response");
    assert_eq!(frame["header"]["status"], 20);
    assert_eq!(frame["header"]["status_name"], "OK");
    assert_eq!(
        frame["body"],
        json!({
            "result_flag": 4,
            "result": "value with attachments",
            "value": "Hello world",
            "attachments": {"dubbo": "2.0.2"}
        })
    );
}

#[test]
fn spec_heartbeats_and_frames_back_to_back() {
    // Heartbeat request [T] then heartbeat response [D], read from stdin as hex.
    let input = format!("{HEARTBEAT}\nda bb 22 14 00 00 00 00 00 00 00 07 00 00 00 01 4e\n");
    let out = oxidubbo_with_stdin(&["decode"], input.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json = stdout_json(&out);
    let frames = json["frames"].as_array().expect("frames");
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0]["kind"], "heartbeat request");
    assert_eq!(frames[0]["header"]["id"], 5);
    assert_eq!(frames[0]["body"], json!({"event": "heartbeat"}));
    assert_eq!(frames[1]["kind"], "heartbeat response");
    assert_eq!(frames[1]["offset"], 17);
    assert_eq!(frames[1]["header"]["id"], 7);
    assert!(json.get("error").is_none());
}

#[test]
fn raw_bytes_from_a_file() {
    let bytes: Vec<u8> = [
        0xda, 0xbb, 0xe2, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, 0x4e,
    ]
    .to_vec();
    let dir = std::env::temp_dir().join(common::unique("oxidubbo-decode-"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("heartbeat.bin");
    std::fs::write(&file, &bytes).expect("write");
    let out = oxidubbo(&["decode", "--file", file.to_str().expect("utf-8 path")]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["frames"][0]["kind"], "heartbeat request");
}

#[test]
fn spec_exception_response() {
    // §4.3: flag 3, JDK 17 RuntimeException("boom") whose cause is itself.
    let body = "93 431a6a6176612e6c616e672e52756e74696d65457863657074696f6e 94 \
        14 73757070726573736564457863657074696f6e73 0a 737461636b5472616365 05 6361757365 0d 64657461696c4d657373616765 \
        60 70 1f 6a6176612e7574696c2e436f6c6c656374696f6e7324456d7074794c697374 \
        70 1c 5b6a6176612e6c616e672e537461636b5472616365456c656d656e74 \
        51 90 04 626f6f6d 48 05 647562626f 05 322e302e32 5a";
    let len = body.split_whitespace().map(|t| t.len() / 2).sum::<usize>();
    let frame = format!("dabb0214 0000000000000009 {len:08x} {body}");
    let out = oxidubbo(&["decode", "--hex", &frame]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let b = &stdout_json(&out)["frames"][0]["body"];
    assert_eq!(b["result"], "exception with attachments");
    assert_eq!(b["exception_class"], "java.lang.RuntimeException");
    assert_eq!(b["exception_message"], "boom");
    assert_eq!(b["exception"]["cause"], json!({"$ref": 0}));
    assert_eq!(
        b["exception"]["stackTrace"],
        json!({"$type": "[java.lang.StackTraceElement", "$list": []})
    );
}

#[test]
fn truncated_frame_reports_the_offset_of_the_first_error() {
    // The §1.5 request cut inside its attachments: 16 + 167 bytes of 16 + 195.
    let full = common_bytes(&say_hello_request());
    let cut = &full[..16 + 167];
    let cut_hex: String = cut.iter().map(|b| format!("{b:02x}")).collect();
    let out = oxidubbo(&["decode", "--hex", &cut_hex]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let json = stdout_json(&out);
    // What was decoded before the error is still printed.
    assert_eq!(json["frames"][0]["body"]["arguments"], json!(["world"]));
    assert_eq!(json["error"]["offset"], 183);
    let message = json["error"]["message"].as_str().expect("message");
    assert!(message.contains("truncated"), "{message}");
    assert!(stderr(&out).contains("offset 183"), "{}", stderr(&out));

    // Cut inside the header.
    let out = oxidubbo(&["decode", "--hex", "dabbc2000000"]);
    assert_eq!(code(&out), 4);
    assert_eq!(stdout_json(&out)["error"]["offset"], 6);
}

#[test]
fn bad_byte_inside_a_body() {
    // A value response whose value starts with the reserved byte 0x40.
    let out = oxidubbo(&[
        "decode",
        "--hex",
        "dabb0214 0000000000000001 00000002 91 40",
    ]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let json = stdout_json(&out);
    assert_eq!(json["error"]["offset"], 17);
    assert_eq!(json["frames"][0]["body"]["result_flag"], 1);
}

#[test]
fn bare_hessian_stream() {
    // int 1, "foo", ArrayList [1, 2, "foo"], a TreeMap, a long 2048, a date.
    let out = oxidubbo(&[
        "decode",
        "--hex",
        "91 03666f6f 7b9192 03666f6f 4d 11 6a6176612e7574696c2e547265654d6170 01 61 91 5a 3c0800 4b00e3838f",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout_json(&out)["values"],
        json!([1, "foo", [1, 2, "foo"], {"$type": "java.util.TreeMap", "a": 1}, 2048, {"$date": 894_621_060_000i64}])
    );
    // A stream that breaks after one value.
    let out = oxidubbo(&["decode", "--hex", "91 05 61"]);
    assert_eq!(code(&out), 4);
    let json = stdout_json(&out);
    assert_eq!(json["values"], json!([1]));
    assert_eq!(json["error"]["offset"], 3);
}

#[test]
fn refs_raw_or_resolved() {
    // Spec §3.10 car with a self-reference.
    let car = format!(
        "43 10 {} 95 05 {} 05 {} 07 {} 04 {} 04 {} 60 06 {} 0a {} d5 00 00 51 90 4e",
        hex("hessian.demo.Car"),
        hex("model"),
        hex("color"),
        hex("mileage"),
        hex("self"),
        hex("prev"),
        hex("Beetle"),
        hex("aquamarine")
    );
    for flags in [vec![], vec!["--resolve-refs"]] {
        let mut args = vec!["decode", "--hex", car.as_str()];
        args.extend(flags);
        let out = oxidubbo(&args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(
            stdout_json(&out)["values"][0],
            json!({"$class": "hessian.demo.Car", "model": "Beetle", "color": "aquamarine",
                   "mileage": 65536, "self": {"$ref": 0}, "prev": null})
        );
    }
}

#[test]
fn bad_input_is_a_usage_error() {
    let out = oxidubbo(&["decode", "--hex", "xyz"]);
    assert_eq!(code(&out), 2);
    let out = oxidubbo(&["decode", "--hex", "ab", "--file", "x"]);
    assert_eq!(code(&out), 2);
    let out = oxidubbo_with_stdin(&["decode"], b"");
    assert_eq!(code(&out), 4);
}

fn common_bytes(hex_text: &str) -> Vec<u8> {
    let digits: Vec<u8> = hex_text
        .chars()
        .filter_map(|c| c.to_digit(16))
        .map(|d| d as u8)
        .collect();
    digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
}
