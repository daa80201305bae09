//! Redis faults that lose an answer after Redis did the work: a stalled server (SIGSTOP) that
//! runs the refresh script once it is continued, after ccstore answered 503, and the same
//! followed by a restart on its append-only file. Clients that keep their token after the 503,
//! as OCC clients do, and retry much later than the grace window must all end with a valid token
//! of the same session, never a 401.

use std::time::Duration;

use actix_web::http::StatusCode;
use ccstore_core::ManualClock;
use futures_util::future::join_all;
use serde_json::json;

use crate::redis::instance;
use crate::redis_server::{RedisServer, eventually, wait_until};
use crate::support::{
    GRACE, KEY, NOW, TestApp, access_token, claims_of, post_with, send, shopper_claims, sign_with,
};

const REFRESH: &str = "/ccstore/v1/refresh";
const VERIFY: &str = "/ccstore/v1/verify";

/// A token of its own session for shopper `sub`.
pub(crate) fn token_for(sub: &str) -> String {
    let mut claims = shopper_claims();
    claims["sub"] = json!(sub);
    sign_with(&json!({"alg": "HS256", "typ": "JWT"}), &claims, KEY)
}

/// Keys in the server's database.
fn keys(redis: &RedisServer) -> usize {
    redis.cli(&["DBSIZE"]).trim().parse().unwrap_or(0)
}

/// Refreshes `clients` while `redis` is stopped (each answered 503), continues it, and waits
/// until it has run every refresh it had been sent: the answers are lost, the work is done.
async fn refresh_into_a_stall<S, B>(app: &S, redis: &RedisServer, clients: &[String])
where
    S: TestApp<B>,
    B: actix_web::body::MessageBody,
{
    // Connected, and the script loaded, before the stall.
    let (status, body) = send(app, post_with(REFRESH, &token_for("warm-up"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let before = keys(redis);

    redis.signal("STOP");
    let answers = join_all(
        clients
            .iter()
            .map(|token| send(app, post_with(REFRESH, token))),
    )
    .await;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    }
    redis.signal("CONT");
    wait_until(
        Duration::from_secs(10),
        "Redis runs the stalled scripts",
        || keys(redis) == before + clients.len(),
    );
}

#[actix_rt::test]
async fn refreshes_that_time_out_in_a_stall_and_then_run_leave_every_client_able_to_refresh() {
    let redis = RedisServer::start();
    let clock = ManualClock::at(NOW);
    let app = instance(redis.url(), clock.clone()).await;
    let shoppers: Vec<String> = (0..10).map(|i| format!("shopper-{i}")).collect();
    let clients: Vec<String> = shoppers.iter().map(|sub| token_for(sub)).collect();
    refresh_into_a_stall(&app, &redis, &clients).await;

    // Much later than the grace window (the 31 s and 35 s, and more).
    clock.advance(GRACE + 300);
    for (sub, token) in shoppers.iter().zip(&clients) {
        let (status, body) = send(&app, post_with(REFRESH, token)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a retry after a lost answer: {body}"
        );
        let successor = access_token(&body);
        assert_eq!(claims_of(&successor)["sub"], json!(sub), "the same shopper");
        let (status, body) = send(&app, post_with(REFRESH, &successor)).await;
        assert_eq!(status, StatusCode::OK, "the chain goes on: {body}");
        let (status, _) = send(&app, post_with(VERIFY, &access_token(&body))).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[actix_rt::test]
async fn a_lost_answer_survives_a_restart_on_the_append_only_file_and_the_retry_succeeds() {
    let mut redis = RedisServer::start_with(&[
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ]);
    let clock = ManualClock::at(NOW);
    let app = instance(redis.url(), clock.clone()).await;
    let token = token_for("restarted");
    refresh_into_a_stall(&app, &redis, std::slice::from_ref(&token)).await;
    let recorded = keys(&redis);

    redis.stop();
    redis.restart();
    assert_eq!(
        keys(&redis),
        recorded,
        "the append-only file kept every record"
    );
    clock.advance(GRACE + 60);
    // The connection comes back by itself; until it does, answers are 503, never 401.
    let body = eventually(Duration::from_secs(15), "recovery", || async {
        let (status, body) = send(&app, post_with(REFRESH, &token)).await;
        if status == StatusCode::OK {
            return Some(body);
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        None
    })
    .await;
    let (status, body) = send(&app, post_with(REFRESH, &access_token(&body))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
