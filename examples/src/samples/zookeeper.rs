//! dubbo-go-samples' `registry/zookeeper` (its dubbo-go 3 configuration-file form): a
//! server of the samples' Triple IDL service `Greeter` under two interface names,
//! `com.apache.dubbo.sample.basic.IGreeter` and, with group `myInterfaceGroup` and version
//! `myInterfaceVersion`, `com.apache.dubbo.sample.basic.IGreeter2`, registered at interface
//! level in ZooKeeper under the root `myGroup`; and a client finding both there and calling
//! `SayHello("laurence")` on each. Both read the sample's `dubbogo.yml` files
//! (`examples/samples/registry/zookeeper/go-*/conf/dubbogo.yml`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use oxidubbo::triple::{BoxStream, Request, Response, Status, Streaming};
use oxidubbo::{Bootstrap, Config, DubboService, Running};

/// The samples' `api` package (`examples/proto/samples_api.proto`).
pub mod api {
    oxidubbo::include_proto!("org.apache.dubbogo.samples.api");
}

use api::{Greeter, GreeterClient, HelloRequest, User};

/// The name the client sends.
pub const NAME: &str = "laurence";

/// A `Greeter` answering `Hello <name><suffix>`, id `12345`, age 21.
#[derive(Debug, Clone)]
pub struct GreeterProvider {
    suffix: &'static str,
}

impl GreeterProvider {
    /// The sample's `GreeterProvider`.
    pub fn plain() -> GreeterProvider {
        GreeterProvider { suffix: "" }
    }

    /// The sample's `UserProviderWithCustomGroupAndVersion`.
    pub fn custom_group_and_version() -> GreeterProvider {
        GreeterProvider {
            suffix: " from UserProviderWithCustomRegistryGroupAndVersion",
        }
    }

    fn user(&self, name: &str) -> User {
        User {
            name: format!("Hello {name}{}", self.suffix),
            id: "12345".into(),
            age: 21,
        }
    }
}

#[oxidubbo::async_trait]
impl Greeter for GreeterProvider {
    async fn say_hello(&self, request: Request<HelloRequest>) -> Result<Response<User>, Status> {
        let name = request.into_inner().name;
        println!("GreeterProvider get user name = {name}");
        Ok(Response::new(self.user(&name)))
    }

    async fn say_hello_stream(
        &self,
        request: Request<Streaming<HelloRequest>>,
    ) -> Result<Response<BoxStream<User>>, Status> {
        let this = self.clone();
        let users = request
            .into_inner()
            .map(move |r| r.map(|r| this.user(&r.name)));
        Ok(Response::new(Box::pin(users)))
    }
}

/// The server's configuration: the sample's `go-server/conf/dubbogo.yml`, or `path`.
///
/// # Errors
///
/// When the file does not load.
pub fn server_config(path: Option<&Path>) -> Result<Config, oxidubbo::ConfigError> {
    let default = sample_dir().join("go-server/conf/dubbogo.yml");
    Config::from_file(path.unwrap_or(&default))
}

/// The client's configuration: the sample's `go-client/conf/dubbogo.yml`, or `path`.
///
/// # Errors
///
/// When the file does not load.
pub fn client_config(path: Option<&Path>) -> Result<Config, oxidubbo::ConfigError> {
    let default = sample_dir().join("go-client/conf/dubbogo.yml");
    Config::from_file(path.unwrap_or(&default))
}

/// The folder of the sample's files.
pub fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/registry/zookeeper")
}

/// Starts the server configured by `config` (the sample's: [`server_config`]).
///
/// # Errors
///
/// When the port cannot be bound or ZooKeeper is unreachable.
pub async fn server(config: Config) -> Result<Running, oxidubbo::Error> {
    Bootstrap::from_config(config)
        .service::<dyn Greeter>("GreeterProvider", Arc::new(GreeterProvider::plain()))
        .service::<dyn Greeter>(
            "UserProviderWithCustomGroupAndVersion",
            Arc::new(GreeterProvider::custom_group_and_version()),
        )
        .start()
        .await
}

/// Runs the client configured by `config` (the sample's: [`client_config`]): `SayHello`
/// of [`NAME`] through each of its two references, each retried for up to 10 s while
/// the providers are not yet known; returns the two users.
///
/// # Errors
///
/// When ZooKeeper is unreachable or a call fails.
pub async fn client(config: Config) -> Result<Vec<User>, Box<dyn std::error::Error>> {
    let running = Bootstrap::from_config(config).start().await?;
    let mut users = Vec::new();
    let mut failure = None;
    for reference in ["GreeterClientImpl", "UserProviderWithCustomGroupAndVersion"] {
        // The references name the samples' interfaces, not the proto's service: the
        // generated client calls whatever its invoker refers.
        let client: GreeterClient =
            <dyn Greeter as DubboService>::client(running.invoker(reference)?);
        let call = super::until_ok(100, Duration::from_millis(100), || {
            client.say_hello(HelloRequest { name: NAME.into() })
        })
        .await;
        match call {
            Ok(user) => users.push(user.into_inner()),
            Err(status) => {
                failure = Some(format!("{reference}: {status}"));
                break;
            }
        }
    }
    running.shutdown().await;
    match failure {
        Some(f) => Err(f.into()),
        None => Ok(users),
    }
}
