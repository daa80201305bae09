//! Development mode (no signing key configured): besides the random key, a demo token, a demo
//! shopper (store family, random password) and a demo application key (admin family), so that a
//! newcomer can refresh and log in at once. The demo credentials exist in this process's memory
//! only, next to whatever the credential files hold, and die with it; the log announces them,
//! with curl lines to try, deliberately: the only secrets ccstore ever logs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ccstore_core::{Families, FamilyError, FamilyTokens, NewAppKey, NewUser, new_key};
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, json};

use thiserror::Error;

/// The demo shopper's username.
pub(crate) const DEMO_SHOPPER: &str = "demo-shopper";
/// The demo shopper's and the demo token's `sub`.
pub(crate) const DEMO_SUB: &str = "110558";
/// The demo application key's name.
pub(crate) const DEMO_APP: &str = "demo-app";

/// Why the demo credentials could not be made.
#[derive(Debug, Error)]
#[error("cannot make the development mode's demo credentials: {0}")]
pub struct DemoError(String);

/// The development mode's demo credentials.
pub(crate) struct Demo {
    token: String,
    password: SecretString,
    app_key: SecretString,
    /// The demo shopper's users-file line.
    pub(crate) users_line: String,
    /// The demo key's application-keys-file line.
    pub(crate) app_keys_line: String,
}

impl Demo {
    /// Fresh demo credentials of `families`, the token minted by `tokens`' store family.
    pub(crate) fn new(families: &Families, tokens: &FamilyTokens) -> Result<Self, DemoError> {
        let unknown = |id: &str| DemoError(FamilyError::Unknown(id.to_owned()).to_string());
        let family = |id: &str| families.get(id).ok_or_else(|| unknown(id));
        let (_, store_tokens) = tokens.get("store").ok_or_else(|| unknown("store"))?;
        let token = store_tokens
            .mint(DEMO_SUB, Map::new())
            .map_err(|error| DemoError(error.to_string()))?
            .token;
        let password = random_password()?;
        let users_line = NewUser {
            username: DEMO_SHOPPER,
            family: family("store")?,
            sub: DEMO_SUB,
            claims: Map::new(),
            totp_secret: None,
        }
        .line(&password)
        .map_err(|fault| DemoError(fault.to_string()))?;
        let app_key = new_key().map_err(|error| DemoError(error.to_string()))?;
        let mut roles = Map::new();
        roles.insert(
            "com.oracle.atg.cloud.commerce.roles".to_owned(),
            json!(["admin"]),
        );
        let app_keys_line = NewAppKey {
            name: DEMO_APP,
            families: &[family("admin")?],
            claims: roles,
        }
        .line(&app_key)
        .map_err(|fault| DemoError(fault.to_string()))?;
        Ok(Self {
            token,
            password,
            app_key,
            users_line,
            app_keys_line,
        })
    }

    /// Logs the warning, the demo credentials and how to use them at `address`.
    pub(crate) fn announce(&self, address: &str, ttl: u64) {
        let (token, password, key) = (
            &self.token,
            self.password.expose_secret(),
            self.app_key.expose_secret(),
        );
        log::warn!(
            "DEVELOPMENT MODE: no CCSTORE_JWT_SECRET, CCSTORE_JWT_SECRET_FILE or \
             CCSTORE_JWT_KEYS_FILE is set, so tokens are signed with a random key that dies with \
             this process. Never run this in production."
        );
        log::warn!(
            "demo token for sub {DEMO_SUB}, valid {ttl} s (refresh it to keep it alive): {token}"
        );
        log::warn!(
            "try it: curl -s -X POST -H 'Authorization: Bearer {token}' http://{address}/ccstore/v1/refresh"
        );
        log::warn!(
            "demo shopper (store family, sub {DEMO_SUB}, in memory only): username \
             {DEMO_SHOPPER}, password {password}"
        );
        log::warn!(
            "log in: curl -s -X POST -d 'grant_type=password&username={DEMO_SHOPPER}&password={password}' http://{address}/ccstore/v1/login"
        );
        log::warn!("demo application key (admin family, in memory only): {key}");
        log::warn!(
            "log in: curl -s -X POST -H 'Authorization: Bearer {key}' -d grant_type=client_credentials http://{address}/ccadmin/v1/login"
        );
        log::warn!("or in a browser: http://{address}/swagger-ui/ (Authorize with the demo token)");
    }
}

/// 144 random bits as 24 base64url characters: nothing a form or a shell needs to quote.
fn random_password() -> Result<SecretString, DemoError> {
    let mut bytes = [0_u8; 18];
    getrandom::fill(&mut bytes).map_err(|error| DemoError(error.to_string()))?;
    let password = SecretString::from(URL_SAFE_NO_PAD.encode(bytes));
    bytes.zeroize();
    Ok(password)
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Demo([REDACTED])")
    }
}
