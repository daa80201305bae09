//! Test support: an app on a clock the test holds, tokens signed by hand (not by ccstore-core), and
//! readers for what the server answers.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ccstore_core::Store;
use ccstore_core::{
    AppKeys, Clock, Families, FamilyOverrides, FamilyTokens, HashPool, HmacKey, KeyRing,
    ManualClock, MemoryStore, ReuseDetection, ThrottleRule, TokenEncoding, TokenPolicy, Users,
};
use ccstore_server::{AppState, Logins, build_app};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub(crate) const KEY: &[u8] = b"server-test-key-0123456789-0123456789";
pub(crate) const ISSUER: &str = "storefrontUI";
pub(crate) const NOW: u64 = 1_800_000_000;
pub(crate) const TTL: u64 = 930;
pub(crate) const SESSION_MAX: u64 = 43_200;
pub(crate) const GRACE: u64 = 30;

/// The test policy: test issuer and TTL, no leeway, the default 12 h session cap.
pub(crate) fn policy() -> TokenPolicy {
    TokenPolicy {
        issuer: ISSUER.to_owned(),
        ttl: TTL,
        leeway: 0,
        session_max: Some(SESSION_MAX),
        encoding: TokenEncoding::Occ,
    }
}

/// Application state with `store`, replay detection with the default grace, on `clock`.
pub(crate) fn state_with(store: Store, policy: TokenPolicy, clock: &ManualClock) -> AppState {
    configured_state(store, policy, ReuseDetection::On { grace: GRACE }, clock)
}

/// Application state with every session setting given.
#[allow(
    clippy::needless_pass_by_value,
    reason = "callers build the policy in the call; it is read, then dropped"
)]
pub(crate) fn configured_state(
    store: Store,
    policy: TokenPolicy,
    reuse: ReuseDetection,
    clock: &ManualClock,
) -> AppState {
    logged_in_state(store, &policy, reuse, clock, "", "")
}

/// The families under `policy`: the store family with its issuer and lifetime, the others with
/// their defaults.
pub(crate) fn families(policy: &TokenPolicy) -> Families {
    Families::configured([(
        "store",
        FamilyOverrides {
            issuer: Some(policy.issuer.clone()),
            user_ttl: Some(policy.ttl),
            app_key_ttl: None,
        },
    )])
    .unwrap()
}

/// Application state whose logins know the users of `users` and the application keys of
/// `app_keys` (the files' text).
pub(crate) fn logged_in_state(
    store: Store,
    policy: &TokenPolicy,
    reuse: ReuseDetection,
    clock: &ManualClock,
    users: &str,
    app_keys: &str,
) -> AppState {
    throttled_state(
        store,
        policy,
        reuse,
        clock,
        (users, app_keys),
        ThrottleRule::default(),
    )
}

/// [`logged_in_state`] with `files` (the users and application-keys files' text) and failed
/// logins held back by `throttle`.
pub(crate) fn throttled_state(
    store: Store,
    policy: &TokenPolicy,
    reuse: ReuseDetection,
    clock: &ManualClock,
    (users, app_keys): (&str, &str),
    throttle: ThrottleRule,
) -> AppState {
    let families = families(policy);
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let tokens = FamilyTokens::new(
        &families,
        &KeyRing::from(HmacKey::new(KEY).unwrap()),
        policy,
        &clock,
    );
    let logins = Logins {
        users: Users::parse(users, &families).unwrap(),
        app_keys: AppKeys::parse(app_keys, &families).unwrap(),
        throttle,
        pool: HashPool::new(1, 8),
    };
    AppState::new(&tokens, store, reuse, logins)
}

/// Application state with the in-process store and the test policy, on `clock`.
pub(crate) fn state(clock: &ManualClock) -> AppState {
    let store = Store::Memory(MemoryStore::new(10_000));
    state_with(store, policy(), clock)
}

/// The application under test and the clock it reads.
pub(crate) async fn app() -> (
    impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
    ManualClock,
) {
    app_with(policy()).await
}

/// The application under `policy`, with the in-process store, and the clock it reads.
pub(crate) async fn app_with(
    policy: TokenPolicy,
) -> (
    impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
    ManualClock,
) {
    let clock = ManualClock::at(NOW);
    let state = state_with(Store::Memory(MemoryStore::new(10_000)), policy, &clock);
    (test::init_service(build_app(state)).await, clock)
}

/// A compact JWT with `header` and `claims`, HMAC-SHA256 signed with `key`, built by hand.
pub(crate) fn sign_with(header: &Value, claims: &Value, key: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// A valid shopper token issued now, signed by hand with the test key.
pub(crate) fn shopper_token() -> String {
    sign_with(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &shopper_claims(),
        KEY,
    )
}

/// Claims of a shopper token issued at [`NOW`] for 900 s.
pub(crate) fn shopper_claims() -> Value {
    json!({"sub": "110558", "iss": ISSUER, "iat": NOW, "exp": NOW + 900})
}

/// The claims of `token`, a token in the default (OCC) spelling: standard base64 with padding,
/// decoded strictly, after checking its HS256 signature by hand.
pub(crate) fn claims_of(token: &str) -> Value {
    let (input, signature) = token.rsplit_once('.').unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY).unwrap();
    mac.update(input.as_bytes());
    mac.verify_slice(&STANDARD.decode(signature).unwrap())
        .expect("signed with the test key");
    unverified_claims_of(token)
}

/// The claims of `token` (OCC spelling) without a look at its signature: for a key the test
/// does not know (development mode's random one).
pub(crate) fn unverified_claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&STANDARD.decode(payload).unwrap()).unwrap()
}

/// A POST to the refresh path.
pub(crate) fn refresh_request() -> test::TestRequest {
    test::TestRequest::post().uri("/ccstore/v1/refresh")
}

/// What the tests' helpers take: the application as `test::init_service` makes it, whatever its
/// body type `B`.
pub(crate) trait TestApp<B>:
    Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>
{
}

impl<S, B> TestApp<B> for S where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>
{
}

/// Sends `request`; returns the status and the JSON body.
pub(crate) async fn send<S: TestApp<B>, B: MessageBody>(
    app: &S,
    request: actix_http::Request,
) -> (StatusCode, Value) {
    let response = test::call_service(app, request).await;
    let status = response.status();
    (status, test::read_body_json(response).await)
}

/// A POST to `path` presenting `token` as its Bearer credential, with body `{}`.
pub(crate) fn post_with(path: &str, token: &str) -> actix_http::Request {
    test::TestRequest::post()
        .uri(path)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload("{}")
        .to_request()
}

/// The access token of a successful refresh body.
pub(crate) fn access_token(body: &Value) -> String {
    body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access_token in {body}"))
        .to_owned()
}

/// A POST to the refresh path presenting `token` as its Bearer credential.
pub(crate) fn refresh_with(token: &str) -> test::TestRequest {
    refresh_request().insert_header(("Authorization", format!("Bearer {token}")))
}

/// A header's value as text, or "" when absent; a header sent twice fails the test (answers set
/// their headers by appending).
pub(crate) fn header<B>(response: &ServiceResponse<B>, name: &str) -> String {
    let mut values = response.headers().get_all(name);
    let value = values
        .next()
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(values.next().is_none(), "{name} sent more than once");
    value
}

/// Asserts that `body` is an `errorModel` for `status` with a message, and returns it.
pub(crate) fn assert_error_model(body: &Value, status: u16) -> &Value {
    assert_eq!(body["status"], json!(status.to_string()), "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    for (name, value) in body.as_object().expect("a JSON object") {
        assert!(
            value.is_string() || name == "errors",
            "{name} is not a string in {body}"
        );
    }
    body
}
