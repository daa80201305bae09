//! The token service: verifies a presented token against key, issuer and clock, and signs its
//! successor. All token rules live here, in one order, checked against one clock.

use std::sync::Arc;

use serde_json::{Map, Value};
use uuid::Uuid;

use super::claims::{IncomingClaims, SERVICE_CLAIMS};
use super::codec;
use crate::{Claims, Clock, KeyRing, TokenEncoding, TokenError};

/// The claim a token shorter-lived than the policy's TTL carries its lifetime in (seconds), set
/// when a login mints it (an application key's token: 300 s) and kept, like every other claim,
/// by each refresh, which then gives the successor that lifetime too. Only ever shortens: a value
/// above the policy's TTL, zero or not a number is ignored.
pub const LIFETIME_CLAIM: &str = "ccstore.lifetime";

/// What the service accepts and issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPolicy {
    /// Required `iss` of incoming tokens, set on minted ones.
    pub issuer: String,
    /// Seconds an issued token lives.
    pub ttl: u64,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    pub leeway: u64,
    /// Absolute session lifetime in seconds from `auth_time`; `None` for no cap.
    pub session_max: Option<u64>,
    /// How issued tokens are spelled; tokens in either spelling are accepted.
    pub encoding: TokenEncoding,
}

/// A signed token and the seconds until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// Seconds until `exp`.
    pub expires_in: u64,
}

/// Verifies, refreshes and mints HS256 tokens.
#[derive(Debug, Clone)]
pub struct TokenService {
    keys: KeyRing,
    policy: TokenPolicy,
    clock: Arc<dyn Clock>,
}

impl TokenService {
    /// A service signing with the active key of `keys` (an [`HmacKey`](crate::HmacKey), a
    /// [`KeySet`](crate::KeySet) or a shared [`KeyRing`]) under `policy`, telling time by `clock`.
    pub fn new(keys: impl Into<KeyRing>, policy: TokenPolicy, clock: Arc<dyn Clock>) -> Self {
        Self {
            keys: keys.into(),
            policy,
            clock,
        }
    }

    /// The keys the service signs and verifies with; replace them to rotate keys.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The policy the service applies.
    pub fn policy(&self) -> &TokenPolicy {
        &self.policy
    }

    /// The current time on the service's clock.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The claims of `token` if it is an HS256 JWT signed with a listed key, from the configured
    /// issuer, with `sub`, `iat` and `exp`, not expired, not before its `nbf`, and neither issued
    /// (`iat`) nor logged in (`auth_time`) in the future, beyond the leeway.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_at(token, self.clock.now())
    }

    /// [`verify`](Self::verify) with the time rules checked at `now`, for a caller that has
    /// already read the service's clock for the rest of the request.
    pub fn verify_at(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        // The structure, algorithm and signature first (codec); every claim rule is ours,
        // checked against our clock (jsonwebtoken's own validation reads the system time).
        let payload = codec::open(token, &self.keys.current())?;
        let incoming: IncomingClaims =
            serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
        let claims = Claims::try_from(incoming)?;
        if claims.iss != self.policy.issuer {
            return Err(TokenError::WrongIssuer);
        }
        if now >= claims.exp.saturating_add(self.policy.leeway) {
            return Err(TokenError::Expired);
        }
        // A time in the future, beyond the leeway: not valid yet. For `iat` and `auth_time` this
        // also keeps a co-signed token from pushing its session's end (and our arithmetic) out.
        let latest = now.saturating_add(self.policy.leeway);
        if [claims.nbf, Some(claims.iat), claims.auth_time]
            .into_iter()
            .flatten()
            .any(|time| time > latest)
        {
            return Err(TokenError::NotYetValid);
        }
        if now >= self.session_end(&claims) {
            return Err(TokenError::SessionLifetimeReached);
        }
        Ok(claims)
    }

    /// The successor of a verified token, issued at `now`: its claims with a fresh `iat` and
    /// `exp` ([`successor_exp`](Self::successor_exp) for the same `now`), the token id `jti`, in
    /// session `sid`, never outliving the session's absolute lifetime.
    pub fn successor(
        &self,
        claims: Claims,
        sid: String,
        jti: String,
        now: u64,
    ) -> Result<IssuedToken, TokenError> {
        let session_start = claims.session_start();
        let claims = Claims {
            sid: Some(sid),
            auth_time: Some(session_start),
            jti: Some(jti),
            ..claims
        };
        let ttl = self.ttl_of(&claims);
        self.issue_lasting(claims, now, ttl)
    }

    /// The `exp` a successor of `claims` issued at `now` gets: its lifetime later
    /// ([`LIFETIME_CLAIM`]), or the session's end.
    pub fn successor_exp(&self, claims: &Claims, now: u64) -> u64 {
        now.saturating_add(self.ttl_of(claims))
            .min(self.session_end(claims))
    }

    /// How long a token of `claims` and its successors live: the policy's TTL, or the shorter
    /// lifetime its login gave it ([`LIFETIME_CLAIM`]; a longer one is ignored).
    fn ttl_of(&self, claims: &Claims) -> u64 {
        claims
            .other
            .get(LIFETIME_CLAIM)
            .and_then(Value::as_u64)
            .filter(|ttl| *ttl > 0)
            .map_or(self.policy.ttl, |ttl| ttl.min(self.policy.ttl))
    }

    /// When the session of `claims` can no longer be refreshed; `u64::MAX` without a cap.
    fn session_end(&self, claims: &Claims) -> u64 {
        self.policy
            .session_max
            .map_or(u64::MAX, |max| claims.session_start().saturating_add(max))
    }

    /// A new token for `sub` carrying `other` claims, starting a new session now; the service's
    /// own claims ([`SERVICE_CLAIMS`]) in `other` are ignored.
    pub fn mint(&self, sub: &str, other: Map<String, Value>) -> Result<IssuedToken, TokenError> {
        self.mint_lasting(sub, other, self.policy.ttl)
    }

    /// [`mint`](Self::mint) for a token that lives `ttl` seconds (within the session's lifetime)
    /// rather than the policy's TTL: a login's token, whose lifetime depends on its grant. A
    /// shorter lifetime is written into the token ([`LIFETIME_CLAIM`]), so that its successors
    /// live it too: an application key's five-minute token stays a five-minute token.
    pub fn mint_lasting(
        &self,
        sub: &str,
        mut other: Map<String, Value>,
        ttl: u64,
    ) -> Result<IssuedToken, TokenError> {
        other.retain(|name, _| !SERVICE_CLAIMS.contains(&name.as_str()));
        if ttl < self.policy.ttl {
            other.insert(LIFETIME_CLAIM.to_owned(), Value::from(ttl));
        }
        let now = self.clock.now();
        let claims = Claims {
            sub: sub.to_owned(),
            iss: self.policy.issuer.clone(),
            iat: 0,
            exp: 0,
            nbf: None,
            jti: Some(Uuid::new_v4().to_string()),
            sid: Some(Uuid::new_v4().to_string()),
            auth_time: Some(now),
            other,
        };
        self.issue_lasting(claims, now, ttl)
    }

    /// Signs `claims` as a new token issued at `now`, living `ttl` seconds or until its session
    /// ends, whichever is first. `nbf` is dropped: the new token is valid from its `iat`.
    fn issue_lasting(
        &self,
        mut claims: Claims,
        now: u64,
        ttl: u64,
    ) -> Result<IssuedToken, TokenError> {
        let exp = now.saturating_add(ttl).min(self.session_end(&claims));
        if exp <= now {
            return Err(TokenError::SessionLifetimeReached);
        }
        claims.iat = now;
        claims.exp = exp;
        claims.nbf = None;
        let json = serde_json::to_vec(&claims).map_err(|_| TokenError::Signing)?;
        let token = codec::seal(&json, self.keys.current().signing(), self.policy.encoding)?;
        Ok(IssuedToken {
            token,
            expires_in: exp - now,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{HmacKey, ManualClock};

    fn service() -> TokenService {
        let policy = TokenPolicy {
            issuer: "storefrontUI".to_owned(),
            ttl: 930,
            leeway: 0,
            session_max: None,
            encoding: TokenEncoding::Occ,
        };
        let key = HmacKey::new(&[7; 32]).unwrap();
        TokenService::new(key, policy, Arc::new(ManualClock::at(1_800_000_000)))
    }

    fn claims_with(lifetime: Value) -> Claims {
        let mut other = Map::new();
        other.insert(LIFETIME_CLAIM.to_owned(), lifetime);
        Claims {
            sub: "s".to_owned(),
            iss: "storefrontUI".to_owned(),
            iat: 0,
            exp: 0,
            nbf: None,
            jti: None,
            sid: None,
            auth_time: None,
            other,
        }
    }

    #[test]
    fn a_shorter_login_lifetime_is_written_and_kept_and_a_longer_or_odd_one_is_ignored() {
        let service = service();
        let minted = service.mint_lasting("app", Map::new(), 300).unwrap();
        assert_eq!(minted.expires_in, 300);
        let claims = service.verify(&minted.token).unwrap();
        assert_eq!(claims.other[LIFETIME_CLAIM], json!(300));
        assert_eq!(service.successor_exp(&claims, 10), 310);
        let user = service.mint("user", Map::new()).unwrap();
        assert!(
            !service
                .verify(&user.token)
                .unwrap()
                .other
                .contains_key(LIFETIME_CLAIM)
        );
        for ignored in [json!(5_000), json!(0), json!("300"), json!(-1), json!(1.5)] {
            assert_eq!(
                service.successor_exp(&claims_with(ignored.clone()), 10),
                940,
                "{ignored}"
            );
        }
        assert_eq!(service.successor_exp(&claims_with(json!(60)), 10), 70);
    }
}
