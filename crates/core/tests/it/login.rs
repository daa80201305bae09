//! The login service end to end, without HTTP: every grant of every family, what the new token
//! carries, cross-family refusal, the answers for bad requests, the unknown-user cost, throttling
//! and one-time passcodes, on a clock the test holds.

use std::sync::{Arc, LazyLock};

use ccstore_core::{
    AppKeys, Clock, Families, FamilyTokens, HashPool, HmacKey, KeyRing, KeySet, LoggedIn,
    LoginError, LoginService, ManualClock, MemoryAttempts, NewAppKey, NewUser, ThrottleRule,
    TokenEncoding, TokenError, TokenPolicy, Totp, Users, new_key,
};
use ccstore_model::LoginRequest;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use crate::handmade::open;
use crate::{KEY, NOW, SESSION_MAX};

/// RFC 6238's SHA-1 secret in base32.
pub(crate) const TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SHOPPER_PASSWORD: &str = "shopper password";
const AGENT_PASSWORD: &str = "agent password";
const ADMIN_PASSWORD: &str = "admin password";
pub(crate) const RULE: ThrottleRule = ThrottleRule {
    max_failures: 3,
    lockout: 600,
};

/// The users file of the tests: hashed once for every test (each line costs an argon2id hash).
static USERS_FILE: LazyLock<String> = LazyLock::new(|| {
    let families = Families::default();
    let totp = SecretString::from(TOTP_SECRET);
    let roles = |roles: Value| {
        let mut claims = Map::new();
        claims.insert("com.oracle.atg.cloud.commerce.roles".into(), roles);
        claims
    };
    let users = [
        (
            "Ann@Example.com",
            "store",
            "se-570031",
            Map::new(),
            None,
            SHOPPER_PASSWORD,
        ),
        (
            "agent1",
            "agent",
            "ag-1",
            roles(json!(["csr"])),
            None,
            AGENT_PASSWORD,
        ),
        (
            "ops",
            "admin",
            "100001",
            roles(json!(["admin"])),
            Some(&totp),
            ADMIN_PASSWORD,
        ),
        ("plain", "admin", "100002", Map::new(), None, ADMIN_PASSWORD),
    ];
    users
        .into_iter()
        .map(|(username, family, sub, claims, totp_secret, password)| {
            NewUser {
                username,
                family: families.get(family).unwrap(),
                sub,
                claims,
                totp_secret,
            }
            .line(&SecretString::from(password))
            .unwrap()
        })
        .collect::<Vec<_>>()
        .join("\n")
});

pub(crate) struct Fixture {
    pub(crate) service: LoginService<MemoryAttempts>,
    pub(crate) clock: ManualClock,
    pub(crate) pool: HashPool,
    /// Registered for the admin family.
    pub(crate) admin_key: SecretString,
    /// Registered for the extension family.
    pub(crate) app_key: SecretString,
    /// Registered for both.
    pub(crate) both_key: SecretString,
    runtime: tokio::runtime::Runtime,
}

fn policy(encoding: TokenEncoding) -> TokenPolicy {
    TokenPolicy {
        issuer: "ignored: each family has its own".into(),
        ttl: 1,
        leeway: 0,
        session_max: Some(SESSION_MAX),
        encoding,
    }
}

pub(crate) fn fixture_with(encoding: TokenEncoding, pool: HashPool) -> Fixture {
    let families = Families::default();
    let clock = ManualClock::at(NOW);
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let keys = KeyRing::new(KeySet::single(HmacKey::new(KEY).unwrap()));
    let tokens = FamilyTokens::new(&families, &keys, &policy(encoding), &shared);
    let (admin_key, app_key, both_key) =
        (new_key().unwrap(), new_key().unwrap(), new_key().unwrap());
    let register = |name: &str, ids: &[&str], key: &SecretString| {
        let of: Vec<_> = ids.iter().map(|id| families.get(id).unwrap()).collect();
        let mut claims = Map::new();
        claims.insert(
            "com.oracle.atg.cloud.commerce.roles".into(),
            json!(["admin"]),
        );
        NewAppKey {
            name,
            families: &of,
            claims,
        }
        .line(key)
        .unwrap()
    };
    let keys_file = [
        register("osf-deploy", &["admin"], &admin_key),
        register("extension", &["app"], &app_key),
        register("both", &["admin", "app"], &both_key),
    ]
    .join("\n");
    let service = LoginService::new(
        tokens,
        MemoryAttempts::new(1000),
        RULE,
        pool.clone(),
        Users::parse(&USERS_FILE, &families).unwrap(),
        AppKeys::parse(&keys_file, &families).unwrap(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    Fixture {
        service,
        clock,
        pool,
        admin_key,
        app_key,
        both_key,
        runtime,
    }
}

pub(crate) fn fixture() -> Fixture {
    fixture_with(TokenEncoding::Occ, HashPool::new(2, 8))
}

pub(crate) fn form(fields: &[(&str, &str)]) -> LoginRequest {
    let value: Map<String, Value> = fields
        .iter()
        .map(|(name, value)| ((*name).to_owned(), json!(value)))
        .collect();
    serde_json::from_value(Value::Object(value)).unwrap()
}

pub(crate) fn password(username: &str, password: &str) -> LoginRequest {
    form(&[
        ("grant_type", "password"),
        ("username", username),
        ("password", password),
    ])
}

fn client_credentials() -> LoginRequest {
    form(&[("grant_type", "client_credentials")])
}

fn bearer(key: &SecretString) -> String {
    format!("Bearer {}", key.expose_secret())
}

impl Fixture {
    /// A storefront password login, with no `Authorization`.
    pub(crate) fn shopper(&self, username: &str, secret: &str) -> Result<LoggedIn, LoginError> {
        self.login("store", password(username, secret), None)
    }

    pub(crate) fn login(
        &self,
        family: &str,
        request: LoginRequest,
        authorization: Option<&str>,
    ) -> Result<LoggedIn, LoginError> {
        self.runtime.block_on(
            self.service
                .login(family, request, authorization.map(str::as_bytes)),
        )
    }

    /// The claims of `token`, checked by the family's service and decoded by hand.
    fn claims(&self, family: &str, token: &str) -> Value {
        let (_, service) = self.service.tokens().get(family).unwrap();
        service.verify(token).unwrap();
        open(token, KEY).1
    }
}

#[test]
fn a_shopper_logs_in_to_the_store_and_its_ui_twin_family_alike() {
    let fixture = fixture();
    let logged_in = fixture
        .shopper("ann@example.com", SHOPPER_PASSWORD)
        .unwrap();
    assert_eq!(logged_in.token.expires_in, 930);
    let claims = fixture.claims("store", &logged_in.token.token);
    assert_eq!(claims["sub"], "se-570031");
    assert_eq!(claims["iss"], "storefrontUI");
    assert_eq!(claims["iat"], json!(NOW));
    assert_eq!(claims["exp"], json!(NOW + 930));
    assert_eq!(claims["auth_time"], json!(NOW), "a login starts a session");
    assert!(claims["sid"].as_str().is_some_and(|sid| sid.len() == 36));
    assert!(claims["jti"].is_string());
    let (family, _) = fixture
        .service
        .tokens()
        .for_path("/ccstoreui/v1/login/")
        .unwrap();
    assert_eq!(family.id(), "store");
}

#[test]
fn every_login_starts_its_own_session() {
    let fixture = fixture();
    let sids: Vec<Value> = (0..2)
        .map(|_| {
            let logged_in = fixture
                .shopper("ann@example.com", SHOPPER_PASSWORD)
                .unwrap();
            fixture.claims("store", &logged_in.token.token)["sid"].clone()
        })
        .collect();
    assert_ne!(sids[0], sids[1]);
}

#[test]
fn an_agent_logs_in_to_the_agent_family_with_its_claims() {
    let fixture = fixture();
    let logged_in = fixture
        .login("agent", password("agent1", AGENT_PASSWORD), None)
        .unwrap();
    let claims = fixture.claims("agent", &logged_in.token.token);
    assert_eq!(claims["iss"], "agentUI");
    assert_eq!(claims["sub"], "ag-1");
    assert_eq!(
        claims["com.oracle.atg.cloud.commerce.roles"],
        json!(["csr"])
    );
}

#[test]
fn an_application_key_logs_in_to_admin_for_300_seconds_and_its_totp_code_is_ignored() {
    let fixture = fixture();
    let request = form(&[
        ("grant_type", "client_credentials"),
        ("totp_code", "000000"),
    ]);
    let logged_in = fixture
        .login("admin", request, Some(&bearer(&fixture.admin_key)))
        .unwrap();
    assert_eq!(logged_in.grant, ccstore_core::Grant::ClientCredentials);
    assert_eq!(logged_in.token.expires_in, 300);
    let claims = fixture.claims("admin", &logged_in.token.token);
    assert_eq!(claims["sub"], "osf-deploy");
    assert_eq!(claims["iss"], "adminUI");
    assert_eq!(claims["exp"], json!(NOW + 300));
    assert_eq!(claims["auth_time"], json!(NOW));
    assert_eq!(
        claims["com.oracle.atg.cloud.commerce.roles"],
        json!(["admin"])
    );
    assert_eq!(
        fixture.pool.completed(),
        0,
        "a key login hashes no password"
    );
}

#[test]
fn extension_keys_log_in_to_the_extension_family() {
    let fixture = fixture();
    for key in [&fixture.app_key, &fixture.both_key] {
        let logged_in = fixture
            .login("app", client_credentials(), Some(&bearer(key)))
            .unwrap();
        assert_eq!(
            fixture.claims("app", &logged_in.token.token)["iss"],
            "appUI"
        );
    }
}

#[test]
fn an_admin_user_without_totp_logs_in_with_a_password_alone() {
    let fixture = fixture();
    let logged_in = fixture
        .login("admin", password("plain", ADMIN_PASSWORD), None)
        .unwrap();
    assert_eq!(logged_in.token.expires_in, 930);
    assert_eq!(
        fixture.claims("admin", &logged_in.token.token)["sub"],
        "100002"
    );
}

#[test]
fn an_admin_user_with_totp_needs_a_current_passcode() {
    let fixture = fixture();
    let totp = Totp::from_base32(TOTP_SECRET).unwrap();
    let with_code = |code: &str| {
        form(&[
            ("grant_type", "password"),
            ("username", "ops"),
            ("password", ADMIN_PASSWORD),
            ("totp_code", code),
        ])
    };
    assert_eq!(
        fixture.login("admin", password("ops", ADMIN_PASSWORD), None),
        Err(LoginError::InvalidGrant),
        "no passcode"
    );
    let stale = totp.code_at(NOW - 60);
    assert_eq!(
        fixture.login("admin", with_code(&stale), None),
        Err(LoginError::InvalidGrant),
        "a passcode two steps old"
    );
    let logged_in = fixture
        .login("admin", with_code(&totp.code_at(NOW - 30)), None)
        .unwrap();
    let claims = fixture.claims("admin", &logged_in.token.token);
    assert_eq!(claims["sub"], "100001");
    assert_eq!(
        claims["com.oracle.atg.cloud.commerce.roles"],
        json!(["admin"])
    );
}

#[test]
fn a_passcode_is_accepted_once() {
    let fixture = fixture();
    let totp = Totp::from_base32(TOTP_SECRET).unwrap();
    let request = || {
        form(&[
            ("grant_type", "password"),
            ("username", "ops"),
            ("password", ADMIN_PASSWORD),
            ("totp_code", &totp.code_at(NOW)),
        ])
    };
    assert!(fixture.login("admin", request(), None).is_ok());
    assert_eq!(
        fixture.login("admin", request(), None),
        Err(LoginError::InvalidGrant)
    );
    // The next step's passcode is new.
    fixture.clock.advance(30);
    let next = form(&[
        ("grant_type", "password"),
        ("username", "ops"),
        ("password", ADMIN_PASSWORD),
        ("totp_code", &totp.code_at(NOW + 30)),
    ]);
    assert!(fixture.login("admin", next, None).is_ok());
}

#[test]
fn a_token_of_one_family_is_refused_by_every_other() {
    let fixture = fixture();
    let logins = [
        (
            "store",
            fixture.shopper("ann@example.com", SHOPPER_PASSWORD),
        ),
        (
            "agent",
            fixture.login("agent", password("agent1", AGENT_PASSWORD), None),
        ),
        (
            "admin",
            fixture.login("admin", password("plain", ADMIN_PASSWORD), None),
        ),
        (
            "app",
            fixture.login("app", client_credentials(), Some(&bearer(&fixture.app_key))),
        ),
    ];
    for (issued_by, logged_in) in &logins {
        let token = &logged_in.as_ref().unwrap().token.token;
        for (family, service) in fixture.service.tokens().iter() {
            let verdict = service.verify(token);
            if family.id() == *issued_by {
                assert!(verdict.is_ok(), "{issued_by} in {}", family.id());
            } else {
                assert_eq!(
                    verdict,
                    Err(TokenError::WrongIssuer),
                    "{issued_by} in {}",
                    family.id()
                );
            }
        }
    }
}

#[test]
fn users_and_keys_log_in_only_to_their_own_family() {
    let fixture = fixture();
    // A shopper at the agent family: no such user there, the dummy is checked.
    assert_eq!(
        fixture.login("agent", password("ann@example.com", SHOPPER_PASSWORD), None),
        Err(LoginError::InvalidGrant)
    );
    assert_eq!(fixture.pool.completed(), 1);
    // An admin user at the store.
    assert_eq!(
        fixture.shopper("plain", ADMIN_PASSWORD),
        Err(LoginError::InvalidGrant)
    );
    // A key of the extension family at admin, and of admin at the extension family.
    assert_eq!(
        fixture.login(
            "admin",
            client_credentials(),
            Some(&bearer(&fixture.app_key))
        ),
        Err(LoginError::InvalidClient)
    );
    assert_eq!(
        fixture.login(
            "app",
            client_credentials(),
            Some(&bearer(&fixture.admin_key))
        ),
        Err(LoginError::InvalidClient)
    );
    // Grants a family does not take.
    assert_eq!(
        fixture.login(
            "store",
            client_credentials(),
            Some(&bearer(&fixture.admin_key))
        ),
        Err(LoginError::UnsupportedGrantType)
    );
    assert_eq!(
        fixture.login("app", password("plain", ADMIN_PASSWORD), None),
        Err(LoginError::UnsupportedGrantType)
    );
}

#[test]
fn key_logins_answer_as_oracle_does_for_missing_malformed_and_unknown_keys() {
    let fixture = fixture();
    let cases = [
        (None, LoginError::MissingAppKey),
        (Some("Basic dXNlcjpwYXNz"), LoginError::MissingAppKey),
        (Some("Bearer "), LoginError::MalformedAppKey),
        (Some("Bearer not a token"), LoginError::MalformedAppKey),
        (
            Some("Bearer ccak_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            LoginError::InvalidClient,
        ),
    ];
    for (authorization, error) in cases {
        assert_eq!(
            fixture.login("admin", client_credentials(), authorization),
            Err(error.clone()),
            "{authorization:?}"
        );
    }
    let admin = Families::default();
    let admin = admin.get("admin").unwrap();
    assert_eq!(LoginError::MissingAppKey.status(), 401);
    assert_eq!(LoginError::MalformedAppKey.error_code(admin), Some("60004"));
}

#[test]
fn malformed_requests_are_invalid_request_or_unsupported_grant_type() {
    let fixture = fixture();
    let cases = [
        (form(&[]), "invalid_request"),
        (form(&[("grant_type", "")]), "invalid_request"),
        (
            form(&[("grant_type", "refresh_token")]),
            "unsupported_grant_type",
        ),
        (
            form(&[("grant_type", "password"), ("username", "ann@example.com")]),
            "invalid_request",
        ),
        (
            form(&[("grant_type", "password"), ("password", "x")]),
            "invalid_request",
        ),
    ];
    for (request, code) in cases {
        let shown = format!("{request:?}");
        let error = fixture.login("store", request, None).unwrap_err();
        assert_eq!(error.oauth_error(), code, "{shown}");
        assert_eq!(error.status(), 400, "{shown}");
    }
    assert_eq!(fixture.pool.completed(), 0, "nothing was hashed");
    assert_eq!(
        fixture.login("shop", password("a", "b"), None),
        Err(LoginError::UnknownFamily)
    );
}

#[test]
fn an_unknown_user_costs_one_password_hash_like_a_known_one() {
    let fixture = fixture();
    assert!(fixture.shopper("ann@example.com", SHOPPER_PASSWORD).is_ok());
    assert_eq!(fixture.pool.completed(), 1);
    assert_eq!(
        fixture.shopper("ann@example.com", "wrong password"),
        Err(LoginError::InvalidGrant)
    );
    assert_eq!(fixture.pool.completed(), 2);
    assert_eq!(
        fixture.shopper("nobody@example.com", SHOPPER_PASSWORD),
        Err(LoginError::InvalidGrant)
    );
    assert_eq!(
        fixture.pool.completed(),
        3,
        "the unknown name was hashed too"
    );
}

#[test]
fn tokens_are_issued_in_the_configured_encoding() {
    let fixture = fixture_with(TokenEncoding::Jws, HashPool::new(1, 1));
    let logged_in = fixture
        .login(
            "admin",
            client_credentials(),
            Some(&bearer(&fixture.admin_key)),
        )
        .unwrap();
    let token = logged_in.token.token;
    assert!(!token.contains('=') && !token.contains('+') && !token.contains('/'));
    let (_, service) = fixture.service.tokens().get("admin").unwrap();
    assert!(service.verify(&token).is_ok());
}

#[test]
fn replaced_users_and_keys_apply_to_the_next_login() {
    let fixture = fixture();
    let families = Families::default();
    fixture.service.replace_users(Users::none().unwrap());
    assert_eq!(
        fixture.shopper("ann@example.com", SHOPPER_PASSWORD),
        Err(LoginError::InvalidGrant)
    );
    fixture
        .service
        .replace_app_keys(AppKeys::parse("", &families).unwrap());
    assert_eq!(
        fixture.login(
            "admin",
            client_credentials(),
            Some(&bearer(&fixture.admin_key))
        ),
        Err(LoginError::InvalidClient)
    );
}

#[test]
fn a_login_at_the_end_of_the_session_cap_still_lives_its_lifetime() {
    // A new session starts now, so the cap counts from this login, not from any earlier one.
    let fixture = fixture();
    fixture.clock.advance(SESSION_MAX * 3);
    let logged_in = fixture
        .shopper("ann@example.com", SHOPPER_PASSWORD)
        .unwrap();
    assert_eq!(logged_in.token.expires_in, 930);
}

#[test]
fn a_key_rotation_reaches_every_family() {
    let fixture = fixture();
    let rotated = b"rotated-key-0123456789-0123456789-0123456789";
    let (_, store) = fixture.service.tokens().get("store").unwrap();
    store
        .keys()
        .replace(KeySet::single(HmacKey::new(rotated).unwrap()));
    for (family, service) in fixture.service.tokens().iter() {
        let token = service.mint("s", Map::new()).unwrap().token;
        let (_, claims) = open(&token, rotated);
        assert_eq!(claims["iss"], family.issuer());
    }
}

#[test]
fn debug_output_shows_no_hash_passcode_secret_or_key() {
    let fixture = fixture();
    let shown = format!("{:?}", fixture.service);
    assert!(shown.contains("se-570031"), "the users are there");
    assert!(!shown.contains("$argon2id$"), "{shown}");
    assert!(!shown.contains(TOTP_SECRET), "{shown}");
    assert!(
        !shown.contains(fixture.admin_key.expose_secret()),
        "{shown}"
    );
    assert!(!format!("{:?}", fixture.admin_key).contains("ccak_"));
}
