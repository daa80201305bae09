//! The refresh-once rule applied to one session's record, as the in-process store keeps it (the
//! Redis store's Lua script applies the same rule to the same fields; keep the two in step).
//!
//! # The rule
//!
//! A session's record holds its **heads** (tokens issued and not refreshed yet, each with the
//! token it was issued for) and its **retired** tokens (refreshed, each with when, and whether a
//! successor of it has been used since). A token presented for refresh is:
//!
//! 1. a head: it is retired, its parent is marked as *moved on*, and it gets a new successor
//!    ([`Rotation::Rotated`]);
//! 2. retired within `grace` seconds of its first refresh: tabs racing, it gets another successor
//!    beside the first ([`Rotation::WithinGrace`]);
//! 3. retired later, **with no successor used yet**: the answer to its first refresh never
//!    reached the client (a 503 after Redis ran the script anyway, an answer lost on the way), so
//!    this is the retry, however late: its unused successors are forgotten and the new one
//!    replaces them ([`Rotation::Retried`]);
//! 4. retired later, after a successor was used, or unknown to a session the store knows: the
//!    session has moved on past the token, which is presumed stolen (RFC 9700 §4.14.2) and the
//!    session is revoked ([`Rotation::Replayed`]);
//! 5. unknown, in a session the store has no record of: the session's first refresh (a token
//!    minted elsewhere, or the login token) ([`Rotation::Rotated`]).
//!
//! A 503 therefore changes nothing a client can be blamed for: whatever the store did before the
//! answer was lost, presenting the same token again is case 2 or 3, never 4.
//!
//! # Why a retry replaces the unused successor rather than adding one
//!
//! The client that retries never saw the lost successor, so forgetting it costs it nothing. Had
//! the retry added a successor instead, anyone else holding the retried token would keep a chain
//! of their own for ever, undetected. With the replacement, whoever holds the forgotten successor
//! is found out when they present it (case 4).
//!
//! # What it means for a thief
//!
//! A thief who copied a token before the shopper used its successor (or before the shopper
//! refreshed it at all) can refresh it, as the retry can: the store cannot tell them apart, and
//! no store can without proof of possession (RFC 9700 §4.10, which OCC clients do not send). But
//! the other party's unused successor is then forgotten, so whichever of the two presents the
//! forgotten successor, or the copied token after the other has moved on, is refused as a replay
//! and the session ends for both. Once the shopper has used a successor, the copy is worth
//! nothing: presenting it is case 4. Only inside the grace window can two chains coexist, as
//! before.
//!
//! # How long
//!
//! Heads are kept until they expire, retired tokens until they expire (case 3 needs them) or,
//! once a successor was used, until the grace window ends (after that, unknown means case 4
//! anyway). The record itself is kept until the latest `exp` it has seen, so that an ancestor
//! with a longer life is still case 4, and a logout still covers it, for its whole life.

use smallvec::SmallVec;

use super::store::{MAX_TRACKED, RefreshAttempt, Rotation};

/// Tokens that may be refreshed: inline while there is one (there is one but while tabs race).
type Heads = SmallVec<[Head; 1]>;
/// Tokens refreshed lately: inline up to two, as a client refreshing every 30 s with the default
/// 30 s grace window keeps its last two.
type RetiredTokens = SmallVec<[Retired; 2]>;

/// A time in a record: whole seconds since the store's [`Epoch`], in 32 bits (136 years).
///
/// Every time a record holds is at most [`MAX_RECORD_SECONDS`](crate::MAX_RECORD_SECONDS)
/// (100 years) after the `now` it was computed at, so 32 bits hold them all for 36 years of one
/// process; later ones saturate to the largest stamp ("for ever", as such a time was anyway).
/// Times before the epoch saturate to 0: a clock stepped back that far sees nothing expire
/// early. Half the width of a `u64` keeps a record at 96 bytes instead of 120.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp(u32);

impl Stamp {
    /// `seconds` later, saturating.
    fn plus(self, seconds: u32) -> Self {
        Self(self.0.saturating_add(seconds))
    }
}

/// Where a store's [`Stamp`]s count from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Epoch(u64);

impl Epoch {
    /// An epoch `margin` seconds before `first`, the first time the store is given: a clock
    /// stepped back by up to the margin still compares exactly.
    pub(crate) fn before(first: u64, margin: u64) -> Self {
        Self(first.saturating_sub(margin))
    }

    /// `time` (seconds since the Unix epoch) as a stamp, saturating at both ends.
    pub(crate) fn stamp(self, time: u64) -> Stamp {
        Stamp(u32::try_from(time.saturating_sub(self.0)).unwrap_or(u32::MAX))
    }

    /// The times of `attempt` as the record keeps them.
    pub(crate) fn attempt(self, attempt: &RefreshAttempt<'_>) -> AttemptTimes {
        AttemptTimes {
            now: self.stamp(attempt.now),
            grace: u32::try_from(attempt.grace).unwrap_or(u32::MAX),
            successor_expires: self.stamp(attempt.successor_expires),
            token_expires: self.stamp(attempt.token_expires),
            keep_until: self.stamp(attempt.now.saturating_add(attempt.keep_for)),
        }
    }
}

/// A [`RefreshAttempt`]'s times, as stamps (see its fields for what each means).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttemptTimes {
    now: Stamp,
    grace: u32,
    successor_expires: Stamp,
    token_expires: Stamp,
    /// `now` plus the attempt's `keep_for`.
    keep_until: Stamp,
}

impl AttemptTimes {
    /// When the attempt is made.
    pub(crate) fn now(&self) -> Stamp {
        self.now
    }
}

/// A token that may be refreshed: its key, when it stops being usable, and its parent's key.
#[derive(Debug, Clone, Copy)]
struct Head {
    id: u64,
    parent: u64,
    expires: Stamp,
}

/// A token refreshed already: its key, when first, when it stops being usable, and whether a
/// successor of it has been used since.
#[derive(Debug, Clone, Copy)]
struct Retired {
    id: u64,
    at: Stamp,
    expires: Stamp,
    moved_on: bool,
}

impl Retired {
    /// Whether `now` is within `grace` seconds of the token's first refresh.
    fn within_grace(&self, now: Stamp, grace: u32) -> bool {
        now <= self.at.plus(grace)
    }
}

/// What one session needs: times as [`Stamp`]s, token ids in 64 bits (collisions among the
/// handful of tokens of one session are out of reach).
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// Drop the record after this: the latest `exp` seen, or the end of a revocation.
    expires: Stamp,
    /// Revoked until this (0: not revoked).
    revoked_until: Stamp,
    /// Tokens that may be refreshed, oldest first.
    heads: Heads,
    /// Tokens refreshed lately, oldest first.
    retired: RetiredTokens,
}

impl Session {
    /// Whether the record is no longer needed at `now`: no token of its session can be used.
    pub(crate) fn is_expired(&self, now: Stamp) -> bool {
        self.expires <= now
    }

    /// Whether the session is revoked at `now`.
    pub(crate) fn is_revoked(&self, now: Stamp) -> bool {
        self.revoked_until > now
    }

    /// Revokes the session until `until`, or for as long as the record would have lived (an
    /// older token of the session may live longer than the one logged out).
    pub(crate) fn revoke(&mut self, until: Stamp) {
        let until = until.max(self.expires);
        self.revoked_until = self.revoked_until.max(until);
        self.expires = self.expires.max(until);
    }

    /// Applies the refresh-once rule (see the module doc) to an attempt at `times`, with `token`
    /// and `successor` the keys of its token ids, and records the outcome.
    pub(crate) fn rotate(&mut self, times: &AttemptTimes, token: u64, successor: u64) -> Rotation {
        let (now, grace) = (times.now, times.grace);
        if self.is_revoked(now) {
            return Rotation::SessionRevoked;
        }
        // A record whose life is up is a session the store no longer knows.
        let known = self.expires > now;
        self.heads.retain(|head| head.expires > now);
        self.retired.retain(|retired| {
            retired.expires > now && (!retired.moved_on || retired.within_grace(now, grace))
        });
        let outcome = if let Some(index) = self.heads.iter().position(|head| head.id == token) {
            let head = self.heads.remove(index);
            for parent in self.retired.iter_mut().filter(|r| r.id == head.parent) {
                parent.moved_on = true;
            }
            self.retire(token, now, times.token_expires);
            Rotation::Rotated
        } else if let Some(retired) = self.retired.iter().find(|r| r.id == token) {
            if retired.within_grace(now, grace) {
                Rotation::WithinGrace
            } else {
                // Only a retired token whose successors are all unused is still kept here.
                self.heads.retain(|head| head.parent != token);
                Rotation::Retried
            }
        } else if known {
            return Rotation::Replayed;
        } else {
            self.retire(token, now, times.token_expires);
            Rotation::Rotated
        };
        if self.heads.len() >= MAX_TRACKED {
            self.heads.remove(0);
        }
        self.heads.push(Head {
            id: successor,
            parent: token,
            expires: times.successor_expires,
        });
        self.expires = self.expires.max(times.keep_until);
        outcome
    }

    /// Heads and retired tokens held, and whether either list has left its inline room for the
    /// heap (the record's size, and so the store's memory per session, assumes it has not).
    #[cfg(test)]
    pub(crate) fn tokens_held(&self) -> (usize, usize, bool) {
        (
            self.heads.len(),
            self.retired.len(),
            self.heads.spilled() || self.retired.spilled(),
        )
    }

    /// Remembers `token` as refreshed at `now`, forgetting the oldest beyond [`MAX_TRACKED`].
    fn retire(&mut self, token: u64, now: Stamp, expires: Stamp) {
        if self.retired.len() >= MAX_TRACKED {
            self.retired.remove(0);
        }
        self.retired.push(Retired {
            id: token,
            at: now,
            expires,
            moved_on: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_count_from_the_epoch_and_saturate_at_both_ends() {
        let epoch = Epoch::before(1_000_000, 86_400);
        assert_eq!(epoch.stamp(1_000_000), Stamp(86_400));
        assert_eq!(epoch.stamp(1_000_000 - 86_400), Stamp(0));
        assert_eq!(epoch.stamp(5), Stamp(0), "before the epoch");
        assert_eq!(epoch.stamp(913_600 + u64::from(u32::MAX)), Stamp(u32::MAX));
        assert_eq!(epoch.stamp(u64::MAX), Stamp(u32::MAX));
        assert_eq!(Epoch::before(10, 86_400).stamp(10), Stamp(10));
        assert_eq!(Stamp(u32::MAX - 1).plus(30), Stamp(u32::MAX));
    }

    #[test]
    fn a_record_lives_a_hundred_years_past_now_for_decades_of_one_process() {
        // The longest a record is kept, from a `now` 35 years after the store's first.
        let epoch = Epoch::before(1_800_000_000, 86_400);
        let now = 1_800_000_000 + 35 * 366 * 86_400;
        let far = now + crate::MAX_RECORD_SECONDS;
        assert!(epoch.stamp(far) > epoch.stamp(far - 1));
        assert!(epoch.stamp(now) < epoch.stamp(far));
    }
}
