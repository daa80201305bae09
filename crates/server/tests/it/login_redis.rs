//! Login throttling across instances: two application instances on one real Redis share each
//! account's failed logins and used passcodes, so a lock made through one holds on the other, a
//! success through one resets the count on both, an unknown name is answered exactly as a known
//! one, and with Redis down a password login fails closed (503 with `Retry-After`), never 200.
//! The records are keyed by a digest, never a username, expire by themselves, and on a Redis
//! Cluster each lives in its own slot.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test;
use ccstore_core::{
    AccountKey, Families, ManualClock, NewUser, RedisStore, ReuseDetection, Store, ThrottleRule,
    Totp,
};
use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::families::login;
use crate::redis_server::{RedisCluster, RedisServer, eventually};
use crate::support::{
    GRACE, NOW, TestApp, assert_error_model, header, policy, send, throttled_state,
};

const SHOPPER: &str = "shopper@example.com";
const ADMIN: &str = "ops";
const PASSWORD: &str = "correct horse battery staple";
const RULE: ThrottleRule = ThrottleRule {
    max_failures: 3,
    lockout: 60,
};

/// A TOTP secret of the admin user (160 bits, base32).
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// A users file with a shopper, and an admin user who needs a passcode.
fn users() -> String {
    let families = Families::default();
    let password = SecretString::from(PASSWORD);
    let secret = SecretString::from(TOTP_SECRET);
    let line = |username, family, totp_secret| {
        NewUser {
            username,
            family: families.get(family).unwrap(),
            sub: username,
            claims: Map::new(),
            totp_secret,
        }
        .line(&password)
        .unwrap()
    };
    format!(
        "{}\n{}\n",
        line(SHOPPER, "store", None),
        line(ADMIN, "admin", Some(&secret))
    )
}

/// An instance with its own connection to the Redis at `redis_url`, on `clock`.
async fn instance(
    redis_url: String,
    clock: &ManualClock,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    let store = RedisStore::new(&redis_url, Duration::from_millis(300)).unwrap();
    let state = throttled_state(
        Store::Redis(store),
        &policy(),
        ReuseDetection::On { grace: GRACE },
        clock,
        (&users(), ""),
        RULE,
    );
    test::init_service(ccstore_server::build_app(state)).await
}

fn shopper_login(username: &str, password: &str) -> actix_http::Request {
    let password = password.replace(' ', "+");
    login(
        "/ccstore/v1/login",
        &format!("grant_type=password&username={username}&password={password}"),
    )
    .to_request()
}

/// The status, `Retry-After` (if any) and body of `request`'s answer.
async fn answer<S, B>(app: &S, request: actix_http::Request) -> (StatusCode, String, Value)
where
    S: TestApp<B>,
    B: actix_web::body::MessageBody,
{
    let response = test::call_service(app, request).await;
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, retry_after, test::read_body_json(response).await)
}

/// The Redis key of `username`'s record in `family`.
fn record_key(family: &str, username: &str) -> String {
    let families = Families::default();
    let key = AccountKey::new(families.get(family).unwrap(), username);
    format!("ccstore:login:{{{}}}", key.to_hex())
}

#[actix_rt::test]
async fn failures_on_one_instance_lock_the_account_on_the_other_known_or_not_alike() {
    let redis = RedisServer::start();
    let clock = ManualClock::at(NOW);
    let (first, second) = (
        instance(redis.url(), &clock).await,
        instance(redis.url(), &clock).await,
    );
    for username in [SHOPPER, "nobody@example.com"] {
        // Failures alternate between the instances: the count is one.
        for app in [&first, &second] {
            let (status, _) = send(app, shopper_login(username, "wrong password")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{username}");
        }
        let (status, _) = send(&first, shopper_login(username, PASSWORD)).await;
        let expected = if username == SHOPPER {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(
            status, expected,
            "{username}: not locked after two failures"
        );
    }
    // The shopper's success reset its count; the unknown name is at three failures: locked.
    for app in [&second, &first, &second] {
        let (status, _) = send(app, shopper_login(SHOPPER, "wrong password")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let known = answer(&first, shopper_login(SHOPPER, PASSWORD)).await;
    let unknown = answer(&second, shopper_login("nobody@example.com", PASSWORD)).await;
    assert_eq!(known.0, StatusCode::TOO_MANY_REQUESTS, "{:?}", known.2);
    assert_eq!(known.1, "60", "locked for the lockout");
    assert_eq!(
        known, unknown,
        "one answer, whether the account exists or not"
    );
    assert_eq!(known.2["error"], "invalid_grant");
    assert_error_model(&known.2, 429);
    let (status, _) = send(&second, shopper_login(SHOPPER, PASSWORD)).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked on the other one"
    );

    // A failure while locked does not extend the lock; when it lifts, the password works.
    clock.advance(59);
    let (status, retry_after, _) = answer(&first, shopper_login(SHOPPER, "wrong password")).await;
    assert_eq!(
        (status, retry_after.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "1")
    );
    clock.advance(1);
    let (status, body) = send(&second, shopper_login(SHOPPER, PASSWORD)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The statuses of the shopper's logins through `app` with each of `passwords` in turn.
async fn logins<S, B>(app: &S, passwords: &[&str]) -> Vec<StatusCode>
where
    S: TestApp<B>,
    B: actix_web::body::MessageBody,
{
    let mut statuses = Vec::new();
    for password in passwords {
        statuses.push(send(app, shopper_login(SHOPPER, password)).await.0);
    }
    statuses
}

#[actix_rt::test]
async fn a_success_on_one_instance_resets_the_count_on_the_other() {
    let redis = RedisServer::start();
    let clock = ManualClock::at(NOW);
    let (first, second) = (
        instance(redis.url(), &clock).await,
        instance(redis.url(), &clock).await,
    );
    let (wrong, ok, bad) = ("wrong password", StatusCode::OK, StatusCode::BAD_REQUEST);
    assert_eq!(logins(&first, &[wrong, wrong]).await, [bad, bad]);
    assert_eq!(logins(&second, &[PASSWORD]).await, [ok]);
    // Had the success not reset the count, the first of these would lock the account.
    assert_eq!(logins(&first, &[wrong, wrong]).await, [bad, bad]);
    assert_eq!(logins(&second, &[PASSWORD]).await, [ok]);
    // Failures further apart than the lockout are not consecutive.
    assert_eq!(logins(&first, &[wrong]).await, [bad]);
    clock.advance(61);
    assert_eq!(logins(&second, &[wrong, wrong]).await, [bad, bad]);
    assert_eq!(logins(&first, &[PASSWORD]).await, [ok]);
}

#[actix_rt::test]
async fn a_passcode_used_through_one_instance_is_refused_by_the_other() {
    let redis = RedisServer::start();
    let clock = ManualClock::at(NOW);
    let (first, second) = (
        instance(redis.url(), &clock).await,
        instance(redis.url(), &clock).await,
    );
    let code = Totp::from_base32(TOTP_SECRET).unwrap().code_at(NOW);
    let mfa = |code: &str| {
        login(
            "/ccadmin/v1/mfalogin",
            &format!(
                "grant_type=password&username={ADMIN}&password={}&totp_code={code}",
                PASSWORD.replace(' ', "+")
            ),
        )
        .to_request()
    };
    let (status, body) = send(&first, mfa(&code)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(&second, mfa(&code)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "used once: {body}");
    assert_eq!(body["error"], "invalid_grant");
    // The next step's passcode is a new one.
    clock.advance(30);
    let next = Totp::from_base32(TOTP_SECRET).unwrap().code_at(NOW + 30);
    assert_ne!(next, code);
    let (status, body) = send(&second, mfa(&next)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The step is remembered only while its passcode could be accepted.
    let ttl: i64 = redis
        .cli(&["TTL", &record_key("admin", ADMIN)])
        .trim()
        .parse()
        .unwrap();
    assert!((1..=90).contains(&ttl), "{ttl}");
}

#[actix_rt::test]
async fn records_are_keyed_by_digest_and_expire_by_themselves() {
    let redis = RedisServer::start();
    let clock = ManualClock::at(NOW);
    let app = instance(redis.url(), &clock).await;
    for username in [SHOPPER, "nobody@example.com"] {
        let (status, _) = send(&app, shopper_login(username, "wrong password")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let keys = redis.cli(&["--no-raw", "KEYS", "*"]);
    assert!(!keys.contains("example"), "a username in a key: {keys}");
    for username in [SHOPPER, "nobody@example.com"] {
        let key = record_key("store", username);
        assert!(keys.contains(&key), "{key} not in {keys}");
        let ttl: i64 = redis.cli(&["TTL", &key]).trim().parse().unwrap();
        assert!((1..=60).contains(&ttl), "{key}: TTL {ttl}");
        let fields = redis.cli(&["HGETALL", &key]);
        assert!(!fields.contains("example"), "{fields}");
    }
    // A success forgets the failures: the shopper's record is gone.
    let (status, _) = send(&app, shopper_login(SHOPPER, PASSWORD)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        redis.cli(&["EXISTS", &record_key("store", SHOPPER)]).trim(),
        "0"
    );
}

#[actix_rt::test]
async fn with_redis_down_a_password_login_fails_closed_and_recovers_when_it_returns() {
    let mut redis = RedisServer::start();
    let clock = ManualClock::at(NOW);
    let app = instance(redis.url(), &clock).await;
    redis.stop();
    for password in [PASSWORD, "wrong password"] {
        for username in [SHOPPER, "nobody@example.com"] {
            let (status, retry_after, body) = answer(&app, shopper_login(username, password)).await;
            assert_eq!(
                status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{username}: {body}"
            );
            assert_eq!(retry_after, "1");
            assert_eq!(body["error"], "temporarily_unavailable");
            assert_error_model(&body, 503);
            assert!(body.get("access_token").is_none());
        }
    }
    redis.restart();
    eventually(
        Duration::from_secs(15),
        "logins after Redis returned",
        || async {
            let response = test::call_service(&app, shopper_login(SHOPPER, PASSWORD)).await;
            if response.status() == StatusCode::OK {
                return Some(());
            }
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(header(&response, "retry-after"), "1");
            None
        },
    )
    .await;
}

#[actix_rt::test]
async fn on_a_cluster_each_account_is_throttled_in_its_own_slot_across_instances() {
    let cluster = RedisCluster::start();
    let clock = ManualClock::at(NOW);
    let (first, second) = (
        instance(cluster.url(), &clock).await,
        instance(cluster.url(), &clock).await,
    );
    let names: Vec<String> = (0..6).map(|i| format!("sprayed-{i}@example.com")).collect();
    for name in &names {
        for app in [&first, &second, &first] {
            let (status, body) = send(app, shopper_login(name, "wrong password")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {body}");
        }
        let (status, body) = send(&second, shopper_login(name, PASSWORD)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{name}: {body}");
    }
    let holding = cluster
        .nodes
        .iter()
        .filter(|node| node.cli(&["DBSIZE"]).trim() != "0")
        .count();
    assert!(holding >= 2, "records spread over the primaries: {holding}");
    let (status, body) = send(&first, shopper_login(SHOPPER, PASSWORD)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "another account is not locked: {body}"
    );
}
