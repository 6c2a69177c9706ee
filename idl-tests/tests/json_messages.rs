//! Messages in both payload formats, without a transport: protobuf binary as prost
//! encodes it, and the protobuf JSON mapping read from the descriptors the generated code
//! embeds (lowerCamelCase names, defaults left out, enums by name, 64-bit integers as
//! strings, well-known types in their own forms), bad input refused with a clear status.

use std::collections::HashMap;

use oxidubbo::triple::prost_types::Timestamp;
use oxidubbo::triple::{Code, Codec, PayloadFormat};
use oxidubbo_examples::greet::{self, GreetRequest, GreetResponse};
use oxidubbo_idl_tests::acme::common::Money;
use oxidubbo_idl_tests::acme::shop::v1::{self as shop, Product, product};
use prost::Message;
use serde_json::{Value, json};

fn greet_json() -> Codec {
    Codec::new(PayloadFormat::Json, &greet::DESCRIPTORS)
}

fn shop_json() -> Codec {
    Codec::new(PayloadFormat::Json, &shop::DESCRIPTORS)
}

fn product() -> Product {
    Product {
        product_id: "p-1".into(),
        display_name: "Dune".into(),
        unit_price: Some(Money {
            currency_code: "EUR".into(),
            units: 12,
            nanos: 500_000_000,
        }),
        tags: vec!["sf".into(), "classic".into()],
        attributes: HashMap::from([("cover".into(), "hard".into())]),
        category: product::Category::Books as i32,
        variants: vec![product::Variant {
            sku: "d-hc".into(),
            stock_count: 3,
        }],
        availability: Some(product::Availability::RestockAt(Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        })),
    }
}

#[test]
fn greet_messages_are_their_proto_json() {
    let codec = greet_json();
    let hello = GreetResponse {
        greeting: "Hello, world".into(),
    };
    let bytes = codec.encode(&hello, "greet.GreetResponse").unwrap();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        r#"{"greeting":"Hello, world"}"#
    );

    let empty = codec
        .encode(&GreetResponse::default(), "greet.GreetResponse")
        .unwrap();
    assert_eq!(empty, b"{}", "a field at its default is left out");

    let request: GreetRequest = codec
        .decode(br#" { "name" : "world" } "#, "greet.GreetRequest")
        .unwrap();
    assert_eq!(request.name, "world");
    let request: GreetRequest = codec.decode(b"{}", "greet.GreetRequest").unwrap();
    assert_eq!(request, GreetRequest::default());
}

#[test]
fn a_rich_message_follows_the_json_mapping() {
    let codec = shop_json();
    let bytes = codec.encode(&product(), "acme.shop.v1.Product").unwrap();
    let value: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        value,
        json!({
            "productId": "p-1",
            "displayName": "Dune",
            "unitPrice": { "currencyCode": "EUR", "units": "12", "nanos": 500000000 },
            "tags": ["sf", "classic"],
            "attributes": { "cover": "hard" },
            "category": "BOOKS",
            "variants": [{ "sku": "d-hc", "stockCount": 3 }],
            "restockAt": "2023-11-14T22:13:20Z"
        })
    );

    let back: Product = codec.decode(&bytes, "acme.shop.v1.Product").unwrap();
    assert_eq!(back, product());
}

#[test]
fn defaults_are_left_out_and_both_field_spellings_are_read() {
    let codec = shop_json();
    let sparse = Product {
        product_id: "p-2".into(),
        availability: Some(product::Availability::InStock(false)),
        ..Product::default()
    };
    let value: Value =
        serde_json::from_slice(&codec.encode(&sparse, "acme.shop.v1.Product").unwrap()).unwrap();
    assert_eq!(
        value,
        json!({ "productId": "p-2", "inStock": false }),
        "a set oneof member is written even at its default"
    );

    let read: Product = codec
        .decode(
            br#"{"product_id": "p-3", "displayName": "X", "category": 2, "unit_price": {"units": 7}}"#,
            "acme.shop.v1.Product",
        )
        .unwrap();
    assert_eq!(read.product_id, "p-3");
    assert_eq!(read.display_name, "X");
    assert_eq!(read.category, product::Category::Games as i32);
    assert_eq!(read.unit_price.unwrap().units, 7);
}

#[test]
fn well_known_types_take_their_own_forms() {
    let codec = shop_json();
    assert_eq!(codec.encode(&(), "google.protobuf.Empty").unwrap(), b"{}");
    let at = Timestamp {
        seconds: 1,
        nanos: 500_000_000,
    };
    let bytes = codec.encode(&at, "google.protobuf.Timestamp").unwrap();
    assert_eq!(bytes, br#""1970-01-01T00:00:01.500Z""#);
    let back: Timestamp = codec.decode(&bytes, "google.protobuf.Timestamp").unwrap();
    assert_eq!(back, at);
}

#[test]
fn bad_json_is_refused_with_a_status_naming_the_message() {
    let codec = greet_json();
    for bad in [
        &b""[..],
        b"{",
        b"not json",
        br#"{"name": 5}"#,
        br#"{"name": "a", "nickname": "b"}"#,
        br#"{"name": "a"} trailing"#,
        br#"["a"]"#,
        b"\xff\xfe",
    ] {
        let err = codec
            .decode::<GreetRequest>(bad, "greet.GreetRequest")
            .unwrap_err();
        assert_eq!(err.code(), Code::Internal, "{err}");
        assert!(err.message().contains("greet.GreetRequest"), "{err}");
    }
    let err = codec
        .encode(&GreetRequest::default(), "greet.Nope")
        .unwrap_err();
    assert!(
        err.message()
            .contains("greet.Nope is not in the embedded descriptors"),
        "{err}"
    );
}

#[test]
fn protobuf_binary_is_prost_encoding() {
    let codec = Codec::new(PayloadFormat::Protobuf, &greet::DESCRIPTORS);
    let request = GreetRequest {
        name: "world".into(),
    };
    let bytes = codec.encode(&request, "greet.GreetRequest").unwrap();
    assert_eq!(bytes, b"\x0a\x05world");
    assert_eq!(bytes, request.encode_to_vec());
    let back: GreetRequest = codec.decode(&bytes, "greet.GreetRequest").unwrap();
    assert_eq!(back, request);

    let err = codec
        .decode::<GreetRequest>(b"\x0a\x09wor", "greet.GreetRequest")
        .unwrap_err();
    assert_eq!(err.code(), Code::Internal, "{err}");
}

#[test]
fn the_embedded_descriptors_hold_the_package_and_its_imports_only() {
    use oxidubbo::triple::prost_types::FileDescriptorSet;
    let set = FileDescriptorSet::decode(shop::FILE_DESCRIPTOR_SET).unwrap();
    let mut names: Vec<&str> = set.file.iter().map(|f| f.name()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "acme/common.proto",
            "acme/shop.proto",
            "google/protobuf/empty.proto",
            "google/protobuf/timestamp.proto"
        ]
    );
    assert!(
        set.file.iter().all(|f| f.source_code_info.is_none()),
        "no source info"
    );
    let greet = FileDescriptorSet::decode(greet::FILE_DESCRIPTOR_SET).unwrap();
    assert_eq!(greet.file.len(), 1);
    assert_eq!(greet.file[0].package(), "greet");
}
