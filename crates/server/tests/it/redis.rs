//! Two instances sharing one real Redis: logout and replay detection across instances, the atomic
//! refresh-once rule, and 503 while Redis is down, recovering when it returns. The suite starts
//! its own `redis-server` on a free port (`redis_server.rs`). It never skips.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test;
use ccstore_core::{ManualClock, RefreshAttempt, Rotation, SessionStore};
use ccstore_core::{RedisStore, Store};
use ccstore_server::build_app;
use futures_util::future::join_all;
use serde_json::Value;

use crate::metrics::{sample, scrape};
use crate::redis_server::{RedisServer, eventually};
use crate::support::{
    GRACE, NOW, access_token, header, policy, post_with, send, shopper_token, state_with,
};

const DEADLINE: Duration = Duration::from_millis(300);

/// A refresh of `token_id` in the raced session, one second later, without a grace window.
fn late_attempt(token_id: &str) -> RefreshAttempt<'_> {
    RefreshAttempt {
        sid: "race-session",
        token_id,
        successor_id: "late",
        now: NOW + 1,
        grace: 0,
        successor_expires: NOW + 901,
        token_expires: NOW + 900,
        keep_for: 900,
    }
}

fn redis_store(redis: &RedisServer) -> RedisStore {
    RedisStore::new(&redis.url(), DEADLINE).unwrap()
}

/// An application instance with its own connection to `redis`.
pub(crate) async fn instance(
    redis_url: String,
    clock: ManualClock,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    let store = RedisStore::new(&redis_url, DEADLINE).unwrap();
    let state = state_with(Store::Redis(store), policy(), &clock);
    test::init_service(build_app(state)).await
}

#[actix_rt::test]
async fn logout_on_one_instance_is_a_401_on_the_other() {
    let redis = RedisServer::start();
    let clock = ManualClock::at(NOW);
    let (first, second) = (
        instance(redis.url(), clock.clone()).await,
        instance(redis.url(), clock.clone()).await,
    );
    let (_, body) = send(&first, post_with("/ccstore/v1/refresh", &shopper_token())).await;
    let token = access_token(&body);
    let (status, _) = send(&second, post_with("/ccstore/v1/verify", &token)).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = send(&first, post_with("/ccstore/v1/logout", &token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for path in [
        "/ccstore/v1/verify",
        "/ccstore/v1/refresh",
        "/ccstore/v1/logout",
    ] {
        let (status, body) = send(&second, post_with(path, &token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["devMessage"], "the session has ended");
    }
}

#[actix_rt::test]
async fn a_replay_on_another_instance_is_detected_and_revokes_the_session_on_both() {
    let redis = RedisServer::start();
    let clock = ManualClock::at(NOW);
    let (first, second) = (
        instance(redis.url(), clock.clone()).await,
        instance(redis.url(), clock.clone()).await,
    );
    let stolen = shopper_token();
    let (_, body) = send(&first, post_with("/ccstore/v1/refresh", &stolen)).await;
    let (_, body) = send(
        &first,
        post_with("/ccstore/v1/refresh", &access_token(&body)),
    )
    .await;
    let legitimate = access_token(&body);

    clock.advance(GRACE);
    let (status, _) = send(&second, post_with("/ccstore/v1/refresh", &stolen)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "within the grace window on the other instance"
    );

    clock.advance(1);
    let (status, body) = send(&second, post_with("/ccstore/v1/refresh", &stolen)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["devMessage"]
            .as_str()
            .unwrap()
            .contains("already refreshed"),
        "{body}"
    );
    let (status, _) = send(&first, post_with("/ccstore/v1/refresh", &legitimate)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the session is revoked everywhere"
    );
}

#[actix_rt::test]
async fn racing_refreshes_of_one_token_from_two_connections_have_exactly_one_winner() {
    let redis = RedisServer::start();
    let (first, second) = (redis_store(&redis), redis_store(&redis));
    let successors: Vec<String> = (0..20).map(|i| format!("successor-{i}")).collect();
    let attempts = successors.iter().enumerate().map(|(i, successor)| {
        let store = if i % 2 == 0 { &first } else { &second };
        store.rotate(RefreshAttempt {
            sid: "race-session",
            token_id: "race-token",
            successor_id: successor,
            now: NOW,
            grace: 0,
            successor_expires: NOW + 900,
            token_expires: NOW + 900,
            keep_for: 900,
        })
    });
    let outcomes = join_all(attempts).await;
    let rotated = outcomes
        .iter()
        .filter(|outcome| **outcome == Ok(Rotation::Rotated))
        .count();
    assert_eq!(rotated, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|outcome| matches!(outcome, Ok(Rotation::Rotated | Rotation::WithinGrace)))
    );

    // One of the successors still recorded (the newest few) is used: the session moved on past
    // the raced token.
    let mut used = false;
    for successor in &successors {
        let attempt = RefreshAttempt {
            token_id: successor,
            successor_id: "next",
            ..late_attempt("race-token")
        };
        if first.rotate(attempt).await == Ok(Rotation::Rotated) {
            used = true;
            break;
        }
    }
    assert!(used, "a successor of the raced token can be refreshed");
    assert_eq!(
        first.rotate(late_attempt("race-token")).await,
        Ok(Rotation::Replayed),
        "after the grace window"
    );
}

#[actix_rt::test]
async fn a_session_is_one_hash_whose_life_and_revocation_are_never_shortened() {
    let redis = RedisServer::start();
    let store = redis_store(&redis);
    store.revoke("expiring", NOW, 600).await.unwrap();
    store.revoke("expiring", NOW, 1).await.unwrap();
    assert!(store.is_revoked("expiring", NOW + 599).await.unwrap());
    assert!(!store.is_revoked("expiring", NOW + 600).await.unwrap());
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("TTL")
        .arg("ccstore:{expiring}")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(ttl > 500, "TTL {ttl}");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(
        keys,
        ["ccstore:{expiring}"],
        "one key per session, no token stored"
    );
}

#[actix_rt::test]
async fn redis_down_is_a_prompt_503_with_retry_after_and_service_resumes_when_it_returns() {
    let mut redis = RedisServer::start();
    let clock = ManualClock::at(NOW);
    let app = instance(redis.url(), clock.clone()).await;
    let (status, _) = send(&app, post_with("/ccstore/v1/verify", &shopper_token())).await;
    assert_eq!(status, StatusCode::OK);

    redis.stop();
    for path in [
        "/ccstore/v1/refresh",
        "/ccstore/v1/verify",
        "/ccstore/v1/logout",
    ] {
        let started = Instant::now();
        let response = test::call_service(&app, post_with(path, &shopper_token())).await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path} hung for {:?}",
            started.elapsed()
        );
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(header(&response, "retry-after"), "1");
        let body: Value = test::read_body_json(response).await;
        crate::support::assert_error_model(&body, 503);
    }
    // One failed store call per request, each counted as an error or a timeout, and each
    // request's token counted as unchecked.
    let text = scrape(&app).await;
    let failures = sample(&text, "ccstore_store_errors_total", &[("kind", "error")])
        + sample(&text, "ccstore_store_errors_total", &[("kind", "timeout")]);
    assert_eq!(failures, 3, "{text}");
    assert_eq!(
        sample(
            &text,
            "ccstore_rejected_tokens_total",
            &[("reason", "store_unavailable")]
        ),
        3
    );

    redis.restart();
    eventually(
        Duration::from_secs(15),
        "recovery after Redis returned",
        || async {
            let (status, body) =
                send(&app, post_with("/ccstore/v1/refresh", &shopper_token())).await;
            if status == StatusCode::OK {
                return Some(());
            }
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            None
        },
    )
    .await;
}

#[actix_rt::test]
async fn ready_follows_redis_down_and_back_within_the_store_timeout() {
    let mut redis = RedisServer::start();
    let app = instance(redis.url(), ManualClock::at(NOW)).await;
    let ready = || test::TestRequest::get().uri("/health/ready").to_request();
    let (status, body) = send(&app, ready()).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    redis.stop();
    let started = Instant::now();
    let response = test::call_service(&app, ready()).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the probe hung for {:?}",
        started.elapsed()
    );
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = test::read_body_json(response).await;
    crate::support::assert_error_model(&body, 503);
    assert_eq!(body["devMessage"], "the session store is unreachable");
    let (status, _) = send(
        &app,
        test::TestRequest::get().uri("/health/live").to_request(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "liveness does not depend on Redis");

    redis.restart();
    eventually(
        Duration::from_secs(15),
        "ready again after Redis returned",
        || async { (send(&app, ready()).await.0 == StatusCode::OK).then_some(()) },
    )
    .await;
}
