//! The login service: decides a login request of one family and, when it succeeds, mints the
//! token of a new session (`sid`, `auth_time` = now, the family's issuer, the grant's lifetime,
//! the user's or key's claims, in the configured encoding) with the family's token service.
//!
//! - `client_credentials` (admin and extension families): the `Authorization: Bearer` credential
//!   must be a registered application key for the family. Digest and compare only, on the
//!   calling worker. `username`, `password` and `totp_code` are ignored (occ-tools always sends
//!   a `totp_code`).
//! - `password` (store, admin and agent families): unless the account is locked, the password is
//!   checked on the [`HashPool`] against the user's hash, or the dummy when there is no such user
//!   (one argon2id computation either way); a user with a TOTP secret must also give a passcode
//!   not used before, on any login path (`/login` or `/mfalogin`), so the second factor cannot
//!   be skipped by choosing the path. Every refusal counts as a failure of the account, known or
//!   not, and every refusal is the same [`LoginError::InvalidGrant`], so the answer does not say
//!   which part was wrong. The `Authorization` header is ignored.
//!
//! The users and keys in force can be replaced at any time (a reload); a login in progress keeps
//! the set it started with.

use std::sync::Arc;

use arc_swap::ArcSwap;
use ccstore_model::LoginRequest;
use secrecy::SecretString;
use secrecy::zeroize::Zeroize;

use crate::family::{Family, Grant};
use crate::family_tokens::FamilyTokens;
use crate::login::app_keys::AppKeys;
use crate::login::error::LoginError;
use crate::login::pool::HashPool;
use crate::login::throttle::{AccountKey, LoginAttempts, ThrottleRule};
use crate::login::users::{User, Users};
use crate::{IssuedToken, TokenError, TokenService, bearer_token};

/// A successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    /// The new session's first token.
    pub token: IssuedToken,
    /// How it was obtained (for metrics).
    pub grant: Grant,
}

/// Decides logins for every family.
#[derive(Debug)]
pub struct LoginService<A> {
    tokens: FamilyTokens,
    users: ArcSwap<Users>,
    app_keys: ArcSwap<AppKeys>,
    attempts: A,
    rule: ThrottleRule,
    pool: HashPool,
}

impl<A: LoginAttempts> LoginService<A> {
    /// A service issuing with `tokens`, counting failures in `attempts` under `rule`, checking
    /// passwords on `pool`, with `users` and `app_keys` in force until replaced.
    pub fn new(
        tokens: FamilyTokens,
        attempts: A,
        rule: ThrottleRule,
        pool: HashPool,
        users: Users,
        app_keys: AppKeys,
    ) -> Self {
        Self {
            tokens,
            users: ArcSwap::from_pointee(users),
            app_keys: ArcSwap::from_pointee(app_keys),
            attempts,
            rule,
            pool,
        }
    }

    /// The families and their token services (the same ones refresh and verify must use).
    pub fn tokens(&self) -> &FamilyTokens {
        &self.tokens
    }

    /// Puts `users` in force for every later login.
    pub fn replace_users(&self, users: Users) {
        self.users.store(Arc::new(users));
    }

    /// Puts `keys` in force for every later login.
    pub fn replace_app_keys(&self, keys: AppKeys) {
        self.app_keys.store(Arc::new(keys));
    }

    /// Decides `request`, sent to the login of family `family` with `authorization` (the raw
    /// `Authorization` header, if any).
    pub async fn login(
        &self,
        family: &str,
        request: LoginRequest,
        authorization: Option<&[u8]>,
    ) -> Result<LoggedIn, LoginError> {
        let (family, tokens) = self.tokens.get(family).ok_or(LoginError::UnknownFamily)?;
        let grant = match request.grant_type.as_deref() {
            None | Some("") => return Err(LoginError::InvalidRequest("grant_type is required.")),
            Some(name) => Grant::from_name(name)
                .filter(|grant| family.allows(*grant))
                .ok_or(LoginError::UnsupportedGrantType)?,
        };
        let token = match grant {
            Grant::ClientCredentials => self.with_app_key(family, tokens, authorization)?,
            Grant::Password => self.with_password(family, tokens, request).await?,
        };
        Ok(LoggedIn { token, grant })
    }

    fn with_app_key(
        &self,
        family: &Family,
        tokens: &TokenService,
        authorization: Option<&[u8]>,
    ) -> Result<IssuedToken, LoginError> {
        let presented = bearer_token(authorization).map_err(|error| match error {
            TokenError::Missing => LoginError::MissingAppKey,
            _ => LoginError::MalformedAppKey,
        })?;
        let keys = self.app_keys.load();
        let key = keys
            .find(presented)
            .filter(|key| key.serves(family))
            .ok_or(LoginError::InvalidClient)?;
        let ttl = family.ttl(Grant::ClientCredentials);
        Ok(tokens.mint_lasting(key.name(), key.claims().clone(), ttl)?)
    }

    async fn with_password(
        &self,
        family: &Family,
        tokens: &TokenService,
        request: LoginRequest,
    ) -> Result<IssuedToken, LoginError> {
        let LoginRequest {
            username,
            password,
            totp_code,
            ..
        } = request;
        let (Some(username), Some(password)) = (username, password.map(into_secret)) else {
            return Err(LoginError::InvalidRequest(
                "username and password are required.",
            ));
        };
        let account = AccountKey::new(family, &username);
        let now = tokens.now();
        if let Some(retry_after) = self.attempts.locked_for(&account, now, self.rule).await? {
            return Err(LoginError::Locked { retry_after });
        }
        let users = self.users.load_full();
        let matched = {
            let (users, family, username) = (Arc::clone(&users), family.id(), username.clone());
            self.pool
                .submit(move || {
                    users
                        .check(family, &username, &password)
                        .authenticated()
                        .is_some()
                })?
                .await?
        };
        // The check may have waited in the queue: the passcode is judged at the time it ends.
        let now = tokens.now();
        let user = users.find(family.id(), &username).filter(|_| matched);
        // A user with a TOTP secret also needs a passcode not used before.
        let passcode_ok = match user.and_then(User::totp) {
            None => true,
            Some(totp) => match totp_code.and_then(|code| totp.matching_step(&code, now)) {
                Some(step) => self.attempts.use_totp_step(&account, step, now).await?,
                None => false,
            },
        };
        let Some(user) = user.filter(|_| passcode_ok) else {
            self.attempts
                .record_failure(&account, now, self.rule)
                .await?;
            return Err(LoginError::InvalidGrant);
        };
        self.attempts.record_success(&account, now).await?;
        let ttl = family.ttl(Grant::Password);
        Ok(tokens.mint_lasting(user.sub(), user.claims().clone(), ttl)?)
    }
}

/// `text` as a secret, its own buffer zeroed (moving a `String` into a secret may reallocate
/// and leave the old bytes behind).
fn into_secret(mut text: String) -> SecretString {
    let secret = SecretString::from(text.as_str());
    text.zeroize();
    secret
}
