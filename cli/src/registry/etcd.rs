//! The etcd side of the registry view: etcd keys read as the folders and nodes of a tree
//! (`/a/b/c` is the child `c` of `/a/b`), as dubbo-go's `etcdv3` registry lays them out.

use std::collections::BTreeSet;
use std::time::Duration;

use etcd_client::{Client, ConnectOptions, GetOptions};

use crate::error::CliError;

/// A connected etcd, read only; every request bounded by the view's timeout.
pub(super) struct EtcdStore {
    client: Client,
    address: String,
    timeout: Duration,
}

impl EtcdStore {
    /// Connects to `address` (`host:port[,host:port…]`) and checks, within `timeout`, that
    /// etcd answers.
    pub(super) async fn connect(address: &str, timeout: Duration) -> Result<EtcdStore, CliError> {
        let endpoints: Vec<&str> = address.split(',').filter(|a| !a.is_empty()).collect();
        let options = ConnectOptions::new().with_connect_timeout(timeout);
        let client = tokio::time::timeout(timeout, Client::connect(&endpoints, Some(options)))
            .await
            .map_err(|_| no_answer(address, timeout))?
            .map_err(|e| CliError::connection(format!("etcd {address}: {e}")))?;
        let store = EtcdStore {
            client,
            address: address.to_owned(),
            timeout,
        };
        // The connection is made on the first request: make one now.
        store.value("/").await?;
        Ok(store)
    }

    async fn get(
        &self,
        key: &str,
        options: Option<GetOptions>,
    ) -> Result<etcd_client::GetResponse, CliError> {
        let mut client = self.client.clone();
        tokio::time::timeout(self.timeout, client.get(key, options))
            .await
            .map_err(|_| no_answer(&self.address, self.timeout))?
            .map_err(|e| CliError::connection(format!("etcd {}: {e}", self.address)))
    }

    /// The names of the children of `path` (the next segment of every key below
    /// `path/`), sorted; none when there is no such key.
    pub(super) async fn children(&self, path: &str) -> Result<Vec<String>, CliError> {
        let prefix = if path.ends_with('/') {
            path.to_owned()
        } else {
            format!("{path}/")
        };
        let resp = self
            .get(
                &prefix,
                Some(GetOptions::new().with_prefix().with_keys_only()),
            )
            .await?;
        let names: BTreeSet<String> = resp
            .kvs()
            .iter()
            .filter_map(|kv| std::str::from_utf8(kv.key()).ok())
            .filter_map(|k| k.strip_prefix(prefix.as_str()))
            .filter_map(|rest| rest.split('/').next())
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(names.into_iter().collect())
    }

    /// The value of `key`, `None` when it does not exist.
    pub(super) async fn value(&self, key: &str) -> Result<Option<Vec<u8>>, CliError> {
        let resp = self.get(key, None).await?;
        Ok(resp.kvs().first().map(|kv| kv.value().to_vec()))
    }

    /// Whether `path` is a key or has keys below it.
    pub(super) async fn exists(&self, path: &str) -> Result<bool, CliError> {
        if self.value(path).await?.is_some() {
            return Ok(true);
        }
        Ok(!self.children(path).await?.is_empty())
    }
}

fn no_answer(address: &str, timeout: Duration) -> CliError {
    CliError::connection(format!(
        "etcd {address}: no answer within {} ms",
        timeout.as_millis()
    ))
}
