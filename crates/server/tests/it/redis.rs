//! Two instances sharing one real Redis: logout and replay detection across instances, the atomic
//! refresh-once rule, and 503 while Redis is down, recovering when it returns. The suite starts
//! its own `redis-server` on a free port. On a fresh machine without one it installs Debian's
//! package itself (as root, with apt-get) so the README's test command passes; where that is not
//! possible it fails and says how to install it. It never skips.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test;
use ccstore_core::{ManualClock, RefreshAttempt, Rotation, SessionStore};
use ccstore_server::build_app;
use ccstore_server::store::{RedisStore, Store};
use futures_util::future::join_all;
use serde_json::Value;

use crate::metrics::{sample, scrape};
use crate::support::{
    GRACE, NOW, access_token, header, policy, post_with, send, shopper_token, state_with,
};

const DEADLINE: Duration = Duration::from_millis(300);

/// A `redis-server` of the test's own, on a free loopback port, without persistence.
pub(crate) struct RedisServer {
    port: u16,
    process: Option<Child>,
}

/// Makes sure `redis-server` can be run, installing Debian's package once if it is missing.
fn ensure_redis_server() {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    let outcome = AVAILABLE.get_or_init(|| {
        let runs = |program: &str, args: &[&str]| {
            Command::new(program)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        if runs("redis-server", &["--version"]) {
            return Ok(());
        }
        eprintln!("redis-server is missing: installing Debian's redis-server with apt-get");
        let installed = runs("apt-get", &["update", "-qq"])
            && Command::new("apt-get")
                .args(["install", "-y", "-qq", "redis-server"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
        if installed && runs("redis-server", &["--version"]) {
            Ok(())
        } else {
            Err(
                "redis-server is not installed and could not be installed here; the Redis tests \
                 need a real server: apt-get install redis-server"
                    .to_owned(),
            )
        }
    });
    if let Err(message) = outcome {
        panic!("{message}");
    }
}

impl RedisServer {
    pub(crate) fn start() -> Self {
        ensure_redis_server();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self {
            port,
            process: None,
        };
        server.restart();
        server
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the process on the same port and waits until it answers PING.
    fn restart(&mut self) {
        let process = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start redis-server ({error}); the Redis tests need a real server: \
                     apt-get install redis-server"
                )
            });
        self.process = Some(process);
        let started = Instant::now();
        while !self.answers_ping() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::yield_now();
        }
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let mut reply = [0_u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }

    fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill().unwrap();
            process.wait().unwrap();
        }
        assert!(!self.answers_ping());
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

fn redis_store(redis: &RedisServer) -> RedisStore {
    RedisStore::new(&redis.url(), DEADLINE).unwrap()
}

/// An application instance with its own connection to `redis`.
async fn instance(
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

    let late = RefreshAttempt {
        sid: "race-session",
        token_id: "race-token",
        successor_id: "late",
        now: NOW + 1,
        grace: 0,
        successor_expires: NOW + 901,
        keep_for: 900,
    };
    assert_eq!(
        first.rotate(late).await,
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
    let started = Instant::now();
    loop {
        let (status, body) = send(&app, post_with("/ccstore/v1/refresh", &shopper_token())).await;
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no recovery after Redis returned"
        );
    }
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
    let started = Instant::now();
    while send(&app, ready()).await.0 != StatusCode::OK {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not ready again after Redis returned"
        );
    }
}
