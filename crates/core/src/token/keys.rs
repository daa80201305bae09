//! The keys a service signs and verifies with, so keys can be rotated without downtime: one
//! active key signs new tokens and names itself in their `kid` header (RFC 7515 §4.1.4); the
//! other listed keys still verify the tokens they signed. The set is swapped whole, atomically,
//! while requests are in flight ([`KeyRing`]).

use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};
use base64::Engine;
use serde::Serialize;

use crate::{HmacKey, KeyError, TokenEncoding};

/// Longest `kid` accepted: it travels in every token's header.
pub const MAX_KID_BYTES: usize = 64;

/// A key and the header of the tokens it signs.
pub(crate) struct NamedKey {
    /// The key's id; `None` for a lone key configured without one.
    pub(crate) kid: Option<String>,
    pub(crate) key: HmacKey,
    /// The header of the tokens this key signs, spelled in each [`TokenEncoding`] (in the
    /// order of [`TokenEncoding::ALL`]).
    headers: [String; 2],
}

/// The header ccstore writes: `typ`, `alg` and, for a named key, `kid`.
#[derive(Serialize)]
struct OwnHeader<'a> {
    typ: &'static str,
    alg: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
}

impl NamedKey {
    fn new(kid: Option<String>, key: HmacKey) -> Self {
        let header = OwnHeader {
            typ: "JWT",
            alg: "HS256",
            kid: kid.as_deref(),
        };
        // A struct of strings always serializes.
        let json = serde_json::to_vec(&header).unwrap_or_default();
        let headers = TokenEncoding::ALL.map(|encoding| encoding.engine().encode(&json));
        Self { kid, key, headers }
    }

    /// The header of the tokens this key signs, spelled in `encoding`.
    pub(crate) fn header(&self, encoding: TokenEncoding) -> &str {
        let [occ, jws] = &self.headers;
        match encoding {
            TokenEncoding::Occ => occ,
            TokenEncoding::Jws => jws,
        }
    }
}

/// The keys in force: the active one signs, every one verifies.
pub struct KeySet {
    active: NamedKey,
    others: Vec<NamedKey>,
}

impl KeySet {
    /// One key without an id: it signs, and verifies every token whatever its `kid`.
    pub fn single(key: HmacKey) -> Self {
        Self {
            active: NamedKey::new(None, key),
            others: Vec::new(),
        }
    }

    /// Named keys, of which `active` signs. Ids must be unique, non-empty, at most
    /// [`MAX_KID_BYTES`] long, and include `active`.
    pub fn named(keys: Vec<(String, HmacKey)>, active: &str) -> Result<Self, KeyError> {
        let mut named: Vec<NamedKey> = Vec::with_capacity(keys.len());
        for (kid, key) in keys {
            if kid.is_empty() || kid.len() > MAX_KID_BYTES {
                return Err(KeyError::BadKid {
                    maximum: MAX_KID_BYTES,
                });
            }
            if named.iter().any(|known| known.kid.as_deref() == Some(&kid)) {
                return Err(KeyError::DuplicateKid(kid));
            }
            named.push(NamedKey::new(Some(kid), key));
        }
        if named.is_empty() {
            return Err(KeyError::NoKeys);
        }
        let position = named
            .iter()
            .position(|key| key.kid.as_deref() == Some(active))
            .ok_or_else(|| KeyError::ActiveNotListed(active.to_owned()))?;
        let active = named.swap_remove(position);
        Ok(Self {
            active,
            others: named,
        })
    }

    /// The id of the key that signs; `None` for a lone unnamed key.
    pub fn active_kid(&self) -> Option<&str> {
        self.active.kid.as_deref()
    }

    /// How many keys verify: the active one and the others.
    pub fn count(&self) -> usize {
        1 + self.others.len()
    }

    /// The key that signs new tokens.
    pub(crate) fn signing(&self) -> &NamedKey {
        &self.active
    }

    /// Every key, the active one first.
    fn all(&self) -> impl Iterator<Item = &NamedKey> {
        std::iter::once(&self.active).chain(&self.others)
    }

    /// The key whose own header, in either spelling, is exactly `header`: the common case of a
    /// token ccstore signed.
    pub(crate) fn by_own_header(&self, header: &str) -> Option<&NamedKey> {
        self.all()
            .find(|key| key.headers.iter().any(|own| own == header))
    }

    /// The key that verifies a token with `kid`: the key of that id, or the active key for a
    /// token without one. A lone unnamed key verifies every token.
    pub(crate) fn for_kid(&self, kid: Option<&str>) -> Option<&NamedKey> {
        match kid {
            Some(kid) if self.active.kid.is_some() => {
                self.all().find(|key| key.kid.as_deref() == Some(kid))
            }
            _ => Some(&self.active),
        }
    }
}

impl From<HmacKey> for KeySet {
    fn from(key: HmacKey) -> Self {
        Self::single(key)
    }
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("kids", &self.all().map(|key| &key.kid).collect::<Vec<_>>())
            .field("active", &self.active_kid())
            .finish_non_exhaustive()
    }
}

/// The key set in force, shared by every worker and replaced whole: a request holds the set it
/// started with until it ends, so a replacement never fails a request in flight.
#[derive(Debug, Clone)]
pub struct KeyRing(Arc<ArcSwap<KeySet>>);

impl KeyRing {
    /// A ring holding `keys`.
    pub fn new(keys: KeySet) -> Self {
        Self(Arc::new(ArcSwap::from_pointee(keys)))
    }

    /// The keys in force now.
    pub fn current(&self) -> Guard<Arc<KeySet>> {
        self.0.load()
    }

    /// Puts `keys` in force for every request that starts from now on.
    pub fn replace(&self, keys: KeySet) {
        self.0.store(Arc::new(keys));
    }
}

impl From<KeySet> for KeyRing {
    fn from(keys: KeySet) -> Self {
        Self::new(keys)
    }
}

impl From<HmacKey> for KeyRing {
    fn from(key: HmacKey) -> Self {
        Self::new(KeySet::single(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> HmacKey {
        HmacKey::new(&[byte; 32]).unwrap()
    }

    fn decoded_headers(keys: &KeySet) -> Vec<Vec<u8>> {
        TokenEncoding::ALL
            .map(|encoding| {
                let header = keys.signing().header(encoding);
                encoding.engine().decode(header).unwrap()
            })
            .into()
    }

    #[test]
    fn a_lone_key_writes_the_header_without_kid() {
        let keys = KeySet::single(key(1));
        for decoded in decoded_headers(&keys) {
            assert_eq!(decoded, br#"{"typ":"JWT","alg":"HS256"}"#);
        }
        assert_eq!(keys.active_kid(), None);
    }

    #[test]
    fn a_named_key_writes_its_kid_escaped_as_json_in_both_spellings() {
        let keys = KeySet::named(vec![(r#"a"b?"#.to_owned(), key(1))], r#"a"b?"#).unwrap();
        for decoded in decoded_headers(&keys) {
            assert_eq!(decoded, br#"{"typ":"JWT","alg":"HS256","kid":"a\"b?"}"#);
        }
        let occ = keys.signing().header(TokenEncoding::Occ);
        let jws = keys.signing().header(TokenEncoding::Jws);
        assert!(occ.ends_with('=') && occ.contains('/'), "{occ}");
        assert!(!jws.contains('=') && jws.contains('_'), "{jws}");
        assert!(keys.by_own_header(occ).is_some() && keys.by_own_header(jws).is_some());
    }

    #[test]
    fn named_sets_refuse_empty_duplicate_long_or_missing_ids() {
        let named = |kids: &[&str], active: &str| {
            KeySet::named(
                kids.iter().map(|kid| ((*kid).to_owned(), key(1))).collect(),
                active,
            )
            .map(|set| set.count())
        };
        assert_eq!(named(&[], "a"), Err(KeyError::NoKeys));
        assert_eq!(named(&[""], ""), Err(KeyError::BadKid { maximum: 64 }));
        assert_eq!(
            named(&[&"k".repeat(65)], "k"),
            Err(KeyError::BadKid { maximum: 64 })
        );
        assert_eq!(
            named(&["a", "a"], "a"),
            Err(KeyError::DuplicateKid("a".to_owned()))
        );
        assert_eq!(
            named(&["a", "b"], "c"),
            Err(KeyError::ActiveNotListed("c".to_owned()))
        );
        assert_eq!(named(&["a", &"k".repeat(64)], "a"), Ok(2));
    }

    #[test]
    fn kids_choose_their_key_and_tokens_without_one_get_the_active_key() {
        let keys = KeySet::named(
            vec![("old".to_owned(), key(1)), ("new".to_owned(), key(2))],
            "new",
        )
        .unwrap();
        assert_eq!(keys.active_kid(), Some("new"));
        let kid_of = |found: Option<&NamedKey>| found.map(|key| key.kid.clone());
        assert_eq!(kid_of(keys.for_kid(Some("old"))), Some(Some("old".into())));
        assert_eq!(kid_of(keys.for_kid(None)), Some(Some("new".into())));
        assert_eq!(kid_of(keys.for_kid(Some("gone"))), None);
        let old_header = keys
            .for_kid(Some("old"))
            .unwrap()
            .header(TokenEncoding::Jws)
            .to_owned();
        assert_eq!(
            kid_of(keys.by_own_header(&old_header)),
            Some(Some("old".into()))
        );
        assert!(keys.by_own_header("eyJ9").is_none());
    }

    #[test]
    fn a_lone_key_verifies_any_kid() {
        let keys = KeySet::single(key(1));
        assert!(keys.for_kid(Some("minted-elsewhere")).is_some());
    }

    #[test]
    fn a_replaced_ring_serves_the_new_set_while_a_held_set_stays_intact() {
        let ring = KeyRing::new(KeySet::named(vec![("a".to_owned(), key(1))], "a").unwrap());
        let held = ring.current();
        ring.replace(KeySet::named(vec![("b".to_owned(), key(2))], "b").unwrap());
        assert_eq!(held.active_kid(), Some("a"));
        assert_eq!(ring.current().active_kid(), Some("b"));
        assert_eq!(ring.clone().current().active_kid(), Some("b"));
    }
}
