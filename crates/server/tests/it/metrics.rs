//! `/metrics`: the counters move with the requests that should move them, labels carry route
//! patterns and reasons, never raw paths or tokens.

use actix_web::body::MessageBody;
use actix_web::http::StatusCode;
use actix_web::test;
use serde_json::json;

use crate::support::{
    GRACE, KEY, TestApp, access_token, app, header, post_with, refresh_with, send, shopper_claims,
    shopper_token, sign_with,
};

const REFRESH: &str = "/ccstore/v1/refresh";
const VERIFY: &str = "/ccstore/v1/verify";
const LOGOUT: &str = "/ccstore/v1/logout";

/// The Prometheus text `/metrics` serves.
pub(crate) async fn scrape<S, B>(app: &S) -> String
where
    S: TestApp<B>,
    B: MessageBody,
{
    let response =
        test::call_service(app, test::TestRequest::get().uri("/metrics").to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        header(&response, "content-type").starts_with("text/plain; version=0.0.4"),
        "{}",
        header(&response, "content-type")
    );
    String::from_utf8(test::read_body(response).await.to_vec()).unwrap()
}

/// The count of the sample `name{labels}` in `text` (labels in any order), 0 when absent.
pub(crate) fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> u64 {
    let value = sample_value(text, name, labels);
    value
        .parse()
        .unwrap_or_else(|_| panic!("{name}{labels:?} = {value} is not a count"))
}

/// The text of the sample `name{labels}` in `text` (labels in any order), "0" when absent.
fn sample_value<'t>(text: &'t str, name: &str, labels: &[(&str, &str)]) -> &'t str {
    let mut found = None;
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let (series_name, series_labels) = match series.split_once('{') {
            Some((series_name, rest)) => (series_name, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if series_name != name {
            continue;
        }
        let mut pairs: Vec<(&str, &str)> = series_labels
            .split(',')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap();
                (key, value.trim_matches('"'))
            })
            .collect();
        let mut wanted = labels.to_vec();
        pairs.sort_unstable();
        wanted.sort_unstable();
        if pairs == wanted {
            assert!(found.is_none(), "{name}{labels:?} twice in\n{text}");
            found = Some(value);
        }
    }
    found.unwrap_or("0")
}

fn requests(text: &str, route: &str, status: &str) -> u64 {
    sample(
        text,
        "ccstore_http_requests_total",
        &[("route", route), ("status", status)],
    )
}

fn rejected(text: &str, reason: &str) -> u64 {
    sample(text, "ccstore_rejected_tokens_total", &[("reason", reason)])
}

#[actix_rt::test]
async fn requests_are_counted_by_route_pattern_and_status_and_unknown_paths_share_one_label() {
    let (app, _) = app().await;
    let (status, body) = send(&app, post_with(REFRESH, &shopper_token())).await;
    assert_eq!(status, StatusCode::OK);
    send(&app, post_with(REFRESH, &access_token(&body))).await;
    send(&app, post_with(VERIFY, "not-a-token")).await;
    for path in ["/wp-login.php", "/ccstore/v1/refresh/", "/x/1234"] {
        let response =
            test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/swagger-ui/index.html")
            .to_request(),
    )
    .await;

    let text = scrape(&app).await;
    assert_eq!(requests(&text, REFRESH, "200"), 2, "{text}");
    assert_eq!(requests(&text, VERIFY, "401"), 1, "{text}");
    assert_eq!(requests(&text, "unmatched", "404"), 3, "{text}");
    assert_eq!(requests(&text, "/swagger-ui/{file}", "200"), 1, "{text}");
    for raw in ["wp-login", "/x/1234", "index.html"] {
        assert!(!text.contains(raw), "a raw path in the metrics: {raw}");
    }
    // The scrape itself is counted once it is answered.
    assert_eq!(requests(&scrape(&app).await, "/metrics", "200"), 1);
}

#[actix_rt::test]
async fn rejected_tokens_are_counted_by_reason_and_revocations_by_cause() {
    let (app, clock) = app().await;
    let forged = sign_with(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &shopper_claims(),
        b"another-key-0123456789-0123456789-xx",
    );
    let mut no_issuer = shopper_claims();
    no_issuer.as_object_mut().unwrap().remove("iss");
    let missing_claim = sign_with(&json!({"alg": "HS256", "typ": "JWT"}), &no_issuer, KEY);
    let other_algorithm = sign_with(
        &json!({"alg": "HS512", "typ": "JWT"}),
        &shopper_claims(),
        KEY,
    );
    send(&app, post_with(VERIFY, &other_algorithm)).await;
    // An empty credential is malformed, no header at all is missing.
    send(&app, refresh_with("").to_request()).await;
    send(&app, test::TestRequest::post().uri(REFRESH).to_request()).await;
    send(&app, post_with(VERIFY, "a.b.c")).await;
    send(&app, post_with(REFRESH, &forged)).await;
    send(&app, post_with(REFRESH, &missing_claim)).await;

    // A replay after the shopper moved on and the grace window ended revokes the session; a
    // logout ends another.
    let original = shopper_token();
    let (status, body) = send(&app, post_with(REFRESH, &original)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(&app, post_with(REFRESH, &access_token(&body))).await;
    assert_eq!(status, StatusCode::OK);
    clock.advance(GRACE + 1);
    let (status, _) = send(&app, post_with(REFRESH, &original)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut other_claims = shopper_claims();
    other_claims["sub"] = json!("other");
    let other = sign_with(&json!({"alg": "HS256", "typ": "JWT"}), &other_claims, KEY);
    let (_, body) = send(&app, post_with(REFRESH, &other)).await;
    let other_session = access_token(&body);
    let (status, _) = send(&app, post_with(LOGOUT, &other_session)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(&app, post_with(VERIFY, &other_session)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    clock.advance(10_000);
    send(&app, post_with(VERIFY, &other_session)).await;

    let text = scrape(&app).await;
    for (reason, count) in [
        ("missing", 1),
        ("malformed", 2),
        ("bad_signature", 1),
        ("missing_claim", 1),
        ("replayed", 1),
        ("revoked", 1),
        ("expired", 1),
        ("unsupported_algorithm", 1),
        ("not_yet_valid", 0),
        ("store_unavailable", 0),
    ] {
        assert_eq!(rejected(&text, reason), count, "{reason}\n{text}");
    }
    let revoked = |cause| sample(&text, "ccstore_sessions_revoked_total", &[("cause", cause)]);
    assert_eq!(revoked("replay"), 1, "{text}");
    assert_eq!(revoked("logout"), 1, "{text}");
}

#[actix_rt::test]
async fn every_refresh_answer_is_timed_and_no_token_reaches_the_metrics() {
    let (app, _) = app().await;
    let token = shopper_token();
    let (_, body) = send(&app, post_with(REFRESH, &token)).await;
    send(&app, post_with(REFRESH, "not-a-token")).await;
    send(&app, post_with(VERIFY, &token)).await;

    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, "ccstore_refresh_duration_seconds_count", &[]),
        2,
        "{text}"
    );
    let sum: f64 = sample_value(&text, "ccstore_refresh_duration_seconds_sum", &[])
        .parse()
        .unwrap();
    assert!(sum > 0.0 && sum < 10.0, "{sum}");
    assert_eq!(
        sample(
            &text,
            "ccstore_refresh_duration_seconds_bucket",
            &[("le", "+Inf")]
        ),
        2
    );
    for secret in [token.as_str(), &access_token(&body), "not-a-token"] {
        assert!(!text.contains(secret), "a token in the metrics");
    }
    assert_eq!(
        sample(&text, "ccstore_store_errors_total", &[("kind", "timeout")]),
        0
    );
    assert!(
        text.contains("ccstore_store_errors_total{kind=\"error\"} 0"),
        "{text}"
    );
}
