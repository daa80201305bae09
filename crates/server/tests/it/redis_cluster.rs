//! A real three-primary Redis Cluster (`redis-cli --cluster create`): every refresh is served
//! whichever slot its session hashes to, the refresh-once rule stays atomic per session across
//! instances, and readiness refuses what requests could not use (a single-node URL pointing at a
//! cluster node, a cluster URL pointing at a plain node, a cluster with a primary down).

use std::time::Duration;

use actix_web::http::StatusCode;
use ccstore_core::RedisStore;
use ccstore_core::{ManualClock, RefreshAttempt, Rotation, SessionStore};
use futures_util::future::join_all;
use serde_json::Value;

use crate::redis::instance;
use crate::redis_faults::token_for;
use crate::redis_server::{RedisCluster, RedisServer, eventually};
use crate::support::{GRACE, NOW, access_token, post_with, send};

const REFRESH: &str = "/ccstore/v1/refresh";
const DEADLINE: Duration = Duration::from_millis(500);

#[actix_rt::test]
async fn every_refresh_works_on_a_three_primary_cluster_and_replays_are_caught_across_instances() {
    let cluster = RedisCluster::start();
    let clock = ManualClock::at(NOW);
    let (first, second) = (
        instance(cluster.url(), clock.clone()).await,
        instance(cluster.url(), clock.clone()).await,
    );
    for i in 0..30 {
        let token = token_for(&format!("cluster-shopper-{i}"));
        let (status, body) = send(&first, post_with(REFRESH, &token)).await;
        assert_eq!(status, StatusCode::OK, "session {i}: {body}");
        let (status, body) = send(&second, post_with(REFRESH, &access_token(&body))).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "session {i} on the other instance: {body}"
        );
    }
    let holding = cluster
        .nodes
        .iter()
        .filter(|node| node.cli(&["DBSIZE"]).trim() != "0")
        .count();
    assert!(
        holding >= 2,
        "sessions spread over the primaries: {holding}"
    );

    let stolen = token_for("cluster-victim");
    let (_, body) = send(&first, post_with(REFRESH, &stolen)).await;
    let (_, body) = send(&first, post_with(REFRESH, &access_token(&body))).await;
    let legitimate = access_token(&body);
    clock.advance(GRACE + 1);
    let (status, body) = send(&second, post_with(REFRESH, &stolen)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = send(&first, post_with("/ccstore/v1/verify", &legitimate)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "revoked on every instance"
    );
}

#[actix_rt::test]
async fn racing_refreshes_of_one_token_on_a_cluster_have_exactly_one_winner() {
    let cluster = RedisCluster::start();
    let stores = [
        RedisStore::new(&cluster.url(), DEADLINE).unwrap(),
        RedisStore::new(&cluster.url(), DEADLINE).unwrap(),
    ];
    let successors: Vec<String> = (0..20).map(|i| format!("successor-{i}")).collect();
    let outcomes = join_all(successors.iter().enumerate().map(|(i, successor)| {
        stores[i % 2].rotate(RefreshAttempt {
            sid: "cluster-race",
            token_id: "raced",
            successor_id: successor,
            now: NOW,
            grace: 0,
            successor_expires: NOW + 900,
            token_expires: NOW + 900,
            keep_for: 900,
        })
    }))
    .await;
    let rotated = outcomes
        .iter()
        .filter(|outcome| **outcome == Ok(Rotation::Rotated))
        .count();
    assert_eq!(rotated, 1, "{outcomes:?}");
}

async fn readiness(url: &str) -> (StatusCode, Value) {
    crate::redis_records::readiness(RedisStore::new(url, DEADLINE).unwrap()).await
}

#[actix_rt::test]
async fn readiness_refuses_a_misrouted_url_and_a_cluster_with_a_primary_down() {
    let mut cluster = RedisCluster::start();
    let (status, body) = readiness(&cluster.url()).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let single = format!("redis://127.0.0.1:{}/", cluster.nodes[1].port());
    let (status, body) = readiness(&single).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["devMessage"]
            .as_str()
            .unwrap()
            .contains("cluster mode"),
        "{body}"
    );

    let plain = RedisServer::start();
    let (status, body) = readiness(&format!("redis+cluster://127.0.0.1:{}/", plain.port())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

    cluster.nodes[2].stop();
    eventually(
        Duration::from_secs(20),
        "not ready with a primary down",
        || async {
            (readiness(&cluster.url()).await.0 == StatusCode::SERVICE_UNAVAILABLE).then_some(())
        },
    )
    .await;
}
