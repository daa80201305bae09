//! Throttling of password logins: through the login service (lockout, reset, the same answer for
//! an account that does not exist), and the in-memory store's bound.

use ccstore_core::{AccountKey, Families, LoginAttempts, LoginError, MemoryAttempts, ThrottleRule};

use crate::login::{RULE, fixture, password};
use crate::now;

#[test]
fn consecutive_failures_lock_an_account_even_against_the_right_password() {
    let fixture = fixture();
    for _ in 0..RULE.max_failures {
        assert_eq!(
            fixture.shopper("ann@example.com", "wrong one"),
            Err(LoginError::InvalidGrant)
        );
    }
    let hashed = fixture.pool.completed();
    assert_eq!(
        fixture.shopper("ann@example.com", "shopper password"),
        Err(LoginError::Locked {
            retry_after: RULE.lockout
        })
    );
    assert_eq!(
        fixture.pool.completed(),
        hashed,
        "a locked login is not hashed"
    );
    fixture.clock.advance(RULE.lockout - 1);
    assert_eq!(
        fixture.shopper("ANN@example.com", "shopper password"),
        Err(LoginError::Locked { retry_after: 1 }),
        "the lock holds for the name in any case"
    );
    fixture.clock.advance(1);
    assert!(
        fixture
            .shopper("ann@example.com", "shopper password")
            .is_ok()
    );
}

#[test]
fn an_unknown_account_is_answered_exactly_as_a_known_one() {
    let fixture = fixture();
    let answers = |username: &str| {
        (0..=RULE.max_failures)
            .map(|_| fixture.shopper(username, "wrong one"))
            .collect::<Vec<_>>()
    };
    let known = answers("ann@example.com");
    let unknown = answers("nobody@example.com");
    assert_eq!(known, unknown);
    assert_eq!(
        known.last(),
        Some(&Err(LoginError::Locked {
            retry_after: RULE.lockout
        }))
    );
}

#[test]
fn a_success_resets_the_count() {
    let fixture = fixture();
    for _ in 0..RULE.max_failures - 1 {
        let _ = fixture.shopper("ann@example.com", "wrong one");
    }
    assert!(
        fixture
            .shopper("ann@example.com", "shopper password")
            .is_ok()
    );
    for _ in 0..RULE.max_failures - 1 {
        assert_eq!(
            fixture.shopper("ann@example.com", "wrong one"),
            Err(LoginError::InvalidGrant)
        );
    }
}

#[test]
fn accounts_are_throttled_per_family() {
    let fixture = fixture();
    for _ in 0..RULE.max_failures {
        let _ = fixture.login("agent", password("ann@example.com", "wrong one"), None);
    }
    assert!(
        fixture
            .shopper("ann@example.com", "shopper password")
            .is_ok()
    );
}

const ONE_SHOT: ThrottleRule = ThrottleRule {
    max_failures: 1,
    lockout: 100,
};

fn key(name: &str) -> AccountKey {
    AccountKey::new(Families::default().get("store").unwrap(), name)
}

#[test]
fn the_memory_store_never_holds_more_than_its_capacity() {
    let store = MemoryAttempts::new(50);
    for index in 0..10_000 {
        now(store.record_failure(&key(&format!("user{index}")), 10, RULE)).unwrap();
        assert!(store.len() <= 50);
    }
    assert_eq!(store.len(), 50);
}

#[test]
fn a_full_store_evicts_unlocked_records_before_a_lock() {
    let store = MemoryAttempts::new(10);
    let victim = key("victim");
    now(store.record_failure(&victim, 10, ONE_SHOT)).unwrap();
    assert_eq!(now(store.locked_for(&victim, 10, ONE_SHOT)), Ok(Some(100)));
    // Sprayed names, each failed once under a rule that needs more: none of them locked.
    for index in 0..1_000 {
        now(store.record_failure(&key(&format!("spray{index}")), 20, RULE)).unwrap();
    }
    assert_eq!(store.len(), 10);
    assert_eq!(
        now(store.locked_for(&victim, 20, ONE_SHOT)),
        Ok(Some(90)),
        "the lock outlived the spray"
    );
}

#[test]
fn lapsed_records_are_dropped() {
    let store = MemoryAttempts::new(10);
    now(store.record_failure(&key("a"), 10, ONE_SHOT)).unwrap();
    now(store.use_totp_step(&key("b"), 1, 10)).unwrap();
    assert_eq!(store.len(), 2);
    // `a` lapses at 110, `b`'s step 1 at (1 + 2) * 30 = 90.
    now(store.locked_for(&key("c"), 110, ONE_SHOT)).unwrap();
    assert!(store.is_empty());
}

#[test]
fn a_passcode_step_is_used_once_and_older_steps_are_refused_after_it() {
    let store = MemoryAttempts::new(10);
    let ops = key("ops");
    assert_eq!(now(store.use_totp_step(&ops, 5, 150)), Ok(true));
    assert_eq!(now(store.use_totp_step(&ops, 5, 151)), Ok(false));
    assert_eq!(now(store.use_totp_step(&ops, 4, 152)), Ok(false));
    assert_eq!(now(store.use_totp_step(&ops, 6, 180)), Ok(true));
    assert_eq!(now(store.use_totp_step(&key("other"), 5, 150)), Ok(true));
}

#[test]
fn a_success_keeps_the_used_passcode() {
    let store = MemoryAttempts::new(10);
    let ops = key("ops");
    assert_eq!(now(store.use_totp_step(&ops, 5, 150)), Ok(true));
    now(store.record_success(&ops, 150)).unwrap();
    assert_eq!(now(store.use_totp_step(&ops, 5, 150)), Ok(false));
}
