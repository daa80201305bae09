//! The claims of an access token: the registered ones the rules check, and every other claim kept
//! as it came, so a refresh carries roles and profile ids forward unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::TokenError;

/// Claims the service sets itself on every token it issues; values given for them are not used.
pub const SERVICE_CLAIMS: [&str; 8] =
    ["sub", "iss", "iat", "exp", "nbf", "jti", "sid", "auth_time"];

/// The claims of a verified token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claims {
    /// Subject: the shopper's profile id.
    pub sub: String,
    /// Issuer, equal to the configured one.
    pub iss: String,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Not before, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Token id, unique per issued token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Session id, shared by every token descended from one login through refreshes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// When the session started (the login), seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// Every other claim, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Claims as they arrive, before the rules have checked that the required ones are present.
#[derive(Debug, Deserialize)]
pub(crate) struct IncomingClaims {
    sub: Option<String>,
    iss: Option<String>,
    iat: Option<u64>,
    exp: Option<u64>,
    nbf: Option<u64>,
    jti: Option<String>,
    sid: Option<String>,
    auth_time: Option<u64>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

impl Claims {
    /// When the token's session started: `auth_time`, or for a token minted without one, its `iat`.
    pub fn session_start(&self) -> u64 {
        self.auth_time.unwrap_or(self.iat)
    }
}

impl TryFrom<IncomingClaims> for Claims {
    type Error = TokenError;

    fn try_from(incoming: IncomingClaims) -> Result<Self, TokenError> {
        Ok(Self {
            sub: incoming.sub.ok_or(TokenError::MissingClaim("sub"))?,
            iss: incoming.iss.ok_or(TokenError::MissingClaim("iss"))?,
            iat: incoming.iat.ok_or(TokenError::MissingClaim("iat"))?,
            exp: incoming.exp.ok_or(TokenError::MissingClaim("exp"))?,
            nbf: incoming.nbf,
            jti: incoming.jti,
            sid: incoming.sid,
            auth_time: incoming.auth_time,
            other: incoming.other,
        })
    }
}
