//! The users file (`CCSTORE_USERS_FILE`): who may log in with a password, in which family, as
//! whom, with which extra claims, and their argon2id hash. One JSON object per line:
//!
//! ```text
//! {"username":"ann@example.com","family":"store","sub":"se-570031","claims":{},"password_hash":"$argon2id$v=19$m=19456,t=2,p=1$...$..."}
//! {"username":"ops","family":"admin","sub":"100001","claims":{"com.oracle.atg.cloud.commerce.roles":["admin"]},"password_hash":"$argon2id$...","totp_secret":"JBSWY3DPEHPK3PXP..."}
//! ```
//!
//! The file is read whole: [`Users::parse`] yields every user or refuses the file at its first
//! faulty line, so a broken edit never replaces the users in force. Usernames are compared
//! case-insensitively (shoppers type their email address in any case) within a family; the same
//! name may exist in two families. A user with a `totp_secret` must give a passcode at every
//! login. The file also fixes the dummy hash an unknown username is checked against: one of the
//! cost most users' hashes have, so that an unknown name costs what a known one does.

use std::collections::HashMap;
use std::sync::OnceLock;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::family::{Families, Family, Grant};
use crate::login::lines::{self, FileError, LineFault};
use crate::login::password::{Cost, HashError, PasswordHash};
use crate::login::totp::Totp;

/// The fields of a line, for the refusal message.
const FORM: &str = "{\"username\", \"family\", \"sub\", \"claims\": {...}, \"password_hash\": \
                    \"$argon2id$...\", \"totp_secret\" (optional)}";

/// Fewest characters of a password `user add` hashes (NIST SP 800-63B §5.1.1.2: at least 8).
pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    username: String,
    family: String,
    sub: String,
    #[serde(default)]
    claims: Map<String, Value>,
    password_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    totp_secret: Option<String>,
}

/// A user who logs in with a password.
#[derive(Debug, Clone)]
pub struct User {
    family: &'static str,
    sub: String,
    claims: Map<String, Value>,
    hash: PasswordHash,
    totp: Option<Totp>,
}

impl User {
    /// The `sub` of the user's tokens (OCC's profile id).
    pub fn sub(&self) -> &str {
        &self.sub
    }

    /// Claims the user's tokens carry besides the service's own.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The user's family.
    pub fn family(&self) -> &'static str {
        self.family
    }

    /// The user's TOTP secret, when logins need a passcode.
    pub(crate) fn totp(&self) -> Option<&Totp> {
        self.totp.as_ref()
    }
}

/// How a password check came out: the user, if the name is known, and whether the password
/// matched the hash checked (the user's, or the dummy for an unknown name).
#[derive(Debug)]
pub(crate) struct Checked<'a> {
    user: Option<&'a User>,
    password_matched: bool,
}

impl<'a> Checked<'a> {
    /// The user, if the name is known and the password is theirs.
    pub(crate) fn authenticated(&self) -> Option<&'a User> {
        self.user.filter(|_| self.password_matched)
    }
}

/// Every user of the users file.
#[derive(Debug, Clone)]
pub struct Users {
    by_name: HashMap<(&'static str, String), User>,
    /// The dummy's cost: the one most users' hashes have.
    cost: Cost,
    /// The dummy hash, made at the first password check of any user, known or not (so that no
    /// login, the first included, costs differently for an unknown name), not when the file is
    /// read: an argon2id computation holds 19 MiB, which a server nobody logs in to never needs.
    dummy: OnceLock<Option<PasswordHash>>,
}

/// The form a username is compared in.
pub(crate) fn normalised(username: &str) -> String {
    username.to_lowercase()
}

impl Users {
    /// No users: every password login fails, at the cost of a real check.
    pub fn none() -> Result<Self, HashError> {
        Ok(Self {
            by_name: HashMap::new(),
            cost: Cost::OWASP,
            dummy: OnceLock::new(),
        })
    }

    /// Every user of a users file, or the first line that is not a valid user.
    pub fn parse(text: &str, families: &Families) -> Result<Self, FileError> {
        let mut by_name = HashMap::new();
        let mut costs: HashMap<Cost, (usize, usize)> = HashMap::new();
        for entry in lines::entries::<Line>(text, FORM) {
            let (line, entry) = entry?;
            let (username, user) =
                user(entry, families).map_err(|fault| FileError { line, fault })?;
            let key = (user.family, normalised(&username));
            if by_name.contains_key(&key) {
                return Err(FileError {
                    line,
                    fault: LineFault::Duplicate("username"),
                });
            }
            costs.entry(user.hash.cost()).or_insert((0, line)).0 += 1;
            by_name.insert(key, user);
        }
        // The cost most hashes have; among equals, the first seen. No users: OWASP's.
        let cost = costs
            .into_iter()
            .max_by_key(|(_, (count, line))| (*count, std::cmp::Reverse(*line)))
            .map_or(Cost::OWASP, |(cost, _)| cost);
        Ok(Self {
            by_name,
            cost,
            dummy: OnceLock::new(),
        })
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The user `username` of `family`, compared case-insensitively.
    pub(crate) fn find(&self, family: &'static str, username: &str) -> Option<&User> {
        self.by_name.get(&(family, normalised(username)))
    }

    /// Checks `password` against the hash of `username` in `family`, or against the dummy when
    /// there is no such user: one argon2id computation either way. Blocking (tens of ms).
    pub(crate) fn check(
        &self,
        family: &'static str,
        username: &str,
        password: &SecretString,
    ) -> Checked<'_> {
        // Made before the user is looked at, whoever logs in (see `dummy`). Its cost is one a
        // parsed hash has, so it cannot fail; if it ever did, an unknown name matches nothing.
        let dummy = self
            .dummy
            .get_or_init(|| PasswordHash::dummy(self.cost).ok());
        let user = self.find(family, username);
        let hash = user.map(|user| &user.hash).or(dummy.as_ref());
        Checked {
            user,
            password_matched: hash.is_some_and(|hash| hash.verify(password)),
        }
    }
}

/// The user of one line, with the name it is known by.
fn user(line: Line, families: &Families) -> Result<(String, User), LineFault> {
    lines::checked_name(&line.username, "username")?;
    lines::checked_name(&line.sub, "sub")?;
    let family = families
        .get(&line.family)
        .ok_or_else(|| LineFault::UnknownFamily(line.family.clone()))?;
    takes_passwords(family)?;
    let claims = lines::checked_claims(line.claims)?;
    let hash = PasswordHash::parse(&line.password_hash).map_err(LineFault::Hash)?;
    let totp = match line.totp_secret.map(SecretString::from) {
        Some(secret) => Some(Totp::from_base32(secret.expose_secret()).ok_or(LineFault::Totp)?),
        None => None,
    };
    Ok((
        line.username,
        User {
            family: family.id(),
            sub: line.sub,
            claims,
            hash,
            totp,
        },
    ))
}

fn takes_passwords(family: &Family) -> Result<(), LineFault> {
    if family.allows(Grant::Password) {
        Ok(())
    } else {
        Err(LineFault::WrongGrant(family.id()))
    }
}

/// A user to add to the users file (`ccstore-server user add`).
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// The login name.
    pub username: &'a str,
    /// The family the user logs in to.
    pub family: &'a Family,
    /// The `sub` of the user's tokens.
    pub sub: &'a str,
    /// Extra claims of the user's tokens.
    pub claims: Map<String, Value>,
    /// A TOTP secret in base32, if logins are to need a passcode.
    pub totp_secret: Option<&'a SecretString>,
}

impl NewUser<'_> {
    /// The users-file line for this user with `password` hashed at OWASP's parameters (one
    /// argon2id computation). Refused like a line of the file would be, or when the password has
    /// fewer than [`MIN_PASSWORD_CHARS`] characters.
    pub fn line(&self, password: &SecretString) -> Result<String, LineFault> {
        lines::checked_name(self.username, "username")?;
        lines::checked_name(self.sub, "sub")?;
        takes_passwords(self.family)?;
        let claims = lines::checked_claims(self.claims.clone())?;
        if let Some(secret) = self.totp_secret {
            Totp::from_base32(secret.expose_secret()).ok_or(LineFault::Totp)?;
        }
        if password.expose_secret().chars().count() < MIN_PASSWORD_CHARS {
            return Err(LineFault::ShortPassword);
        }
        let line = Line {
            username: self.username.to_owned(),
            family: self.family.id().to_owned(),
            sub: self.sub.to_owned(),
            claims,
            password_hash: PasswordHash::new(password)
                .map_err(LineFault::Hash)?
                .as_phc()
                .to_owned(),
            totp_secret: self
                .totp_secret
                .map(|secret| secret.expose_secret().to_owned()),
        };
        serde_json::to_string(&line).map_err(|_| LineFault::Syntax(FORM))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::password::DUMMY_PASSWORD;

    fn users_with(password: &str) -> Users {
        let families = Families::default();
        let line = NewUser {
            username: "Ann@Example.com",
            family: families.get("store").unwrap(),
            sub: "se-1",
            claims: Map::new(),
            totp_secret: None,
        }
        .line(&SecretString::from(password))
        .unwrap();
        Users::parse(&line, &families).unwrap()
    }

    #[test]
    fn an_unknown_name_is_checked_by_argon2_against_the_dummy() {
        let users = users_with("a long password");
        // Only a real argon2id verification of the dummy's password against the dummy hash can
        // report a match here; the user stays unknown, so nobody is let in.
        let checked = users.check("store", "nobody", &SecretString::from(DUMMY_PASSWORD));
        assert!(checked.password_matched);
        assert!(checked.user.is_none());
        assert!(checked.authenticated().is_none());
        let wrong = users.check("store", "nobody", &SecretString::from("a long password"));
        assert!(!wrong.password_matched);
    }

    #[test]
    fn a_known_name_is_checked_against_its_own_hash_in_any_case() {
        let users = users_with("a long password");
        let right = users.check(
            "store",
            "ann@example.COM",
            &SecretString::from("a long password"),
        );
        assert_eq!(right.authenticated().map(User::sub), Some("se-1"));
        let dummy = users.check(
            "store",
            "ann@example.com",
            &SecretString::from(DUMMY_PASSWORD),
        );
        assert!(!dummy.password_matched && dummy.authenticated().is_none());
        let other_family = users.check(
            "agent",
            "ann@example.com",
            &SecretString::from("a long password"),
        );
        assert!(other_family.user.is_none() && other_family.authenticated().is_none());
    }

    #[test]
    fn the_dummy_costs_what_most_users_hashes_cost() {
        let families = Families::default();
        let strong = PasswordHash::dummy(Cost {
            memory: 32_768,
            passes: 3,
            lanes: 1,
        })
        .unwrap();
        let owasp = PasswordHash::new(&SecretString::from("whatever pw")).unwrap();
        let line = |name: &str, hash: &PasswordHash| {
            format!(
                r#"{{"username":"{name}","family":"store","sub":"{name}","password_hash":"{}"}}"#,
                hash.as_phc()
            )
        };
        let text = [line("a", &strong), line("b", &owasp), line("c", &strong)].join("\n");
        let users = Users::parse(&text, &families).unwrap();
        assert!(
            users.dummy.get().is_none(),
            "no hash computed while reading the file"
        );
        assert!(
            !users
                .check("store", "nobody", &SecretString::from("x"))
                .password_matched
        );
        let dummy = users.dummy.get().and_then(Option::as_ref).unwrap();
        assert_eq!(dummy.cost(), strong.cost());
    }
}
