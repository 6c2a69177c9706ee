//! The provider's `org.apache.dubbo.metadata.MetadataService` over real TCP: exported on a
//! `DubboProtocol` at its export URL, called at the URL a consumer builds from the instance's
//! `dubbo.metadata-service.url-params`, answering `getMetadataInfo(revision)` with the
//! application's `MetadataInfo` (read back field by field), `null` for an unknown or withdrawn
//! revision, and `serviceName()`, `version()`, `getMetadataInfos()`.

use std::sync::Arc;

use oxidubbo_invoker::{Invocation, Invoker, RpcError, ServiceInvoker, Url, Value};
use oxidubbo_metadata::{MetadataInfo, MetadataStorageType, ServiceInstance, metadata_service};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use oxidubbo_registry::MetadataServiceDelegation;

const APP: &str = "greeter-app";

fn provider_url(port: u16, interface: &str, extra: &str) -> Url {
    Url::parse(&format!(
        "dubbo://127.0.0.1:{port}/{interface}?application={APP}&interface={interface}\
         &methods=sayHello,add&side=provider&timeout=3000{extra}"
    ))
    .unwrap()
}

fn metadata(urls: &[Url]) -> MetadataInfo {
    let mut info = MetadataInfo::new(APP);
    for url in urls {
        info.add_service(url).unwrap();
    }
    assert!(info.update_revision());
    info
}

async fn get_metadata_info(invoker: &Arc<dyn Invoker>, revision: Value) -> Option<MetadataInfo> {
    let call = Invocation::new(
        metadata_service::GET_METADATA_INFO,
        metadata_service::GET_METADATA_INFO_PARAM_TYPES,
        vec![revision],
    );
    let answer = invoker.invoke(call).await.unwrap();
    MetadataInfo::from_hessian(&answer.value).unwrap()
}

fn assert_same(got: &MetadataInfo, want: &MetadataInfo) {
    assert_eq!(got.app(), want.app());
    assert_eq!(got.revision(), want.revision());
    assert_eq!(
        got.services().keys().collect::<Vec<_>>(),
        want.services().keys().collect::<Vec<_>>()
    );
    for (key, want) in want.services() {
        let got = &got.services()[key];
        assert_eq!(got.name, want.name, "{key}");
        assert_eq!(got.group, want.group, "{key}");
        assert_eq!(got.version, want.version, "{key}");
        assert_eq!(got.protocol, want.protocol, "{key}");
        assert_eq!(got.port, want.port, "{key}");
        assert_eq!(got.path, want.path, "{key}");
        assert_eq!(got.params, want.params, "{key}");
    }
}

#[tokio::test]
async fn answers_the_metadata_info_of_its_revision_over_dubbo() {
    let port = oxidubbo_integration_tests::free_port();
    let greeter = provider_url(port, "org.apache.dubbo.samples.api.GreeterService", "");
    let calc = provider_url(
        port,
        "com.example.Calculator",
        "&group=blue&version=2.0.0&sayHello.timeout=100",
    );
    let info = metadata(&[greeter.clone(), calc]);
    assert_eq!(info.services().len(), 2);
    let revision = info.revision().unwrap().to_owned();

    let service = MetadataServiceDelegation::new(APP);
    service.publish("zookeeper://127.0.0.1:2181", info.clone());
    let export_url = service.export_url("dubbo", "127.0.0.1", port);
    assert_eq!(export_url.group(), Some(APP));
    assert_eq!(export_url.param("version"), Some(metadata_service::VERSION));

    let protocol = DubboProtocol::new();
    let _exporter = protocol
        .export(Arc::new(ServiceInvoker::new(
            Arc::new(export_url.clone()),
            service.clone(),
        )))
        .await
        .unwrap();

    // The consumer's side: the instance node, its url-params, the URL it calls.
    let mut instance = ServiceInstance::new(APP, "127.0.0.1", port);
    instance.set_provider_metadata(&info, MetadataStorageType::Local, Some(&export_url));
    let seen = ServiceInstance::from_curator_json(instance.to_curator_json().as_bytes()).unwrap();
    assert_eq!(seen.revision(), Some(revision.as_str()));
    let invoker = protocol
        .refer(Arc::new(seen.metadata_service_url().unwrap()))
        .await
        .unwrap();

    let got = get_metadata_info(&invoker, Value::from(revision.as_str()))
        .await
        .expect("the published revision is answered");
    assert_same(&got, &info);
    let calc = &got.services()["blue/com.example.Calculator:2.0.0:dubbo"];
    assert_eq!(
        calc.params.get("sayHello.timeout").map(String::as_str),
        Some("100")
    );

    // Unknown, empty and null revisions are answered with null, as Java does.
    for revision in [
        Value::from("0123456789abcdef"),
        Value::from(""),
        Value::Null,
    ] {
        assert_eq!(get_metadata_info(&invoker, revision).await, None);
    }

    // The other methods Java consumers call.
    let call = |method: &'static str| Invocation::new(method, "", vec![]);
    let name = invoker.invoke(call("serviceName")).await.unwrap();
    assert_eq!(name.value.as_str(), Some(APP));
    let version = invoker.invoke(call("version")).await.unwrap();
    assert_eq!(version.value.as_str(), Some(metadata_service::VERSION));
    let all = invoker.invoke(call("getMetadataInfos")).await.unwrap();
    let Value::List(all) = &all.value else {
        panic!("getMetadataInfos answered {:?}", all.value);
    };
    assert_eq!(all.items.len(), 1);
    assert_same(
        &MetadataInfo::from_hessian(&all.items[0]).unwrap().unwrap(),
        &info,
    );

    // A method it does not serve is an error, not a hang.
    let err = invoker.invoke(call("getExportedURLs")).await.unwrap_err();
    assert!(err.to_string().contains("getExportedURLs"), "{err}");

    protocol.destroy().await;
}

#[tokio::test]
async fn a_replaced_revision_is_no_longer_answered() {
    let port = oxidubbo_integration_tests::free_port();
    let greeter = provider_url(port, "org.apache.dubbo.samples.api.GreeterService", "");
    let calc = provider_url(port, "com.example.Calculator", "&version=2.0.0");
    let before = metadata(std::slice::from_ref(&greeter));
    let after = metadata(&[greeter, calc]);
    assert_ne!(before.revision(), after.revision());

    let service = MetadataServiceDelegation::new(APP);
    let export_url = service.export_url("dubbo", "127.0.0.1", port);
    let protocol = DubboProtocol::new();
    let _exporter = protocol
        .export(Arc::new(ServiceInvoker::new(
            Arc::new(export_url.clone()),
            service.clone(),
        )))
        .await
        .unwrap();
    let invoker = protocol.refer(Arc::new(export_url)).await.unwrap();
    let ask = |info: &MetadataInfo| Value::from(info.revision().unwrap());

    service.publish("registry-a", before.clone());
    assert_same(
        &get_metadata_info(&invoker, ask(&before)).await.unwrap(),
        &before,
    );

    service.publish("registry-a", after.clone());
    assert_eq!(get_metadata_info(&invoker, ask(&before)).await, None);
    assert_same(
        &get_metadata_info(&invoker, ask(&after)).await.unwrap(),
        &after,
    );

    service.withdraw("registry-a");
    assert_eq!(get_metadata_info(&invoker, ask(&after)).await, None);

    // A revision argument that is not a String is refused with a clear error.
    let bad = Invocation::new(
        metadata_service::GET_METADATA_INFO,
        "I",
        vec![Value::Int(7)],
    );
    let err: RpcError = invoker.invoke(bad).await.unwrap_err();
    assert!(err.to_string().contains("takes one String"), "{err}");

    protocol.destroy().await;
}
