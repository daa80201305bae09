//! OCC's auth families as data: one row per family says where it is served, who issues its
//! tokens, how long they live, how a 401 is coded and which grants log in. Routes, the OpenAPI
//! document, metrics labels and tests are built from [`FAMILIES`]; adding a family is adding a
//! row.
//!
//! The defaults follow `occ-clients.md`. Where OCC documents nothing, these were chosen:
//!
//! - **Extension families' issuer**: `appUI`, after OCC's `<audience>UI` profile types.
//! - **401 `errorCode` of agent and extensions**: `60006000`, the admin family's. OCC serves the
//!   agent API and server-side extensions from its admin tier (agents and extensions both log in
//!   with admin-issued credentials), and no client reads the code: they read `status`.
//! - **Grants**: the store and agent families take passwords only; the extension families take
//!   application keys only; the admin family takes both.

use crate::TokenPolicy;

/// How a client logs in (RFC 6749's `grant_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grant {
    /// `password`: a user's name and password (RFC 6749 §4.3).
    Password,
    /// `client_credentials`: an application key as the Bearer credential (RFC 6749 §4.4).
    ClientCredentials,
}

impl Grant {
    /// The grant named by a form's `grant_type`, if it is one this service knows.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "password" => Some(Self::Password),
            "client_credentials" => Some(Self::ClientCredentials),
            _ => None,
        }
    }

    /// The grant's `grant_type` value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::ClientCredentials => "client_credentials",
        }
    }
}

/// One family's defaults: a row of [`FAMILIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FamilyRow {
    /// The family's name, as users and application-key files and metrics labels spell it.
    pub id: &'static str,
    /// Path prefixes serving its four operations (`<prefix>/login`, ...): REST prefix first,
    /// then its UI twins. All are the same family.
    pub prefixes: &'static [&'static str],
    /// Further full paths answering as its login (OCC's `mfalogin`).
    pub extra_login_paths: &'static [&'static str],
    /// Default `iss` of its tokens (OCC's profile type).
    pub issuer: &'static str,
    /// Default seconds a token from a user's password lives.
    pub user_ttl: u64,
    /// Default seconds a token from an application key lives.
    pub app_key_ttl: u64,
    /// `errorCode` of its 401 answers.
    pub unauthenticated_code: &'static str,
    /// Grants its login accepts.
    pub grants: &'static [Grant],
}

/// Seconds a token from user credentials lives by default: OCC's documented example
/// (`exp - iat = 930`).
pub const USER_TTL: u64 = 930;

/// Seconds a token from an application key lives by default: Oracle's five minutes.
pub const APP_KEY_TTL: u64 = 300;

/// OCC's auth families.
pub const FAMILIES: &[FamilyRow] = &[
    FamilyRow {
        id: "store",
        prefixes: &["/ccstore/v1", "/ccstoreui/v1"],
        extra_login_paths: &[],
        issuer: "storefrontUI",
        user_ttl: USER_TTL,
        app_key_ttl: APP_KEY_TTL,
        unauthenticated_code: "00001000",
        grants: &[Grant::Password],
    },
    FamilyRow {
        id: "admin",
        prefixes: &["/ccadmin/v1", "/ccadminui/v1"],
        extra_login_paths: &["/ccadmin/v1/mfalogin"],
        issuer: "adminUI",
        user_ttl: USER_TTL,
        app_key_ttl: APP_KEY_TTL,
        unauthenticated_code: "60006000",
        grants: &[Grant::ClientCredentials, Grant::Password],
    },
    FamilyRow {
        id: "agent",
        prefixes: &["/ccagent/v1", "/ccagentui/v1"],
        extra_login_paths: &[],
        issuer: "agentUI",
        user_ttl: USER_TTL,
        app_key_ttl: APP_KEY_TTL,
        unauthenticated_code: "60006000",
        grants: &[Grant::Password],
    },
    FamilyRow {
        id: "app",
        prefixes: &["/ccapp/v1", "/ccappagent/v1"],
        extra_login_paths: &[],
        issuer: "appUI",
        user_ttl: USER_TTL,
        app_key_ttl: APP_KEY_TTL,
        unauthenticated_code: "60006000",
        grants: &[Grant::ClientCredentials],
    },
];

/// What configuration may change in one family; `None` keeps the row's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FamilyOverrides {
    /// Issuer of its tokens.
    pub issuer: Option<String>,
    /// Seconds a token from a password lives.
    pub user_ttl: Option<u64>,
    /// Seconds a token from an application key lives.
    pub app_key_ttl: Option<u64>,
}

/// One family as configured: its row with the overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    row: &'static FamilyRow,
    issuer: String,
    user_ttl: u64,
    app_key_ttl: u64,
}

impl Family {
    /// The family's name (`store`, `admin`, ...).
    pub fn id(&self) -> &'static str {
        self.row.id
    }

    /// Its row of defaults (prefixes, error code, grants).
    pub fn row(&self) -> &'static FamilyRow {
        self.row
    }

    /// The `iss` of its tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Seconds a token issued for `grant` lives.
    pub fn ttl(&self, grant: Grant) -> u64 {
        match grant {
            Grant::Password => self.user_ttl,
            Grant::ClientCredentials => self.app_key_ttl,
        }
    }

    /// Whether its login accepts `grant`.
    pub fn allows(&self, grant: Grant) -> bool {
        self.row.grants.contains(&grant)
    }

    /// Whether `path` is one of the family's: under one of its prefixes (the prefix followed by
    /// `/` or nothing), or one of its extra login paths.
    pub fn serves(&self, path: &str) -> bool {
        self.row.extra_login_paths.contains(&path)
            || self.row.prefixes.iter().any(|prefix| {
                path.strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    }

    /// The token policy of this family: `base` with the family's issuer and user-token lifetime,
    /// so that its tokens verify only here.
    pub fn token_policy(&self, base: &TokenPolicy) -> TokenPolicy {
        TokenPolicy {
            issuer: self.issuer.clone(),
            ttl: self.user_ttl,
            ..base.clone()
        }
    }
}

/// Why a family configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FamilyError {
    /// An override names no family of [`FAMILIES`].
    #[error("there is no family {0:?}; the families are store, admin, agent and app")]
    Unknown(String),
    /// Two families would share an issuer, so a token of one would pass in the other.
    #[error("families {0} and {1} have the same issuer; each needs its own")]
    SharedIssuer(&'static str, &'static str),
    /// A lifetime of zero seconds, or an empty issuer.
    #[error("family {0}: the issuer must not be empty and lifetimes must be at least 1 s")]
    Invalid(&'static str),
}

/// Every family, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Families(Vec<Family>);

impl Default for Families {
    fn default() -> Self {
        Self(FAMILIES.iter().map(Family::from_row).collect())
    }
}

impl Family {
    fn from_row(row: &'static FamilyRow) -> Self {
        Self {
            row,
            issuer: row.issuer.to_owned(),
            user_ttl: row.user_ttl,
            app_key_ttl: row.app_key_ttl,
        }
    }
}

impl Families {
    /// The defaults with `overrides` (family id, overrides) applied. Refused when an override
    /// names no family, sets an empty issuer or a zero lifetime, or leaves two families one
    /// issuer (families are isolated by their issuer).
    pub fn configured<'a>(
        overrides: impl IntoIterator<Item = (&'a str, FamilyOverrides)>,
    ) -> Result<Self, FamilyError> {
        let mut families = Self::default();
        for (id, change) in overrides {
            let family = families
                .0
                .iter_mut()
                .find(|family| family.id() == id)
                .ok_or_else(|| FamilyError::Unknown(id.to_owned()))?;
            if let Some(issuer) = change.issuer {
                family.issuer = issuer;
            }
            family.user_ttl = change.user_ttl.unwrap_or(family.user_ttl);
            family.app_key_ttl = change.app_key_ttl.unwrap_or(family.app_key_ttl);
        }
        for (index, family) in families.0.iter().enumerate() {
            if family.issuer.is_empty() || family.user_ttl == 0 || family.app_key_ttl == 0 {
                return Err(FamilyError::Invalid(family.id()));
            }
            if let Some(other) = families
                .0
                .iter()
                .skip(index + 1)
                .find(|o| o.issuer == family.issuer)
            {
                return Err(FamilyError::SharedIssuer(family.id(), other.id()));
            }
        }
        Ok(families)
    }

    /// Every family, in table order.
    pub fn iter(&self) -> impl Iterator<Item = &Family> {
        self.0.iter()
    }

    /// The family named `id`.
    pub fn get(&self, id: &str) -> Option<&Family> {
        self.0.iter().find(|family| family.id() == id)
    }

    /// The family serving `path`: the one whose prefix `path` starts with, followed by `/` or
    /// nothing (`/ccstore/v1/login`, `/ccstoreui/v1/login/`), or whose extra login path it is.
    pub fn for_path(&self, path: &str) -> Option<&Family> {
        self.0.iter().find(|family| family.serves(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prefix_and_twin_finds_its_family() {
        let families = Families::default();
        let cases = [
            ("/ccstore/v1/login", "store"),
            ("/ccstoreui/v1/login/", "store"),
            ("/ccadmin/v1/refresh", "admin"),
            ("/ccadminui/v1/verify", "admin"),
            ("/ccadmin/v1/mfalogin", "admin"),
            ("/ccagent/v1/logout", "agent"),
            ("/ccagentui/v1/login", "agent"),
            ("/ccapp/v1/login", "app"),
            ("/ccappagent/v1/login", "app"),
        ];
        for (path, id) in cases {
            assert_eq!(families.for_path(path).map(Family::id), Some(id), "{path}");
        }
    }

    #[test]
    fn a_prefix_matches_only_at_a_segment_boundary() {
        let families = Families::default();
        assert_eq!(families.for_path("/ccstore/v10/login"), None);
        assert_eq!(families.for_path("/ccstorex/v1/login"), None);
        assert_eq!(families.for_path("/other/ccstore/v1/login"), None);
        assert_eq!(
            families.for_path("/ccstore/v1").map(Family::id),
            Some("store")
        );
    }

    #[test]
    fn defaults_follow_occ() {
        let families = Families::default();
        let store = families.get("store").unwrap();
        assert_eq!(store.issuer(), "storefrontUI");
        assert_eq!(store.ttl(Grant::Password), 930);
        assert_eq!(store.row().unauthenticated_code, "00001000");
        assert!(!store.allows(Grant::ClientCredentials));
        let admin = families.get("admin").unwrap();
        assert_eq!(admin.issuer(), "adminUI");
        assert_eq!(admin.ttl(Grant::ClientCredentials), 300);
        assert_eq!(admin.row().unauthenticated_code, "60006000");
        assert!(admin.allows(Grant::Password) && admin.allows(Grant::ClientCredentials));
        assert_eq!(families.get("agent").unwrap().issuer(), "agentUI");
        assert!(!families.get("app").unwrap().allows(Grant::Password));
    }

    #[test]
    fn overrides_change_only_what_they_set() {
        let families = Families::configured([(
            "admin",
            FamilyOverrides {
                issuer: Some("https://example.test/admin".into()),
                app_key_ttl: Some(120),
                user_ttl: None,
            },
        )])
        .unwrap();
        let admin = families.get("admin").unwrap();
        assert_eq!(admin.issuer(), "https://example.test/admin");
        assert_eq!(admin.ttl(Grant::ClientCredentials), 120);
        assert_eq!(admin.ttl(Grant::Password), USER_TTL);
        assert_eq!(families.get("store"), Families::default().get("store"));
    }

    #[test]
    fn bad_overrides_are_refused() {
        let issuer = |issuer: &str| FamilyOverrides {
            issuer: Some(issuer.into()),
            ..FamilyOverrides::default()
        };
        assert_eq!(
            Families::configured([("shop", FamilyOverrides::default())]),
            Err(FamilyError::Unknown("shop".into()))
        );
        assert_eq!(
            Families::configured([("agent", issuer("adminUI"))]),
            Err(FamilyError::SharedIssuer("admin", "agent"))
        );
        assert_eq!(
            Families::configured([("store", issuer(""))]),
            Err(FamilyError::Invalid("store"))
        );
        let zero = FamilyOverrides {
            user_ttl: Some(0),
            ..FamilyOverrides::default()
        };
        assert_eq!(
            Families::configured([("agent", zero)]),
            Err(FamilyError::Invalid("agent"))
        );
    }

    #[test]
    fn a_family_policy_carries_its_issuer_and_user_lifetime() {
        let base = TokenPolicy {
            issuer: "storefrontUI".into(),
            ttl: 1,
            leeway: 5,
            session_max: Some(60),
            encoding: crate::TokenEncoding::Jws,
        };
        let families = Families::default();
        let policy = families.get("agent").unwrap().token_policy(&base);
        assert_eq!(policy.issuer, "agentUI");
        assert_eq!(policy.ttl, USER_TTL);
        assert_eq!((policy.leeway, policy.session_max), (5, Some(60)));
    }
}
