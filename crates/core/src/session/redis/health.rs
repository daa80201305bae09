//! What readiness asks Redis, beyond "does it answer": that requests will be routed where their
//! keys live (a single-node URL must not point at a cluster node, which answers `MOVED` for two
//! keys in three; a cluster must be `cluster_state:ok` on every primary, each of which answers),
//! and that Redis will not evict a session's record, which would undo a logout or forget a
//! refresh. Read from `INFO` (which managed services allow, unlike `CONFIG`).

use redis::Value;
use redis::cluster_routing::{MultipleNodeRoutingInfo, ResponsePolicy, RoutingInfo};

use super::connection::Connection;
use crate::session::StoreUnready;

/// One node's `INFO` fields that matter here.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct NodeInfo {
    /// `maxmemory-policy`.
    pub(super) policy: String,
    /// `maxmemory` in bytes (0: no limit, so nothing is ever evicted).
    pub(super) maxmemory: u64,
    /// Whether the node runs in cluster mode.
    pub(super) cluster_enabled: bool,
    /// `cluster_state:ok` (only with `CLUSTER INFO`).
    pub(super) cluster_ok: bool,
}

impl NodeInfo {
    /// Reads `INFO` (or `CLUSTER INFO`) text.
    pub(super) fn read(text: &str, into: &mut Self) {
        for line in text.lines() {
            let Some((name, value)) = line.trim_end().split_once(':') else {
                continue;
            };
            match name {
                "maxmemory_policy" => value.clone_into(&mut into.policy),
                "maxmemory" => into.maxmemory = value.parse().unwrap_or(u64::MAX),
                "cluster_enabled" => into.cluster_enabled = value == "1",
                "cluster_state" => into.cluster_ok = value == "ok",
                _ => {}
            }
        }
    }

    /// Whether Redis may evict keys: any policy but `noeviction`, once a memory limit is set.
    pub(super) fn may_evict(&self) -> bool {
        self.maxmemory != 0 && self.policy != "noeviction"
    }
}

/// Text of a reply, if it is text.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::SimpleString(text) | Value::VerbatimString { text, .. } => Some(text.clone()),
        _ => None,
    }
}

/// The `INFO` of the node, or of every primary of the cluster, with `CLUSTER INFO` for a
/// cluster; any primary that fails to answer makes the cluster unready.
pub(super) async fn nodes(connection: &mut Connection) -> Result<Vec<NodeInfo>, StoreUnready> {
    match connection {
        Connection::Node(node) => {
            let info: String = redis::cmd("INFO")
                .query_async(node)
                .await
                .map_err(|_| StoreUnready::Unreachable)?;
            let mut node = NodeInfo::default();
            NodeInfo::read(&info, &mut node);
            Ok(vec![node])
        }
        Connection::Cluster(cluster) => {
            let all = || {
                RoutingInfo::MultiNode((
                    MultipleNodeRoutingInfo::AllMasters,
                    None::<ResponsePolicy>,
                ))
            };
            let infos = cluster
                .route_command(redis::cmd("INFO"), all())
                .await
                .map_err(|_| StoreUnready::ClusterDown)?;
            let states = cluster
                .route_command(redis::cmd("CLUSTER").arg("INFO").clone(), all())
                .await
                .map_err(|_| StoreUnready::ClusterDown)?;
            let (Value::Map(infos), Value::Map(states)) = (infos, states) else {
                return Err(StoreUnready::ClusterDown);
            };
            let mut nodes = Vec::with_capacity(infos.len());
            for (address, info) in &infos {
                let mut node = NodeInfo::default();
                NodeInfo::read(&text(info).ok_or(StoreUnready::ClusterDown)?, &mut node);
                let state = states
                    .iter()
                    .find(|(other, _)| other == address)
                    .and_then(|(_, state)| text(state))
                    .ok_or(StoreUnready::ClusterDown)?;
                NodeInfo::read(&state, &mut node);
                nodes.push(node);
            }
            Ok(nodes)
        }
    }
}

/// Ready, or why not, from what the nodes said.
pub(super) fn judge(
    nodes: &[NodeInfo],
    cluster: bool,
    accept_eviction: bool,
) -> Result<(), StoreUnready> {
    if nodes.is_empty() {
        return Err(StoreUnready::ClusterDown);
    }
    for node in nodes {
        if cluster && !node.cluster_enabled {
            return Err(StoreUnready::NotACluster);
        }
        if cluster && !node.cluster_ok {
            return Err(StoreUnready::ClusterDown);
        }
        if !cluster && node.cluster_enabled {
            return Err(StoreUnready::ClusterNodeAsSingle);
        }
        if node.may_evict() && !accept_eviction {
            return Err(StoreUnready::Evicting);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(text: &str) -> NodeInfo {
        let mut node = NodeInfo::default();
        NodeInfo::read(text, &mut node);
        node
    }

    #[test]
    fn an_evicting_policy_with_a_memory_limit_is_unready_unless_accepted() {
        let lru = node("# Memory\r\nmaxmemory:104857600\r\nmaxmemory_policy:volatile-lru\r\n");
        assert_eq!(
            judge(std::slice::from_ref(&lru), false, false),
            Err(StoreUnready::Evicting)
        );
        assert_eq!(judge(&[lru], false, true), Ok(()));
        let safe = node("maxmemory:104857600\r\nmaxmemory_policy:noeviction\r\n");
        assert_eq!(judge(&[safe], false, false), Ok(()));
        let unlimited = node("maxmemory:0\r\nmaxmemory_policy:allkeys-lru\r\n");
        assert_eq!(judge(&[unlimited], false, false), Ok(()));
    }

    #[test]
    fn a_node_in_the_wrong_mode_or_a_failing_cluster_is_unready() {
        let standalone = node("maxmemory:0\r\ncluster_enabled:0\r\n");
        let member = node("maxmemory:0\r\ncluster_enabled:1\r\ncluster_state:ok\r\n");
        let failing = node("maxmemory:0\r\ncluster_enabled:1\r\ncluster_state:fail\r\n");
        assert_eq!(
            judge(std::slice::from_ref(&member), false, false),
            Err(StoreUnready::ClusterNodeAsSingle)
        );
        assert_eq!(
            judge(&[standalone], true, false),
            Err(StoreUnready::NotACluster)
        );
        assert_eq!(
            judge(&[member.clone(), failing], true, false),
            Err(StoreUnready::ClusterDown)
        );
        assert_eq!(judge(&[member], true, false), Ok(()));
    }
}
