//! How `CCSTORE_REDIS_URL` becomes connections: one node (a reconnecting multiplexed
//! connection) or a Redis Cluster (the `redis` crate's cluster client, which follows `MOVED` and
//! `ASK` and keeps the slot map current), over TCP or TLS. Both connect lazily, so the server
//! starts, and answers 503, while Redis is down.
//!
//! URL forms: `redis://` and `rediss://` (TLS) name one node; `redis+cluster://` and
//! `rediss+cluster://` name a cluster through one or more seed nodes, comma-separated
//! (`redis+cluster://:pw@10.0.0.1:6379,redis+cluster://:pw@10.0.0.2:6379`, or a managed
//! service's configuration endpoint); a comma-separated list of plain URLs is a cluster too.

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::{Client, Cmd, Pipeline, RedisFuture, RedisResult, TlsCertificates, Value};

/// What `CCSTORE_REDIS_URL` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// One node.
    Node(String),
    /// A cluster, through these seed nodes.
    Cluster(Vec<String>),
}

impl Target {
    /// Reads `url` (see the module doc).
    pub(super) fn parse(url: &str) -> Self {
        let urls: Vec<&str> = url
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect();
        let marked = urls.iter().any(|url| cluster_scheme(url).is_some());
        let plain = |url: &&str| cluster_scheme(url).unwrap_or_else(|| (*url).to_owned());
        match urls.as_slice() {
            [one] if !marked => Self::Node((*one).to_owned()),
            _ => Self::Cluster(urls.iter().map(plain).collect()),
        }
    }

    /// Whether this is a cluster.
    pub(super) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

/// `url` with `+cluster` taken out of its scheme, if it has it.
fn cluster_scheme(url: &str) -> Option<String> {
    ["redis", "rediss", "valkey", "valkeys"]
        .into_iter()
        .find_map(|scheme| {
            url.strip_prefix(scheme)
                .and_then(|rest| rest.strip_prefix("+cluster://"))
                .map(|rest| format!("{scheme}://{rest}"))
        })
}

/// A connection to one node or to a cluster; both multiplex every request over few sockets.
#[derive(Clone)]
pub(super) enum Connection {
    /// One node.
    Node(ConnectionManager),
    /// A cluster.
    Cluster(ClusterConnection),
}

/// What makes a [`Connection`]: the parsed URL, TLS roots and timeouts, checked once at start.
/// A connection's driver task runs on the runtime that opened it, so each worker thread opens
/// its own: a request then never wakes another thread (measured: sharing one connection across
/// threads cost two cross-thread wake-ups and context switches per round trip).
#[derive(Clone)]
pub(super) enum Connector {
    /// One node.
    Node(Client, ConnectionManagerConfig),
    /// A cluster.
    Cluster(ClusterClient, ClusterConfig),
}

impl Connector {
    /// Reads `target`, each call of its connections bounded by `deadline`; `ca` is a PEM bundle
    /// to trust instead of the system's roots for `rediss://`.
    pub(super) fn new(
        target: &Target,
        deadline: Duration,
        ca: Option<Vec<u8>>,
    ) -> RedisResult<Self> {
        let certificates = ca.map(|root_cert| TlsCertificates {
            client_tls: None,
            root_cert: Some(root_cert),
        });
        match target {
            Target::Node(url) => {
                let client = match certificates {
                    Some(certificates) => Client::build_with_tls(url.as_str(), certificates)?,
                    None => Client::open(url.as_str())?,
                };
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(deadline))
                    .set_response_timeout(Some(deadline))
                    .set_number_of_retries(1)
                    .set_max_delay(deadline);
                Ok(Self::Node(client, config))
            }
            Target::Cluster(urls) => {
                let mut builder = ClusterClient::builder(urls.iter().map(String::as_str))
                    .connection_timeout(deadline)
                    .response_timeout(deadline)
                    .retries(2);
                if let Some(certificates) = certificates {
                    builder = builder.certs(certificates);
                }
                let config = ClusterConfig::new()
                    .set_connection_timeout(deadline)
                    .set_response_timeout(deadline);
                Ok(Self::Cluster(builder.build()?, config))
            }
        }
    }

    /// A lazy connection, driven by the current thread's runtime (so it must run inside one).
    pub(super) fn connect(&self) -> RedisResult<Connection> {
        Ok(match self {
            Self::Node(client, config) => Connection::Node(
                ConnectionManager::new_lazy_with_config(client.clone(), config.clone())?,
            ),
            Self::Cluster(client, config) => {
                Connection::Cluster(client.get_pending_async_connection_with_config(config.clone()))
            }
        })
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Node(connection) => connection.req_packed_command(cmd),
            Self::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Node(connection) => connection.req_packed_commands(cmd, offset, count),
            Self::Cluster(connection) => connection.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Node(connection) => connection.get_db(),
            Self::Cluster(connection) => connection.get_db(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_plain_url_is_a_node_and_a_cluster_scheme_or_a_list_is_a_cluster() {
        assert_eq!(
            Target::parse("rediss://:pw@cache:6380/0"),
            Target::Node("rediss://:pw@cache:6380/0".to_owned())
        );
        assert_eq!(
            Target::parse("redis+cluster://:pw@a:7000"),
            Target::Cluster(vec!["redis://:pw@a:7000".to_owned()])
        );
        assert_eq!(
            Target::parse("rediss+cluster://a:7000, rediss+cluster://b:7000"),
            Target::Cluster(vec![
                "rediss://a:7000".to_owned(),
                "rediss://b:7000".to_owned()
            ])
        );
        assert_eq!(
            Target::parse("redis://a:7000,redis://b:7000"),
            Target::Cluster(vec![
                "redis://a:7000".to_owned(),
                "redis://b:7000".to_owned()
            ])
        );
    }
}
