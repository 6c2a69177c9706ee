//! `register-mode` in an application's TOML (`[registries.<name>]`, Dubbo's key): a provider
//! started with `instance` registers its application instance on a real ZooKeeper
//! (`OXIDUBBO_ZK`) — the Curator node with the revision of its services, and the mapping — and
//! no interface-level node, the MetadataService exported on its dubbo port that a consumer
//! finds through the node's url-params and that answers the instance's `MetadataInfo` — and
//! its graceful shutdown removes the instance and the MetadataService.
//! (Alone in its test binary: the application uses the process-wide protocol.)

use std::sync::Arc;
use std::time::Duration;

use oxidubbo::Bootstrap;
use oxidubbo::config::Config;
use oxidubbo_examples::{Greeter, HelloGreeter};
use oxidubbo_integration_tests::zookeeper;
use oxidubbo_integration_tests::{unique_name, zk_client};
use oxidubbo_invoker::{Invocation, Value};
use oxidubbo_metadata::{MetadataInfo, ServiceInstance, metadata_service};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use oxidubbo_registry::registered_provider_url;

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";
const APPLICATION: &str = "instance-provider";
/// Hang guard for every ZooKeeper step (not a speed check).
const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_mode_instance_from_toml_registers_the_application_instance() {
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxidubbo-register-mode-");
    let text = format!(
        "[application]\nname = \"{APPLICATION}\"\n\n\
         [registries.zk]\naddress = \"zookeeper://{zk}\"\ngroup = \"{root}\"\nregister-mode = \"instance\"\n\n\
         [protocols.dubbo]\nport = 0\n\n[services.greeter]\n"
    );
    let running = Bootstrap::from_config(Config::parse(&text, "app.toml").expect("config"))
        .service::<dyn Greeter>("greeter", Arc::new(HelloGreeter))
        .start()
        .await
        .expect("started");
    let exported = running.provider_urls()["greeter"].clone();

    let client = zk_client(&zk).await;
    let path = format!("/{root}/{APPLICATION}/127.0.0.1:{}", exported.port());
    let (data, stat) = client.get_data(&path).await.expect("the instance node");
    assert_ne!(stat.ephemeral_owner, 0, "ephemeral");
    let instance = ServiceInstance::from_curator_json(&data).expect("instance JSON");
    // The services are described by the URL as registered (as Java's
    // ServiceDiscoveryRegistry is given it); its `timestamp` is not part of the revision.
    let mut info = MetadataInfo::new(APPLICATION);
    info.add_service(&registered_provider_url(&exported))
        .expect("service");
    assert_eq!(instance.name, APPLICATION);
    assert_eq!(instance.port, Some(exported.port()));
    assert_eq!(
        instance.revision(),
        Some(info.calculate_revision().as_str()),
        "the revision of the exported service"
    );
    // A consumer reads the services through the MetadataService the node points at.
    let consumer = DubboProtocol::new();
    let msvc_url = Arc::new(instance.metadata_service_url().expect("url-params"));
    assert_eq!(
        msvc_url.port(),
        exported.port(),
        "on the application's dubbo port"
    );
    let get_metadata_info = Invocation::new(
        metadata_service::GET_METADATA_INFO,
        metadata_service::GET_METADATA_INFO_PARAM_TYPES,
        vec![Value::from(instance.revision().expect("revision"))],
    );
    let answer = tokio::time::timeout(LIMIT, async {
        let invoker = consumer.refer(Arc::clone(&msvc_url)).await?;
        invoker.invoke(get_metadata_info.clone()).await
    })
    .await
    .expect("answered within the limit")
    .expect("answered");
    let got = MetadataInfo::from_hessian(&answer.value)
        .expect("a MetadataInfo")
        .expect("the instance's revision is known");
    assert_eq!(got.app(), APPLICATION);
    assert_eq!(got.revision(), instance.revision());
    assert_eq!(got.services(), info.services());

    let (mapping, _) = client
        .get_data(&format!("/{root}/mapping/{GREETER}"))
        .await
        .expect("the mapping node");
    assert_eq!(String::from_utf8_lossy(&mapping), APPLICATION);
    assert!(
        client
            .check_stat(&format!("/{root}/{GREETER}/providers"))
            .await
            .expect("stat")
            .is_none_or(|s| s.num_children == 0),
        "no interface-level node in instance mode"
    );

    tokio::time::timeout(LIMIT, running.shutdown())
        .await
        .expect("shut down within the limit");
    assert!(
        client.check_stat(&path).await.expect("stat").is_none(),
        "the instance is gone after shutdown"
    );
    let after = tokio::time::timeout(LIMIT, async {
        let invoker = consumer.refer(Arc::clone(&msvc_url)).await?;
        invoker.invoke(get_metadata_info).await
    })
    .await
    .expect("answered within the limit");
    assert!(
        after.is_err(),
        "the MetadataService is gone after shutdown: {after:?}"
    );
    consumer.destroy().await;
    for p in [
        format!("/{root}/mapping/{GREETER}"),
        format!("/{root}/mapping"),
        format!("/{root}/{APPLICATION}"),
        format!("/{root}/{GREETER}/providers"),
        format!("/{root}/{GREETER}"),
        format!("/{root}"),
    ] {
        let _ = client.delete(&p, None).await;
    }
}
