//! The values of one stream share one reference and class-definition table, as Java's
//! `Hessian2Output` writes a Dubbo body: a later value may be `Q k`, a list, map or object
//! that an earlier value began, or an object of a class an earlier value defined.
//! [`Values`] deserializes them with that one table.

use oxidubbo_hessian2::{Decoder, Encoder, Map, Value, Values, from_value, to_value};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.User")]
struct User {
    id: i64,
    tags: Vec<String>,
}

fn ann() -> User {
    User {
        id: 1,
        tags: vec!["a".into(), "b".into()],
    }
}

fn bob() -> User {
    User {
        id: 2,
        tags: vec![],
    }
}

/// Four arguments and the attachments, as one encoder (one table) writes them:
/// `ann`, `Q 0` (ann again), `bob` (a class already defined), `Q 1` (ann's tags), and
/// attachments whose `owner` is `Q 0`. Returns the bytes and where `bob` starts.
fn body() -> (Vec<u8>, usize) {
    let mut enc = Encoder::new(Vec::new());
    enc.write_value(&to_value(&ann()).unwrap()).unwrap();
    enc.write_value(&Value::Ref(0)).unwrap();
    let bob_at = enc.get_ref().len();
    enc.write_value(&to_value(&bob()).unwrap()).unwrap();
    // Containers so far: 0 = ann, 1 = ann's tags, 2 = bob, 3 = bob's tags.
    enc.write_value(&Value::Ref(1)).unwrap();
    enc.write_value(&Value::Map(Map::untyped(vec![(
        "owner".into(),
        Value::Ref(0),
    )])))
    .unwrap();
    (enc.into_inner(), bob_at)
}

#[test]
fn later_values_refer_to_earlier_ones() {
    let (bytes, bob_at) = body();
    assert_eq!(bytes[bob_at], 0x60, "bob reuses ann's class definition");

    let mut dec = Decoder::new(&bytes);
    let args: Vec<Value> = (0..4).map(|_| dec.read_value().unwrap()).collect();
    let attachments = dec.read_string_map().unwrap().unwrap();
    assert!(dec.is_eof());
    assert_eq!(args[1], Value::Ref(0));
    assert_eq!(args[3], Value::Ref(1));
    assert_eq!(attachments, vec![("owner".to_owned(), Value::Ref(0))]);

    let values = Values::new(&args);
    assert_eq!(values.deserialize::<User>(0).unwrap(), ann());
    assert_eq!(values.deserialize::<User>(1).unwrap(), ann());
    assert_eq!(values.deserialize::<User>(2).unwrap(), bob());
    assert_eq!(values.deserialize::<Vec<String>>(3).unwrap(), ann().tags);
    // An attachment may refer to an argument too.
    assert_eq!(
        values.deserialize_value::<User>(&attachments[0].1).unwrap(),
        ann()
    );
    // A `Value` keeps the reference (in the stream's numbering).
    assert_eq!(values.deserialize::<Value>(1).unwrap(), Value::Ref(0));
    assert!(values.deserialize::<User>(4).is_err(), "only four values");

    // Alone, a later value has nothing to resolve its reference against.
    let alone = from_value::<User>(args[1].clone()).unwrap_err();
    assert!(
        alone.to_string().contains("dangling reference #0"),
        "{alone}"
    );
}

#[test]
fn an_attachment_resolves_against_arguments_without_references() {
    // The arguments hold no reference (so no table was needed for them); the attachment
    // still finds the object the first argument began.
    let args = vec![to_value(&ann()).unwrap(), Value::Int(5)];
    let values = Values::new(&args);
    assert_eq!(values.deserialize::<i32>(1).unwrap(), 5);
    assert_eq!(
        values
            .deserialize_value::<Vec<String>>(&Value::Ref(1))
            .unwrap(),
        ann().tags
    );
    let dangling = values
        .deserialize_value::<User>(&Value::Ref(9))
        .unwrap_err();
    assert!(dangling.to_string().contains("#9"), "{dangling}");
}
