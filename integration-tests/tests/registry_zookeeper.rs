//! The ZooKeeper registry against a real ZooKeeper (`OXIDUBBO_ZK`): Dubbo's node layout,
//! providers joining and leaving, recovery after a session expiry and after a server
//! restart, and cleaning up every node on destroy.
//!
//! Each test uses its own root (`group` of the registry URL) or interface, so tests can run
//! in parallel against one server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxidubbo_examples::{Greeter, GreeterClient, greeter_service};
use oxidubbo_integration_tests::{OwnZookeeper, free_port, zookeeper};
use oxidubbo_integration_tests::{unique_name, zk_children, zk_client};
use oxidubbo_invoker::{Invoker, RpcError, ServiceInvoker, Url};
use oxidubbo_protocol::{DubboProtocol, Protocol};
use oxidubbo_registry::{
    Protocols, Registry, RegistryDirectory, RegistryProtocol, ZookeeperRegistry,
};

const GREETER: &str = "org.apache.dubbo.samples.api.GreeterService";

fn registry_url(zk: &str, root: &str) -> Url {
    Url::parse(&format!("zookeeper://{zk}?group={root}&session=10000")).unwrap()
}

fn provider_url(interface: &str, port: u16) -> Url {
    Url::parse(&format!(
        "dubbo://127.0.0.1:{port}/{interface}?application=oxidubbo-test&interface={interface}\
         &methods=add,echo,fail,getUser,sayHello&pid=7&side=provider&timestamp=1700000000000&version=1.0.0"
    ))
    .unwrap()
}

fn reference(interface: &str) -> Url {
    Url::parse(&format!(
        "consumer://127.0.0.1/{interface}?interface={interface}&version=1.0.0&check=false&timeout=3000"
    ))
    .unwrap()
}

fn greeter(url: Url) -> Arc<dyn Invoker> {
    Arc::new(ServiceInvoker::new(Arc::new(url), greeter_service()))
}

/// The restart test starts a ZooKeeper JVM of its own, which on a small machine stalls
/// everything else for seconds: it runs alone, the other tests of this file alongside
/// each other.
static ZK_LOAD: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Polls `f` every 10 ms until it returns true or `limit` passes.
async fn within<F, Fut>(limit: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if f().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn calls_ok(client: &GreeterClient) -> bool {
    matches!(
        client.say_hello("zk".into()).await.as_deref(),
        Ok("Hello, zk")
    )
}

#[tokio::test]
async fn provider_node_has_dubbo_form_and_goes_on_destroy() {
    let _shared = ZK_LOAD.read().await;
    let Some(zk) = zookeeper() else { return };
    let port = free_port();
    let dubbo = Arc::new(DubboProtocol::new());
    let rp = RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", dubbo.clone()));
    let registry = Url::parse(&format!("zookeeper://{zk}")).unwrap();
    let _exporter = rp
        .export_to(&registry, greeter(provider_url(GREETER, port)))
        .await
        .unwrap();

    // What Dubbo Java writes: URL.encode(url.toFullString()), parameters sorted, without
    // pid (Java >= 3.2.11), with dubbo=2.0.2.
    let expected = format!(
        "dubbo%3A%2F%2F127.0.0.1%3A{port}%2Forg.apache.dubbo.samples.api.GreeterService%3F\
         application%3Doxidubbo-test%26dubbo%3D2.0.2%26interface%3Dorg.apache.dubbo.samples.api.GreeterService\
         %26methods%3Dadd%2Cecho%2Cfail%2CgetUser%2CsayHello%26side%3Dprovider\
         %26timestamp%3D1700000000000%26version%3D1.0.0"
    );
    let client = zk_client(&zk).await;
    let dir = format!("/dubbo/{GREETER}/providers");
    let nodes = zk_children(&client, &dir).await;
    assert!(nodes.contains(&expected), "{expected}\nnot in {nodes:#?}");
    let (data, stat) = client.get_data(&format!("{dir}/{expected}")).await.unwrap();
    assert!(data.is_empty(), "leaves carry no data");
    assert_ne!(stat.ephemeral_owner, 0, "the leaf is ephemeral");
    for parent in ["/dubbo", &format!("/dubbo/{GREETER}"), &dir] {
        let stat = client.check_stat(parent).await.unwrap().unwrap();
        assert_eq!(stat.ephemeral_owner, 0, "{parent} is persistent");
    }
    // Java reads it back: decode, parse.
    let back = Url::from_node_name(&expected).unwrap();
    assert_eq!(back.port(), port);

    rp.destroy().await;
    assert!(rp.counts().is_empty());
    assert!(dubbo.counts().is_empty(), "{:?}", dubbo.counts());
    assert!(
        !zk_children(&client, &dir).await.contains(&expected),
        "unregistered on destroy"
    );
}

#[tokio::test]
async fn consumer_sees_providers_join_and_leave_within_a_second() {
    let _shared = ZK_LOAD.read().await;
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxitest-join-");
    let reg = registry_url(&zk, &root);
    let consumer_dubbo = Arc::new(DubboProtocol::new());
    let consumer =
        RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", consumer_dubbo.clone()));
    let invoker = consumer
        .refer_from(&reg, &reference(GREETER))
        .await
        .unwrap();
    let client = GreeterClient::new(Arc::clone(&invoker));
    assert!(matches!(
        client.say_hello("x".into()).await,
        Err(RpcError::Unavailable(_))
    ));

    let zkc = zk_client(&zk).await;
    let consumers = zk_children(&zkc, &format!("/{root}/{GREETER}/consumers")).await;
    assert_eq!(consumers.len(), 1, "{consumers:?}");
    assert!(
        consumers[0].starts_with("consumer%3A%2F%2F127.0.0.1%2F"),
        "{consumers:?}"
    );
    assert!(
        consumers[0].contains("category%3Dconsumers"),
        "{consumers:?}"
    );

    // Join.
    let provider_dubbo = Arc::new(DubboProtocol::new());
    let provider =
        RegistryProtocol::with_protocols(Protocols::empty().with("dubbo", provider_dubbo.clone()));
    let started = Instant::now();
    provider
        .export_to(&reg, greeter(provider_url(GREETER, free_port())))
        .await
        .unwrap();
    assert!(
        within(Duration::from_secs(1), || calls_ok(&client)).await,
        "provider not seen within 1 s"
    );
    println!("join seen after {:?}", started.elapsed());

    // Leave.
    let started = Instant::now();
    provider.destroy().await;
    assert!(
        within(Duration::from_secs(1), || async {
            matches!(
                client.say_hello("x".into()).await,
                Err(RpcError::Unavailable(_))
            )
        })
        .await,
        "provider still used 1 s after it left"
    );
    println!("leave seen after {:?}", started.elapsed());
    assert_eq!(consumer_dubbo.counts().invokers, 0);

    consumer.destroy().await;
    assert!(
        consumer_dubbo.counts().is_empty(),
        "{:?}",
        consumer_dubbo.counts()
    );
    for category in ["providers", "consumers"] {
        let left = zk_children(&zkc, &format!("/{root}/{GREETER}/{category}")).await;
        assert!(left.is_empty(), "{category}: {left:?}");
    }
}

/// A provider registry and a consumer (registry + directory + cluster) of our own.
struct Pair {
    provider_reg: Arc<ZookeeperRegistry>,
    consumer_reg: Arc<ZookeeperRegistry>,
    directory: Arc<RegistryDirectory>,
    client: GreeterClient,
    providers: Vec<(DubboProtocol, Url)>,
    consumer_dubbo: Arc<DubboProtocol>,
}

impl Pair {
    async fn start(reg: &Url) -> Pair {
        let provider_reg = Arc::new(ZookeeperRegistry::connect(reg.clone()).await.unwrap());
        let consumer_reg = Arc::new(ZookeeperRegistry::connect(reg.clone()).await.unwrap());
        let consumer_dubbo = Arc::new(DubboProtocol::new());
        let directory = Arc::new(RegistryDirectory::new(
            consumer_reg.clone(),
            reference(GREETER),
            Protocols::empty().with("dubbo", consumer_dubbo.clone()),
        ));
        directory.subscribe().await.unwrap();
        let invoker = directory.clone().join().unwrap();
        let mut pair = Pair {
            provider_reg,
            consumer_reg,
            directory,
            client: GreeterClient::new(invoker),
            providers: Vec::new(),
            consumer_dubbo,
        };
        pair.add_provider().await;
        assert!(within(Duration::from_secs(1), || calls_ok(&pair.client)).await);
        pair
    }

    async fn add_provider(&mut self) {
        let dubbo = DubboProtocol::new();
        let url = provider_url(GREETER, free_port());
        dubbo.export(greeter(url.clone())).await.unwrap();
        self.provider_reg.register(&url).await.unwrap();
        self.providers.push((dubbo, url));
    }

    async fn provider_nodes(&self, zkc: &zookeeper_client::Client) -> usize {
        let path = self.provider_reg.category_path(GREETER, "providers");
        zk_children(zkc, &path).await.len()
    }

    /// After recovery: a new provider and a leaving one are both seen within a second.
    async fn check_live_updates(&mut self) {
        assert!(
            within(Duration::from_secs(5), || calls_ok(&self.client)).await,
            "calls fail"
        );
        let before = self.directory.invokers().len();
        self.add_provider().await;
        let dir = self.directory.clone();
        assert!(
            within(Duration::from_secs(1), || {
                let n = dir.invokers().len();
                async move { n == before + 1 }
            })
            .await,
            "new provider not seen: {} invokers",
            self.directory.invokers().len()
        );
        let (dubbo, url) = self.providers.remove(0);
        self.provider_reg.unregister(&url).await.unwrap();
        let dir = self.directory.clone();
        assert!(
            within(Duration::from_secs(1), || {
                let n = dir.invokers().len();
                async move { n == before }
            })
            .await,
            "leaving provider still listed"
        );
        dubbo.destroy().await;
        assert!(within(Duration::from_secs(1), || calls_ok(&self.client)).await);
    }

    async fn stop(self, zkc: &zookeeper_client::Client) {
        let path = self.provider_reg.category_path(GREETER, "providers");
        self.directory.shutdown().await;
        self.consumer_reg.destroy().await;
        self.provider_reg.destroy().await;
        for reg in [&self.consumer_reg, &self.provider_reg] {
            assert!(reg.counts().is_empty(), "{:?}", reg.counts());
        }
        assert!(
            self.consumer_dubbo.counts().is_empty(),
            "{:?}",
            self.consumer_dubbo.counts()
        );
        for (dubbo, _) in &self.providers {
            dubbo.destroy().await;
        }
        assert!(zk_children(zkc, &path).await.is_empty());
    }
}

#[tokio::test]
async fn recovers_after_session_expiry() {
    let _shared = ZK_LOAD.read().await;
    let Some(zk) = zookeeper() else { return };
    let root = unique_name("oxitest-expiry-");
    let zkc = zk_client(&zk).await;
    let mut pair = Pair::start(&registry_url(&zk, &root)).await;
    assert_eq!(
        pair.consumer_reg.counts().watches,
        3,
        "providers, configurators, routers"
    );

    // Each registry's session ends (the server drops its ephemeral nodes and watches);
    // returns once the registry opened a new one.
    for reg in [&pair.consumer_reg, &pair.provider_reg] {
        reg.expire_session()
            .await
            .expect("could not force the session to expire");
    }
    for reg in [&pair.consumer_reg, &pair.provider_reg] {
        assert!(
            within(Duration::from_secs(10), || {
                let n = reg.sessions_opened();
                async move { n == 2 }
            })
            .await,
            "no new session"
        );
    }
    let (p, z) = (&pair, &zkc);
    assert!(
        within(Duration::from_secs(5), move || async move {
            p.provider_nodes(z).await == 1
        })
        .await,
        "provider not re-registered"
    );
    pair.check_live_updates().await;
    assert_eq!(
        pair.consumer_reg.counts().watches,
        3,
        "watches re-made, none leaked"
    );
    pair.stop(&zkc).await;
}

#[tokio::test]
async fn recovers_after_zookeeper_restart() {
    let _alone = ZK_LOAD.write().await;
    // Needs a ZooKeeper installation; OXIDUBBO_ZK says the test run has one. This test
    // starts (and restarts) its own server on its own port and state dir.
    let Some(_) = zookeeper() else { return };
    let own = OwnZookeeper::start("restart");
    let zk = own.address();
    let mut pair = Pair::start(&registry_url(&zk, "oxitest-restart")).await;

    // Restart: the script wipes the data, so the server forgets every session and node.
    own.stop_server();
    assert!(
        !pair.consumer_reg.is_available() || {
            tokio::time::sleep(Duration::from_millis(500)).await;
            !pair.consumer_reg.is_available()
        }
    );
    own.start_server();
    let zkc = zk_client(&zk).await;
    let (p, z) = (&pair, &zkc);
    assert!(
        within(Duration::from_secs(20), move || async move {
            p.provider_nodes(z).await == 1
        })
        .await,
        "provider not re-registered after the restart"
    );
    pair.check_live_updates().await;
    assert!(pair.consumer_reg.is_available());
    pair.stop(&zkc).await;
    drop(own);
}
