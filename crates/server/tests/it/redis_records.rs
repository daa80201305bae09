//! How long a session's record lives in Redis, and what may take it away: it covers the latest
//! `exp` seen in the session (a logout of the newest token refuses an older, longer-lived one
//! for its whole life; a refreshed ancestor is still a replay), a far-future `exp` is clamped
//! (a TTL, never a 503), an evicting `maxmemory-policy` keeps the instance unready unless the
//! operator accepts the risk, and a full Redis under `noeviction` answers 503, never a 401.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test;
use ccstore_core::ManualClock;
use ccstore_core::{RedisOptions, RedisStore, Store};
use ccstore_server::build_app;
use serde_json::{Value, json};

use crate::redis::instance;
use crate::redis_server::RedisServer;
use crate::support::{
    KEY, NOW, SESSION_MAX, TTL, access_token, claims_of, policy, post_with, send, shopper_claims,
    sign_with, state_with,
};

const REFRESH: &str = "/ccstore/v1/refresh";
const VERIFY: &str = "/ccstore/v1/verify";
const LOGOUT: &str = "/ccstore/v1/logout";

/// A login token minted elsewhere that lives `life` seconds, in session `sid`.
fn login_token(sid: &str, life: u64) -> String {
    let mut claims = shopper_claims();
    claims["exp"] = json!(NOW + life);
    claims["sid"] = json!(sid);
    claims["jti"] = json!(format!("{sid}-login"));
    sign_with(&json!({"alg": "HS256", "typ": "JWT"}), &claims, KEY)
}

fn ttl_of(redis: &RedisServer, sid: &str) -> i64 {
    redis
        .cli(&["TTL", &format!("ccstore:{{{sid}}}")])
        .trim()
        .parse()
        .unwrap()
}

#[actix_rt::test]
async fn a_logout_of_the_newest_token_refuses_an_older_longer_lived_one_for_its_whole_life() {
    let redis = RedisServer::start();
    let clock = ManualClock::at(NOW);
    let app = instance(redis.url(), clock.clone()).await;
    let life = 6 * 3600;
    let login = login_token("long-lived", life);
    let (_, body) = send(&app, post_with(REFRESH, &login)).await;
    let newest = access_token(&body);
    let (status, body) = send(&app, post_with(LOGOUT, &newest)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for later in [2 * TTL, life - 1] {
        clock.set(NOW + later);
        for path in [VERIFY, REFRESH, LOGOUT] {
            let (status, body) = send(&app, post_with(path, &login)).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{path} at +{later} s: {body}"
            );
            assert_eq!(body["devMessage"], "the session has ended");
        }
    }
    let ttl = ttl_of(&redis, "long-lived");
    assert!(
        ttl > i64::try_from(life).unwrap() - 60,
        "kept for the login token's life: {ttl}"
    );
}

#[actix_rt::test]
async fn a_refreshed_ancestor_replayed_after_its_descendants_expired_is_still_a_replay() {
    let redis = RedisServer::start();
    let clock = ManualClock::at(NOW);
    let app = instance(redis.url(), clock.clone()).await;
    let login = login_token("ancestor", 6 * 3600);
    let (_, body) = send(&app, post_with(REFRESH, &login)).await;
    let (_, body) = send(&app, post_with(REFRESH, &access_token(&body))).await;
    let newest = access_token(&body);

    clock.advance(3 * TTL);
    let (status, body) = send(&app, post_with(VERIFY, &newest)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the descendants expired: {body}"
    );
    let (status, body) = send(&app, post_with(REFRESH, &login)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["devMessage"]
            .as_str()
            .unwrap()
            .contains("already refreshed"),
        "{body}"
    );
}

#[actix_rt::test]
async fn a_far_future_exp_is_clamped_to_the_session_lifetime_never_a_503_or_a_key_without_ttl() {
    let redis = RedisServer::start();
    let clock = ManualClock::at(NOW);
    let app = instance(redis.url(), clock.clone()).await;
    let mut claims = shopper_claims();
    claims["exp"] = json!(9_300_000_000_000_000_u64);
    claims["sid"] = json!("far-future");
    let token = sign_with(&json!({"alg": "HS256", "typ": "JWT"}), &claims, KEY);
    let (status, body) = send(&app, post_with(REFRESH, &token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(claims_of(&access_token(&body))["exp"].as_u64().unwrap() <= NOW + SESSION_MAX);
    let ttl = ttl_of(&redis, "far-future");
    assert!(
        ttl > 0 && ttl <= i64::try_from(SESSION_MAX).unwrap(),
        "a TTL within the session lifetime: {ttl}"
    );
    let (status, body) = send(&app, post_with(LOGOUT, &token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ttl = ttl_of(&redis, "far-future");
    assert!(
        ttl > 0 && ttl <= i64::try_from(SESSION_MAX).unwrap(),
        "{ttl}"
    );
}

/// `/health/ready` of an instance on `store`: status and body.
pub(crate) async fn readiness(store: RedisStore) -> (StatusCode, Value) {
    let clock = ManualClock::at(NOW);
    let app =
        test::init_service(build_app(state_with(Store::Redis(store), policy(), &clock))).await;
    send(
        &app,
        test::TestRequest::get().uri("/health/ready").to_request(),
    )
    .await
}

#[actix_rt::test]
async fn an_evicting_policy_keeps_the_instance_unready_unless_the_risk_is_accepted() {
    let redis = RedisServer::start_with(&[
        "--save",
        "",
        "--appendonly",
        "no",
        "--maxmemory",
        "64mb",
        "--maxmemory-policy",
        "volatile-lru",
    ]);
    let deadline = Duration::from_millis(500);
    let (status, body) = readiness(RedisStore::new(&redis.url(), deadline).unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["devMessage"].as_str().unwrap().contains("noeviction"),
        "{body}"
    );

    let accepting = RedisOptions {
        accept_eviction: true,
        ..RedisOptions::default()
    };
    let store = RedisStore::with_options(&redis.url(), deadline, accepting).unwrap();
    assert_eq!(
        readiness(store).await.0,
        StatusCode::OK,
        "the operator accepted the risk"
    );

    redis.cli(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    let (status, body) = readiness(RedisStore::new(&redis.url(), deadline).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[actix_rt::test]
async fn a_full_redis_under_noeviction_answers_503_to_new_writes_and_logs_nobody_out() {
    let redis = RedisServer::start_with(&[
        "--save",
        "",
        "--appendonly",
        "no",
        "--maxmemory-policy",
        "noeviction",
    ]);
    let clock = ManualClock::at(NOW);
    let app = instance(redis.url(), clock.clone()).await;
    let (_, body) = send(&app, post_with(REFRESH, &login_token("known", 900))).await;
    let known = access_token(&body);
    // A memory limit already exceeded: Redis refuses writes (OOM) and evicts nothing.
    assert_eq!(redis.cli(&["CONFIG", "SET", "maxmemory", "1"]).trim(), "OK");

    let (status, body) = send(&app, post_with(REFRESH, &login_token("new", 900))).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "a new session: {body}"
    );
    let (status, body) = send(&app, post_with(LOGOUT, &known)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "a logout: {body}");
    let (status, body) = send(&app, post_with(VERIFY, &known)).await;
    assert_eq!(status, StatusCode::OK, "reads still work: {body}");
    // Redis lets a script that has already written go on, so a known session's refresh may
    // still succeed; either way it is never a 401.
    let (status, body) = send(&app, post_with(REFRESH, &known)).await;
    assert_ne!(status, StatusCode::UNAUTHORIZED, "{body}");
    let known = if status == StatusCode::OK {
        access_token(&body)
    } else {
        known
    };

    assert_eq!(redis.cli(&["CONFIG", "SET", "maxmemory", "0"]).trim(), "OK");
    clock.advance(120);
    let (status, body) = send(&app, post_with(REFRESH, &known)).await;
    assert_eq!(status, StatusCode::OK, "nobody was logged out: {body}");
    let (status, body) = send(&app, post_with(REFRESH, &login_token("new", 900))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
