//! The arguments of a dubbo2 request share one Hessian reference table, as Java's
//! `Hessian2Output` writes them: an argument may be `Q k`, an object, list or map that an
//! earlier argument began, or an object of a class an earlier argument defined, and the
//! attachments may refer to arguments too. The dubbo codec reads them so and a typed
//! provider resolves them.
#![allow(missing_docs)]

use std::sync::Arc;

use oxidubbo::hessian2::Values;
use oxidubbo::{
    DubboProtocol, DubboService, Invocation, Protocol, RpcError, ServiceInvoker, Url, Value,
    to_value,
};
use oxidubbo_protocol::dubbo::codec::{Target, decode_request_body, encode_request};
use oxidubbo_protocol::dubbo::header::HEADER_LEN;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "com.example.User")]
pub struct User {
    pub id: i64,
    pub tags: Vec<String>,
}
oxidubbo::hessian2::java_type!(User => "com.example.User");

#[oxidubbo::service(interface = "com.example.UserService")]
pub trait UserService {
    async fn describe(
        &self,
        a: User,
        b: User,
        c: User,
        tags: Vec<String>,
    ) -> Result<String, RpcError>;
}

struct Impl;

#[oxidubbo::async_trait]
impl UserService for Impl {
    async fn describe(
        &self,
        a: User,
        b: User,
        c: User,
        tags: Vec<String>,
    ) -> Result<String, RpcError> {
        Ok(format!("{a:?} {b:?} {c:?} {tags:?}"))
    }
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

/// `describe(ann, Q 0, bob, Q 1)` with the attachment `owner = Q 0`: ann twice, bob (whose
/// class ann defined), ann's tags. Containers: 0 = ann, 1 = her tags, 2 = bob, 3 = his tags.
fn invocation() -> Invocation {
    Invocation::new(
        "describe",
        "Lcom/example/User;Lcom/example/User;Lcom/example/User;Ljava/util/List;",
        vec![
            to_value(&ann()).unwrap(),
            Value::Ref(0),
            to_value(&bob()).unwrap(),
            Value::Ref(1),
        ],
    )
    .with_attachment("owner", Value::Ref(0))
}

fn expected() -> String {
    format!("{:?} {:?} {:?} {:?}", ann(), ann(), bob(), ann().tags)
}

#[test]
fn the_codec_reads_one_table_for_arguments_and_attachments() {
    let mut frame = Vec::new();
    let target = Target::new(
        <dyn UserService as DubboService>::INTERFACE,
        "0.0.0",
        None,
        None,
    );
    encode_request(&mut frame, 1, true, &target, "1000", &invocation(), 0).unwrap();
    let body = decode_request_body(&frame[HEADER_LEN..]).unwrap();
    assert_eq!(body.arguments[1], Value::Ref(0));
    assert_eq!(body.arguments[3], Value::Ref(1));
    let owner = body.attachments.get("owner").cloned().unwrap();
    assert_eq!(owner, Value::Ref(0));

    let values = Values::new(&body.arguments);
    assert_eq!(values.deserialize::<User>(0).unwrap(), ann());
    assert_eq!(values.deserialize::<User>(1).unwrap(), ann());
    assert_eq!(values.deserialize::<User>(2).unwrap(), bob());
    assert_eq!(values.deserialize::<Vec<String>>(3).unwrap(), ann().tags);
    assert_eq!(values.deserialize_value::<User>(&owner).unwrap(), ann());
}

#[tokio::test]
async fn a_typed_provider_resolves_references_to_earlier_arguments() {
    let port = oxidubbo_integration_tests::free_port();
    let url = Arc::new(
        Url::parse(&format!(
            "dubbo://127.0.0.1:{port}/{}",
            <dyn UserService as DubboService>::INTERFACE
        ))
        .unwrap(),
    );
    let protocol = DubboProtocol::new();
    let provider = <dyn UserService as DubboService>::provider(Arc::new(Impl));
    let _exporter = protocol
        .export(Arc::new(ServiceInvoker::new(Arc::clone(&url), provider)))
        .await
        .unwrap();
    let invoker = protocol.refer(url).await.unwrap();
    let result = invoker.invoke(invocation()).await.unwrap();
    assert_eq!(result.value.as_str(), Some(expected().as_str()));
    protocol.destroy().await;
}
