//! dubbo-go-samples' `direct`, in its dubbo-protocol form: a provider of
//! `org.apache.dubbo.UserProvider` over dubbo on port 20000 (no registry), whose Go method
//! `GetUser` answers a hessian POJO `org.apache.dubbo.User`, and a consumer calling it
//! directly at `dubbo://127.0.0.1:20000` with `GetUser("A001")`. Both are configured by
//! dubbo-go YAML files (`examples/samples/direct/go-*/conf/dubbogo.yml`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxidubbo::hessian2::Date;
use oxidubbo::{Bootstrap, Config, RpcError, Running};
use serde::{Deserialize, Serialize};

/// `org.apache.dubbo.User`: the Go struct `User` whose `JavaClassName()` is that name.
/// Its fields go on the wire as dubbo-go names them (the Go field name, first letter
/// lowercased).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "org.apache.dubbo.User")]
pub struct User {
    /// Go `Id string`.
    pub id: String,
    /// Go `Name string`.
    pub name: String,
    /// Go `Age int32`.
    pub age: i32,
    /// Go `Time time.Time` (a `java.util.Date` on the wire).
    pub time: Date,
}
oxidubbo::hessian2::java_type!(User => "org.apache.dubbo.User");

/// The sample's service, with Go's method names on the wire (`GetUser`).
#[oxidubbo::service(interface = "org.apache.dubbo.UserProvider", method_names = "go")]
pub trait UserProvider {
    /// `GetUser(id)`: the user `A001`.
    async fn get_user(&self, id: String) -> Result<User, RpcError>;
}

/// The provider: logs the request and answers user `A001`, `Alex Stocks`, 18, now.
#[derive(Debug, Default, Clone)]
pub struct SampleUserProvider;

#[oxidubbo::async_trait]
impl UserProvider for SampleUserProvider {
    async fn get_user(&self, id: String) -> Result<User, RpcError> {
        println!("req: {id:?}");
        let user = User {
            id: "A001".into(),
            name: "Alex Stocks".into(),
            age: 18,
            time: Date::now(),
        };
        println!("rsp: {user:?}");
        Ok(user)
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
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/direct")
}

/// Starts the server configured by `config` (the sample's: [`server_config`]).
///
/// # Errors
///
/// When the port cannot be bound.
pub async fn server(config: Config) -> Result<Running, oxidubbo::Error> {
    Bootstrap::from_config(config)
        .service::<dyn UserProvider>("UserProvider", Arc::new(SampleUserProvider))
        .start()
        .await
}

/// Runs the client configured by `config` (the sample's: [`client_config`]): one
/// `GetUser("A001")`; returns the user.
///
/// # Errors
///
/// When the call fails.
pub async fn client(config: Config) -> Result<User, Box<dyn std::error::Error>> {
    let running = Bootstrap::from_config(config).start().await?;
    let provider = running.client::<dyn UserProvider>("UserProvider")?;
    let user = provider.get_user("A001".into()).await;
    running.shutdown().await;
    Ok(user?)
}
