//! Session rules on top of the token rules: logout ends a whole session, a refreshed token is not
//! refreshed again (RFC 9700 rotation with reuse detection, adapted to OCC's refresh with the
//! access token), and state lives in a [`SessionStore`] shared by every instance.

use std::borrow::Cow;

use uuid::Uuid;

use super::store::{MAX_RECORD_SECONDS, RefreshAttempt, Rotation, SessionStore, StoreError};
use crate::token::fingerprint;
use crate::{Claims, IssuedToken, TokenError, TokenService};

/// Whether an already refreshed token may be refreshed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReuseDetection {
    /// Any valid token refreshes, as OCC does.
    Off,
    /// A token refreshes once; again within `grace` seconds of its first refresh (tabs racing),
    /// or later as long as none of its successors was used (a retry after a lost answer); after
    /// that its session is revoked as stolen.
    On {
        /// Seconds after the first refresh during which a second one is still honoured.
        grace: u64,
    },
}

/// Tokens and the sessions they belong to.
#[derive(Debug)]
pub struct Sessions<S> {
    tokens: TokenService,
    store: S,
    reuse: ReuseDetection,
}

impl From<StoreError> for TokenError {
    fn from(_: StoreError) -> Self {
        Self::StoreUnavailable
    }
}

impl<S: SessionStore> Sessions<S> {
    /// Session rules over `tokens`, with state in `store`.
    pub fn new(tokens: TokenService, store: S, reuse: ReuseDetection) -> Self {
        Self {
            tokens,
            store,
            reuse,
        }
    }

    /// The store holding the state.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The claims of `token` if it is valid and its session alive. Consumes nothing.
    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_at(token, self.tokens.now()).await
    }

    /// [`verify`](Self::verify) at `now`, read once by the caller for the whole request.
    async fn verify_at(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let claims = self.tokens.verify_at(token, now)?;
        let (sid, _) = identities(&claims, token);
        if self.store.is_revoked(&sid, now).await? {
            return Err(TokenError::Revoked);
        }
        Ok(claims)
    }

    /// The successor of `token`, in the same session.
    pub async fn refresh(&self, token: &str) -> Result<IssuedToken, TokenError> {
        // One reading of the clock for every rule and record of this refresh.
        let now = self.tokens.now();
        let claims = self.tokens.verify_at(token, now)?;
        let (sid, token_id) = identities(&claims, token);
        let successor_id = Uuid::new_v4().to_string();
        match self.reuse {
            ReuseDetection::Off => {
                if self.store.is_revoked(&sid, now).await? {
                    return Err(TokenError::Revoked);
                }
            }
            ReuseDetection::On { grace } => {
                let leeway = self.tokens.policy().leeway;
                let horizon = self.horizon(&claims, now);
                let successor_expires = self
                    .tokens
                    .successor_exp(&claims, now)
                    .saturating_add(leeway)
                    .min(horizon);
                let token_expires = claims.exp.saturating_add(leeway).min(horizon);
                let attempt = RefreshAttempt {
                    sid: &sid,
                    token_id: &token_id,
                    successor_id: &successor_id,
                    now,
                    grace,
                    successor_expires,
                    token_expires,
                    keep_for: successor_expires
                        .max(token_expires)
                        .saturating_sub(now)
                        .max(1),
                };
                match self.store.rotate(attempt).await? {
                    Rotation::SessionRevoked => return Err(TokenError::Revoked),
                    Rotation::Rotated | Rotation::WithinGrace | Rotation::Retried => {}
                    Rotation::Replayed => {
                        let ttl = self.revocation_ttl(&claims, now);
                        self.store.revoke(&sid, now, ttl).await?;
                        return Err(TokenError::Replayed);
                    }
                }
            }
        }
        let sid = sid.into_owned();
        // Issued at the same `now` the store recorded: the successor's `exp` is the one its head
        // entry expires with.
        self.tokens.successor(claims, sid, successor_id, now)
    }

    /// Ends the session of `token` everywhere: every token descended from the same login is
    /// refused from now on.
    pub async fn logout(&self, token: &str) -> Result<(), TokenError> {
        let now = self.tokens.now();
        let claims = self.verify_at(token, now).await?;
        let (sid, _) = identities(&claims, token);
        let ttl = self.revocation_ttl(&claims, now);
        Ok(self.store.revoke(&sid, now, ttl).await?)
    }

    /// The latest time anything about the session of `claims` needs keeping: the session's end
    /// (after it no token of the session verifies), and never more than [`MAX_RECORD_SECONDS`]
    /// from now, so that a far-future `exp` is clamped instead of overflowing a store's TTL.
    fn horizon(&self, claims: &Claims, now: u64) -> u64 {
        let policy = self.tokens.policy();
        let session_end = policy.session_max.map_or(u64::MAX, |max| {
            claims
                .session_start()
                .saturating_add(max)
                .saturating_add(policy.leeway)
        });
        session_end.min(now.saturating_add(MAX_RECORD_SECONDS))
    }

    /// Seconds a revocation must last: until no token of the session can be used any more. The
    /// newest token of the session was issued at most now, so lives at most a TTL, or as long as
    /// the token presented if that is longer; the store extends it to the latest `exp` it has
    /// seen in the session; never beyond the session's absolute lifetime.
    fn revocation_ttl(&self, claims: &Claims, now: u64) -> u64 {
        let policy = self.tokens.policy();
        let newest = now.saturating_add(policy.ttl).saturating_add(policy.leeway);
        claims
            .exp
            .saturating_add(policy.leeway)
            .max(newest)
            .min(self.horizon(claims, now))
            .saturating_sub(now)
            .max(1)
    }
}

/// The session and token ids of a verified token: its `sid` and `jti`, or for a token minted
/// elsewhere without them, its [`fingerprint`] (never the token itself: ids are stored). Neither
/// depends on how the token is spelled, so a re-spelled copy is the same token to every rule.
fn identities<'c>(claims: &'c Claims, token: &str) -> (Cow<'c, str>, Cow<'c, str>) {
    match (claims.sid.as_deref(), claims.jti.as_deref()) {
        (Some(sid), Some(jti)) => (Cow::Borrowed(sid), Cow::Borrowed(jti)),
        // Digested once, whichever of the two it stands in for.
        (sid, jti) => {
            let digest = fingerprint(token);
            let sid = sid.map_or_else(|| Cow::Owned(digest.clone()), Cow::Borrowed);
            (sid, jti.map_or(Cow::Owned(digest), Cow::Borrowed))
        }
    }
}
