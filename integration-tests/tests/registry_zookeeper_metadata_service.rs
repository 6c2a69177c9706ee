//! A provider's instance on a real ZooKeeper (`OXIDUBBO_ZK`) read the way a consumer reads
//! it (issue #15, `storage-type` `local`): the instance node carries
//! `dubbo.metadata-service.url-params` of the `MetadataService` the registry serves, and that
//! service, called over dubbo at the URL the consumer builds from them, answers
//! `getMetadataInfo` with the instance's current revision; a revision the services left
//! behind, and every revision after the last unregister or destroy, is answered `null`.

use std::sync::Arc;
use std::time::Duration;

use oxidubbo_integration_tests::{free_port, zookeeper};
use oxidubbo_integration_tests::{unique_name, zk_client};
use oxidubbo_invoker::{Invocation, Invoker, ServiceInvoker, Url, Value};
use oxidubbo_metadata::{MetadataInfo, ServiceInstance, keys, metadata_service};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use oxidubbo_registry::{MetadataServiceDelegation, Registry, ZookeeperRegistry};

const APPLICATION: &str = "metadata-app";
const GREETER: &str = "org.apache.dubbo.samples.api.GreetingsService";
const ECHO: &str = "org.apache.dubbo.samples.api.EchoService";
/// Bound on every step of these tests (a hang guard, not a speed check).
const LIMIT: Duration = Duration::from_secs(20);

fn provider(interface: &str, port: u16) -> Url {
    Url::parse(&format!(
        "dubbo://127.0.0.1:{port}/{interface}?application={APPLICATION}\
         &interface={interface}&methods=sayHi,sayBye&side=provider&timestamp=1700000000000\
         &release=3.3.0&dubbo=2.0.2"
    ))
    .expect("provider URL")
}

fn expected(urls: &[&Url]) -> MetadataInfo {
    let mut info = MetadataInfo::new(APPLICATION);
    for url in urls {
        info.add_service(url).expect("service");
    }
    info.update_revision();
    info
}

/// The instance node as a consumer reads it.
async fn read_instance(client: &zookeeper_client::Client, path: &str) -> ServiceInstance {
    let (data, _) = client.get_data(path).await.expect("instance node");
    ServiceInstance::from_curator_json(&data).expect("instance JSON")
}

async fn get_metadata_info(invoker: &Arc<dyn Invoker>, revision: &str) -> Option<MetadataInfo> {
    let call = Invocation::new(
        metadata_service::GET_METADATA_INFO,
        metadata_service::GET_METADATA_INFO_PARAM_TYPES,
        vec![Value::from(revision)],
    );
    let answer = tokio::time::timeout(LIMIT, invoker.invoke(call))
        .await
        .expect("answered within the limit")
        .expect("answered");
    MetadataInfo::from_hessian(&answer.value).expect("a MetadataInfo or null")
}

fn assert_same(got: &MetadataInfo, want: &MetadataInfo) {
    assert_eq!(got.app(), want.app());
    assert_eq!(got.revision(), want.revision());
    assert_eq!(got.services(), want.services());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_reads_the_services_of_the_instance_through_its_metadata_service() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-metadata-service-");
    let port = free_port();
    let url = Url::parse(&format!(
        "zookeeper://{zk}?group={root}&session=10000&register-mode=instance"
    ))
    .expect("URL");
    let registry = tokio::time::timeout(LIMIT, ZookeeperRegistry::connect(url))
        .await
        .expect("connect within the limit")
        .expect("connected");

    // The provider's MetadataService, on its dubbo port.
    let service = MetadataServiceDelegation::new(APPLICATION);
    let export_url = service.export_url("dubbo", "127.0.0.1", port);
    let protocol = DubboProtocol::new();
    let _exporter = protocol
        .export(Arc::new(ServiceInvoker::new(
            Arc::new(export_url.clone()),
            service.clone(),
        )))
        .await
        .expect("exported");
    registry
        .serve_metadata(service, &export_url)
        .await
        .expect("nothing to write yet");

    let greeter = provider(GREETER, port);
    registry.register(&greeter).await.expect("registered");
    let path = format!("/{root}/{APPLICATION}/127.0.0.1:{port}");
    let client = zk_client(&zk).await;

    // The consumer: the node, the URL its url-params give, the call.
    let instance = read_instance(&client, &path).await;
    let params = instance.metadata_service_params().expect("url-params");
    assert_eq!(params.get("protocol").map(String::as_str), Some("dubbo"));
    assert_eq!(params.get("port"), Some(&port.to_string()));
    assert_eq!(
        params.get("version").map(String::as_str),
        Some(metadata_service::VERSION)
    );
    assert!(
        instance
            .metadata
            .contains_key(keys::METADATA_SERVICE_URL_PARAMS)
    );
    let msvc_url = instance
        .metadata_service_url()
        .expect("MetadataService URL");
    assert_eq!(msvc_url.group(), Some(APPLICATION));
    let invoker = protocol.refer(Arc::new(msvc_url)).await.expect("referred");
    let first = instance.revision().expect("revision").to_owned();
    let want = expected(&[&greeter]);
    assert_eq!(want.revision(), Some(first.as_str()));
    let got = get_metadata_info(&invoker, &first)
        .await
        .expect("the instance's revision is answered");
    assert_same(&got, &want);
    let service = &got.services()[&format!("{GREETER}:dubbo")];
    assert_eq!(
        instance
            .service_url(service)
            .expect("service URL")
            .address(),
        format!("127.0.0.1:{port}")
    );

    // A second service: a new revision is answered, the old one no longer.
    let echo = provider(ECHO, port);
    registry.register(&echo).await.expect("registered");
    let second = read_instance(&client, &path)
        .await
        .revision()
        .expect("revision")
        .to_owned();
    assert_ne!(second, first);
    assert_same(
        &get_metadata_info(&invoker, &second)
            .await
            .expect("answered"),
        &expected(&[&greeter, &echo]),
    );
    assert_eq!(get_metadata_info(&invoker, &first).await, None);

    // The last service gone: the instance and its metadata with it.
    registry.unregister(&greeter).await.expect("unregistered");
    let third = read_instance(&client, &path)
        .await
        .revision()
        .expect("revision")
        .to_owned();
    assert!(get_metadata_info(&invoker, &third).await.is_some());
    registry.unregister(&echo).await.expect("unregistered");
    assert_eq!(get_metadata_info(&invoker, &third).await, None);

    // Registered again, then destroyed: withdrawn with the registry.
    registry.register(&greeter).await.expect("registered");
    assert!(get_metadata_info(&invoker, &first).await.is_some());
    registry.destroy().await;
    assert_eq!(get_metadata_info(&invoker, &first).await, None);

    protocol.destroy().await;
    for node in [
        format!("/{root}/mapping/{GREETER}"),
        format!("/{root}/mapping/{ECHO}"),
        format!("/{root}/mapping"),
        format!("/{root}/{APPLICATION}"),
        format!("/{root}"),
    ] {
        let _ = client.delete(&node, None).await;
    }
}
